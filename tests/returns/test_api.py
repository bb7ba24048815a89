"""Returns over real loopback HTTP with API tokens, on both backends: a dealer opens a
request by unit codes, the brand asks, the dealer answers with a photo, the brand
approves part; a dealer of another organisation and the wrong roles are refused; bad
input of many shapes (and a fake code) is a coded 4xx that changes nothing; the rules,
alerts and statistics; the routes are in the OpenAPI document."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from tests.inventory.conftest import World
from tests.returns.conftest import PNG, TEA, WINE, deliver
from veriseal.server.app import Limits, make_app

BASE = "/api/v1/commerce"
Call = Callable[..., Awaitable[tuple[int, Any]]]
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


async def headers(world: World, who: str) -> dict[str, str]:
    text, _ = await world.engine.accounts.create_token(world.shop.people[who], "t", ["*"])
    return {"Authorization": f"Bearer {text}"}


@asynccontextmanager
async def client(world: World) -> AsyncIterator[tuple[TestClient[Any, Any], Call]]:
    """A real server on loopback and ``call(method, path, headers, body) -> (status, json)``."""
    async with TestClient(TestServer(make_app(world.engine, Limits(per_minute=0)))) as c:

        async def call(method: str, path: str, h: dict[str, str], body: Any = None) -> Any:
            r = await c.request(method, BASE + path, headers=h, json=body)
            text = await r.text()
            return r.status, json.loads(text) if text else None

        yield c, call


async def counts(world: World) -> tuple[int, ...]:
    """Rows of every returns table: a refusal changes none of them (alerts aside)."""
    out = []
    async with world.shop.ctx.db.read() as tx:
        for table in ("commerce_returns", "commerce_return_units", "commerce_return_events",
                      "commerce_return_messages", "commerce_return_photos",
                      "commerce_return_alerts"):  # fmt: skip
            row = await tx.fetchrow(f"SELECT COUNT(*) AS n FROM {table}")
            out.append(0 if row is None else int(row["n"]))
    return tuple(out)


def coded(status: int, body: Any) -> str:
    assert 400 <= status < 500, (status, body)
    code = body["error"]["code"]
    assert code, body
    return str(code)


async def test_request_and_review_over_http(world: World) -> None:
    got = await deliver(world)
    no_ = got.order.order_no
    gd, zj, admin, op = [await headers(world, w) for w in ("gd", "zj", "admin", "operator")]
    tea = got.codes[TEA]
    async with client(world) as (c, call):
        status, rules = await call("GET", "/returns/settings", gd)
        assert status == 200 and "damaged" in [r["code"] for r in rules["reasons"]]
        new = {"order_no": no_, "kind": "return", "reason": "damaged", "codes": tea[:3],
               "detail": "压坏 crushed", "opened": [TEA]}  # fmt: skip
        # the dealer's own order only: another dealer is refused, nothing written
        before = await counts(world)
        status, body = await call("POST", "/returns", zj, new)
        assert status in (403, 404) and coded(status, body) in ("forbidden", "order_not_found")
        assert await counts(world) == before
        status, r = await call("POST", "/returns", gd, new)
        assert status == 201 and r["status"] == "requested", r
        rno = r["return_no"]
        assert sorted(u["code"] for u in r["units"]) == sorted(tea[:3])
        assert r["lines"][0]["opened"] is True
        # another organisation's dealer reads nothing and changes nothing
        before = await counts(world)
        for method, path, body in (("GET", f"/returns/{rno}", None),
                                   ("POST", f"/returns/{rno}/cancel", {}),
                                   ("POST", f"/returns/{rno}/messages", {"body": "hi"}),
                                   ("POST", f"/returns/{rno}/answer", {"body": "hi"})):  # fmt: skip
            status, answer = await call(method, path, zj, body)
            assert status in (403, 404) and rno not in json.dumps(answer), (path, answer)
        status, listed = await call("GET", "/returns", zj)
        assert status == 200 and listed["returns"] == []
        # roles: a dealer cannot review its own request, a factory operator cannot either
        for who in (gd, op):
            status, answer = await call("POST", f"/returns/{rno}/approve", who, {})
            assert status == 403, answer
        status, answer = await call("PUT", "/returns/settings", gd, {"window_days": 1})
        assert status == 403
        status, answer = await call("GET", "/returns/alerts", gd)
        assert status == 403
        assert await counts(world) == before
        # the brand asks, the dealer answers with a photo
        status, r = await call("POST", f"/returns/{rno}/ask", admin, {"question": "照片？"})
        assert status == 200 and r["status"] == "info_requested"
        status, answer = await call("POST", f"/returns/{rno}/answer", admin, {"body": "x"})
        assert status == 403  # only the dealer answers
        photo = {"content_type": "image/png", "filename": "box.png",
                 "data_base64": base64.b64encode(PNG).decode()}  # fmt: skip
        status, added = await call("POST", f"/returns/{rno}/photos", gd, photo)
        assert status == 201, added
        before = await counts(world)
        for bad in ({**photo, "data_base64": "not base64!"},
                    {**photo, "data_base64": base64.b64encode(JPEG).decode()},  # not a PNG
                    {**photo, "content_type": "image/gif"}, {**photo, "filename": "a/b.png"},
                    {"content_type": "image/png"}):  # fmt: skip
            status, answer = await call("POST", f"/returns/{rno}/photos", gd, bad)
            assert coded(status, answer), bad
        assert await counts(world) == before
        r_photo = await c.get(f"{BASE}/returns/{rno}/photos/{added['id']}", headers=admin)
        assert r_photo.status == 200 and await r_photo.read() == PNG
        assert r_photo.headers["Cache-Control"] == "no-store"
        assert r_photo.content_type == "image/png"
        for who in (zj,):
            r_photo = await c.get(f"{BASE}/returns/{rno}/photos/{added['id']}", headers=who)
            assert r_photo.status in (403, 404)
        status, answer = await call("GET", f"/returns/{rno}/photos/999999", gd)
        assert status == 404
        status, r = await call("POST", f"/returns/{rno}/answer", gd, {"body": "已上传"})
        assert status == 200 and r["status"] == "requested"
        status, msg = await call("POST", f"/returns/{rno}/messages", admin, {"body": "收到"})
        assert status == 201 and msg["side"] == "brand"
        # approve two units of three: the third is declined
        status, answer = await call("POST", f"/returns/{rno}/approve", admin,
                                    {"codes": [got.codes[WINE][0]]})  # fmt: skip
        assert coded(status, answer) == "return_invalid"  # not on this request
        status, r = await call("POST", f"/returns/{rno}/approve", admin,
                               {"codes": tea[:2], "note": "两件"})  # fmt: skip
        assert status == 200 and r["status"] == "approved"
        assert sorted((u["code"], u["status"]) for u in r["units"]) == sorted(
            (x, "approved") for x in tea[:2]
        )
        status, answer = await call("POST", f"/returns/{rno}/reject", admin, {"reason": "x"})
        assert (status, answer["error"]["code"]) == (409, "return_transition")
        status, view = await call("GET", f"/returns/{rno}", gd)
        assert [e["action"] for e in view["events"]] == ["open", "ask", "answer", "approve"]
        assert [m["side"] for m in view["messages"]] == ["brand", "dealer", "brand"]
        assert [p["id"] for p in view["photos"]] == [added["id"]]
        # the declined unit may be asked again, then withdrawn
        status, second = await call("POST", "/returns", gd, {**new, "codes": [tea[2]],
                                                               "opened": []})  # fmt: skip
        assert status == 201
        status, gone = await call("POST", f"/returns/{second['return_no']}/cancel", gd,
                                  {"reason": "用掉了"})  # fmt: skip
        assert status == 200 and gone["status"] == "cancelled"
        status, listed = await call("GET", "/returns?status=approved", admin)
        assert [x["return_no"] for x in listed["returns"]] == [rno]
        status, listed = await call("GET", "/returns", gd)
        assert {x["return_no"] for x in listed["returns"]} == {rno, second["return_no"]}
        status, answer = await call("GET", "/returns?status=lost", admin)
        assert coded(status, answer) == "return_invalid"
        status, answer = await call("GET", "/returns/RT-NOPE", gd)
        assert (status, answer["error"]["code"]) == (404, "return_not_found")
        status, st_ = await call("GET", "/returns/stats", admin)
        assert status == 200 and st_["total"]["returned"] == 2  # the approved two
        assert st_["by_reason"] == {"damaged": 2}
        status, st_ = await call("GET", "/returns/stats?since=2000-01-01T00:00:00Z", gd)
        assert status == 200 and st_["total"]["returned"] == 2
        status, answer = await call("GET", "/returns/stats?since=yesterday", admin)
        assert coded(status, answer)
        doc = await (await c.get("/openapi.json")).json()
        assert "/api/v1/commerce/returns/{return_no}/approve" in doc["paths"]
        assert "ReturnOpenBody" in json.dumps(doc)


async def test_bad_requests_are_coded_and_change_nothing(world: World) -> None:
    got = await deliver(world)
    gd, admin = await headers(world, "gd"), await headers(world, "admin")
    tea = got.codes[TEA]
    good = {"order_no": got.order.order_no, "kind": "return", "reason": "damaged",
            "codes": tea[:1]}  # fmt: skip
    forged = tea[0][:-4] + ("AAAA" if not tea[0].endswith("AAAA") else "BBBB")
    async with client(world) as (_, call):
        before = await counts(world)
        shapes: list[Any] = [
            {}, [1, 2], "x", 5, None, {**good, "codes": []}, {**good, "codes": "abc"},
            {**good, "kind": "refund"}, {**good, "reason": ""}, {**good, "reason": "nope"},
            {**good, "order_no": "SO 1"}, {**good, "order_no": "SO-NOPE"},
            {**good, "codes": ["x\x00y"]}, {**good, "opened": ["abc"]},
            {**good, "extra": 1}, {**good, "client_id": "a b"}, {**good, "detail": "x" * 1001},
            {**good, "reason": "other"},  # "other" needs a detail
            {**good, "codes": ["not-a-code"]},
        ]  # fmt: skip
        for bad in shapes:
            status, body = await call("POST", "/returns", gd, bad)
            assert coded(status, body), bad
        # a seeded fuzz: one to three fields of a good body replaced by junk for that
        # field (each junk value is wrong there), answered with a code, nothing written
        rng = random.Random(17)
        junk: list[Any] = [None, 0, -1, 1.5, True, "", [], {}, "x" * 5000, ["\x00"],
                           [None], {"a": 1}, "\u202e"]  # fmt: skip
        for _ in range(40):
            body = dict(good)
            for field in rng.sample(["order_no", "kind", "reason", "codes"], rng.randint(1, 3)):
                body[field] = rng.choice(junk)
            status, answer = await call("POST", "/returns", gd, body)
            assert coded(status, answer), body
        assert (await counts(world))[:5] == before[:5]
        status, body = await call("POST", "/returns", gd, {**good, "codes": [tea[0], forged]})
        assert (status, body["error"]["code"]) == (400, "return_unit_fake")
        after = await counts(world)
        assert after[:5] == before[:5] and after[5] > before[5]  # kept as an alert only
        status, found = await call("GET", "/returns/alerts", admin)
        assert status == 200 and forged in [a["code"] for a in found["alerts"]]
        # the brand's rules: bad shapes refused, nothing saved
        for bad in ({"window_days": -1}, {"window_days": "7"}, {"window_days": 99999},
                    {"reasons": []}, {"reasons": [{"code": "A B", "en": "x", "zh": "x"}]},
                    {"reasons": [{"code": "a", "en": "x", "zh": "x"}] * 2},
                    {"no_return": ["09506000000000"]}, {"no_return": ["09506000000008"]},
                    {"sealed_only": "x"}, {"colour": 1}):  # fmt: skip
            status, body = await call("PUT", "/returns/settings", admin, bad)
            assert coded(status, body), bad
        status, rules = await call("GET", "/returns/settings", admin)
        assert rules["window_days"] == 30 and rules["updated_at"] is None
        status, rules = await call("PUT", "/returns/settings", admin,
                                   {"window_days": 7, "sealed_only": [WINE]})  # fmt: skip
        assert status == 200 and (rules["window_days"], rules["sealed_only"]) == (7, [WINE])
        status, body = await call("POST", "/returns", gd, {**good, "codes": got.codes[WINE][:1],
                                                             "opened": [WINE]})  # fmt: skip
        assert (status, body["error"]["code"]) == (400, "return_not_eligible")
        assert (await counts(world))[:5] == before[:5]

"""The logistics JSON API over real loopback HTTP, on both backends: the 快递100 push
receiver (valid and invalid signatures, duplicates, out-of-order events, unknown
waybills, malformed bodies: coded 4xx in 快递100's shape and the tables unchanged), the
signed webhook (replay protection), waybills, the CSV import (all or nothing), alerts,
rules and write-only secrets; dealers see only their own."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient, TestServer

from tests.logistics.conftest import World
from veriseal.server.app import Limits, make_app
from veriseal_logistics import kuaidi100, webhook
from veriseal_logistics.models import EventIn, Place
from veriseal_logistics.statuses import Status

BASE = "/api/v1/logistics"
SALT = "salt-of-acme-0001"
SECRET = "whsec-acme-000001"
TABLES = ("logistics_waybills", "logistics_events", "logistics_alerts", "logistics_samples")

Call = Callable[..., Awaitable[tuple[int, Any]]]


async def _token(world: World, who: str) -> dict[str, str]:
    text, _ = await world.engine.accounts.create_token(world.shop.people[who], "t", ["*"])
    return {"Authorization": f"Bearer {text}"}


@asynccontextmanager
async def serving(world: World) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(make_app(world.engine, Limits(per_minute=0)))) as c:
        yield c


async def counts(world: World) -> dict[str, int]:
    out = {}
    async with world.ctx.db.read() as tx:
        for table in TABLES:
            row = await tx.fetchrow(f"SELECT COUNT(*) AS n FROM {table}")
            assert row is not None
            out[table] = int(row["n"])
    return out


def caller(c: TestClient[Any, Any]) -> Call:
    async def call(method: str, path: str, headers: dict[str, str] | None = None,
                   body: Any = None, data: Any = None) -> tuple[int, Any]:  # fmt: skip
        r = await c.request(method, BASE + path, headers=headers or {}, json=body, data=data)
        text = await r.text()
        assert "traceback" not in text.lower() and "sqlite" not in text.lower()
        assert "asyncpg" not in text.lower()
        try:
            return r.status, json.loads(text)
        except ValueError:
            return r.status, text

    return call


def checkpoint(ftime: str, text: str, status: str, code: str, area: str = "") -> dict[str, str]:
    row = {"context": text, "time": ftime, "ftime": ftime, "status": status, "statusCode": code}
    if area:
        row.update(areaCode=area, areaName="广东,深圳市", areaCenter="114.057868,22.543099")
    return row


PICKED = checkpoint("2026-12-01 18:00:00", "[深圳市] 已揽收", "揽收", "1", "CN440300000000")
TRANSIT = checkpoint("2026-12-02 06:30:00", "[东莞市] 到达转运中心", "在途", "1002")
ARRIVED = checkpoint("2026-12-02 20:00:00", "[广州市] 到达派件城市", "在途", "1001")


def param(rows: list[dict[str, str]], *, status: str = "polling", nu: str = "SF1001",
          com: str = "shunfeng", **extra: Any) -> str:  # fmt: skip
    last = {"message": "ok", "state": "0", "status": "200", "condition": "F00",
            "ischeck": "0", "com": com, "nu": nu, "data": rows}  # fmt: skip
    return json.dumps({"status": status, "billstatus": "", "message": "", "autoCheck": "0",
                       "comOld": "", "comNew": "", "lastResult": last, **extra},
                      ensure_ascii=False)  # fmt: skip


def form(p: str, salt: str = SALT, sign: str | None = None) -> bytes:
    return urlencode({"param": p, "sign": kuaidi100.sign(p, salt) if sign is None else sign}
                     ).encode()  # fmt: skip


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def setup(call: Call, admin: dict[str, str]) -> int:
    status, shown = await call("PUT", "/settings/secrets", admin,
                               {"kuaidi100_salt": SALT, "webhook_secret": SECRET})  # fmt: skip
    assert status == 200, shown
    assert SALT not in json.dumps(shown) and SECRET not in json.dumps(shown)
    assert shown["secrets"] == {"kuaidi100_salt": {"set": True}, "webhook_secret": {"set": True}}
    status, w = await call("POST", "/waybills", admin, {
        "carrier": "shunfeng", "tracking_no": "SF1001", "origin": "深圳", "destination": "广州",
        "promised": "2026-12-04", "reference": "SO-9"})  # fmt: skip
    assert status == 201, w
    return int(w["id"])


async def test_the_kuaidi100_push_receiver(world: World) -> None:
    admin = await _token(world, "admin")
    slug = world.shop.brand.slug
    async with serving(world) as c:
        call = caller(c)
        wid = await setup(call, admin)
        push = f"/push/kuaidi100/{slug}"
        # newest first, as 快递100 sends them
        status, answer = await call("POST", push, FORM, data=form(param([TRANSIT, PICKED])))
        assert (status, answer) == (200, {"result": True, "returnCode": "200", "message": "成功"})
        before = await counts(world)
        assert before["logistics_events"] == 2
        # news flows by push: no paid query for a poll interval
        soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=29)
        assert await world.lg.waybills.due_for_poll(soon) == []
        assert await world.lg.waybills.due_for_poll(soon + dt.timedelta(minutes=2)) != []
        # the same push again (快递100 resends the whole history): nothing added
        assert (await call("POST", push, FORM, data=form(param([TRANSIT, PICKED]))))[0] == 200
        assert await counts(world) == before
        # out of order, one new, a lower-case signature
        p = param([PICKED, ARRIVED, TRANSIT])
        status, _ = await call(
            "POST", push, FORM, data=form(p, sign=kuaidi100.sign(p, SALT).lower())
        )
        assert status == 200
        status, tl = await call("GET", f"/waybills/{wid}/timeline", admin)
        assert [x["status"] for x in tl["checkpoints"]] == [
            "picked_up",
            "in_transit",
            "at_destination_city",
        ]
        assert tl["checkpoints"][0]["place"]["city"] == "440300"
        assert tl["checkpoints"][0]["at"] == "2026-12-01T10:00:00+00:00"  # 18:00 China time
        assert tl["waybill"]["status"] == "at_destination_city"
        assert {x["source"] for x in tl["checkpoints"]} == {"kuaidi100"}
        settled = await counts(world)
        assert settled["logistics_events"] == 3

        async def refused(body: Any, status: int, code: str, path: str = push) -> None:
            got, answer = await call("POST", path, FORM, data=body)
            assert (got, answer["result"], answer["returnCode"], answer["code"]) == (
                status,
                False,
                str(status),
                code,
            ), answer
            assert await counts(world) == settled

        delivered = checkpoint("2026-12-03 10:00:00", "已签收", "签收", "301")
        good = param([delivered, ARRIVED])
        await refused(form(good, sign="0" * 32), 403, "logistics_signature_invalid")
        await refused(form(good, salt="another-salt"), 403, "logistics_signature_invalid")
        tampered = urlencode({"param": good.replace("SF1001", "SF1002"),
                              "sign": kuaidi100.sign(good, SALT)}).encode()  # fmt: skip
        await refused(tampered, 403, "logistics_signature_invalid")
        await refused(form(good), 403, "logistics_signature_invalid", "/push/kuaidi100/nobody")
        await refused(form(param([delivered], nu="SF404")), 404, "logistics_waybill_unknown")
        for bad in (b"", b"param=x", b"sign=x", b"\xff\xfe", form("not json"), form("[]"),
                    form(param([{"context": "x", "time": "tomorrow"}])),
                    form(param([delivered], status="weird")),
                    form(param([{**delivered, "context": "a\x00b"}])),
                    form(json.dumps({"status": "polling"}))):  # fmt: skip
            await refused(bad, 400, "logistics_push_invalid")
        huge = io.BytesIO(b"param=" + b"x" * (2 * 1024 * 1024 + 10) + b"&sign=1")
        await refused(huge, 400, "logistics_push_invalid")
        # abort: 快递100 gave up (its message says why): success, nothing stored
        status, answer = await call("POST", push, FORM, data=form(
            param([delivered], status="abort", message="3天查询无记录")))  # fmt: skip
        assert (status, answer["result"]) == (200, True)
        assert await counts(world) == settled
        # shutdown is the final push: it carries the delivery
        status, _ = await call("POST", push, FORM, data=form(param([delivered, ARRIVED],
                                                                   status="shutdown")))  # fmt: skip
        assert status == 200
        status, w = await call("GET", f"/waybills/{wid}", admin)
        assert (w["status"], w["delivered_at"]) == ("delivered", "2026-12-03T02:00:00+00:00")
        # 快递100 corrected the carrier code: the push finds the waybill by the one we sent
        other = {"carrier": "shunfeng", "tracking_no": "SF1003", "origin": "深圳",
                 "destination": "广州"}  # fmt: skip
        status, w3 = await call("POST", "/waybills", admin, other)
        corrected = param([PICKED], com="yuantong", nu="SF1003", autoCheck="1",
                          comOld="shunfeng", comNew="yuantong")  # fmt: skip
        assert (await call("POST", push, FORM, data=form(corrected)))[0] == 200
        status, tl = await call("GET", f"/waybills/{w3['id']}/timeline", admin)
        assert [x["status"] for x in tl["checkpoints"]] == ["picked_up"]


async def test_a_brand_without_a_salt_accepts_no_push(world: World) -> None:
    admin = await _token(world, "admin")
    async with serving(world) as c:
        call = caller(c)
        new = {
            "carrier": "shunfeng",
            "tracking_no": "SF1001",
            "origin": "深圳",
            "destination": "广州",
        }
        assert (await call("POST", "/waybills", admin, new))[0] == 201
        before = await counts(world)
        status, answer = await call("POST", f"/push/kuaidi100/{world.shop.brand.slug}", FORM,
                                    data=form(param([PICKED]), salt=""))  # fmt: skip
        assert (status, answer["code"]) == (403, "logistics_signature_invalid")
        assert await counts(world) == before


async def test_the_signed_webhook(world: World) -> None:
    admin = await _token(world, "admin")
    slug = world.shop.brand.slug
    async with serving(world) as c:
        call = caller(c)
        wid = await setup(call, admin)
        events = [
            {"id": "e-2", "time": "2026-12-02T09:30:00+08:00", "status": "in_transit",
             "description": "到达中转场", "place": {"name": "东莞", "lat": 23.02, "lon": 113.75}},
            {"id": "e-1", "time": "2026-12-01T18:00:00+08:00", "raw_status": "揽收",
             "area_code": "440300"},
        ]  # fmt: skip
        body = json.dumps({"carrier": "shunfeng", "tracking_no": "SF1001", "events": events},
                          ensure_ascii=False).encode()  # fmt: skip

        def signed(raw: bytes, t: float | None = None, secret: str = SECRET) -> dict[str, str]:
            when = int(time.time() if t is None else t)
            return {webhook.HEADER: webhook.signature(secret, raw, when),
                    "Content-Type": "application/json"}  # fmt: skip

        status, got = await call("POST", f"/webhook/{slug}", signed(body), data=body)
        assert (status, got) == (200, {"waybill_id": wid, "added": 2, "duplicates": 0})
        status, got = await call("POST", f"/webhook/{slug}", signed(body), data=body)
        assert (status, got["added"], got["duplicates"]) == (200, 0, 2)  # keyed by id
        settled = await counts(world)

        async def refused(headers: dict[str, str], raw: bytes, status: int, code: str,
                          brand: str = slug) -> None:  # fmt: skip
            got, answer = await call("POST", f"/webhook/{brand}", headers, data=raw)
            assert (got, answer["error"]["code"]) == (status, code), answer
            assert await counts(world) == settled

        sig = "logistics_signature_invalid"
        await refused(signed(body, time.time() - 301), body, 403, sig)  # a replay, later
        await refused(signed(body, time.time() + 301), body, 403, sig)
        await refused(signed(body, secret="not-the-secret"), body, 403, sig)
        await refused(signed(body), body.replace(b"SF1001", b"SF1002"), 403, sig)
        await refused({"Content-Type": "application/json"}, body, 403, sig)
        await refused(signed(body), body, 403, sig, brand="nobody")
        unknown = body.replace(b"SF1001", b"SF404")
        await refused(signed(unknown), unknown, 404, "logistics_waybill_unknown")
        for raw in (b"", b"{", b"[]", json.dumps({"carrier": "shunfeng"}).encode(),
                    body.replace(b"+08:00", b"")):  # fmt: skip
            await refused(signed(raw), raw, 400, "logistics_webhook_invalid")


async def test_waybills_listing_scope_and_bad_input(world: World) -> None:
    admin, gd, zj, shop = [await _token(world, w) for w in ("admin", "gd", "zj", "shop")]
    gd01 = world.shop.orgs["GD01"]
    async with serving(world) as c:
        call = caller(c)
        made = []
        for i in range(5):
            body = {"carrier": "zhongtong", "tracking_no": f"ZT100{i}", "origin": "深圳",
                    "destination": "广州", "reference": "SO-1" if i < 3 else "SO-2",
                    "to_org": gd01 if i % 2 == 0 else None}  # fmt: skip
            status, w = await call("POST", "/waybills", admin, body)
            assert status == 201, w
            made.append(w)
        # the same again: the same waybill; other data: a conflict
        status, again = await call("POST", "/waybills", admin, body)
        assert (status, again["id"]) == (201, made[-1]["id"])
        status, err = await call("POST", "/waybills", admin, {**body, "destination": "上海"})
        assert (status, err["error"]["code"]) == (409, "logistics_waybill_exists")
        status, page = await call("GET", "/waybills?limit=2", admin)
        assert status == 200 and len(page["waybills"]) == 2 and page["next_cursor"]
        seen = [w["id"] for w in page["waybills"]]
        while page["next_cursor"]:
            status, page = await call("GET", f"/waybills?limit=2&cursor={page['next_cursor']}",
                                      admin)  # fmt: skip
            seen += [w["id"] for w in page["waybills"]]
        assert sorted(seen) == sorted(w["id"] for w in made)
        status, page = await call("GET", "/waybills?reference=SO-2", admin)
        assert {w["tracking_no"] for w in page["waybills"]} == {"ZT1003", "ZT1004"}
        status, page = await call("GET", "/waybills?status=delivered", admin)
        assert page["waybills"] == []
        # a dealer sees the waybills shipped to its subtree only
        status, page = await call("GET", "/waybills", gd)
        assert {w["tracking_no"] for w in page["waybills"]} == {"ZT1000", "ZT1002", "ZT1004"}
        assert (await call("GET", "/waybills", zj))[1]["waybills"] == []
        status, err = await call("GET", f"/waybills/{made[1]['id']}", gd)
        assert (status, err["error"]["code"]) == (403, "forbidden")
        assert (await call("GET", f"/waybills/{made[0]['id']}/timeline", gd))[0] == 200
        status, err = await call("POST", "/waybills", shop, {**body, "tracking_no": "ZT1009"})
        assert (status, err["error"]["code"]) == (403, "forbidden")  # a retailer manages none
        before = await counts(world)
        ok = {"carrier": "sf", "tracking_no": "X1000", "origin": "深圳"}
        bad: Any
        for bad in ({}, [], "x", {**ok, "carrier": ""}, {**ok, "tracking_no": "x" * 65},
                    {**ok, "origin": "Atlantis"}, {**ok, "promised": "tomorrow"},
                    {**ok, "promised": "2026-12-04T10:00:00"}, {**ok, "extra": 1},
                    {**ok, "to_org": 0}, {**ok, "carrier": "s f"}, {**ok, "origin": "a\x00"},
                    {**ok, "waypoints": ["深圳"] * 21}):  # fmt: skip
            status, err = await call("POST", "/waybills", admin, bad)
            assert 400 <= status < 500 and "error" in err, (bad, err)
        assert await counts(world) == before
        for bad_query in ("?status=lost", "?limit=0", "?cursor=zz", "?alerted=maybe",
                          "?reference="):  # fmt: skip
            status, err = await call("GET", "/waybills" + bad_query, admin)
            assert 400 <= status < 500 and "error" in err, bad_query
        assert (await call("GET", "/waybills/999999", admin))[1]["error"]["code"] == (
            "logistics_waybill_unknown"
        )
        assert (await call("GET", "/waybills", {}))[0] == 401


async def test_csv_import_is_all_or_nothing(world: World) -> None:
    admin, zj = await _token(world, "admin"), await _token(world, "zj")
    async with serving(world) as c:
        call = caller(c)
        wid = await setup(call, admin)
        csv = {"Content-Type": "text/csv"}
        good = ("\ufeffcarrier,tracking_no,time,status,description,place,event_id\n"
                "shunfeng,SF1001,2026-12-02 06:30,在途,到达东莞,东莞,c-2\n"
                "shunfeng,SF1001,2026-12-01 18:00,picked_up,揽收,深圳,c-1\n")  # fmt: skip
        status, done = await call("POST", "/events/import", {**admin, **csv}, data=good.encode())
        assert (status, done) == (200, {"rows": 2, "added": 2, "duplicates": 0, "waybills": 1})
        status, done = await call("POST", "/events/import", {**admin, **csv}, data=good.encode())
        assert (done["added"], done["duplicates"]) == (0, 2)
        settled = await counts(world)
        bad_rows = good + "shunfeng,SF1001,someday,in_transit,x,,c-3\n"
        unknown = good.replace("c-2", "c-9") + "shunfeng,SF404,2026-12-02 06:30,在途,x,,c-4\n"
        for text, line in ((bad_rows, 4), (unknown, 4)):
            status, err = await call("POST", "/events/import", {**admin, **csv},
                                     data=text.encode())  # fmt: skip
            assert (status, err["error"]["code"]) == (400, "logistics_csv_invalid"), err
            assert [r["line"] for r in err["error"]["details"]["rows"]] == [line]
            assert await counts(world) == settled
        for raw in (b"", b"\xff\xfe", b"nonsense\n1\n", b"a\x00"):
            status, err = await call("POST", "/events/import", {**admin, **csv}, data=raw)
            assert 400 <= status < 500 and "error" in err
        # another distributor may not write this brand-wide waybill's timeline
        status, err = await call("POST", "/events/import", {**zj, **csv},
                                 data=good.replace("c-", "z-").encode())  # fmt: skip
        assert status in (400, 403) and await counts(world) == settled
        status, tl = await call("GET", f"/waybills/{wid}/timeline", admin)
        assert [x["source"] for x in tl["checkpoints"]] == ["csv", "csv"]


async def test_alerts_rules_and_secrets(world: World) -> None:
    admin, gd, operator = [await _token(world, w) for w in ("admin", "gd", "operator")]
    async with serving(world) as c:
        call = caller(c)
        wid = await setup(call, admin)
        at = dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)
        await world.lg.waybills.ingest(
            world.shop.brand.id,
            "shunfeng",
            "SF1001",
            [EventIn(at, Status.PICKED_UP, "", "揽收", Place("深圳", 22.54, 114.06))],
            "manual",
        )
        checked = await world.lg.alerts.check(now=at + dt.timedelta(days=6))
        assert checked.opened
        status, page = await call("GET", "/alerts", admin)
        assert status == 200 and {a["waybill_id"] for a in page["alerts"]} == {wid}
        kinds = {a["kind"] for a in page["alerts"]}
        assert "stalled" in kinds
        status, page = await call("GET", "/alerts?kind=stalled&status=all", admin)
        [alert] = page["alerts"]
        status, closed = await call("POST", f"/alerts/{alert['id']}/close", admin,
                                    {"note": "carrier confirmed a delay"})  # fmt: skip
        assert (status, closed["status"]) == (200, "closed")
        status, err = await call("POST", f"/alerts/{alert['id']}/close", admin, {})
        assert (status, err["error"]["code"]) == (409, "logistics_alert_closed")
        status, err = await call("POST", "/alerts/999999/close", admin, {})
        assert (status, err["error"]["code"]) == (404, "logistics_alert_unknown")
        for query in ("?status=maybe", "?kind=lost", "?limit=5000"):
            assert 400 <= (await call("GET", "/alerts" + query, admin))[0] < 500
        # rules: changed by brand admins only, bounded, never the secrets' values
        status, shown = await call("PUT", "/settings", admin, {"stall_default_hours": 24})
        assert (status, shown["rules"]["stall_default_hours"]) == (200, 24.0)
        assert shown["receivers"]["kuaidi100"].endswith(f"/push/kuaidi100/{world.shop.brand.slug}")
        for bad in ({}, {"stall_factor": 0}, {"min_samples": -1}, {"nonsense": 1},
                    {"late": "yes"}, [1]):  # fmt: skip
            status, err = await call("PUT", "/settings", admin, bad)
            assert 400 <= status < 500 and "error" in err, bad
        for who in (gd, operator):
            assert (await call("GET", "/settings", who))[0] == 403
            assert (await call("PUT", "/settings", who, {"late": False}))[0] == 403
            status, _ = await call("PUT", "/settings/secrets", who, {"webhook_secret": "x" * 12})
            assert status == 403
        status, shown = await call("GET", "/settings", admin)
        assert SALT not in json.dumps(shown) and SECRET not in json.dumps(shown)
        for bad in ({}, {"webhook_secret": "short"}, {"kuaidi100_salt": "含中文的盐值值值值"},
                    {"webhook_secret": "x" * 300}):  # fmt: skip
            status, err = await call("PUT", "/settings/secrets", admin, bad)
            assert 400 <= status < 500 and "error" in err, bad
        status, shown = await call("PUT", "/settings/secrets", admin, {"kuaidi100_salt": ""})
        assert shown["secrets"]["kuaidi100_salt"] == {"set": False}
        assert (await world.lg.settings.secrets(world.shop.brand.id)).webhook_secret == SECRET

"""The line-controller API and the verdicts of not activated / decommissioned codes, over
real HTTP on loopback, on both backends."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from veriseal.accounts.models import SYSTEM, OrgKind, Role
from veriseal.codes.gtin import gs1_check_digit
from veriseal.engine import Engine
from veriseal.models import Batch, Brand
from veriseal.server import make_app
from veriseal.server.app import Limits

from .conftest import codes, make_batch


@dataclass
class Server:
    base: str
    port: int
    session: aiohttp.ClientSession
    batch: Batch
    uris: list[str]
    engine: Engine
    brand: Brand

    def link(self, i: int) -> str:
        return self.base + "/01/" + self.uris[i].split("/01/", 1)[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def server(engine: Engine, brand: Brand) -> AsyncIterator[Server]:
    batch = await make_batch(engine, brand, size=50)
    await engine.lifecycle.activation.set_required(brand, batch, True)
    uris = await codes(engine, brand, batch, 0, 50)
    port = _free_port()
    runner = web.AppRunner(make_app(engine, Limits(per_minute=0)))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    token = await _token(engine, brand, Role.FACTORY_OPERATOR, "line3@acme.example")
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
        yield Server(f"http://127.0.0.1:{port}", port, session, batch, uris, engine, brand)
    await runner.cleanup()


async def _token(
    engine: Engine, brand: Brand, role: Role, contact: str, scopes: tuple[str, ...] = ("*",)
) -> str:
    root = await engine.accounts.brand_org(brand)
    org: int | None = root.id
    if role is Role.DISTRIBUTOR:
        org = (await engine.accounts.create_org(SYSTEM, root.id, OrgKind.DISTRIBUTOR, "D")).id
    elif role is Role.CONSUMER:
        org = None
    user = await engine.accounts.create_user(
        SYSTEM, contact=contact, display_name=contact, role=role, org_id=org
    )
    token, _ = await engine.accounts.create_token(SYSTEM, "line", list(scopes), for_user=user.id)
    return token


async def _verdict(srv: Server, i: int) -> dict[str, object]:
    headers = {"Accept": "application/json"}
    async with srv.session.get(srv.link(i), headers=headers) as resp:
        assert resp.status == 200
        body: dict[str, object] = await resp.json()
    return body


async def test_line_controller_activates_and_decommissions(server: Server) -> None:
    assert (await _verdict(server, 3))["outcome"] == "not_activated"
    url = f"{server.base}/api/v1/batches/{server.batch.id}"
    body = {"from": 0, "to": 9, "read_point": "urn:epc:id:sgln:9506000.00001.L1"}
    async with server.session.post(url + "/activate", json=body) as resp:
        assert resp.status == 200
        answer = await resp.json()
    assert answer["changed"] == 10 and answer["event_id"] is not None
    assert (await _verdict(server, 3))["outcome"] == "genuine"
    assert (await _verdict(server, 10))["outcome"] == "not_activated"

    async with server.session.post(url + "/decommission", json={"ranges": ["3"]}) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == "reason_required"
    body2 = {"ranges": ["3", "5-6"], "reason": "jammed", "destroyed": True}
    async with server.session.post(url + "/decommission", json=body2) as resp:
        assert resp.status == 200
        assert (await resp.json())["changed"] == 3
    verdict = await _verdict(server, 5)
    assert (verdict["outcome"], verdict["reason"]) == ("decommissioned", "decommissioned")

    for bad, code in (
        ({"from": 40, "to": 60}, "range_invalid"),
        ({"ranges": "0-3"}, "invalid_input"),
        ({"from": 0, "to": 1, "read_point": "not a uri"}, "location_invalid"),
    ):
        async with server.session.post(url + "/activate", json=bad) as resp:
            assert resp.status == 400
            assert (await resp.json())["error"]["code"] == code
    async with server.session.post(f"{server.base}/api/v1/batches/999/activate", json={}) as resp:
        assert resp.status == 404


def _page(link: str, lang: str) -> str:
    return link + ("&" if "?" in link else "?") + f"noloc=1&lang={lang}"


async def test_verdict_page_names_the_new_outcomes(server: Server) -> None:
    async with server.session.get(_page(server.link(1), "zh")) as resp:
        html = await resp.text()
    assert 'data-outcome="not_activated"' in html and "该码未激活" in html
    assert "该标签未在生产线上激活" in html
    async with server.session.get(_page(server.link(1), "en")) as resp:
        html = await resp.text()
    assert "Code NOT ACTIVATED" in html and "never activated on the production line" in html


async def test_only_line_operators_of_the_brand(server: Server) -> None:
    url = f"{server.base}/api/v1/batches/{server.batch.id}/activate"
    rival = await server.engine.brands.create("rival", "Rival", "id.rival.example")
    cases = [
        ({}, 401, "unauthenticated"),
        ({"Authorization": "Bearer vst_1_" + "A" * 43}, 401, "unauthenticated"),
        (
            await _token(server.engine, server.brand, Role.DISTRIBUTOR, "d@acme.example"),
            403,
            "forbidden",
        ),
        (
            await _token(server.engine, rival, Role.FACTORY_OPERATOR, "op@rival.example"),
            403,
            "forbidden",
        ),
    ]
    async with aiohttp.ClientSession() as anonymous:
        for auth, status, code in cases:
            headers = auth if isinstance(auth, dict) else {"Authorization": f"Bearer {auth}"}
            async with anonymous.post(url, json={"from": 0, "to": 1}, headers=headers) as resp:
                assert resp.status == status
                assert (await resp.json())["error"]["code"] == code
    assert (await _verdict(server, 0))["outcome"] == "not_activated"  # nothing changed


def _sscc(n: int) -> str:
    body = f"0950600{n:010d}"
    return body + str(gs1_check_digit(body))


async def _post(srv: Server, path: str, body: object, token: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with srv.session.post(srv.base + path, json=body, headers=headers) as resp:
        return resp.status, await resp.json()


async def _activate_all(server: Server) -> None:
    """The line activates labels before it packs them (this batch requires activation)."""
    path = f"/api/v1/batches/{server.batch.id}/activate"
    status, answer = await _post(server, path, {"from": 0, "to": 49})
    assert status == 200, answer


async def test_pack_many_parents_in_one_request(server: Server) -> None:
    await _activate_all(server)
    case_a, case_b, pallet = _sscc(1), _sscc(2), _sscc(3)
    b = server.batch.id
    body = {
        "parents": [
            # a range of the batch, and item codes as scanned (URI) and printed (HRI)
            {"parent": case_a, "children": [f"{b}:0-9", server.uris[20], server.uris[21]]},
            {"parent": f"(00){case_b}", "children": [f"{b}:10..19"]},
        ],
        "read_point": "urn:epc:id:sgln:9506000.00001.L1",
    }
    status, answer = await _post(server, "/api/v1/pack", body)
    assert status == 200, answer
    assert [(p["parent"], p["items"], p["units"]) for p in answer["packed"]] == [
        (case_a, 12, 0),
        (case_b, 10, 0),
    ]
    agg = server.engine.lifecycle.aggregation
    held = await agg.contents(server.brand, case_a)
    assert [(r.first, r.last) for r in held.ranges] == [(0, 9), (20, 21)]
    # cases onto a pallet, by their SSCCs
    status, answer = await _post(
        server, "/api/v1/pack", {"parents": [{"parent": pallet, "children": [case_a, case_b]}]}
    )
    assert status == 200 and answer["packed"][0]["units"] == 2
    assert await agg.parent_of_unit(server.brand, case_b) == pallet
    # unpack one case from the pallet
    status, answer = await _post(server, "/api/v1/unpack", {"parent": pallet, "children": [case_b]})
    assert (status, answer["units"]) == (200, 1)
    assert await agg.parent_of_unit(server.brand, case_b) is None


async def test_pack_is_all_or_nothing(server: Server) -> None:
    await _activate_all(server)
    b = server.batch.id
    first = {"parents": [{"parent": _sscc(4), "children": [f"{b}:0-4"]}]}
    assert (await _post(server, "/api/v1/pack", first))[0] == 200
    agg = server.engine.lifecycle.aggregation
    for bad, status, code in (
        # the second parent claims items already in a case: the first is not packed either
        ([{"parent": _sscc(5), "children": [f"{b}:10-14"]},
          {"parent": _sscc(6), "children": [f"{b}:3-8"]}], 409, "already_packed"),
        ([{"parent": _sscc(5), "children": [f"{b}:10-14"]},
          {"parent": _sscc(6), "children": ["https://x.example/01/09506000134352/21/FAKE"]}],
         400, "item_unknown"),
        ([{"parent": _sscc(5), "children": [f"{b}:10-14"]},
          {"parent": "123", "children": [f"{b}:20"]}], 400, "sscc_invalid"),
        ([{"parent": _sscc(5), "children": [f"{b}:10-14"]},
          {"parent": _sscc(6), "children": [f"{b}:45-60"]}], 400, "invalid_input"),
    ):  # fmt: skip
        status_got, answer = await _post(server, "/api/v1/pack", {"parents": bad})
        assert (status_got, answer["error"]["code"]) == (status, code), answer
        assert not await agg.contents(server.brand, _sscc(5))
    status_got, answer = await _post(
        server,
        "/api/v1/pack",
        {
            "parents": [
                {"parent": _sscc(5), "children": ["https://x.example/01/09506000134352/21/FAKE"]}
            ]
        },
    )
    assert answer["error"]["message"].startswith("parents[0]: ")


async def test_pack_needs_line_operate(server: Server) -> None:
    await _activate_all(server)
    body = {"parents": [{"parent": _sscc(7), "children": [f"{server.batch.id}:0-1"]}]}
    engine, brand = server.engine, server.brand
    scoped = await _token(engine, brand, Role.FACTORY_OPERATOR, "l1@acme.example",
                          ("line.operate",))  # fmt: skip
    handheld = await _token(engine, brand, Role.FACTORY_OPERATOR, "l2@acme.example",
                            ("scans.record",))  # fmt: skip
    consumer = await _token(engine, brand, Role.CONSUMER, "c@example.com")
    for token, status, code in (
        (handheld, 403, "out_of_scope"),
        (consumer, 403, "forbidden"),
    ):
        got, answer = await _post(server, "/api/v1/pack", body, token)
        assert (got, answer["error"]["code"]) == (status, code), answer
        assert not await engine.lifecycle.aggregation.contents(brand, _sscc(7))
    got, answer = await _post(server, "/api/v1/pack", body, scoped)
    assert got == 200 and answer["packed"][0]["items"] == 2

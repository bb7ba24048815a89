"""The line-controller API and the verdicts of not activated / decommissioned codes, over
real HTTP on loopback, on both backends."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

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
    await web.TCPSite(runner, "0.0.0.0", port).start()
    async with aiohttp.ClientSession() as session:
        yield Server(f"http://127.0.0.1:{port}", port, session, batch, uris)
    await runner.cleanup()


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


def _lan_address() -> str | None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))  # no packet is sent: it only picks a route
        address = str(probe.getsockname()[0])
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


async def test_non_loopback_callers_are_refused_until_api_tokens(server: Server) -> None:
    address = _lan_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    url = f"http://{address}:{server.port}/api/v1/batches/{server.batch.id}/activate"
    async with server.session.post(url, json={"from": 0, "to": 1}) as resp:
        assert resp.status == 403
        assert (await resp.json())["error"]["code"] == "line_api_forbidden"
    assert (await _verdict(server, 0))["outcome"] == "not_activated"  # nothing changed

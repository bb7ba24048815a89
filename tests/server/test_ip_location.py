"""Scans without a device location get one from the client's address, over real HTTP.

The server trusts the proxy 127.0.0.1 only; a client on 127.0.0.2 (also loopback) is an
untrusted peer. 114.114.114.114 (114DNS) is in Nanjing, Jiangsu; 223.5.5.5 (AliDNS) in
Hangzhou, Zhejiang: public knowledge, not read from the code under test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict

from veriseal import demo
from veriseal.accounts.models import SYSTEM, Role
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.config import Config, sqlite_url
from veriseal.engine import Engine
from veriseal.errors import ConfigError
from veriseal.models import LocationSource, Scan
from veriseal.server import make_app
from veriseal.server.app import Limits
from veriseal.server.client_ip import ClientNetwork
from veriseal.server.runner import ApiRunner

from .conftest import _free_port

NANJING_DNS = "114.114.114.114"
HANGZHOU_DNS = "223.5.5.5"


@dataclass
class Server:
    base: str
    engine: Engine
    codes: list[demo.DemoCode]
    token: str

    async def get(self, path: str, peer: str = "127.0.0.1", **kw: Any) -> Any:
        connector = aiohttp.TCPConnector(local_addr=(peer, 0))
        async with (
            aiohttp.ClientSession(connector=connector) as s,
            s.get(self.base + path, headers={"Accept": "application/json", **kw.pop(
                "headers", {})}, **kw) as r,
        ):  # fmt: skip
            assert r.status == 200, await r.text()
            return await r.json()

    async def stored(self, scan_id: int) -> Scan:
        return await self.engine.ledger.get_scan(scan_id)


async def _serve(tmp_path: Path, settings: dict[str, Any]) -> tuple[Server, ApiRunner]:
    key = tmp_path / "k.key"
    create_key_file(key)
    cfg = Config(None, sqlite_url(tmp_path / "l.sqlite3"), KeySource(key_file=key),
                 server=settings)  # fmt: skip
    engine = await Engine.open(cfg)
    port = _free_port()
    codes = await demo.seed(engine, f"127.0.0.1:{port}")
    root = await engine.accounts.brand_org(await engine.brand(None))
    admin = await engine.accounts.create_user(
        SYSTEM, contact="a@demo.example", display_name="A", role=Role.BRAND_ADMIN,
        org_id=root.id, password="correct horse battery",
    )  # fmt: skip
    token, _ = await engine.accounts.create_token(SYSTEM, "t", ["*"], for_user=admin.id)
    runner = ApiRunner(make_app(engine, Limits(per_minute=0)))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return Server(f"http://127.0.0.1:{port}", engine, codes, token), runner


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    srv, runner = await _serve(tmp_path, {"trusted_proxies": ["127.0.0.1/32"]})
    yield srv
    await runner.cleanup()
    await srv.engine.close()


def _verify(srv: Server) -> str:
    genuine = next(c for c in srv.codes if c.pin is None)
    return "/api/v1/verify?code=" + aiohttp.helpers.quote(genuine.uri, safe="")


async def test_a_scan_via_a_trusted_proxy_is_placed_by_the_forwarded_address(
    server: Server,
) -> None:
    # the left entry is whatever the client sent; the proxy appended the right one
    forwarded = {"X-Forwarded-For": f"{HANGZHOU_DNS}, {NANJING_DNS}"}
    body = await server.get(_verify(server), headers=forwarded)
    scan = (await server.stored(body["scan"]["id"])).scan
    assert scan.location is not None and scan.location.source is LocationSource.IP
    assert scan.location.accuracy_m is not None and scan.location.accuracy_m >= 25_000
    assert scan.region is not None and scan.region.province == "CN-JS"
    assert body["scan"]["region"]["province"] == "CN-JS"


async def test_an_untrusted_peer_cannot_choose_its_place(server: Server) -> None:
    forwarded = {"X-Forwarded-For": NANJING_DNS}
    body = await server.get(_verify(server), peer="127.0.0.2", headers=forwarded)
    scan = (await server.stored(body["scan"]["id"])).scan
    assert scan.location is None and scan.region is None  # 127.0.0.2 itself: loopback


async def test_a_device_fix_wins_over_the_address(server: Server) -> None:
    forwarded = {"X-Forwarded-For": NANJING_DNS}
    body = await server.get(_verify(server) + "&lat=23.13&lon=113.26&acc=20", headers=forwarded)
    scan = (await server.stored(body["scan"]["id"])).scan
    assert scan.location is not None and scan.location.source is LocationSource.GPS
    assert scan.region is not None and scan.region.province == "CN-GD"


async def test_the_browser_link_declined_location_falls_back_to_the_address(
    server: Server,
) -> None:
    genuine = next(c for c in server.codes if c.pin is None)
    path = "/01/" + genuine.uri.split("/01/", 1)[1]
    body = await server.get(path, headers={"X-Forwarded-For": HANGZHOU_DNS})
    scan = (await server.stored(body["scan"]["id"])).scan
    assert scan.location is not None and scan.location.source is LocationSource.IP
    assert scan.region is not None and scan.region.province == "CN-ZJ"


async def test_handheld_live_scans_get_the_address_offline_ones_do_not(server: Server) -> None:
    code = next(c.uri for c in server.codes if c.pin is None)
    ago = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    items = [
        {"code": code, "client_scan_id": "live"},
        {"code": code, "client_scan_id": "offline", "scanned_at": ago},
        {"code": code, "client_scan_id": "gps", "lat": 23.13, "lon": 113.26},
    ]
    async with (
        aiohttp.ClientSession() as s,
        s.post(server.base + "/api/v1/scans", json={"scans": items}, headers={
            "Authorization": f"Bearer {server.token}", "X-Forwarded-For": NANJING_DNS}) as r,
    ):  # fmt: skip
        assert r.status == 200, await r.text()
    listed = await server.get("/api/v1/scans?limit=100",
                              headers={"Authorization": f"Bearer {server.token}"})  # fmt: skip
    by_id = {s["client_scan_id"]: s for s in listed["scans"] if s["client_scan_id"]}
    assert (by_id["live"]["loc_source"], by_id["live"]["province"]) == ("ip", "CN-JS")
    assert by_id["offline"]["loc_source"] is None and by_id["offline"]["province"] is None
    assert (by_id["gps"]["loc_source"], by_id["gps"]["province"]) == ("gps", "CN-GD")


async def test_ip_location_can_be_switched_off(tmp_path: Path) -> None:
    srv, runner = await _serve(tmp_path, {"trusted_proxies": ["127.0.0.1"], "ip_location": False})
    try:
        body = await srv.get(_verify(srv), headers={"X-Forwarded-For": NANJING_DNS})
        assert (await srv.stored(body["scan"]["id"])).scan.location is None
    finally:
        await runner.cleanup()
        await srv.engine.close()


class _Request:
    """What ClientNetwork reads of a request: the peer and the headers."""

    def __init__(self, remote: str | None, *forwarded: str) -> None:
        self.remote = remote
        self.headers = CIMultiDict(("X-Forwarded-For", f) for f in forwarded)


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("10.0.0.5", (), "10.0.0.5"),  # a trusted proxy without the header: itself
        ("10.0.0.5", ("1.2.3.4",), "1.2.3.4"),
        ("10.0.0.5", ("9.9.9.9, 1.2.3.4",), "1.2.3.4"),  # the client's own entry: ignored
        ("10.0.0.5", ("1.2.3.4, 10.0.0.7",), "1.2.3.4"),  # two proxies of ours
        ("10.0.0.5", ("9.9.9.9", "1.2.3.4"), "1.2.3.4"),  # the header given twice
        ("10.0.0.5", ("1.2.3.4, garbage",), None),  # a broken chain: nobody is believed
        ("10.0.0.5", ("10.0.0.6, 10.0.0.7",), "10.0.0.6"),
        ("::ffff:10.0.0.5", (" 1.2.3.4 ",), "1.2.3.4"),  # IPv4 on an IPv6 socket
        ("8.8.4.4", ("1.2.3.4",), "8.8.4.4"),  # not a proxy of ours: the header is ignored
        (None, ("1.2.3.4",), None),
    ],
)
def test_the_client_address_behind_trusted_proxies(
    peer: str | None, forwarded: tuple[str, ...], client: str | None
) -> None:
    net = ClientNetwork.from_settings({"trusted_proxies": ["10.0.0.0/8"]})
    assert net.client_address(_Request(peer, *forwarded)) == client  # type: ignore[arg-type]


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    net = ClientNetwork.from_settings({})
    assert net.client_address(_Request("10.0.0.5", "1.2.3.4")) == "10.0.0.5"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "settings",
    [{"trusted_proxies": "10.0.0.0/8"}, {"trusted_proxies": ["10.0.0.0/33"]},
     {"trusted_proxies": ["proxy.local"]}, {"trusted_proxies": [1]}, {"ip_location": "yes"}],
)  # fmt: skip
def test_wrong_settings_are_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        ClientNetwork.from_settings(settings)

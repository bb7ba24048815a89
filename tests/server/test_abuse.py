"""Rate limits, invalid floods and PIN throttling."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp
from aiohttp import web

from veriseal import demo
from veriseal.accounts.models import SYSTEM, Role
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.config import Config, sqlite_url
from veriseal.engine import Engine
from veriseal.models import AlertKind, ScanChannel
from veriseal.scanning.service import ScanContext
from veriseal.scanning.verification import Outcome
from veriseal.server import make_app
from veriseal.server.abuse import FloodDetector, RateLimiter
from veriseal.server.app import Limits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_buckets() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a") == 1  # one token a second
    assert limiter.take("b") == 0  # other clients are not affected
    clock.now += 2.0
    assert limiter.take("a") == 0
    small = RateLimiter(per_minute=60, burst=1, max_clients=2, clock=clock)
    for client in ("x", "y", "z"):
        small.take(client)
    assert small.take("x") == 0  # "x" was forgotten: memory stays bounded


def test_flood_detector() -> None:
    clock = Clock()
    flood = FloodDetector(limit=3, window_s=60, clock=clock)
    assert flood.invalid("ip", 1) is None and flood.invalid("ip", 2) is None
    assert flood.invalid("ip", 3) == (1, 2, 3)
    assert flood.invalid("ip", 4) is None  # once per window
    clock.now += 61
    assert flood.invalid("ip", 5) is None  # the old ones left the window


async def test_wrong_pins_are_throttled_per_code(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    create_key_file(key)
    cfg = Config(
        path=None, db_url=sqlite_url(tmp_path / "l.sqlite3"), key_source=KeySource(key_file=key)
    )
    async with await Engine.open(cfg) as engine:
        codes = await demo.seed(engine, "127.0.0.1:1")
        pin_code = next(c for c in codes if c.pin)
        assert pin_code.pin is not None
        wrong = str((int(pin_code.pin) + 1) % 10**6).zfill(6)
        ctx = ScanContext(ScanChannel.WEB, "device:guesser")
        reasons = [
            (await engine.scans.scan(pin_code.uri, ctx, pin=wrong)).verification.reason
            for _ in range(6)
        ]
        assert reasons == ["pin_wrong"] * 5 + ["pin_throttled"]
        right = await engine.scans.scan(pin_code.uri, ctx, pin=pin_code.pin)
        assert right.verification.reason == "pin_throttled"  # even the right one, for now
        plain = await engine.scans.scan(codes[0].uri, ctx, pin="123456")
        assert plain.verification.outcome is Outcome.GENUINE  # no PIN batch: PIN ignored


async def test_http_429_and_flood_alert(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    create_key_file(key)
    cfg = Config(
        path=None, db_url=sqlite_url(tmp_path / "l.sqlite3"), key_source=KeySource(key_file=key)
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with await Engine.open(cfg) as engine:
        await demo.seed(engine, f"127.0.0.1:{port}")
        app = make_app(engine, Limits(per_minute=60, burst=5, flood_invalid=3))
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with aiohttp.ClientSession() as session:
                statuses = []
                for i in range(7):
                    url = f"http://127.0.0.1:{port}/01/09506000134352/21/C00000000000000000{i:02d}"
                    async with session.get(url, headers={"Accept": "application/json"}) as r:
                        statuses.append(r.status)
                        if r.status == 429:
                            assert int(r.headers["Retry-After"]) >= 1
                            assert (await r.json())["error"]["code"] == "rate_limited"
            assert statuses == [200] * 5 + [429, 429]
            flood = await engine.ledger.list_alerts(None, kind=AlertKind.INVALID_FLOOD)
            assert len(flood) == 1 and len(flood[0].alert.evidence) == 3
            # the flood has an owner who can see it over HTTP: the platform admin
            tokens = {}
            for role in (Role.PLATFORM_ADMIN, Role.BRAND_ADMIN):
                org = None
                if role is Role.BRAND_ADMIN:
                    org = (await engine.accounts.brand_org(await engine.brand(None))).id
                user = await engine.accounts.create_user(
                    SYSTEM, contact=f"{role}@x.example", display_name=str(role), role=role,
                    org_id=org,
                )  # fmt: skip
                tokens[role] = (await engine.accounts.create_token(
                    SYSTEM, "t", ["*"], None, user.id))[0]  # fmt: skip
            url = f"http://127.0.0.1:{port}/api/v1/alerts?platform=true"
            async with aiohttp.ClientSession() as session:
                auth = {"Authorization": f"Bearer {tokens[Role.PLATFORM_ADMIN]}"}
                async with session.get(url, headers=auth) as r:
                    listed = (await r.json())["alerts"]
                assert [a["kind"] for a in listed] == ["invalid_flood"]
                auth = {"Authorization": f"Bearer {tokens[Role.BRAND_ADMIN]}"}
                async with session.get(url, headers=auth) as r:
                    assert r.status == 403
        finally:
            await runner.cleanup()

"""A real aiohttp server on a loopback port over a real SQLite ledger, with demo data."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from veriseal import demo
from veriseal.accounts.models import SYSTEM, Role
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.config import Config, sqlite_url
from veriseal.engine import Engine
from veriseal.server import make_app
from veriseal.server.app import Limits
from veriseal.server.runner import ApiRunner


@dataclass
class Live:
    base: str
    session: aiohttp.ClientSession
    codes: list[demo.DemoCode]
    engine: Engine

    def local(self, uri: str) -> str:
        """The demo URI pointed at this server (its host is the resolver)."""
        return self.base + "/01/" + uri.split("/01/", 1)[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    key = tmp_path / "k.key"
    create_key_file(key)
    cfg = Config(
        path=None, db_url=sqlite_url(tmp_path / "l.sqlite3"), key_source=KeySource(key_file=key)
    )
    engine = await Engine.open(cfg)
    port = _free_port()
    codes = await demo.seed(engine, f"127.0.0.1:{port}")
    runner = ApiRunner(make_app(engine, Limits(per_minute=0)))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with aiohttp.ClientSession() as session:
        yield Live(f"http://127.0.0.1:{port}", session, codes, engine)
    await runner.cleanup()
    await engine.close()


#: The password of the brand admin the ``api`` fixture creates.
PW = "correct horse battery"


@dataclass
class Api:
    """A real server with the demo brand and a brand admin (``brand_admin_token``) on
    each ledger backend; ``call`` answers (status, JSON or bytes)."""

    base: str
    engine: Engine
    codes: list[demo.DemoCode]
    brand_admin_token: str

    async def call(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            aiohttp.ClientSession(headers=headers) as s,
            s.request(method, self.base + path, **kwargs) as resp,
        ):
            ctype = resp.headers.get("Content-Type", "")
            body = await resp.json() if "json" in ctype else await resp.read()
            return resp.status, body


@pytest.fixture
async def api(ledger_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    key = tmp_path / "k.key"
    create_key_file(key)
    engine = await Engine.open(Config(None, ledger_url, KeySource(key_file=key)))
    port = _free_port()
    codes = await demo.seed(engine, f"127.0.0.1:{port}")
    brand = await engine.brand(None)
    root = await engine.accounts.brand_org(brand)
    admin = await engine.accounts.create_user(
        SYSTEM,
        contact="admin@demo.example",
        display_name="Admin",
        role=Role.BRAND_ADMIN,
        org_id=root.id,
        password=PW,
    )
    token, _ = await engine.accounts.create_token(SYSTEM, "admin", ["*"], for_user=admin.id)
    runner = ApiRunner(make_app(engine, Limits(per_minute=0)))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Api(f"http://127.0.0.1:{port}", engine, codes, token)
    finally:
        await runner.cleanup()
        await engine.close()

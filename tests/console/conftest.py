"""A real server with the console on a real SQLite ledger, the demo brand, and one user
of each role with a known password; clients that sign in through the sign-in form."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from veriseal import demo
from veriseal.accounts.models import SYSTEM, OrgKind, Role
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.config import Config, sqlite_url
from veriseal.console.site import make_site
from veriseal.engine import Engine
from veriseal.server.app import Limits
from veriseal.server.runner import ApiRunner

from .browser import set_shots_dir

PW = "correct horse battery staple"
_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ConsoleClient:
    """A browser-like client: a cookie jar that sends Secure cookies to loopback (as
    browsers do), the CSRF token of its session, and GET/POST returning (status, html)."""

    base: str
    session: aiohttp.ClientSession
    csrf: str = ""

    async def get(self, path: str, **kw: Any) -> tuple[int, str]:
        async with self.session.get(self.base + path, allow_redirects=True, **kw) as r:
            text = await r.text()
        self._remember(text)
        return r.status, text

    async def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True,
                   **kw: Any) -> tuple[int, str]:  # fmt: skip
        form = dict(data or {})
        if csrf:
            form.setdefault("_csrf", self.csrf)
        async with self.session.post(self.base + path, data=form, allow_redirects=True,
                                     **kw) as r:  # fmt: skip
            text = await r.text()
        self._remember(text)
        return r.status, text

    async def raw(self, method: str, path: str, **kw: Any) -> aiohttp.ClientResponse:
        """The response itself (not followed), read: for headers and files."""
        async with self.session.request(method, self.base + path, allow_redirects=False,
                                        **kw) as r:  # fmt: skip
            await r.read()
        return r

    def _remember(self, html: str) -> None:
        found = _CSRF.search(html)
        if found:
            self.csrf = found.group(1)

    async def close(self) -> None:
        await self.session.close()


@dataclass
class ConsoleLive:
    base: str
    engine: Engine
    codes: list[demo.DemoCode]
    users: dict[str, tuple[str, str]]  # role name -> (login, password)
    orgs: dict[str, int]  # "brand", "dist", "shop", "dist2", "shop2" -> org id
    user_ids: dict[str, int] = field(default_factory=dict)
    app: web.Application | None = None
    _clients: list[ConsoleClient] = field(default_factory=list)

    async def anonymous(self) -> ConsoleClient:
        jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[self.base])  # IP host
        c = ConsoleClient(self.base, aiohttp.ClientSession(cookie_jar=jar))
        self._clients.append(c)
        return c

    async def client(self, role: str) -> ConsoleClient:
        """A client signed in as ``role`` through the sign-in form."""
        c = await self.anonymous()
        await c.get("/console/signin")
        login, password = self.users[role]
        status, html = await c.post("/console/signin", {"identifier": login, "password": password})
        assert status == 200 and "/console/signout" in html, html[:2000]
        return c


#: role name -> (role, org key); "retailer2" sits in another distributor's subtree
USERS: dict[str, tuple[Role, str | None]] = {
    "platform_admin": (Role.PLATFORM_ADMIN, None),
    "brand_admin": (Role.BRAND_ADMIN, "brand"),
    "factory_operator": (Role.FACTORY_OPERATOR, "brand"),
    "inspector": (Role.INSPECTOR, "brand"),
    "distributor": (Role.DISTRIBUTOR, "dist"),
    "retailer": (Role.RETAILER, "shop"),
    "distributor2": (Role.DISTRIBUTOR, "dist2"),
    "retailer2": (Role.RETAILER, "shop2"),
    "consumer": (Role.CONSUMER, None),
}


async def seed_people(engine: Engine) -> tuple[dict[str, tuple[str, str]], dict[str, int],
                                                dict[str, int]]:  # fmt: skip
    brand = await engine.brand(None)
    accounts = engine.accounts
    root = await accounts.brand_org(brand)
    dist = await accounts.create_org(SYSTEM, root.id, OrgKind.DISTRIBUTOR, "华东经销商 East")
    shop = await accounts.create_org(SYSTEM, dist.id, OrgKind.RETAILER, "杭州门店 Hangzhou")
    dist2 = await accounts.create_org(SYSTEM, root.id, OrgKind.DISTRIBUTOR, "华南经销商 South")
    shop2 = await accounts.create_org(SYSTEM, dist2.id, OrgKind.RETAILER, "广州门店 Guangzhou")
    orgs = {"brand": root.id, "dist": dist.id, "shop": shop.id, "dist2": dist2.id,
            "shop2": shop2.id}  # fmt: skip
    users: dict[str, tuple[str, str]] = {}
    ids: dict[str, int] = {}
    for name, (role, org) in USERS.items():
        login = f"{name}@demo.example"
        user = await accounts.create_user(
            SYSTEM, contact=login, display_name=name.replace("_", " ").title(), role=role,
            org_id=orgs[org] if org else None, password=PW,
        )  # fmt: skip
        users[name] = (login, PW)
        ids[name] = user.id
    return users, orgs, ids


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[ConsoleLive]:
    key = tmp_path / "k.key"
    create_key_file(key)
    cfg = Config(None, sqlite_url(tmp_path / "console.sqlite3"), KeySource(key_file=key))
    engine = await Engine.open(cfg)
    port = free_port()
    codes = await demo.seed(engine, f"127.0.0.1:{port}")
    users, orgs, ids = await seed_people(engine)
    app = make_site(engine, Limits(per_minute=0))
    runner = ApiRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    live = ConsoleLive(f"http://127.0.0.1:{port}", engine, codes, users, orgs, ids, app)
    try:
        yield live
    finally:
        for c in live._clients:
            await c.close()
        await runner.cleanup()
        await engine.close()


@pytest.fixture(autouse=True)
def shots_dir(tmp_path: Path) -> Iterator[Path]:
    """Where this test's screenshots go: $VERISEAL_SCREENSHOTS, else tmp_path/screenshots
    (browser.shot writes there)."""
    env = os.environ.get("VERISEAL_SCREENSHOTS")
    folder = Path(env) if env else tmp_path / "screenshots"
    set_shots_dir(folder)
    yield folder
    set_shots_dir(None)

"""A real OpenID provider for the sign-in tests: node-oidc-provider (``oidc/provider.mjs``)
behind a pass-through proxy that a test can make tamper with token responses.

The proxy is the issuer's address (``http://127.0.0.1:<port>``): every request of ours
and of the scripted browser goes through it, and it forwards them verbatim (Host header
included, so the provider's own URLs name the proxy). A test sets :attr:`TamperProxy.tamper`
to rewrite the JSON of the next token response: how a token from another client, or a
forged one, reaches our validation.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import aiohttp
import pytest
from aiohttp import web

from tests.server.live_process import free_port

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("oidc") / "provider.mjs"
REDIRECT = "https://veriseal.example/console/signin/ext/corp/callback"
CLIENT = {"client_id": "veriseal", "client_secret": "s3cret-veriseal", "redirect_uris": [REDIRECT]}
#: Another relying party of the same provider: its ID tokens are validly signed, for
#: someone else (``aud``).
OTHER = {"client_id": "other-app", "client_secret": "s3cret-other", "redirect_uris": [REDIRECT]}
ACCOUNTS: dict[str, dict[str, Any]] = {
    "alice": {"email": "alice@corp.example", "email_verified": True, "name": "Alice Li"},
    "bob": {"email": "bob@corp.example", "email_verified": True, "name": "Bob Wang"},
    "carol": {"email": "carol@corp.example", "email_verified": False, "name": "Carol"},
}


def node_or_skip() -> str:
    """The node executable; skips (fails under CI) when there is none, like the ZPL
    tests. node without ``npm ci`` having run is a broken setup: that fails."""
    node = shutil.which("node")
    if node is None:
        message = "node is not installed (scripts/bootstrap installs the Node test tools)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    if not (REPO / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("node_modules/oidc-provider is missing: run scripts/bootstrap (npm ci)")
    return node


@dataclass
class OidcServer:
    issuer: str
    proxy_port: int
    upstream: str
    process: subprocess.Popen[str]


def start_provider(tmp_path: Path, redirect_uris: list[str] | None = None) -> Iterator[OidcServer]:
    """The provider on loopback, its clients allowed to redirect to ``redirect_uris``
    (default: :data:`REDIRECT`)."""
    node = node_or_skip()
    uris = redirect_uris or [REDIRECT]
    proxy_port, port = free_port(), free_port()
    issuer = f"http://127.0.0.1:{proxy_port}"
    env = {
        **os.environ,
        "ISSUER": issuer,
        "PORT": str(port),
        "CLIENTS": json.dumps([{**c, "redirect_uris": uris} for c in (CLIENT, OTHER)]),
        "ACCOUNTS": json.dumps(ACCOUNTS),
    }
    log = (tmp_path / "oidc-provider.log").open("w")
    proc = subprocess.Popen(
        [node, str(SCRIPT)], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=log, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "ready", (line, (tmp_path / "oidc-provider.log").read_text())
        yield OidcServer(issuer, proxy_port, f"http://127.0.0.1:{port}", proc)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
        log.close()


Tamper = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class TamperProxy:
    server: OidcServer
    tamper: Tamper | None = None
    token_requests: list[dict[str, str]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        async with (
            aiohttp.ClientSession(auto_decompress=False) as session,
            session.request(
                request.method,
                self.server.upstream + request.path_qs,
                data=body,
                headers=headers,
                allow_redirects=False,
            ) as up,
        ):
            data = await up.read()
            out_headers = [(k, v) for k, v in up.headers.items()
                           if k.lower() not in ("content-length", "transfer-encoding",
                                                "content-encoding")]  # fmt: skip
        if request.path == "/token" and request.method == "POST":
            sent = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            self.token_requests.append(sent | {"status": str(up.status)})
            if self.tamper is not None and up.status == 200:
                data = json.dumps(self.tamper(json.loads(data))).encode()
        response = web.Response(status=up.status, body=data)
        for k, v in out_headers:
            response.headers.add(k, v)
        return response

    async def __aenter__(self) -> TamperProxy:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.server.proxy_port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()


async def browser_login(authorize_url: str, login: str, redirect_prefix: str) -> dict[str, str]:
    """What a person's browser does: open the authorization URL, sign in as ``login``
    on the provider's page, follow the redirects; returns the query the provider sent
    back to ``redirect_prefix`` (code, state, iss), which this browser does not open."""
    jar = aiohttp.CookieJar(unsafe=True)  # the provider is at an IP address
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        url = authorize_url
        for _ in range(10):
            if url.startswith(redirect_prefix):
                return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
            async with browser.get(url, allow_redirects=False) as resp:
                page = await resp.text()
                location = resp.headers.get("Location")
            if location is None:
                assert "/interaction/" in url, (resp.status, page)
                async with browser.post(url, data={"login": login}, allow_redirects=False) as r:
                    assert r.status in (302, 303), (r.status, await r.text())
                    location = r.headers["Location"]
            url = urljoin(url, location)
        raise AssertionError(f"no redirect back to {redirect_prefix}")

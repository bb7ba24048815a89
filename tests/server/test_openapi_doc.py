"""The generated OpenAPI document: components cannot be silently replaced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest
from aiohttp.test_utils import TestClient, TestServer

from veriseal.accounts.permissions import Action
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.server import make_app, openapi
from veriseal.server.app import Limits
from veriseal.server.endpoints import Call, Endpoint
from veriseal.server.inputs import Model


class Same(Model):
    x: int


#: another model that happens to have the same class name (as in another plugin)
Other = msgspec.defstruct("Same", [("y", str)], bases=(Model,), kw_only=True)


async def first(call: Call, body: Same) -> Any:
    return {}


async def second(call: Call, body: Other) -> Any:  # type: ignore[valid-type]
    return {}


def test_two_models_of_one_name_are_refused() -> None:
    a = Endpoint("POST", "/api/v1/a", first, Action.SCANS_READ, "a")
    b = Endpoint("POST", "/api/v1/b", second, Action.SCANS_READ, "b")
    assert "Same" in openapi.document([a])["components"]["schemas"]
    with pytest.raises(ValueError, match="named Same"):
        openapi.document([a, b])


def test_a_route_declared_twice_is_refused() -> None:
    a = Endpoint("POST", "/api/v1/a", first, Action.SCANS_READ, "a")
    with pytest.raises(ValueError, match="declared twice"):
        openapi.document([a, a])


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
async def test_every_served_api_route_is_in_the_document(ledger_url: str, tmp_path: Path) -> None:
    """Every ``/api/`` route the app serves, the core's and the bundled plugins', is an
    operation of ``/openapi.json`` (what a client generator and the fuzzer see)."""
    key = tmp_path / "k.key"
    create_key_file(key)
    async with await Engine.open(Config(None, ledger_url, KeySource(key_file=key))) as engine:
        app = make_app(engine, Limits(per_minute=0))
        async with TestClient(TestServer(app)) as client:
            doc = await (await client.get("/openapi.json")).json()
        served = {
            (route.method.lower(), openapi.path_template(route.resource.canonical))
            for route in app.router.routes()
            if route.resource is not None
            and route.resource.canonical.startswith("/api/")
            and route.method != "HEAD"
        }
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert ("get", "/api/v1/territories/grants") in served  # the plugins' routes are served
    assert served - documented == set()

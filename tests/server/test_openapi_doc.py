"""The generated OpenAPI document: components cannot be silently replaced."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from veriseal.accounts.permissions import Action
from veriseal.server import openapi
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

"""``territories.authorize`` as another plugin sees it: through the service registry,
under a key it declares itself with its own protocol (no import of the plugin)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from tests.territories.conftest import GTIN, World
from veriseal.extend import ServiceKey, Unavailable


class Answer(Protocol):
    allowed: bool
    reason: str

    def to_dict(self) -> dict[str, Any]: ...


class Authorize(Protocol):
    async def __call__(
        self,
        brand_id: int,
        dealer: str,
        gtin: str,
        *,
        region: str | None = None,
        point: tuple[float, float] | None = None,
        at: dt.datetime | None = None,
    ) -> Answer: ...


AUTHORIZE = ServiceKey[Authorize]("territories.authorize")


async def test_authorize_through_the_registry(network: World) -> None:
    ctx = network.engine.plugins.context("territories")
    authorize = ctx.optional(AUTHORIZE)
    assert not isinstance(authorize, Unavailable)
    brand = network.brand.id
    ok = await authorize(brand, "GD01", GTIN, region="CN-GD/Guangzhou")
    assert ok.allowed and ok.reason == "authorized"
    out = await authorize(brand, "GD01", GTIN, region="CN-ZJ")
    assert not out.allowed and out.reason == "outside_territory"
    before = await authorize(
        brand, "GD01", GTIN, region="CN-GD", at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    )
    assert not before.allowed
    assert network.engine.plugins.services.names() == {
        "territories.authorize": "territories",
        "territories.dealer": "territories",
        "territories.ship": "territories",
        "territories.take_back": "territories",
        "territories.movement_ranges": "territories",
    }

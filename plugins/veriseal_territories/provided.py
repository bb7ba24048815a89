"""The services this plugin offers other plugins (hook ``provide_services``).

``territories.authorize``: may dealer D sell (or receive) product P in region R, or at
a point, now (or at a given time)? This is the check an orders module makes before it
accepts a dealer's order. A consumer does not import this module (plugins never import
each other): it declares the same key with its own protocol::

    class Authorization(Protocol):
        allowed: bool
        reason: str      # authorized | dealer_inactive | no_grant | grant_not_in_force
        message: str     #   | outside_territory
        def to_dict(self) -> dict[str, Any]: ...

    class Authorize(Protocol):
        async def __call__(self, brand_id: int, dealer: str, gtin: str, *,
                           region: str | None = None,
                           point: tuple[float, float] | None = None,
                           at: dt.datetime | None = None) -> Authorization: ...

    AUTHORIZE = ServiceKey[Authorize]("territories.authorize")
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from veriseal.extend import PluginContext, Provided, ServiceKey
from veriseal_territories.grants import Decision
from veriseal_territories.service import of


class Authorize(Protocol):
    """The ``territories.authorize`` service (see the module docstring)."""

    async def __call__(
        self,
        brand_id: int,
        dealer: str,
        gtin: str,
        *,
        region: str | None = None,
        point: tuple[float, float] | None = None,
        at: dt.datetime | None = None,
    ) -> Decision: ...


AUTHORIZE: ServiceKey[Authorize] = ServiceKey("territories.authorize")


def authorizer(ctx: PluginContext) -> Authorize:
    """The service over this engine's grants. A refusal is an answer, not an error;
    unknown dealers, products or regions raise their coded ``*_not_found``."""

    async def authorize(
        brand_id: int,
        dealer: str,
        gtin: str,
        *,
        region: str | None = None,
        point: tuple[float, float] | None = None,
        at: dt.datetime | None = None,
    ) -> Decision:
        return await of(ctx).grants.authorize(brand_id, dealer, gtin, region, point, at)

    return authorize


def services(ctx: PluginContext) -> list[Provided[Any]]:
    return [Provided(AUTHORIZE, authorizer(ctx))]

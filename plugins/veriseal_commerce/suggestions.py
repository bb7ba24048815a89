"""The analytics service the catalogue uses (declared here: plugins never import each
other): ``analytics.suggestions``, the products a dealer is likely to order next, each
with why. Optional: without the analytics plugin the catalogue shows no suggestions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from veriseal import Principal
from veriseal.extend import PluginContext, ServiceKey, Unavailable


class Suggested(Protocol):
    @property
    def gtin(self) -> str: ...
    @property
    def reason_en(self) -> str: ...
    @property
    def reason_zh(self) -> str: ...


class SuggestFor(Protocol):
    async def __call__(self, brand_id: int, org_id: int, k: int = 10) -> Sequence[Suggested]: ...


SUGGESTIONS: ServiceKey[SuggestFor] = ServiceKey("analytics.suggestions")


async def for_me(ctx: PluginContext, who: Principal, brand_id: int, k: int = 6) -> list[Suggested]:
    """A dealer user's suggestions for its own organisation; none for anyone else or
    without the service."""
    svc = ctx.optional(SUGGESTIONS)
    if isinstance(svc, Unavailable) or who.org is None or who.org.brand_id != brand_id:
        return []
    return list(await svc(brand_id, who.org.id, k))

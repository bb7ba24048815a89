"""The analytics services commerce uses (declared here: plugins never import each other).

- ``analytics.suggestions``: the products a dealer is likely to order next, each with
  why; the catalogue shows them, and promotions limited to "the ordering dealer's
  suggested products" read them when a basket is priced (:func:`suggested_gtins`);
- ``analytics.suggested_counts``: across the brand's dealers, how many have each product
  in their top-k; what brand staff look at to choose a promotion's products.

Both are optional: without the analytics plugin the catalogue shows no suggestions, a
suggested-products-only promotion never applies and no counts are shown."""

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


class SuggestedCount(Protocol):
    @property
    def gtin(self) -> str: ...
    @property
    def dealers(self) -> int: ...


class CountSuggested(Protocol):
    async def __call__(self, brand_id: int, k: int = 10) -> Sequence[SuggestedCount]:
        """Each product in some dealer's top ``k`` with how many dealers (those with
        order history) have it there, most dealers first."""
        ...


SUGGESTIONS: ServiceKey[SuggestFor] = ServiceKey("analytics.suggestions")
SUGGESTED_COUNTS: ServiceKey[CountSuggested] = ServiceKey("analytics.suggested_counts")


def available(ctx: PluginContext) -> bool:
    """Whether the analytics plugin gives suggestions (a suggested-products-only
    promotion can apply)."""
    svc = ctx.optional(SUGGESTIONS)
    return not isinstance(svc, Unavailable)


async def for_me(ctx: PluginContext, who: Principal, brand_id: int, k: int = 6) -> list[Suggested]:
    """A dealer user's suggestions for its own organisation; none for anyone else or
    without the service."""
    svc = ctx.optional(SUGGESTIONS)
    if isinstance(svc, Unavailable) or who.org is None or who.org.brand_id != brand_id:
        return []
    return list(await svc(brand_id, who.org.id, k))


async def suggested_gtins(
    ctx: PluginContext, brand_id: int, org_id: int, k: int
) -> tuple[str, ...]:
    """The dealer's top ``k`` suggested GTINs, best first; () without the service. No
    permission check: pricing uses it for the buyer it already checked."""
    svc = ctx.optional(SUGGESTIONS)
    if isinstance(svc, Unavailable) or k <= 0:
        return ()
    return tuple(s.gtin for s in await svc(brand_id, org_id, k))


async def suggested_counts(ctx: PluginContext, brand_id: int, k: int = 10) -> list[SuggestedCount]:
    """See :class:`CountSuggested`; [] without the service. No permission check."""
    svc = ctx.optional(SUGGESTED_COUNTS)
    if isinstance(svc, Unavailable):
        return []
    return list(await svc(brand_id, k))

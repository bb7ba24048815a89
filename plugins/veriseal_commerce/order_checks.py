"""What a submission checks outside commerce, through other plugins' services.

- the dealer's status (``territories.dealer``): a suspended dealer cannot order;
- every line and the delivery region (``territories.authorize``): a refusal names the
  product and the region (``order_not_authorized``);
- stock (``inventory.reserve``): a reservation with an expiry.

When a providing plugin is not enabled (``ctx.optional`` gives ``Unavailable``) the
check is recorded as ``not_checked`` on the order, never as passed. This module declares
its own protocols for the services (plugins never import each other)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from veriseal import Conflict, Forbidden, register_messages
from veriseal.extend import PluginContext, ServiceKey, Unavailable

register_messages(
    {
        "error.order_not_authorized": (
            "The dealer may not sell this product in this region",
            "该经销商无权在此区域销售此商品",
        ),
        "error.dealer_suspended": (
            "This dealer is not active and cannot order",
            "该经销商已停用，不能下单",
        ),
    }
)


class Authorization(Protocol):
    @property
    def allowed(self) -> bool: ...
    @property
    def reason(self) -> str: ...
    @property
    def message(self) -> str: ...


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
    ) -> Authorization: ...


class DealerInfo(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def regions(self) -> tuple[str, ...]: ...


class DealerLookup(Protocol):
    async def __call__(self, brand_id: int, org_id: int) -> DealerInfo: ...


class Reserve(Protocol):
    """``inventory.reserve``: hold ``lines`` (GTIN, quantity) for ``reference`` until
    ``expires_at``; raises its own coded error when stock is short."""

    async def __call__(
        self, brand_id: int, reference: str, lines: Sequence[tuple[str, int]],
        expires_at: dt.datetime,
    ) -> Any: ...  # fmt: skip


class Release(Protocol):
    """``inventory.release``: give back what ``reference`` holds now (units released)."""

    async def __call__(self, brand_id: int, reference: str, reason: str = "") -> int: ...


AUTHORIZE: ServiceKey[Authorize] = ServiceKey("territories.authorize")
DEALER: ServiceKey[DealerLookup] = ServiceKey("territories.dealer")
RESERVE: ServiceKey[Reserve] = ServiceKey("inventory.reserve")
RELEASE: ServiceKey[Release] = ServiceKey("inventory.release")

PASSED, NOT_CHECKED, RESERVED = "passed", "not_checked", "reserved"


class OrderNotAuthorized(Forbidden):
    code = "order_not_authorized"


class DealerSuspended(Conflict):
    code = "dealer_suspended"


@dataclass(frozen=True)
class Outcome:
    territory: str  # passed | not_checked
    availability: str  # reserved | not_checked


@dataclass(frozen=True)
class Submission:
    brand_id: int
    org_id: int
    order_no: str
    region: str
    lines: Sequence[tuple[str, str, int]]  # (gtin, product name, quantity)
    pay_by: dt.datetime


async def check_territory(ctx: PluginContext, s: Submission) -> str:
    """``passed`` or ``not_checked``; raises ``dealer_suspended`` /
    ``order_not_authorized`` (naming the product and the region)."""
    lookup, authorize = ctx.optional(DEALER), ctx.optional(AUTHORIZE)
    if isinstance(lookup, Unavailable) or isinstance(authorize, Unavailable):
        return NOT_CHECKED
    dealer = await lookup(s.brand_id, s.org_id)
    if dealer.status != "active":
        raise DealerSuspended(
            f"dealer {dealer.code} is {dealer.status}"
            f" / 经销商 {dealer.code} 状态为 {dealer.status}",
            dealer=dealer.code, status=dealer.status,
        )  # fmt: skip
    for gtin, name, _ in s.lines:
        answer = await authorize(s.brand_id, dealer.code, gtin, region=s.region)
        if not answer.allowed:
            raise OrderNotAuthorized(
                f"{dealer.code} may not sell {name} ({gtin}) in region {s.region}:"
                f" {answer.message} / 经销商 {dealer.code} 无权在区域 {s.region}"
                f" 销售 {name}（{gtin}）",
                product=gtin, product_name=name, region=s.region, reason=answer.reason,
            )  # fmt: skip
    return PASSED


async def reserve_stock(ctx: PluginContext, s: Submission) -> str:
    """``reserved`` (until the payment deadline) or ``not_checked``."""
    reserve = ctx.optional(RESERVE)
    if isinstance(reserve, Unavailable):
        return NOT_CHECKED
    await reserve(s.brand_id, s.order_no, [(g, q) for g, _, q in s.lines], s.pay_by)
    return RESERVED


async def release_stock(ctx: PluginContext, brand_id: int, reference: str, reason: str) -> None:
    """Give back a reservation that no order came to hold (nothing without inventory)."""
    release = ctx.optional(RELEASE)
    if not isinstance(release, Unavailable):
        await release(brand_id, reference, reason)


async def check(ctx: PluginContext, s: Submission) -> Outcome:
    """Every outside check of a submission (see the module docstring)."""
    territory = await check_territory(ctx, s)
    return Outcome(territory, await reserve_stock(ctx, s))

"""What the order pages of dealers (:mod:`.console_orders`) and of the brand
(:mod:`.console_review`) share: the caller's brand and plugin context, a refusal's
message, a bounded form field, a region's name and the order page's data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from veriseal import (
    Brand,
    Principal,
    RegionNotFound,
    VerisealError,
    default_boundaries,
)
from veriseal.extend import PluginContext
from veriseal_commerce.order_states import OrderAction, OrderStatus, allowed_actions
from veriseal_commerce.orders import PAYABLE
from veriseal_commerce.service import of

if TYPE_CHECKING:
    from veriseal.extend import ConsoleCall

PLUGIN = "commerce"
BASE = "/console/commerce"


async def context(call: ConsoleCall) -> tuple[Principal, Brand, PluginContext]:
    """The signed-in caller, its brand (a platform admin names it with ``?brand=``)
    and the plugin's context."""
    who = call.principal
    assert who is not None  # every view here needs a sign-in
    ctx = call.plugin(PLUGIN)
    return who, await ctx.brand_for(who, await call.brand_slug()), ctx


def message(call: ConsoleCall, exc: VerisealError) -> str:
    """A refusal as the reader sees it (:meth:`ConsoleCall.refused`)."""
    return call.refused(exc)


def text_field(form: Any, name: str, limit: int) -> str:
    """A posted (or queried) text field (:meth:`ConsoleCall.text`)."""
    from veriseal.extend import ConsoleCall  # noqa: PLC0415 (the console's, loaded with it)

    return ConsoleCall.text(form, name, limit)


def region_name(call: ConsoleCall, code: str) -> str:
    """The region's name in the reader's language ("" when the code names none)."""
    if not code or len(code) > 100:
        return ""
    try:
        area = default_boundaries().area(code)
    except RegionNotFound:
        return ""
    return area.name if call.lang == "zh" else area.name_en


async def order_context(
    call: ConsoleCall, ctx: PluginContext, who: Principal, order_no: str, side: str
) -> dict[str, Any]:
    """The order page's data: the order, its timeline and thread, the actions the state
    machine allows now, what is left to ship per line, and the amount still due."""
    view = await of(ctx).orders.view(who, order_no[:32])
    order = view.order
    actions = {str(a) for a in allowed_actions(OrderStatus(order.status))}
    return {
        "order": order, "events": view.events, "messages": view.messages, "side": side,
        "actions": actions, "can_fulfil": str(OrderAction.SHIP_PART) in actions,
        "due": max(order.total - order.paid, 0),
        "region_label": region_name(call, order.region),
        "dealer": await ctx.org(order.org_id),
        # a distributor reads its retailers' orders but acts only on its own
        "own": who.org is not None and who.org.id == order.org_id,
        "pay": pay_link(order.order_no) if order.status in PAYABLE else None,
    }  # fmt: skip


def pay_link(order_no: str) -> str | None:
    """The dealer's pay page of the order when the console has one (the payments part
    adds ``GET /console/commerce/orders/{no}/pay``); None: the page shows the amount
    due only."""
    from veriseal_commerce import console_pages  # noqa: PLC0415  (it imports this module)

    pattern = f"{BASE}/orders/{{no}}/pay"
    if any(v.method == "GET" and v.path == pattern for v in console_pages.VIEWS):
        return f"{BASE}/orders/{order_no}/pay"
    return None

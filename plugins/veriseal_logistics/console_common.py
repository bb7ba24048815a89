"""What the logistics console pages share: the caller, its brand and the plugin's
services; a refusal's message; bounded form fields; the open alerts of a brand by
waybill; the labels templates need."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from veriseal import Brand, Principal, VerisealError
from veriseal.extend import PluginContext
from veriseal_logistics.console_format import KIND_LABELS, SOURCE_LABELS
from veriseal_logistics.models import Alert, AlertKind, Waybill
from veriseal_logistics.service import Logistics, of
from veriseal_logistics.statuses import LABELS

if TYPE_CHECKING:
    from veriseal.extend import ConsoleCall

PLUGIN = "logistics"
BASE = "/console/logistics"
#: open alerts read per call of the service while grouping them by waybill, and the
#: most read in all (a brand with more open alerts than this sees the newest)
ALERT_PAGE = 200


async def context(call: ConsoleCall) -> tuple[Principal, Brand, PluginContext, Logistics]:
    """The signed-in caller, its brand (a platform admin names it with ``?brand=``),
    the plugin's context and services."""
    who = call.principal
    assert who is not None  # every view here needs a sign-in
    ctx = call.plugin(PLUGIN)
    return who, await ctx.brand_for(who, await call.brand_slug()), ctx, of(ctx)


def message(call: ConsoleCall, exc: VerisealError) -> str:
    """A refusal as the reader sees it (:meth:`ConsoleCall.refused`)."""
    return call.refused(exc)


def field(form: Any, name: str, limit: int) -> str:
    """A posted (or queried) text field (:meth:`ConsoleCall.text`)."""
    from veriseal.extend import ConsoleCall  # noqa: PLC0415 (the console's, loaded with it)

    return ConsoleCall.text(form, name, limit)


async def open_alerts(
    lg: Logistics, who: Principal, brand: Brand, waybills: Sequence[Waybill]
) -> dict[int, list[Alert]]:
    """The open alerts of ``waybills`` (those a page shows), by waybill id, newest
    first: one narrow query per :data:`ALERT_PAGE` waybills (at most one open alert
    per kind and waybill, so a page of ids fits a page of alerts)."""
    out: dict[int, list[Alert]] = {}
    ids = [w.id for w in waybills]
    for start in range(0, len(ids), ALERT_PAGE // len(AlertKind.ALL)):
        chunk = ids[start : start + ALERT_PAGE // len(AlertKind.ALL)]
        for a in await lg.alerts.listing(who, brand, status="open", waybill_ids=chunk,
                                         limit=ALERT_PAGE):  # fmt: skip
            out.setdefault(a.waybill_id, []).append(a)
    return out


def labels() -> dict[str, Any]:
    """What templates need to name statuses, alert kinds and sources in both languages
    (``t(*statuses[s])``)."""
    return {"statuses": {s.value: pair for s, pair in LABELS.items()},
            "kinds": KIND_LABELS, "sources": SOURCE_LABELS}  # fmt: skip

"""What the analytics console pages share: the reader (principal, plugin context, brand,
language), a query parameter checked against a ``Literal``, the page a dashboard
renders (its figures, charts and refusal, 400 when refused) and the whole of a
dashboard over one period with a comparison (:func:`period_dashboard`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

from veriseal import Brand, Principal, VerisealError
from veriseal.extend import Page, PluginContext
from veriseal_analytics.periods import Compare, Period, Step, choice
from veriseal_analytics.service import period_in

if TYPE_CHECKING:
    from veriseal.extend import ConsoleCall

PLUGIN = "analytics"
#: the periods a dashboard offers
PeriodChoice = Literal["7d", "30d", "90d", "mtd", "ytd", "365d"]
#: rows a ranking shows on a page; exports have their own, larger limit
SHOWN = 10


@dataclass(frozen=True)
class Reader:
    """Who reads a page: the signed-in principal, the plugin's context, the brand (a
    platform admin names it with ``?brand=``) and the language of the figures' names."""

    who: Principal
    ctx: PluginContext
    brand: Brand
    lang: str


async def reader(call: ConsoleCall) -> Reader:
    who = call.principal
    assert who is not None  # every view here needs a sign-in
    ctx = call.plugin(PLUGIN)
    brand = await ctx.brand_for(who, await call.brand_slug())
    return Reader(who, ctx, brand, "zh" if call.lang.startswith("zh") else "en")


def query_choice(call: ConsoleCall, name: str, options: Any, default: str) -> Any:
    """A query parameter that must be one of the ``Literal`` ``options`` (else 400)."""
    return choice(call.query.get(name, "") or default, options, name)


def dashboard(call: ConsoleCall, template: str, r: Reader, values: dict[str, str], error: str,
              data: dict[str, Any], charts: Callable[[ConsoleCall, dict[str, Any]], Any],
              period: Period | None = None, **extra: Any) -> Page:  # fmt: skip
    """The dashboard page: its figures and their charts, or the refusal (400)."""
    return Page(template,
                {"brand": r.brand, "values": values, "error": error, "d": data,
                 "periods": get_args(PeriodChoice), "charts": charts(call, data) if data else {},
                 "period": period.to_dict() if period else None, **extra},
                400 if error else 200)  # fmt: skip


#: a dashboard's figures for the period and comparison asked, by step ("day", "week")
Figures = Callable[[Reader, Period, Compare, Step], Awaitable[dict[str, Any]]]
Charts = Callable[["ConsoleCall", dict[str, Any]], Any]


async def period_dashboard(call: ConsoleCall, template: str, figures: Figures,
                           charts: Charts) -> Page:  # fmt: skip
    """A dashboard over ``?period=`` (30 days) compared with ``?compare=`` (the previous
    period): daily steps up to a quarter, weekly beyond; a refused choice or figure is
    the page's 400 with its reason (the scans and stock pages)."""
    r = await reader(call)
    error, values = "", {"period": "30d", "compare": "previous"}
    period: Period | None = None
    data: dict[str, Any] = {}
    try:
        values["period"] = query_choice(call, "period", PeriodChoice, "30d")
        compare: Compare = query_choice(call, "compare", Compare, "previous")
        values["compare"] = compare
        period = period_in(r.ctx, values["period"])
        data = await figures(r, period, compare, "day" if period.days <= 92 else "week")
    except VerisealError as exc:
        error = call.refused(exc)
    return dashboard(call, template, r, values, error, data, charts, period)

"""What the analytics console pages share: the reader (principal, plugin context, brand,
language), a query parameter checked against a ``Literal``, and the page a dashboard
renders (its figures, charts and refusal, 400 when refused)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

from veriseal import Brand, Principal
from veriseal.extend import Page, PluginContext
from veriseal_analytics.periods import Period, choice

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

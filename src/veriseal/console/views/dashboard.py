"""``/console/dashboard``: the brand's scan figures from the daily rollup (see
:mod:`veriseal.brandops.dashboard`): KPIs, the verdict mix, a 14-day trend and scans by
province, each chart with the same numbers in a table."""

from __future__ import annotations

from typing import Any

from veriseal.accounts.permissions import Action
from veriseal.brandops.dashboard import TREND_DAYS, WINDOW_DAYS, Figures
from veriseal.console.call import ConsoleCall
from veriseal.console.views.brandpick import brand_params, link, pick_brand, reader
from veriseal.extend.console import ConsolePage, ConsoleView, Page
from veriseal.i18n import t as message

#: Verdicts that are good news, bad news, or neither (the badges' colours).
GOOD = frozenset({"genuine"})
BAD = frozenset({"invalid", "suspected_clone", "not_activated", "decommissioned", "key_revoked",
                 "recalled"})  # fmt: skip


async def dashboard(call: ConsoleCall) -> Page:
    ops = call.engine.ops
    picked = await pick_brand(call, ops.scans.brand)
    if isinstance(picked, Page):
        return picked
    figures = await ops.dashboard.figures(reader(call), picked)
    params = brand_params(call, picked)
    return Page("dashboard.html", {
        "brand": picked,
        "f": figures,
        "window_days": WINDOW_DAYS,
        "trend_days": TREND_DAYS,
        "verdicts": _verdicts(call, figures),
        "charts": _charts(call, figures),
        "scans_link": link("/console/scans", params),
        "alerts_link": link("/console/alerts", params, state="open"),
    })  # fmt: skip


def _verdicts(call: ConsoleCall, f: Figures) -> list[dict[str, Any]]:
    total = f.scans_window or 1
    return [
        {"outcome": o, "n": n, "share": round(100 * n / total, 1),
         "tone": "ok" if o in GOOD else "bad" if o in BAD else "warn"}
        for o, n in f.verdicts
    ]  # fmt: skip


def _charts(call: ConsoleCall, f: Figures) -> dict[str, Any]:
    """The charts' data blocks (static/charts.js draws them; the tables say the same)."""
    scans = call.t("Scans", "扫码次数")
    return {
        "verdicts": {
            "title": call.t("Verdicts", "验证结果"),
            "data": [{"name": message(f"outcome.{o}", call.lang), "value": n}
                     for o, n in f.verdicts],
        },
        "trend": {
            "title": call.t("Scans per day", "每日扫码"),
            "x": [d.isoformat() for d, _, _ in f.trend],
            "series": [
                {"name": scans, "data": [n for _, n, _ in f.trend]},
                {"name": call.t("Genuine", "正品"), "data": [g for _, _, g in f.trend]},
            ],
            "stack": False,
        },
        "map": {
            "title": call.t("Scans by province", "各省扫码"),
            "name": scans,
            "data": [{"code": p.code, "name": call.t(p.name_en, p.name_zh), "value": p.n}
                     for p in f.provinces if p.code is not None],
        },
    }  # fmt: skip


VIEWS = [ConsoleView("GET", "/console/dashboard", dashboard, Action.SCANS_READ)]
PAGES = [
    ConsolePage("/console/dashboard", "Dashboard", "数据看板", Action.SCANS_READ, "home", 10),
]

"""Dealer and consumer behaviour (``analytics.view``, brand staff).

Dealers, from the booked order lines (``analytics_lines``, the plugin's own facts):

- an order is a sale booking netted with its reversal: a fully reversed order (net
  units <= 0) is no order; its day and hour are the sale's (the brand's calendar);
- per dealer: orders, orders per 30 days (orders / period days x 30), the median
  basket (units and value per order), ordering time (hour-of-day and weekday
  histograms: Monday = 0), product mix (revenue and units by category, share of the
  dealer's revenue), last order and dormancy as :mod:`veriseal_analytics.rfm` defines;
- history: recency, the usual gap, dormancy and "new" look back :data:`HISTORY_DAYS`
  before the period's end (or to the period's start if that is earlier), so a short
  period does not make every dealer new; frequency and monetary count the period only;
- segments: :func:`veriseal_analytics.rfm.score` of the history's orders (the window is
  the period, ``today`` its last day): every dealer with an order in the history is
  scored, one without orders in the period with F and M from zero.

Consumers, from the core's scans (``ctx.scans``, read a page at a time by ``after_id``,
at most :data:`MAX_SCANS`; ``truncated`` says when more were left):

- only consumer channels count (web, api, console): handheld and CLI scans are staff;
- activity: scans per local day (every day of the period) and per hour of day;
- an identity is a device (actor ``device:<cookie>``) or a signed-in user (``user_id``);
  a repeat scanner scanned on more than one local day;
- conversion: a device whose first scan in the period was anonymous **converted** when
  a later scan from it carries a consumer account created after that first scan. Only
  an account that later scans on the same device is seen (see docs/analytics.md)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from veriseal import Brand, NotFound, Principal, Role
from veriseal.extend import PluginContext
from veriseal_analytics.periods import Period
from veriseal_analytics.permissions import ANALYTICS_VIEW
from veriseal_analytics.rfm import RULES, SEGMENTS, OrderFact, Scored, rules_table, score

MAX_SCANS = 200_000
HISTORY_DAYS = 730
PAGE = 5000  # PostgreSQL: 100k scans in 3.1 s at 5000 a page, 6.3 s at 1000
CONSUMER_CHANNELS = frozenset({"web", "api", "console"})

_ORDERS_SQL = (
    "SELECT org_id, order_id, kind, MIN(day) AS day, MIN(hour) AS hour,"
    " SUM(units) AS units, SUM(amount) AS amount FROM analytics_lines"
    " WHERE brand_id = ? AND day >= ? AND ((kind = 'sale' AND day <= ?) OR kind = 'reversal')"
    " GROUP BY org_id, order_id, kind"
)
# a reversal counts only against an order sold in the period (as in net_orders)
_MIX_SQL = (
    "SELECT org_id, category_id, SUM(units) AS units, SUM(amount) AS amount"
    " FROM analytics_lines WHERE brand_id = ? AND day >= ?"
    " AND ((kind = 'sale' AND day <= ?) OR (kind = 'reversal' AND order_id IN"
    " (SELECT order_id FROM analytics_lines WHERE brand_id = ? AND kind = 'sale'"
    " AND day >= ? AND day <= ?)))"
    " GROUP BY org_id, category_id"
)


# -- dealers: pure ---------------------------------------------------------------------


class OrderRow(NamedTuple):
    """One order as behaviour sees it: net of its reversal (a tuple: a year of orders
    is built in one go)."""

    org_id: int
    order_id: int
    day: dt.date
    hour: int
    units: int
    value: int


def net_orders(rows: Iterable[Mapping[str, Any]]) -> list[OrderRow]:
    """Per-order sums by kind (``org_id, order_id, kind, day, hour, units, amount``)
    into orders: sales minus their reversals, fully reversed ones dropped, by order id."""
    sales: dict[int, dict[str, Any]] = {}
    undone: dict[int, tuple[int, int]] = {}
    for r in rows:
        oid = int(r["order_id"])
        if r["kind"] == "sale":
            sales[oid] = dict(r)
        else:
            u, a = undone.get(oid, (0, 0))
            undone[oid] = (u + int(r["units"]), a + int(r["amount"]))
    out = []
    for oid in sorted(sales):
        s = sales[oid]
        du, da = undone.get(oid, (0, 0))
        units, value = int(s["units"]) + du, int(s["amount"]) + da
        if units > 0:
            out.append(OrderRow(int(s["org_id"]), oid, dt.date.fromisoformat(str(s["day"])),
                                int(s["hour"]), units, value))  # fmt: skip
    return out


def _median(values: Sequence[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def heat(orders: Iterable[OrderRow]) -> list[list[int]]:
    """Orders per weekday (rows, Monday first) and hour (columns)."""
    grid = [[0] * 24 for _ in range(7)]
    for o in orders:
        grid[o.day.weekday()][o.hour] += 1
    return grid


def habits(orders: Sequence[OrderRow], days: int) -> dict[str, Any]:
    """One dealer's order frequency, median basket and ordering time (see the module)."""
    grid = heat(orders)
    return {"orders": len(orders),
            "orders_per_30d": len(orders) / days * 30 if days else 0.0,
            "median_units": _median([o.units for o in orders]),
            "median_value": _median([o.value for o in orders]),
            "revenue": sum(o.value for o in orders),
            "hours": [sum(row[h] for row in grid) for h in range(24)],
            "weekdays": [sum(row) for row in grid]}  # fmt: skip


def mix(rows: Iterable[Mapping[str, Any]]) -> dict[int, dict[str, dict[str, Any]]]:
    """Revenue and units per dealer and category (key ``''`` for none) from per-dealer,
    per-category sums, with each category's share of the dealer's revenue (None when it
    is 0); a category netted to nothing (a reversed order's) is left out."""
    out: dict[int, dict[str, dict[str, Any]]] = {}
    for r in rows:
        units, revenue = int(r["units"]), int(r["amount"])
        if units == 0 and revenue == 0:
            continue
        cat = "" if r["category_id"] is None else str(r["category_id"])
        out.setdefault(int(r["org_id"]), {})[cat] = {"revenue": revenue, "units": units}
    for cats in out.values():
        total = sum(c["revenue"] for c in cats.values())
        for c in cats.values():
            c["share"] = c["revenue"] / total if total else None
    return out


# -- consumers: pure -------------------------------------------------------------------


@dataclass
class ScanTally:
    """Consumer scans folded one at a time (see the module); :meth:`result` needs the
    accounts seen, as ``{user id: (role, created_at)}``."""

    period: Period
    tz: ZoneInfo
    per_day: dict[str, int] = field(default_factory=dict)
    per_hour: list[int] = field(default_factory=lambda: [0] * 24)
    scans: int = 0
    days_of: dict[str, set[str]] = field(default_factory=dict)
    first_at: dict[str, tuple[dt.datetime, bool]] = field(default_factory=dict)
    later_users: dict[str, set[tuple[int, dt.datetime]]] = field(default_factory=dict)

    def add(self, at: dt.datetime, channel: str, actor: str, user_id: int | None) -> None:
        if channel not in CONSUMER_CHANNELS:
            return
        t = at.astimezone(self.tz)
        day = t.date().isoformat()
        self.scans += 1
        self.per_day[day] = self.per_day.get(day, 0) + 1
        self.per_hour[t.hour] += 1
        ids = [f"user:{user_id}"] if user_id is not None else []
        if actor.startswith("device:"):
            ids.append(actor)
            first = self.first_at.get(actor)
            if first is None or at < first[0]:
                self.first_at[actor] = (at, user_id is None)
            if user_id is not None:
                self.later_users.setdefault(actor, set()).add((user_id, at))
        for i in ids:
            self.days_of.setdefault(i, set()).add(day)

    def user_ids(self) -> set[int]:
        return {u for seen in self.later_users.values() for u, _ in seen}

    def result(self, accounts: Mapping[int, tuple[str, dt.datetime]]) -> dict[str, Any]:
        devices = [i for i in self.days_of if i.startswith("device:")]
        users = [i for i in self.days_of if i.startswith("user:")]
        anonymous = [d for d, (_, anon) in self.first_at.items() if anon]
        converted = 0
        for d in anonymous:
            first = self.first_at[d][0]
            seen = self.later_users.get(d, set())
            if any(_registered_after(accounts.get(u), first) for u, at in seen if at > first):
                converted += 1
        days = [(self.period.start + dt.timedelta(days=i)).isoformat()
                for i in range(self.period.days)]  # fmt: skip
        return {"scans": self.scans,
                "per_day": [{"day": d, "scans": self.per_day.get(d, 0)} for d in days],
                "per_hour": list(self.per_hour),
                "devices": len(devices),
                "repeat_devices": sum(len(self.days_of[d]) > 1 for d in devices),
                "users": len(users),
                "repeat_users": sum(len(self.days_of[u]) > 1 for u in users),
                "anonymous_devices": len(anonymous), "converted_devices": converted,
                "conversion_rate": converted / len(anonymous) if anonymous else None}  # fmt: skip


def _registered_after(account: tuple[str, dt.datetime] | None, first: dt.datetime) -> bool:
    return account is not None and account[0] == Role.CONSUMER and account[1] > first


# -- the queries -----------------------------------------------------------------------


class Behaviour:
    """The behaviour queries of one engine; ``ctx`` is the plugin's context."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(str(self.ctx.config.get("tz", "Asia/Shanghai")))

    async def orders(self, brand: Brand, period: Period) -> list[OrderRow]:
        """The period's orders, netted (see the module)."""
        lo, hi = period.bounds()
        async with self.ctx.db.read() as tx:
            return net_orders(await tx.fetch(_ORDERS_SQL, brand.id, lo, hi))

    async def history(self, brand: Brand, period: Period) -> list[OrderRow]:
        """The orders of the period's history (see the module)."""
        first = min(period.start, period.end - dt.timedelta(days=HISTORY_DAYS - 1))
        return await self.orders(brand, Period(first, period.end))

    async def mixes(self, brand: Brand, period: Period) -> dict[int, dict[str, dict[str, Any]]]:
        """Each dealer's product mix in the period (:func:`mix`)."""
        lo, hi = period.bounds()
        async with self.ctx.db.read() as tx:
            return mix(await tx.fetch(_MIX_SQL, brand.id, lo, hi, brand.id, lo, hi))

    async def _names(self, org_ids: Iterable[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for k in org_ids:
            try:
                out[k] = (await self.ctx.org(k)).name
            except NotFound:
                out[k] = str(k)
        return out

    async def _categories(self, brand: Brand, lang: str) -> dict[str, str]:
        en = lang.startswith("en")
        return {str(c.id): (c.name_en or c.name) if en else c.name
                for c in await self.ctx.categories(brand)}  # fmt: skip

    async def dealers(self, who: Principal, brand: Brand, period: Period,
                      lang: str = "zh") -> dict[str, Any]:  # fmt: skip
        """Per dealer habits, product mix and dormancy, and the brand's ordering-time
        grid (``heat[weekday][hour]``), dealers by revenue, descending."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        history = await self.history(brand, period)
        orders = [o for o in history if o.day >= period.start]
        by_org: dict[int, list[OrderRow]] = {}
        for o in orders:
            by_org.setdefault(o.org_id, []).append(o)
        scored = {s.org_id: s for s in score(_facts(history), period.end, period.days)}
        mixes = await self.mixes(brand, period)
        names = await self._names(by_org)
        cat_names = await self._categories(brand, lang)
        out = []
        for org, mine in by_org.items():
            s = scored[org]
            cats = sorted(mixes.get(org, {}).items(), key=lambda kv: (-kv[1]["revenue"], kv[0]))
            out.append({"org_id": org, "name": names[org], **habits(mine, period.days),
                        "mix": [{"category_id": k, "label": cat_names.get(k, k), **v}
                                for k, v in cats],
                        "last_day": s.last_day.isoformat(), "days_since": s.recency,
                        "usual_gap": s.usual_gap, "dormant_after": s.dormant_after,
                        "dormant": s.dormant})  # fmt: skip
        out.sort(key=lambda d: (-d["revenue"], d["org_id"]))
        return {"period": period.to_dict(), "orders": len(orders), "heat": heat(orders),
                "dealers": out}  # fmt: skip

    async def segments(self, who: Principal, brand: Brand, period: Period,
                       lang: str = "zh") -> dict[str, Any]:  # fmt: skip
        """RFM segments of the dealers with orders in the history (every rule, in order,
        with its count and dealers, best monetary first) and the dormant dealers."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        scored = score(_facts(await self.history(brand, period)), period.end, period.days)
        names = await self._names(s.org_id for s in scored)
        zh = lang.startswith("zh")

        def row(s: Scored) -> dict[str, Any]:
            return {**s.to_dict(), "name": names[s.org_id]}

        groups = []
        for rule in RULES:
            mine = sorted((s for s in scored if s.segment == rule.code),
                          key=lambda s: (-s.monetary, s.org_id))  # fmt: skip
            groups.append({"code": rule.code, "name": rule.zh if zh else rule.en,
                           "when": rule.when_zh if zh else rule.when, "count": len(mine),
                           "dealers": [row(s) for s in mine]})  # fmt: skip
        dormant = sorted((s for s in scored if s.dormant), key=lambda s: (-s.recency, s.org_id))
        return {"period": period.to_dict(), "dealers": len(scored), "rules": rules_table(lang),
                "segments": groups, "dormant": [row(s) for s in dormant]}  # fmt: skip

    async def consumers(self, who: Principal, brand: Brand, period: Period) -> dict[str, Any]:
        """Consumer scan activity, repeat scanners and conversion (see the module)."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        tz = self.tz
        since = dt.datetime.combine(period.start, dt.time(), tz)
        until = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), tz)
        tally = ScanTally(period, tz)
        after: int | None = None
        read, truncated = 0, False
        while True:
            page = await self.ctx.scans(brand.id, since=since, until=until, after_id=after,
                                        limit=PAGE)  # fmt: skip
            for s in page:
                n = s.scan
                tally.add(n.at, str(n.channel), n.actor, n.user_id)
            read += len(page)
            if len(page) < PAGE:
                break
            after = page[-1].id
            if read >= MAX_SCANS:
                truncated = True
                break
        accounts: dict[int, tuple[str, dt.datetime]] = {}
        for uid in sorted(tally.user_ids()):
            try:
                u = await self.ctx.user(uid)
            except NotFound:
                continue
            accounts[uid] = (str(u.role), u.created_at)
        return {"period": period.to_dict(), "read": read, "truncated": truncated,
                **tally.result(accounts)}  # fmt: skip


def _facts(orders: Iterable[OrderRow]) -> list[OrderFact]:
    return [OrderFact(o.org_id, o.day, o.value) for o in orders]


def segment_names(lang: str) -> dict[str, str]:
    """Segment code -> name in ``lang`` (``zh`` or ``en``)."""
    zh = lang.startswith("zh")
    return {code: r.zh if zh else r.en for code, r in SEGMENTS.items()}


_STATE = "behaviour"


def behaviour_of(ctx: PluginContext) -> Behaviour:
    """The engine's one :class:`Behaviour` (kept in ``ctx.state``; service.py may adopt it)."""
    found = ctx.state.get(_STATE)
    if not isinstance(found, Behaviour):
        found = Behaviour(ctx)
        ctx.state[_STATE] = found
    return found

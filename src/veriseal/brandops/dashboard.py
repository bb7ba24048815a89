"""The brand dashboard's figures, read from a daily rollup rather than the scans.

A page view must not aggregate a million scan rows. The rollup ``scan_daily`` (brand,
day, outcome, province -> count) is kept by the event-stream consumer
``veriseal.dashboard``: the stream announces every recorded scan; the consumer takes
each scan's brand, day, outcome and province from the brief its event carries (reading
the row only for an event appended before briefs were) before its transaction
(``prepare``), and adds their counts in the transaction that moves its cursor, so each
scan is counted exactly once however often a batch is delivered again. The verify path is
not touched: it already appends the stream event in its own transaction.

The rollup trails the scans by the consumer's lag (``veriseal serve`` runs the consumer;
so does ``veriseal events consume``): the dashboard says how many events it has not
counted yet. ``veriseal dashboard rebuild`` recounts it from the scans, consistently with
the cursor (see :func:`~veriseal.brandops.dashboard_store.rebuild`).

Days are China Standard Time days (UTC+8, no daylight saving): a day's figures are the
same for every viewer, whatever the viewer's own time zone.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from veriseal.accounts.errors import Forbidden
from veriseal.accounts.models import Principal, Role
from veriseal.accounts.permissions import Action, require
from veriseal.brandops import dashboard_store as store
from veriseal.brandops import workflow_store
from veriseal.brandops.scope import check_brand
from veriseal.extend.stream.consumer import Batch, Consumer
from veriseal.ledger import stream_store
from veriseal.ledger.base import Ledger, Tx
from veriseal.ledger.stream_store import StreamEvent
from veriseal.models import Brand
from veriseal.regions.china import BY_ISO, gb2260_for

#: The stream consumer's name: its cursor's key (renaming it would count every scan again).
CONSUMER = "veriseal.dashboard"
#: The dashboard's day: UTC+8 (China Standard Time).
DAY_TZ = dt.timezone(dt.timedelta(seconds=store.DAY_OFFSET_SECONDS), "UTC+8")
_EPOCH = dt.date(1970, 1, 1)
TREND_DAYS = 14
#: Scans not counted yet are counted up to this many, then shown as "more than".
PENDING_COUNTED = 10_000
WINDOW_DAYS = 30


def day_number(at: dt.datetime) -> int:
    """The rollup's day of an aware instant: days since 1970-01-01 in UTC+8."""
    return (int(at.timestamp()) + store.DAY_OFFSET_SECONDS) // 86400


def day_date(number: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=number)


@dataclass(frozen=True)
class ProvinceCount:
    """Scans in one province: ``province`` as scans store it, ``code`` its GB/T 2260
    code (None outside China and for scans without a place)."""

    province: str
    code: str | None
    name_en: str
    name_zh: str
    n: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "province": self.province,
            "code": self.code,
            "name_en": self.name_en,
            "name_zh": self.name_zh,
            "n": self.n,
        }

    def map_entry(self) -> dict[str, Any]:
        """The entry a province map draws (``{"code", "name", "value"}``)."""
        return {"code": self.code, "name": self.name_zh, "value": self.n}


@dataclass(frozen=True)
class Figures:
    """The dashboard of one brand on ``today`` (a UTC+8 day)."""

    today: dt.date
    scans_today: int
    scans_window: int  # the last WINDOW_DAYS days, today included
    verdicts: tuple[tuple[str, int], ...]  # (outcome, n) over the window, most first
    provinces: tuple[ProvinceCount, ...]  # over the window, most first
    trend: tuple[tuple[dt.date, int, int], ...]  # (day, scans, of them genuine), oldest first
    open_alerts: int  # open or under investigation
    investigating: int
    #: scans recorded but not counted yet (the consumer's lag), at most PENDING_COUNTED + 1
    pending_scans: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "day_timezone": "UTC+08:00",
            "scans_today": self.scans_today,
            f"scans_{WINDOW_DAYS}d": self.scans_window,
            "verdicts": [{"outcome": o, "n": n} for o, n in self.verdicts],
            "provinces": [p.to_dict() for p in self.provinces],
            "trend": [{"day": d.isoformat(), "scans": n, "genuine": g} for d, n, g in self.trend],
            "open_alerts": self.open_alerts,
            "investigating": self.investigating,
            "pending_scans": self.pending_scans,
        }


def province_count(province: str, n: int) -> ProvinceCount:
    """Name a stored province (``CN-GD``, ``HK``, ``US:California``, '' for none)."""
    if not province:
        return ProvinceCount("", None, "Unknown", "未知", n)
    known = BY_ISO.get(province)
    if known is not None:
        return ProvinceCount(province, known.gb2260, known.name_en, known.name_zh, n)
    country = province.split(":", 1)[0].split("-", 1)[0]
    code = gb2260_for(country, None)  # Taiwan, Hong Kong, Macao: countries in GeoNames
    if code is not None:
        china = next(p for p in BY_ISO.values() if p.gb2260 == code)
        return ProvinceCount(province, code, china.name_en, china.name_zh, n)
    name = province.split(":", 1)[1] if ":" in province else province
    return ProvinceCount(province, None, name, name, n)


class Dashboard:
    """The figures (``scans.read``), the consumer that keeps them, and their rebuild."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    # -- the consumer --------------------------------------------------------------------
    def consumer(self) -> Consumer:
        """``veriseal.dashboard``: counts every recorded scan into ``scan_daily``."""
        return Consumer(CONSUMER, frozenset({"scan"}), self._apply, batch_size=1000,
                        prepare=self._read)  # fmt: skip

    async def _read(self, _ctx: Any, events: Sequence[StreamEvent]) -> list[store.ScanFact]:
        """The rollup's facts of the scans announced: from the briefs their events carry
        (``Ledger.event_briefs``: no read; events appended before briefs were are read
        from their rows). Scans without a brand are never counted (:func:`count`), so
        their events are passed over unread."""
        brands = sorted({e.brand_id for e in events if e.brand_id is not None})
        facts = []
        for brand_id in brands:
            for brief in await self._ledger.event_briefs(brand_id, events):
                seconds = int(brief.at.timestamp())  # whole seconds, as day_number takes them
                facts.append(
                    store.ScanFact(
                        brief.id, brief.brand_id, seconds, brief.outcome, brief.province or ""
                    )
                )
        return facts

    async def _apply(self, _ctx: Any, batch: Batch, tx: Tx) -> None:
        facts: list[store.ScanFact] = batch.prepared or []
        await store.add(tx, count(facts))

    # -- figures -------------------------------------------------------------------------
    async def figures(
        self, principal: Principal, brand: Brand, now: dt.datetime | None = None
    ) -> Figures:
        """The brand's dashboard: a few indexed reads, whatever the number of scans."""
        check_brand(principal, (Action.SCANS_READ,), brand)
        today = day_number(now or dt.datetime.now(dt.UTC))
        async with self._ledger.read() as tx:
            sums = await store.sums(tx, brand.id, today - WINDOW_DAYS + 1, today - TREND_DAYS + 1)
            states = await workflow_store.count_states(tx, brand.id)
            pending = await store.pending_scans(tx, CONSUMER, PENDING_COUNTED + 1)
        return summarise(today, sums, states, pending)

    async def rebuild(self, principal: Principal) -> tuple[int, int]:
        """Recount the rollup of every brand from the scans; return the scans counted
        and those left to the consumer (recorded after its cursor).
        The platform's own business (the CLI's local operator, the platform admin): it
        holds the ledger's write lock while it counts (about a second per million scans
        on SQLite), and the consumer waits for it."""
        require(principal, Action.SCANS_READ)
        if principal.role is not Role.PLATFORM_ADMIN:
            raise Forbidden("rebuilding the dashboard is the platform admin's")
        async with self._ledger.write() as tx:
            cursor = await stream_store.lock_cursor(tx, CONSUMER)
            await store.rebuild(tx, cursor)
            counted = await store.total_all(tx)
            pending = await store.pending_scans(tx, CONSUMER, 2**62)
        return counted, pending


def count(facts: Sequence[store.ScanFact]) -> Counter[store.Cell]:
    """The rollup cells of ``facts`` (scans without a brand are not counted)."""
    out: Counter[store.Cell] = Counter()
    for f in facts:
        if f.brand_id is not None:
            day = (f.at_seconds + store.DAY_OFFSET_SECONDS) // 86400
            out[(f.brand_id, day, f.outcome, f.province)] += 1
    return out


def summarise(today: int, sums: store.Sums, states: dict[str, int], pending: int) -> Figures:
    """The figures of the rollup's ``sums`` on day ``today``; ``states``: the alert
    counts of :func:`workflow_store.count_states`."""
    per_day = {day: (n, genuine) for day, n, genuine in sums.by_day}
    trend = tuple(
        (day_date(d), *per_day.get(d, (0, 0))) for d in range(today - TREND_DAYS + 1, today + 1)
    )
    return Figures(
        today=day_date(today),
        scans_today=per_day.get(today, (0, 0))[0],
        scans_window=sum(n for _, n in sums.by_outcome),
        verdicts=tuple(sorted(sums.by_outcome, key=_most)),
        provinces=tuple(province_count(p, n) for p, n in sorted(sums.by_province, key=_most)),
        trend=trend,
        open_alerts=states.get("open", 0) + states.get("investigating", 0),
        investigating=states.get("investigating", 0),
        pending_scans=pending,
    )


def _most(kv: tuple[str, int]) -> tuple[int, str]:
    """Most first, then by name."""
    return (-kv[1], kv[0])

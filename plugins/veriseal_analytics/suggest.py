"""Product suggestions for dealers, from the booked order lines (``analytics_lines``).

Contracts:

- the model (:class:`~veriseal_analytics.recommend.Recommender`) is fitted per brand on
  the paid orders that were not reversed, and kept until the brand's lines change
  (counted by the highest line id) or :data:`MAX_AGE` passes; the periodic task
  ``analytics.suggest`` refits changed brands off the request path, but a request that
  finds the brand's lines changed since the last fit refits too (in a thread, under a
  lock; an order reads its suggestions before its write transaction), so the first
  page after new orders waits for one fit (seconds on a large brand);
- :meth:`Suggestions.for_dealer` answers brand staff for any dealer of the brand and a
  dealer's users for their own organisation only (``analytics.suggest``; another
  organisation is ``forbidden``); a dealer with no history gets the brand's popular
  products;
- :meth:`Suggestions.evaluate` is the offline evaluation on the brand's own orders
  (each dealer's latest order held out) against the popularity baseline, as
  ``benchmarks/sim_rec_channel.py`` runs it on the simulated channel.

The service ``analytics.suggestions`` (:func:`provided`) lets the commerce plugin show
them on the dealer's catalogue page and limit promotions to them without importing this
plugin; ``analytics.suggested_counts`` (:func:`provided_counts`) tells it, per product,
how many dealers (those with order history) have it in their top-k: what brand staff
plan promotions from. Counts are computed once per fitted model and k."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from veriseal import Brand, Forbidden, Principal, Role
from veriseal.extend import PluginContext, Provided, ServiceKey, Tx
from veriseal_analytics.booking import SALE
from veriseal_analytics.permissions import ANALYTICS_SUGGEST, ANALYTICS_VIEW
from veriseal_analytics.rec_eval import EvalReport, evaluate
from veriseal_analytics.recommend import Purchase, Recommender, Suggestion
from veriseal_analytics.sales import product_names

#: a model older than this is refitted even if no line changed (days move on: due-ness)
MAX_AGE = 6 * 3600.0
_STATE = "suggest.models"
_SALES = (
    "SELECT l.id, l.org_id, l.ref, l.day, l.gtin, l.units FROM analytics_lines l"
    " WHERE l.brand_id = ? AND l.kind = ? AND l.id > ? AND NOT EXISTS"
    " (SELECT 1 FROM analytics_booked b WHERE b.kind = 'reversal' AND b.ref = l.ref)"
    " ORDER BY l.id LIMIT ?"
)


@dataclass(frozen=True)
class Fitted:
    model: Recommender
    last_line: int  # the highest analytics_lines id when fitted
    fitted_at: float  # time.monotonic()
    lines: int


@dataclass(frozen=True)
class SuggestedCount:
    gtin: str
    dealers: int  # how many dealers have it in their top-k


def count_suggested(model: Recommender, k: int) -> list[SuggestedCount]:
    """For each product in some known dealer's top ``k``, how many dealers have it there;
    most dealers first, then by gtin."""
    tally: Counter[str] = Counter()
    for dealer in model.dealer_index:
        tally.update(s.gtin for s in model.recommend(dealer, k))
    return [SuggestedCount(g, n) for g, n in sorted(tally.items(), key=lambda x: (-x[1], x[0]))]


async def purchases(ctx: PluginContext, brand_id: int) -> tuple[list[Purchase], int]:
    """The brand's sale lines not reversed, as purchases, and the highest line id."""
    out: list[Purchase] = []
    after = top = 0
    async with ctx.db.read() as tx:
        while rows := await tx.fetch(_SALES, brand_id, SALE, after, 50_000):
            after = int(rows[-1]["id"])
            top = max(top, after)
            out.extend(Purchase(int(r["org_id"]), int(r["ref"]),
                                dt.date.fromisoformat(str(r["day"])), str(r["gtin"]),
                                int(r["units"])) for r in rows)  # fmt: skip
        last = await _last_line(tx, brand_id)
    return out, max(last, top)


async def _last_line(tx: Tx, brand_id: int) -> int:
    row = await tx.fetchrow("SELECT MAX(id) AS m FROM analytics_lines WHERE brand_id = ?",
                            brand_id)  # fmt: skip
    return int(row["m"] or 0) if row is not None else 0


class Suggestions:
    """The per-engine suggestion service (see the module)."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx
        self._models: dict[int, Fitted] = ctx.state.setdefault(_STATE, {})
        self._lock = asyncio.Lock()
        # (brand id, k) -> the model they were counted on, the counts
        self._counts: dict[tuple[int, int], tuple[Fitted, list[SuggestedCount]]] = {}

    async def _last_line(self, brand_id: int) -> int:
        async with self.ctx.db.read() as tx:
            return await _last_line(tx, brand_id)

    async def refresh(self, brand_id: int, *, force: bool = False) -> Fitted:
        """The brand's model, refitted when its lines changed or it is too old."""
        found = self._models.get(brand_id)
        fresh = found is not None and time.monotonic() - found.fitted_at < MAX_AGE
        current = await self._last_line(brand_id)
        if found is not None and fresh and not force and found.last_line == current:
            return found
        async with self._lock:
            bought, last = await purchases(self.ctx, brand_id)
            today = dt.datetime.now(dt.UTC).date()
            # the fit is CPU work of seconds on a large brand: off the event loop
            model = await asyncio.to_thread(Recommender.fit, bought, as_of=today)
            fitted = Fitted(model, last, time.monotonic(), len(bought))
            self._models[brand_id] = fitted
            return fitted

    async def for_dealer(self, who: Principal, brand: Brand, org_id: int,
                         k: int = 10) -> list[dict[str, Any]]:  # fmt: skip
        """Up to ``k`` suggestions for the dealer ``org_id`` with names and reasons."""
        self.ctx.require(who, ANALYTICS_SUGGEST, brand_id=brand.id)
        org = await self.ctx.org(org_id)
        if org.brand_id != brand.id:
            raise Forbidden("that organisation is not a dealer of this brand")
        staff = who.role in (Role.PLATFORM_ADMIN, Role.BRAND_ADMIN)
        if not staff and (who.org is None or who.org.id != org_id):
            raise Forbidden("a dealer sees its own suggestions")
        found = await self.suggest(brand, org_id, k)
        names = await product_names(self.ctx, brand, [s.gtin for s in found])
        return [{"gtin": s.gtin, "name": names.get(s.gtin, s.gtin), "score": round(s.score, 6),
                 "reason_en": s.reason_en, "reason_zh": s.reason_zh} for s in found]  # fmt: skip

    async def suggest(self, brand: Brand, org_id: int, k: int = 10) -> list[Suggestion]:
        """The ranking itself, no permission check (the service other plugins call)."""
        model = (await self.refresh(brand.id)).model
        return model.recommend(org_id, k)

    async def counts(self, brand: Brand, k: int = 10) -> list[SuggestedCount]:
        """:func:`count_suggested` on the brand's current model, no permission check
        (the service other plugins call); recounted only when the model was refitted."""
        fitted = await self.refresh(brand.id)
        found = self._counts.get((brand.id, k))
        if found is not None and found[0] is fitted:
            return found[1]
        # one ranking per dealer: CPU work on a large brand, off the event loop
        counted = await asyncio.to_thread(count_suggested, fitted.model, k)
        self._counts[(brand.id, k)] = (fitted, counted)
        return counted

    async def evaluate(self, who: Principal, brand: Brand, k: int = 10) -> EvalReport:
        """Hit-rate@k and MAP@k on the brand's own held-out latest orders, against popularity."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        bought, _ = await purchases(self.ctx, brand.id)
        return await asyncio.to_thread(evaluate, bought, k=k)


def of_engine(ctx: PluginContext) -> Suggestions:
    found = ctx.state.get("suggest.service")
    if not isinstance(found, Suggestions):
        found = Suggestions(ctx)
        ctx.state["suggest.service"] = found
    return found


class SuggestFor:
    """``analytics.suggestions``: ``await svc(brand_id, org_id, k)`` -> suggestions
    (gtin, score, reason_en, reason_zh), no permission check: the caller decides who sees
    them (commerce shows a dealer its own on the catalogue page)."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    async def __call__(self, brand_id: int, org_id: int, k: int = 10) -> list[Suggestion]:
        brand = await self.ctx.brand_by_id(brand_id)
        return await of_engine(self.ctx).suggest(brand, org_id, k)


SUGGESTIONS: ServiceKey[SuggestFor] = ServiceKey("analytics.suggestions")


def provided(ctx: PluginContext) -> Provided[SuggestFor]:
    return Provided(SUGGESTIONS, SuggestFor(ctx))


class CountSuggested:
    """``analytics.suggested_counts``: ``await svc(brand_id, k)`` -> per product, how many
    dealers have it in their top ``k`` (see :func:`count_suggested`), no permission
    check: the caller decides who sees them (commerce: brand staff managing prices)."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    async def __call__(self, brand_id: int, k: int = 10) -> list[SuggestedCount]:
        brand = await self.ctx.brand_by_id(brand_id)
        return await of_engine(self.ctx).counts(brand, k)


SUGGESTED_COUNTS: ServiceKey[CountSuggested] = ServiceKey("analytics.suggested_counts")


def provided_counts(ctx: PluginContext) -> Provided[CountSuggested]:
    return Provided(SUGGESTED_COUNTS, CountSuggested(ctx))


async def refresh_all(ctx: PluginContext) -> None:
    """The periodic task: refit every brand whose lines changed since its last fit."""
    async with ctx.db.read() as tx:
        brands = [int(r["brand_id"]) for r in await tx.fetch(
            "SELECT DISTINCT brand_id FROM analytics_booked")]  # fmt: skip
    svc = of_engine(ctx)
    for brand_id in brands:
        await svc.refresh(brand_id)


def evaluation(report: EvalReport) -> dict[str, Any]:
    """An evaluation as JSON (both methods' figures and their ratios)."""

    def scores(x: Any) -> dict[str, float]:
        return {"hit_rate": x.hit_rate, "map": x.map, "precision": x.precision, "ndcg": x.ndcg}

    return {"k": report.k, "dealers": report.dealers, "train_lines": report.train_lines,
            "recommender": scores(report.recommender), "baseline": scores(report.baseline),
            "ratio": scores(report.ratio), "beats_baseline": report.beats_baseline,
            "fit_seconds": report.fit_seconds,
            "recommend_ms_median": report.recommend_ms_median}  # fmt: skip

"""The one way stock changes: :func:`post` appends a post's movements and updates the
caches in the caller's transaction.

Rules, checked before anything is written (a refusal leaves the transaction as it was,
so the caller's rollback loses nothing else):

- **No negative stock.** A balance's on-hand never goes below zero; with
  ``Rules.check_available`` an outbound never takes a warehouse's *available* quantity
  (sellable less reserved) below zero either: stock promised to an order is not sold
  twice. A post that leaves availability as it was or better is never refused on it
  (an outbound that consumes its own reservation, a release).
- **Concurrency.** The caches' rows are locked in one fixed order (levels, then
  balances, each sorted by key) before they are read, so N concurrent outbounds for the
  last units queue on the locks and together never take more than there is, and two
  posts never deadlock.
- **Back-dating.** ``meta.at`` may lie up to ``Rules.backdate`` in the past; an earlier
  time is refused (``stock_backdated``), and so is a back-dated outbound after which any
  later movement of the balance would find it negative (every later running balance is
  checked, as ERPNext's ``validate_negative_qty_in_future_sle`` does). Reservations are
  never back-dated.
- **Retries.** A ``meta.client_id`` posted before makes the post a replay: the first
  post's movement ids come back and nothing is written.

After the movements are written each listener (:class:`Listener`) runs in the same
transaction with the (warehouse, product) pairs touched: low-stock alerts open and close
with the change that causes them. Last, ``announce`` (if given) is told of the new post
(:class:`Posted`; never of a replay), so an event published there commits with it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from veriseal.extend import Tx
from veriseal_inventory import ledger_store as store
from veriseal_inventory import warehouse_store
from veriseal_inventory.errors import StockBackdated, StockInsufficient, StockInvalid
from veriseal_inventory.models import Meta, MovementKind, Posting

#: called in the post's transaction with (tx, brand id, touched (warehouse, gtin) pairs)
Listener = Callable[[Tx, int, frozenset[tuple[int, str]]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Posted:
    """A new post as written: its id, what it is, its effective time, its merged
    postings and the kind of each posting's location (location id -> kind)."""

    brand_id: int
    post_id: int
    meta: Meta
    at: dt.datetime
    postings: tuple[Posting, ...]
    location_kinds: dict[int, str]


#: called last in a new post's transaction (e.g. to publish it on the event stream)
Announcer = Callable[[Tx, Posted], Awaitable[None]]

#: how far in the past a movement may be dated unless configured
DEFAULT_BACKDATE = dt.timedelta(hours=72)
#: a movement dated less than this before now counts as "now" (clocks of handhelds)
_SLACK = dt.timedelta(minutes=5)
MAX_QUANTITY = 10**12
_RESERVATIONS = frozenset({MovementKind.RESERVE, MovementKind.RELEASE, MovementKind.CONSUME})


@dataclass(frozen=True)
class Rules:
    backdate: dt.timedelta = DEFAULT_BACKDATE
    check_available: bool = True


def merge(postings: Sequence[Posting]) -> list[Posting]:
    """Postings of the same balance added together, in first-seen order; zero postings
    dropped. ``stock_invalid`` for an empty post, a bad GTIN or a huge quantity."""
    out: dict[tuple[int, int, str, str], list[int]] = {}
    for p in postings:
        if not (p.gtin.isdigit() and len(p.gtin) == 14):
            raise StockInvalid(f"{p.gtin!r} is not a 14-digit GTIN", gtin=p.gtin)
        if len(p.lot) > 40 or abs(p.quantity) > MAX_QUANTITY or abs(p.reserved) > MAX_QUANTITY:
            raise StockInvalid("a lot has at most 40 characters and a quantity 12 digits")
        q = out.setdefault(p.key, [0, 0])
        q[0] += p.quantity
        q[1] += p.reserved
    merged = [Posting(*k, quantity=q, reserved=r) for k, (q, r) in out.items() if q or r]
    if not merged:
        raise StockInvalid("a movement changes at least one quantity")
    return merged


async def post(tx: Tx, brand_id: int, postings: Sequence[Posting], meta: Meta, *,
               rules: Rules = Rules(),
               listeners: Sequence[Listener] = (),
               announce: Announcer | None = None) -> list[int]:  # fmt: skip
    """Append ``postings`` as one post (see the module docstring); the movement ids."""
    merged = merge(postings)
    now = dt.datetime.now(dt.UTC)
    at = _effective(meta, now, rules)
    # The post row first: a retry under the same client id waits here for the first
    # post's commit (PostgreSQL's unique check) and then replays it.
    post_id = await store.insert_post(tx, brand_id, meta, at, now)
    if post_id is None:
        assert meta.client_id is not None
        return await store.replayed(tx, brand_id, meta.client_id)
    kinds = await _location_kinds(tx, brand_id, merged)
    levels = await store.lock_levels(tx, brand_id, [(p.warehouse_id, p.gtin) for p in merged])
    balances = await store.lock_balances(tx, brand_id, [p.key for p in merged])
    level_delta = _level_deltas(merged, kinds)
    _check_balances(merged, balances)
    if rules.check_available:
        _check_available(levels, level_delta)
    if at < now - _SLACK:
        await _check_later(tx, merged, balances, at)
    ids = await store.append(tx, brand_id, post_id, meta, at, merged)
    await store.apply(tx, {p.key: (p.quantity, p.reserved) for p in merged}, level_delta)
    touched = frozenset((p.warehouse_id, p.gtin) for p in merged)
    for listener in listeners:
        await listener(tx, brand_id, touched)
    if announce is not None:
        await announce(tx, Posted(brand_id, post_id, meta, at, tuple(merged), kinds))
    return ids


def _effective(meta: Meta, now: dt.datetime, rules: Rules) -> dt.datetime:
    if meta.at is None:
        return now
    at = meta.at if meta.at.tzinfo else meta.at.replace(tzinfo=dt.UTC)
    if at > now + _SLACK:
        raise StockInvalid("a movement cannot be dated in the future", at=at.isoformat())
    if at < now - _SLACK and meta.kind in _RESERVATIONS:
        raise StockBackdated("reservations are never back-dated", at=at.isoformat())
    if at < now - rules.backdate:
        hours = int(rules.backdate.total_seconds() // 3600)
        raise StockBackdated(
            f"a movement may be dated at most {hours} h back / 出入库最多可追溯 {hours} 小时",
            at=at.isoformat(), window_hours=hours,
        )  # fmt: skip
    return at


async def _location_kinds(tx: Tx, brand_id: int, postings: Sequence[Posting]) -> dict[int, str]:
    """Each posting's location kind; ``stock_invalid`` when a location is not in the
    posting's warehouse or the warehouse is another brand's."""
    ids = sorted({p.location_id for p in postings})
    found = await warehouse_store.locations_by_id(tx, ids)
    warehouses = {p.warehouse_id for p in postings}
    for wid in warehouses:
        w = await warehouse_store.get(tx, wid)
        if w is None or w.brand_id != brand_id:
            raise StockInvalid(f"no warehouse {wid} in this brand", warehouse=wid)
    for p in postings:
        loc = found.get(p.location_id)
        if loc is None or loc.warehouse_id != p.warehouse_id:
            raise StockInvalid(f"location {p.location_id} is not in warehouse {p.warehouse_id}",
                               location=p.location_id)  # fmt: skip
    return {i: str(loc.kind) for i, loc in found.items()}


def _level_deltas(postings: Sequence[Posting], kinds: dict[int, str]
                  ) -> dict[tuple[int, str], dict[str, int]]:  # fmt: skip
    out: dict[tuple[int, str], dict[str, int]] = {}
    for p in postings:
        d = out.setdefault((p.warehouse_id, p.gtin), dict.fromkeys(
            ("sellable", "reserved", "quarantine", "rejected"), 0))  # fmt: skip
        d[store.LEVEL_COLUMN[kinds[p.location_id]]] += p.quantity
        d["reserved"] += p.reserved
    return out


def _check_balances(postings: Sequence[Posting],
                    balances: dict[store.BalanceKey, tuple[int, int]]) -> None:  # fmt: skip
    for p in postings:
        on_hand, reserved = balances[p.key]
        if on_hand + p.quantity < 0:
            raise StockInsufficient(
                f"only {on_hand} of {p.gtin} lot {p.lot or '-'} at location {p.location_id}"
                f" of warehouse {p.warehouse_id}, {-p.quantity} asked"
                f" / 库存不足：现有 {on_hand}，需要 {-p.quantity}",
                gtin=p.gtin, lot=p.lot, warehouse=p.warehouse_id, location=p.location_id,
                have=on_hand, need=-p.quantity,
            )  # fmt: skip
        if reserved + p.reserved < 0:
            raise StockInsufficient(
                f"only {reserved} of {p.gtin} reserved, {-p.reserved} to release",
                gtin=p.gtin, warehouse=p.warehouse_id, have=reserved, need=-p.reserved,
            )  # fmt: skip


def _check_available(levels: dict[tuple[int, str], object],
                     deltas: dict[tuple[int, str], dict[str, int]]) -> None:  # fmt: skip
    for key, d in deltas.items():
        row = levels[key]
        assert row is not None
        sellable, reserved = int(row["sellable"]), int(row["reserved"])  # type: ignore[index]
        before = sellable - reserved
        after = before + d["sellable"] - d["reserved"]
        if after < 0 and after < before:
            raise StockInsufficient(
                f"only {max(0, before)} of {key[1]} available in warehouse {key[0]}"
                f" ({sellable} in stock, {reserved} reserved)"
                f" / 可用库存不足：可用 {max(0, before)}（在库 {sellable}，已预留 {reserved}）",
                gtin=key[1], warehouse=key[0], have=max(0, before),
                need=before - after, in_stock=sellable, reserved=reserved,
            )  # fmt: skip


async def _check_later(tx: Tx, postings: Sequence[Posting],
                       balances: dict[store.BalanceKey, tuple[int, int]],
                       at: dt.datetime) -> None:  # fmt: skip
    """A back-dated outbound must leave every later running balance non-negative."""
    for p in postings:
        if p.quantity >= 0:
            continue
        later = await store.later_changes(tx, p.key, at)
        running = balances[p.key][0] - sum(later)  # the balance at ``at``
        lowest = running
        for change in later:
            running += change
            lowest = min(lowest, running)
        if lowest + p.quantity < 0:
            raise StockBackdated(
                f"dated {at.isoformat()}, taking {-p.quantity} of {p.gtin} would leave"
                f" {lowest + p.quantity} after a later movement"
                f" / 倒填日期会使之后的库存为负",
                gtin=p.gtin, lot=p.lot, warehouse=p.warehouse_id, at=at.isoformat(),
                lowest=lowest + p.quantity,
            )  # fmt: skip

"""The packaging hierarchy: items in cases, cases in pallets (EPCIS aggregation).

A *parent* is a logistic unit named by its SSCC. Its children are ranges of consecutive
item indexes of batches, and other logistic units (cases on a pallet). Packing appends
an ``AggregationEvent`` (action ADD, bizStep ``packing``); unpacking appends one with
action DELETE (bizStep ``unpacking``): history is never rewritten.

What is inside what *now* is derived state kept in ``packed_ranges`` / ``packed_units``,
written in the same transaction as the event it follows from (as ``batches.status``
follows ``batch_events``). Invariants, checked before anything is written:

- an item or a unit is in at most one parent at a time (``already_packed``);
- a parent is never inside itself, directly or through its children (``pack_cycle``);
- a decommissioned item cannot be packed (``item_decommissioned``);
- an item of a batch that requires activation cannot be packed before it is activated
  (``item_not_activated``: a label that never went live must not leave the line inside
  a case, where no one scans it again until a consumer does);
- unpacking names only children the parent holds (``not_packed``).

A refused request changes nothing. Packing a million items in cases of 24 writes one
event, one event range and one containment range per case (see
benchmarks/bench_aggregation.py), never a row per item.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from veriseal.errors import InvalidInput
from veriseal.i18n import register
from veriseal.ledger.base import Ledger, Tx
from veriseal.lifecycle import store
from veriseal.lifecycle.activation import load_lifecycle, lock_brand
from veriseal.lifecycle.errors import (
    AlreadyPacked,
    ItemDecommissioned,
    ItemNotActivated,
    NotPacked,
    PackCycle,
    PackEmpty,
)
from veriseal.lifecycle.events import (
    Action,
    BatchRange,
    BizStep,
    Disposition,
    EventStore,
    EventType,
    NewEvent,
    UnitState,
    Where,
)
from veriseal.lifecycle.index_ranges import (
    IndexRange,
    first_overlap,
    intersect,
    normalise,
    subtract,
)
from veriseal.lifecycle.logistic_units import is_valid_sscc
from veriseal.models import Batch, Brand

#: How many offending ranges an ``item_not_activated`` error lists.
REPORTED_RANGES = 5


register(
    {
        "cli.packed": (
            "{parent}: packed {items} items and {units} units (event {event})",
            "{parent}：已装入 {items} 个单品、{units} 个物流单元（事件 {event}）",
        ),
        "cli.unpacked": (
            "{parent}: unpacked {items} items and {units} units (event {event})",
            "{parent}：已拆出 {items} 个单品、{units} 个物流单元（事件 {event}）",
        ),
    }
)


@dataclass(frozen=True, slots=True)
class Children:
    """Items (ranges of batches) and logistic units (SSCCs)."""

    ranges: tuple[BatchRange, ...] = ()
    units: tuple[str, ...] = ()

    @property
    def items(self) -> int:
        return sum(r.count for r in self.ranges)

    def by_batch(self) -> dict[int, list[IndexRange]]:
        out: dict[int, list[IndexRange]] = {}
        for r in self.ranges:
            out.setdefault(r.batch_id, []).append(r.range)
        return out

    def __bool__(self) -> bool:
        return bool(self.ranges or self.units)


@dataclass(frozen=True, slots=True)
class PackRequest:
    parent: str  # 18-digit SSCC
    children: Children = field(default_factory=Children)


@dataclass(frozen=True, slots=True)
class PackResult:
    parent: str
    event_id: int
    items: int
    units: int


def _normal_children(children: Children) -> Children:
    ranges = [
        BatchRange(batch_id, r.first, r.last)
        for batch_id, spans in sorted(children.by_batch().items())
        for r in normalise(spans)
    ]
    return Children(tuple(ranges), tuple(dict.fromkeys(children.units)))


def _check_activated(
    batch_id: int, spans: Sequence[IndexRange], active: Sequence[IndexRange]
) -> None:
    """``ItemNotActivated`` unless every item of ``spans`` is in ``active``."""
    missing = subtract(spans, active)
    if missing:
        shown = [str(r) for r in missing[:REPORTED_RANGES]]
        more = "" if len(missing) <= REPORTED_RANGES else ", ..."
        raise ItemNotActivated(
            f"batch {batch_id} requires activation: items {', '.join(shown)}{more}"
            " are not activated",
            batch_id=batch_id,
            items=shown,
            count=sum(r.count for r in missing),
        )


def _check_parent(req: PackRequest, parents: set[str]) -> None:
    """The parent is a valid SSCC, new to this request (added to ``parents``), and
    something is packed into it."""
    if not is_valid_sscc(req.parent):
        raise InvalidInput(f"parent {req.parent!r} is not a valid SSCC")
    if req.parent in parents:
        raise AlreadyPacked(f"parent {req.parent} appears twice in one request")
    parents.add(req.parent)
    if not req.children:
        raise PackEmpty(f"nothing to pack into {req.parent}")


def _check_units(req: PackRequest, claimed: dict[str, str]) -> None:
    """Every child unit is a valid SSCC, not the parent itself, and not named for
    another parent of the request (``claimed``: unit -> parent, updated)."""
    for unit in req.children.units:
        if not is_valid_sscc(unit):
            raise InvalidInput(f"child {unit!r} is not a valid SSCC")
        if unit == req.parent:
            raise PackCycle(f"{unit} cannot be packed into itself", sscc=unit)
        if unit in claimed:
            raise AlreadyPacked(
                f"unit {unit} is named for {claimed[unit]} and {req.parent}", child=unit
            )
        claimed[unit] = req.parent


class AggregationService:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    async def _batches(self, brand: Brand, ids: set[int]) -> dict[int, Batch]:
        out = {}
        for batch_id in sorted(ids):
            batch = await self._ledger.get_batch(batch_id)
            if batch.brand_id != brand.id:
                raise InvalidInput(f"batch {batch_id} is not a batch of {brand.slug}")
            out[batch_id] = batch
        return out

    def _check_request(self, requests: Sequence[PackRequest]) -> None:
        """Checks that need no ledger: SSCCs, emptiness, double claims in the request."""
        claimed_units: dict[str, str] = {}
        spans: dict[int, list[IndexRange]] = {}
        parents: set[str] = set()
        for req in requests:
            _check_parent(req, parents)
            _check_units(req, claimed_units)
            for r in req.children.ranges:
                spans.setdefault(r.batch_id, []).append(r.range)
        for batch_id, named in spans.items():
            clash = first_overlap(named)
            if clash is not None:
                raise AlreadyPacked(
                    f"batch {batch_id}: items {clash[0]} and {clash[1]} overlap in one request",
                    batch_id=batch_id,
                )

    async def pack(
        self, brand: Brand, request: PackRequest, where: Where, at: dt.datetime | None = None
    ) -> PackResult:
        """Record that ``request.children`` are inside ``request.parent``."""
        return (await self.pack_many(brand, [request], where, at))[0]

    async def pack_many(
        self,
        brand: Brand,
        requests: Sequence[PackRequest],
        where: Where,
        at: dt.datetime | None = None,
    ) -> list[PackResult]:
        """Pack several parents in ONE transaction (a line's cases of a shift): one
        event per parent, all or nothing. Raises the coded errors of the module
        docstring; a refused request changes nothing."""
        requests = [PackRequest(r.parent, _normal_children(r.children)) for r in requests]
        self._check_request(requests)
        batch_ids = {r.batch_id for req in requests for r in req.children.ranges}
        batches = await self._batches(brand, batch_ids)
        for req in requests:
            for r in req.children.ranges:
                if r.last >= batches[r.batch_id].size:
                    raise InvalidInput(
                        f"items {r.first}-{r.last} are outside batch {r.batch_id}"
                        f" (0..{batches[r.batch_id].size - 1})"
                    )
        when = at or dt.datetime.now(dt.UTC)
        async with self._ledger.write() as tx:
            await lock_brand(tx, brand.id)
            await self._check_ranges_free(tx, brand, requests, batches)
            await self._check_units_free(tx, brand, requests)
            events = [
                NewEvent(
                    brand_id=brand.id,
                    event_type=EventType.AGGREGATION,
                    action=Action.ADD,
                    biz_step=BizStep.PACKING,
                    disposition=Disposition.IN_PROGRESS,
                    event_time=when,
                    where=where,
                    parent=req.parent,
                    ranges=req.children.ranges,
                    units=req.children.units,
                )
                for req in requests
            ]
            ids = await EventStore.append_many(tx, events)
            packed = list(zip(requests, ids, strict=True))
            await store.insert_packed_ranges(
                tx,
                brand.id,
                [
                    (r, req.parent, event_id)
                    for req, event_id in packed
                    for r in req.children.ranges
                ],
            )
            await store.insert_packed_units(
                tx,
                brand.id,
                [(u, req.parent, event_id) for req, event_id in packed for u in req.children.units],
            )
        return [
            PackResult(req.parent, event_id, req.children.items, len(req.children.units))
            for req, event_id in zip(requests, ids, strict=True)
        ]

    @staticmethod
    async def _check_ranges_free(
        tx: Tx, brand: Brand, requests: Sequence[PackRequest], batches: dict[int, Batch]
    ) -> None:
        wanted: dict[int, list[IndexRange]] = {}
        for req in requests:
            for batch_id, spans in req.children.by_batch().items():
                wanted.setdefault(batch_id, []).extend(spans)
        for batch_id, named in sorted(wanted.items()):
            spans = normalise(named)
            lo, hi = spans[0].first, spans[-1].last
            # the lowest clash is reported first: packed_near lists in index order
            for held, parent in await store.packed_near(tx, batch_id, lo, hi):
                both = intersect([held], spans)
                if both:
                    raise AlreadyPacked(
                        f"batch {batch_id}: items {both[0]} are already in {parent}",
                        batch_id=batch_id,
                        items=str(both[0]),
                        parent=parent,
                    )
            life = await load_lifecycle(tx, batches[batch_id])
            void = intersect(life.states.ranges_with(UnitState.DECOMMISSIONED), spans)
            if void:
                raise ItemDecommissioned(
                    f"batch {batch_id}: items {void[0]} are decommissioned",
                    batch_id=batch_id,
                    items=str(void[0]),
                )
            if life.requires_activation:
                _check_activated(batch_id, spans, life.states.ranges_with(UnitState.ACTIVE))
        del brand  # ranges are keyed by batch, which is already the brand's

    async def _check_units_free(
        self, tx: Tx, brand: Brand, requests: Sequence[PackRequest]
    ) -> None:
        units = [u for req in requests for u in req.children.units]
        found = await store.first_packed_unit(tx, brand.id, units)
        if found is not None:
            child, parent = found
            raise AlreadyPacked(f"unit {child} is already in {parent}", child=child, parent=parent)
        # no cycles: a child unit must not be the parent or one of the parent's ancestors
        new_parent = {u: req.parent for req in requests for u in req.children.units}
        for req in requests:
            if not req.children.units:
                continue
            seen = {req.parent}
            node: str | None = req.parent
            while node is not None:
                node = new_parent.get(node) or await store.parent_of_unit(tx, brand.id, node)
                if node is None:
                    break
                if node in req.children.units or node in seen:
                    raise PackCycle(
                        f"{req.parent} is inside {node}: {node} cannot go inside it",
                        sscc=node,
                    )
                seen.add(node)

    async def unpack(
        self,
        brand: Brand,
        parent: str,
        where: Where,
        children: Children | None = None,
        at: dt.datetime | None = None,
    ) -> PackResult:
        """Take ``children`` (default: everything) out of ``parent``: one
        ``AggregationEvent`` DELETE naming exactly what was removed. ``not_packed`` if
        the parent does not hold every child named, or holds nothing."""
        if not is_valid_sscc(parent):
            raise InvalidInput(f"parent {parent!r} is not a valid SSCC")
        asked = None if children is None else _normal_children(children)
        async with self._ledger.write() as tx:
            await lock_brand(tx, brand.id)
            held = await self._direct(tx, brand.id, parent)
            take = held if asked is None else asked
            if not take:
                raise NotPacked(f"{parent} holds nothing", parent=parent)
            held_by_batch = held.by_batch()
            for batch_id, spans in take.by_batch().items():
                missing = subtract(spans, held_by_batch.get(batch_id, []))
                if missing:
                    raise NotPacked(
                        f"batch {batch_id}: items {missing[0]} are not in {parent}",
                        batch_id=batch_id,
                        items=str(missing[0]),
                    )
            absent = [u for u in take.units if u not in held.units]
            if absent:
                raise NotPacked(f"unit {absent[0]} is not in {parent}", child=absent[0])
            event = NewEvent(
                brand_id=brand.id,
                event_type=EventType.AGGREGATION,
                action=Action.DELETE,
                biz_step=BizStep.UNPACKING,
                disposition=None,
                event_time=at or dt.datetime.now(dt.UTC),
                where=where,
                parent=parent,
                ranges=take.ranges,
                units=take.units,
            )
            event_id = await EventStore.append(tx, event)
            await self._remove(tx, brand.id, parent, held, take, event_id)
        return PackResult(parent, event_id, take.items, len(take.units))

    @staticmethod
    async def _remove(
        tx: Tx, brand_id: int, parent: str, held: Children, take: Children, event_id: int
    ) -> None:
        """Rewrite the parent's containment rows: what it held minus what was taken."""
        take_by_batch = take.by_batch()
        for batch_id, spans in held.by_batch().items():
            if batch_id not in take_by_batch:
                continue
            await store.delete_packed_ranges(tx, brand_id, parent, batch_id)
            rest = subtract(spans, take_by_batch[batch_id])
            await store.insert_packed_ranges(
                tx,
                brand_id,
                [(BatchRange(batch_id, r.first, r.last), parent, event_id) for r in rest],
            )
        await store.delete_packed_units(tx, brand_id, take.units)

    @staticmethod
    async def _direct(tx: Tx, brand_id: int, parent: str) -> Children:
        ranges, units = await store.contents(tx, brand_id, parent)
        return Children(ranges, units)

    async def contents(self, brand: Brand, parent: str, *, deep: bool = False) -> Children:
        """What ``parent`` holds now; with ``deep``, also everything inside its units
        (a pallet's items through its cases): what one scan of the pallet ships."""
        async with self._ledger.read() as tx:
            direct = await self._direct(tx, brand.id, parent)
            if not deep:
                return direct
            ranges = list(direct.ranges)
            units = list(direct.units)
            todo = list(direct.units)
            seen = {parent}
            while todo:
                unit = todo.pop()
                if unit in seen:
                    continue
                seen.add(unit)
                inner = await self._direct(tx, brand.id, unit)
                ranges.extend(inner.ranges)
                units.extend(inner.units)
                todo.extend(inner.units)
        return Children(tuple(ranges), tuple(units))

    async def parent_of_item(self, batch: Batch, index: int) -> str | None:
        """The SSCC of the unit holding item ``index`` of ``batch`` now, if any."""
        async with self._ledger.read() as tx:
            return await store.parent_of_item(tx, batch.id, index)

    async def parent_of_unit(self, brand: Brand, sscc: str) -> str | None:
        async with self._ledger.read() as tx:
            return await store.parent_of_unit(tx, brand.id, sscc)

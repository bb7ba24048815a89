"""Activation and decommissioning of printed codes, and the per-code state the verifier
checks on its hot path.

A batch whose codes *require activation* is not live when minted: the line activates the
labels it actually applied (``commissioning``), and a scan of a printed but not
activated label (a stolen roll) gets its own verdict. Spoiled or destroyed labels are
decommissioned (``decommissioning``), whatever the batch's rule; a decommissioned code
never verifies as genuine again.

Whether a batch requires activation (table ``activation_rules``, appended, newest wins):
the batch's own rule if it has one; else the brand-wide rule in force when the batch was
created; else NO. So batches made before activation existed, and the demo, keep
verifying right after ``batch create`` (backward compatible), and a brand turns the
requirement on for its future batches with one command.

State per index is derived from the ``event_ranges`` of state-changing events in id
order (last fact wins, decommission is final): no row per code. :class:`CodeStates`
compiles a batch's ranges into a :class:`~veriseal.lifecycle.index_ranges.RangeMap` and caches it
(see its docstring for freshness).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from veriseal.cache import LruDict, SingleFlight
from veriseal.errors import InvalidInput
from veriseal.i18n import register
from veriseal.lifecycle import store
from veriseal.lifecycle.errors import RangeInvalid, ReasonRequired
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
from veriseal.lifecycle.index_ranges import IndexRange, RangeMap, normalise, subtract
from veriseal.models import Batch, Brand, CodeStatus

if TYPE_CHECKING:
    # annotations only: importing the ledger interface loads its database layer,
    # which the offline ``veriseal verify`` does without (issue 20)
    from veriseal.ledger.base import Ledger, Tx

register(
    {
        "cli.activated": (
            "Batch {batch}: {n} codes activated ({already} already active,"
            " {void} decommissioned and left so)",
            "批次 {batch}：已激活 {n} 个码（{already} 个此前已激活，{void} 个已作废未激活）",
        ),
        "cli.decommissioned": (
            "Batch {batch}: {n} codes decommissioned ({already} were already)",
            "批次 {batch}：已作废 {n} 个码（{already} 个此前已作废）",
        ),
        "cli.activation_rule": (
            "Activation required for {scope}: {required}",
            "{scope} 需要激活：{required}",
        ),
    }
)


@dataclass(frozen=True, slots=True)
class BatchLifecycle:
    """A batch's activation rule and per-index states, compiled for lookups."""

    requires_activation: bool
    states: RangeMap[UnitState]

    def status(self, index: int) -> CodeStatus:
        state = self.states.get(index)
        if state is UnitState.DECOMMISSIONED:
            return CodeStatus.DECOMMISSIONED
        if state is UnitState.ACTIVE or not self.requires_activation:
            return CodeStatus.LIVE
        return CodeStatus.NOT_ACTIVATED


@dataclass(frozen=True, slots=True)
class StateChange:
    """The outcome of an activation or decommission request."""

    batch_id: int
    event_id: int | None  # None: nothing changed, so no event was recorded
    changed: int  # codes whose state changed
    already: int  # codes already in the requested state
    skipped: int  # decommissioned codes an activation left alone


#: Advisory lock namespace of lifecycle writes ("Vlfc"), keyed by brand id.
_LIFECYCLE_LOCK = 1450993251


async def lock_brand(tx: Tx, brand_id: int) -> None:
    """Serialise the lifecycle writes of one brand until ``tx`` ends."""
    await tx.advisory_lock((_LIFECYCLE_LOCK, brand_id))


async def load_lifecycle(tx: Tx, batch: Batch) -> BatchLifecycle:
    """Read a batch's rule and state ranges (two indexed queries)."""
    required = await store.activation_required(tx, batch.brand_id, batch.id, batch.created_at)
    states: RangeMap[UnitState] = RangeMap()
    for span, state in await store.state_ranges(tx, batch.id):
        void = [seg for seg, v in states.overlapping(span) if v is UnitState.DECOMMISSIONED]
        if state is UnitState.ACTIVE and void:
            # decommission is final: an activation never overrides it (services never
            # write such a range; this keeps the derivation honest if one ever exists)
            for piece in subtract([span], void):
                states.assign(piece, state)
        else:
            states.assign(span, state)
    return BatchLifecycle(required, states)


def check_ranges(batch: Batch, ranges: Sequence[IndexRange]) -> list[IndexRange]:
    """Normalised ``ranges``, each inside the batch. ``RangeInvalid`` otherwise."""
    if not ranges:
        raise RangeInvalid("no indexes given")
    for r in ranges:
        if r.first < 0 or r.last < r.first or r.last >= batch.size:
            raise RangeInvalid(
                f"range {r} is outside batch {batch.id} (indexes 0..{batch.size - 1})"
            )
    return normalise(ranges)


class CodeStates:
    """Per-batch :class:`BatchLifecycle` cache for the verifier.

    Freshness: an entry lives ``ttl`` seconds, and every write through THIS process's
    :class:`ActivationService` drops its batch's entry at once. A *negative* answer
    (not activated, decommissioned) is re-read from the ledger before it is given when
    the entry is older than ``recheck`` seconds, so a label activated by another process
    (a line controller on another worker) verifies at once; only a decommission made by
    another process may take up to ``ttl`` to be seen. At most ``max_entries`` batches
    are held (least recently used forgotten first).

    Reads are single-flight per batch (:class:`~veriseal.cache.SingleFlight`): the
    requests in flight when an entry expires share one read. Each had made its own (24
    reads of three statements per expiry at 32 requests in flight, measured). A read
    under way when this process writes is neither kept nor shared with later callers.
    """

    def __init__(
        self,
        ledger: Ledger,
        ttl: float = 2.0,
        recheck: float = 0.05,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ledger = ledger
        self.ttl = ttl
        self.recheck = recheck
        self._clock = clock
        self._data: LruDict[int, tuple[float, BatchLifecycle]] = LruDict(max_entries)
        self._flights: SingleFlight[int, BatchLifecycle] = SingleFlight()
        self._writes = 0  # invalidations so far: a read begun before one is not kept
        self.loads = 0

    async def _load(self, batch: Batch) -> BatchLifecycle:
        return await self._flights.run(batch.id, lambda: self._read(batch))

    async def _read(self, batch: Batch) -> BatchLifecycle:
        self.loads += 1
        writes = self._writes
        async with self._ledger.read() as tx:
            life = await load_lifecycle(tx, batch)
        if writes == self._writes:
            self._data[batch.id] = (self._clock(), life)
        return life

    async def status(self, batch: Batch, index: int) -> CodeStatus:
        """The state of code ``index`` of ``batch`` (the verifier's hot path)."""
        now = self._clock()
        entry = self._data.get(batch.id)
        if entry is None or now - entry[0] >= self.ttl:
            return (await self._load(batch)).status(index)
        status = entry[1].status(index)
        if status is not CodeStatus.LIVE and now - entry[0] >= self.recheck:
            status = (await self._load(batch)).status(index)
        return status

    def invalidate(self, batch_id: int | None = None) -> None:
        self._writes += 1
        self._flights.forget(batch_id)
        if batch_id is None:
            self._data.clear()
        else:
            self._data.pop(batch_id, None)


class ActivationService:
    def __init__(self, ledger: Ledger, states: CodeStates | None = None) -> None:
        self._ledger = ledger
        self.states = states or CodeStates(ledger)

    async def lifecycle(self, batch: Batch) -> BatchLifecycle:
        async with self._ledger.read() as tx:
            return await load_lifecycle(tx, batch)

    async def set_required(self, brand: Brand, batch: Batch | None, required: bool) -> None:
        """Record whether ``batch`` (or, with ``None``, every batch the brand creates
        from now on) requires activation. Appended; the newest rule wins."""
        async with self._ledger.write() as tx:
            await store.append_activation_rule(
                tx, brand.id, None if batch is None else batch.id, required, dt.datetime.now(dt.UTC)
            )
        self.states.invalidate(None if batch is None else batch.id)

    async def activate(
        self,
        batch: Batch,
        ranges: Sequence[IndexRange],
        where: Where,
        at: dt.datetime | None = None,
    ) -> StateChange:
        """Commission ``ranges`` of ``batch``: record one ``commissioning`` event
        (disposition ``active``) naming only the codes that were not active yet.
        Decommissioned codes stay decommissioned (counted as ``skipped``). Idempotent:
        activating active codes again records nothing. ``RangeInvalid`` for a range
        outside the batch."""
        wanted = check_ranges(batch, ranges)
        return await self._change(batch, wanted, UnitState.ACTIVE, where, at, None, False)

    async def decommission(
        self,
        batch: Batch,
        ranges: Sequence[IndexRange],
        reason: str,
        where: Where,
        *,
        destroyed: bool = False,
        at: dt.datetime | None = None,
    ) -> StateChange:
        """Void ``ranges`` of ``batch`` for ``reason`` (required): one
        ``decommissioning`` event, disposition ``destroyed`` if the labels were
        physically destroyed, else ``inactive``. Final: such codes never verify again."""
        reason = reason.strip()
        if not reason:
            raise ReasonRequired("say why the labels are decommissioned (--reason)")
        if len(reason) > 500:
            raise InvalidInput("the reason is limited to 500 characters")
        wanted = check_ranges(batch, ranges)
        return await self._change(
            batch, wanted, UnitState.DECOMMISSIONED, where, at, reason, destroyed
        )

    async def _change(
        self,
        batch: Batch,
        wanted: list[IndexRange],
        target: UnitState,
        where: Where,
        at: dt.datetime | None,
        reason: str | None,
        destroyed: bool,
    ) -> StateChange:
        requested = sum(r.count for r in wanted)
        async with self._ledger.write() as tx:
            await lock_brand(tx, batch.brand_id)
            life = await load_lifecycle(tx, batch)
            void = life.states.ranges_with(UnitState.DECOMMISSIONED)
            if target is UnitState.ACTIVE:
                live = subtract(wanted, void)
                new = subtract(live, life.states.ranges_with(UnitState.ACTIVE))
                skipped = requested - sum(r.count for r in live)
                step, disposition = BizStep.COMMISSIONING, Disposition.ACTIVE
            else:
                new = subtract(wanted, void)
                skipped = 0
                step = BizStep.DECOMMISSIONING
                disposition = Disposition.DESTROYED if destroyed else Disposition.INACTIVE
            changed = sum(r.count for r in new)
            event_id = None
            if new:
                event = NewEvent(
                    brand_id=batch.brand_id,
                    event_type=EventType.OBJECT,
                    action=Action.ADD if target is UnitState.ACTIVE else Action.DELETE,
                    biz_step=step,
                    disposition=disposition,
                    event_time=at or dt.datetime.now(dt.UTC),
                    where=where,
                    reason=reason,
                    ranges=tuple(BatchRange(batch.id, r.first, r.last) for r in new),
                )
                event_id = await EventStore.append(tx, event, target)
        self.states.invalidate(batch.id)
        return StateChange(batch.id, event_id, changed, requested - changed - skipped, skipped)

    async def counts(self, batch: Batch) -> dict[str, int]:
        """How many codes of the batch are active, decommissioned, and neither."""
        life = await self.lifecycle(batch)
        active = sum(r.count for r in life.states.ranges_with(UnitState.ACTIVE))
        void = sum(r.count for r in life.states.ranges_with(UnitState.DECOMMISSIONED))
        return {
            "size": batch.size,
            "requires_activation": int(life.requires_activation),
            "active": active,
            "decommissioned": void,
            "not_activated": batch.size - active - void,
        }

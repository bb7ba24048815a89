"""Delivering the event stream to its consumers: in order, at least once.

For each consumer, one delivery (:meth:`StreamWorker.deliver`) reads the committed
cursor and the next batch of wanted events (after the cursor, up to the head seen first;
from the stretch of the stream the worker holds for all its consumers,
:mod:`veriseal.extend.stream.window`), runs the consumer's ``prepare`` outside any
transaction, then opens a write transaction, locks the cursor (a second worker of the
same consumer waits there and then finds the cursor moved: it delivers nothing), calls
``handle`` and moves the cursor past the batch, all in that one transaction. A crash
anywhere before the commit leaves effects and cursor as they were: the batch is
delivered again.

Failures: a failing batch of several events is delivered again one event at a time,
so the event at fault is found; a failing single event is retried with exponential
backoff (:class:`WorkerOptions`) and parked after ``max_tries`` failures (recorded in
``stream_parked``, the cursor moved past it) so the consumer goes on. Each consumer has
its own loop: one failing or slow consumer never holds the others back. Try counts
live in memory: a restarted worker counts afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from veriseal.extend.stream.consumer import Batch, Consumer, ConsumerInvalid
from veriseal.extend.stream.window import StreamWindow
from veriseal.ledger import stream_store
from veriseal.ledger.base import Ledger
from veriseal.ledger.stream_store import StreamEvent

log = logging.getLogger("veriseal.stream")


@dataclass(frozen=True)
class WorkerOptions:
    """``max_tries``: failures of one event before it is parked; the n-th retry waits
    ``min(backoff_max, backoff_base * 2 ** (n - 1))`` seconds; a consumer that reached
    the head looks for new events every ``poll`` seconds.

    A delivery that reached the head, even with events, also waits ``poll`` before the
    next: under a steady flow of scans, delivering again at once made every consumer
    commit a transaction for the two or three events that arrived meanwhile (and one
    to move its cursor past events it does not want), on the same single SQLite writer
    the scans are committed by. Waiting lets a batch fill up: a reaction comes at most
    ``poll`` seconds after its event. Only a full batch (more is waiting) goes on at once.

    ``settle``: in its loop (:meth:`StreamWorker.run`), a consumer passes events it does
    not want in memory and writes its cursor past them at most every ``settle`` seconds
    (or with its next batch). A cursor write is a write transaction with its fsync: ten
    consumers that want no scans, each moving its cursor past them five times a second,
    held SQLite's one write lock for 4-5 ms a time, a fifth of every second, and a
    group of scans waited behind them. Nothing is lost by a crash meanwhile: those
    positions are read again, and hold nothing the consumer wants.
    :meth:`StreamWorker.drain` writes at once."""

    max_tries: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    poll: float = 0.2
    settle: float = 5.0

    def backoff(self, tries: int) -> float:
        return float(min(self.backoff_max, self.backoff_base * 2 ** max(0, tries - 1)))


@dataclass
class _State:
    """One consumer's retry state: deliver singly up to ``single_until``; ``tries``
    failures of the event at ``failing``. ``passed``: the position up to which the
    stream was read and held nothing wanted, its cursor not written yet (since
    ``passed_at``, monotonic seconds), valid while the written cursor is still
    ``passed_from`` (a cursor set back, to replay, or moved by another worker, drops it)."""

    single_until: int = 0
    failing: int = 0
    tries: int = 0
    passed: int = 0
    passed_from: int = -1
    passed_at: float = 0.0


@dataclass(frozen=True)
class Delivery:
    """What one delivery did: events handled, positions the cursor moved past, the
    seconds to wait before the next try (after a failure), whether to try again at
    once (a failed batch is split up, or the batch was full: more is waiting), and the
    positions parked."""

    handled: int = 0
    moved: int = 0
    wait: float = 0.0
    again: bool = False
    parked: tuple[int, ...] = field(default_factory=tuple)

    @property
    def idle(self) -> bool:
        """Nothing delivered and nothing to retry: the consumer has caught up."""
        return not (self.handled or self.moved or self.wait or self.again)


class _Failed(Exception):
    def __init__(self, events: Sequence[StreamEvent], cause: BaseException) -> None:
        super().__init__(str(cause))
        self.events = events
        self.cause = cause


class StreamWorker:
    """Delivers the stream to ``consumers``; each consumer's ``prepare`` and ``handle``
    get ``contexts[consumer.name]`` as ``ctx`` (None when absent)."""

    def __init__(
        self,
        ledger: Ledger,
        consumers: Sequence[Consumer],
        contexts: Mapping[str, Any] | None = None,
        options: WorkerOptions | None = None,
    ) -> None:
        self.ledger = ledger
        self.consumers = {c.name: c for c in consumers}
        self.contexts = dict(contexts or {})
        self.options = options or WorkerOptions()
        self._state = {c.name: _State() for c in consumers}
        #: the newest events, read once for all these consumers (stream.window)
        self._window = StreamWindow()

    # -- one delivery ----------------------------------------------------------------------
    async def deliver(self, consumer: Consumer, *, settle: bool = True) -> Delivery:
        """Deliver the consumer's next batch (see the module docstring); never raises for
        a handler's failure: it is counted, and parked after ``max_tries``. ``settle``
        False: positions holding nothing wanted are passed in memory, their cursor
        written once ``options.settle`` seconds old (see :class:`WorkerOptions`)."""
        state = self._state[consumer.name]
        try:
            handled, moved, more = await self._step(consumer, state, settle)
        except _Failed as failed:
            return await self._failed(consumer, state, failed)
        if state.failing and moved:
            state.failing = state.tries = 0
        return Delivery(handled, moved, again=more)

    def context(self, consumer: Consumer) -> Any:
        """The ``ctx`` the consumer's functions get."""
        return self.contexts.get(consumer.name)

    async def _step(self, consumer: Consumer, state: _State, settle: bool) -> tuple[int, int, bool]:
        """(events handled, positions moved, whether more is waiting: the batch was
        full, or it ended before the head, where a read of the shared window was cut
        short or the window begins)."""
        ctx = self.context(consumer)
        async with self.ledger.read() as tx:
            after, newest = await stream_store.cursor_and_head(tx, consumer.name)
            # positions up to ``passed`` were read and held nothing wanted (events are
            # never inserted below the head: positions follow commit order)
            start = state.passed if after == state.passed_from else after
            top = max(newest, start)  # head(tx, start): newest, as passed <= a head seen
            limit = 1 if start < state.single_until else consumer.batch_size
            events, seen = (
                await self._window.read(tx, start, top, consumer.kinds, limit)
                if top > start
                else ([], top)
            )
        full = len(events) == limit
        upto = events[-1].position if full else seen
        more = full or seen < top  # stopped short of the head (stream.window): go on
        if upto <= after:
            return 0, 0, False
        if not events and not settle:
            now = time.monotonic()
            if state.passed_from != after:
                state.passed_from, state.passed_at = after, now  # a new stretch begins
            state.passed = upto
            if now - state.passed_at < self.options.settle:
                return 0, upto - start, more
        try:
            prepared = await consumer.prepare(ctx, events) if consumer.prepare and events else None
            async with self.ledger.write() as tx:
                if await stream_store.lock_cursor(tx, consumer.name) != after:
                    return 0, 1, True  # another worker delivered it meanwhile: look again
                if events:
                    await consumer.handle(ctx, Batch(tuple(events), prepared), tx)
                await stream_store.set_cursor(tx, consumer.name, upto)
        except Exception as exc:
            raise _Failed(events, exc) from exc
        return len(events), upto - after, more

    async def _failed(self, consumer: Consumer, state: _State, failed: _Failed) -> Delivery:
        events = failed.events
        log.warning(
            "consumer %s failed at position %s: %s: %s",
            consumer.name,
            events[0].position if events else "-",
            type(failed.cause).__name__,
            failed.cause,
        )
        if len(events) > 1:  # find the event at fault: one at a time, at once
            state.single_until = events[-1].position
            return Delivery(again=True)
        if not events:  # the cursor move itself failed: the ledger, not an event
            return Delivery(wait=self.options.backoff(1))
        event = events[0]
        if state.failing != event.position:
            state.failing, state.tries = event.position, 0
        state.tries += 1
        if state.tries < self.options.max_tries:
            return Delivery(wait=self.options.backoff(state.tries))
        error = f"{type(failed.cause).__name__}: {failed.cause}"
        try:
            parked = await self._park(consumer, event, error, state.tries)
        except Exception as exc:  # the ledger is down: try again later
            log.warning("consumer %s: could not park %s: %s", consumer.name, event.position, exc)
            return Delivery(wait=self.options.backoff(state.tries))
        state.failing = state.tries = 0
        return Delivery(moved=1 if parked else 0, parked=(event.position,) if parked else ())

    async def _park(self, consumer: Consumer, event: StreamEvent, error: str, tries: int) -> bool:
        async with self.ledger.write() as tx:
            cursor = await stream_store.lock_cursor(tx, consumer.name)
            if cursor >= event.position:
                return False  # another worker got past it meanwhile
            await stream_store.park(tx, consumer.name, event, error, tries)
            await stream_store.set_cursor(tx, consumer.name, event.position)
        log.error("consumer %s parked event %s: %s", consumer.name, event.position, error)
        return True

    # -- loops -------------------------------------------------------------------------
    async def drain(self, names: Sequence[str] | None = None) -> int:
        """Deliver to the named consumers (default all) until each has caught up with
        the head, waiting out backoffs; return the number of events handled. For tests,
        benchmarks and ``veriseal events consume`` without ``--watch``."""
        total = 0
        for consumer in self.selected(names):
            while True:
                done = await self.deliver(consumer)
                total += done.handled
                if done.wait:
                    await asyncio.sleep(done.wait)
                elif done.idle:
                    break
        return total

    async def run(self, stop: asyncio.Event, names: Sequence[str] | None = None) -> None:
        """Deliver to each consumer in its own loop until ``stop`` is set."""
        loops = [
            asyncio.create_task(self._loop(c, stop), name=f"stream:{c.name}")
            for c in self.selected(names)
        ]
        try:
            await stop.wait()
        finally:
            for task in loops:
                task.cancel()
            for task in loops:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _loop(self, consumer: Consumer, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                done = await self.deliver(consumer, settle=False)
            except Exception:  # reading the cursor failed: the ledger is away
                log.exception("consumer %s: delivery failed", consumer.name)
                done = Delivery(wait=self.options.backoff_max)
            # at once only when more is waiting: see WorkerOptions
            pause = done.wait or (0.0 if done.again else self.options.poll)
            if pause:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)

    def selected(self, names: Sequence[str] | None) -> list[Consumer]:
        """The named consumers (None: all); ``consumer_invalid`` for an unknown name."""
        if names is None:
            return list(self.consumers.values())
        unknown = [n for n in names if n not in self.consumers]
        if unknown:
            known = ", ".join(sorted(self.consumers)) or "none"
            raise ConsumerInvalid(f"no consumer {', '.join(unknown)} (known: {known})")
        return [self.consumers[n] for n in names]

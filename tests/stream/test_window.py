"""The stream window (veriseal.extend.stream.window) gives each consumer exactly the
events the ledger holds, whatever the consumers' positions, kinds and batch sizes, the
window's size, appends, rolled-back appends and cursors set back to replay.

The truth is the test's own record of what it appended (the positions the ledger gave
them, read back by ref), not the window nor the stream's read function."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from veriseal.config import sqlite_url
from veriseal.extend.stream import publish
from veriseal.extend.stream.window import StreamWindow
from veriseal.ledger import open_ledger, stream_store
from veriseal.ledger.base import Ledger, Tx

KINDS = ("probe.a", "probe.b", "probe.c")


@dataclass(frozen=True)
class Append:
    kinds: tuple[str, ...]
    rolled_back: bool


@dataclass(frozen=True)
class Read:
    consumer: int
    kinds: frozenset[str] | None
    limit: int
    short: int = 0  # read up to this many positions below the head: a head seen earlier


@dataclass(frozen=True)
class SetBack:
    consumer: int
    to: int  # an index into the positions appended so far (0: the stream's start)


kinds = st.none() | st.frozensets(st.sampled_from(KINDS), min_size=1)
reads = st.builds(Read, st.integers(0, 2), kinds, st.integers(1, 5), st.integers(0, 3))
ops = st.one_of(
    st.builds(
        Append,
        st.lists(st.sampled_from(KINDS), min_size=1, max_size=6).map(tuple),
        st.sampled_from([False, False, False, True]),  # a quarter roll back
    ),
    reads,
    reads,  # reads twice as often as the rest
    st.builds(SetBack, st.integers(0, 2), st.integers(0, 40)),
)


class RolledBack(Exception):
    pass


async def _append(ledger: Ledger, op: Append, ref: int) -> list[tuple[int, str]]:
    """Append ``op``'s events (refs ``ref``...) in one transaction; (position, kind) of
    each one committed, read back from the ledger by ref."""
    try:
        async with ledger.write() as tx:
            for i, kind in enumerate(op.kinds):
                await publish(tx, kind, None, ref + i)
            if op.rolled_back:
                raise RolledBack
    except RolledBack:
        return []
    async with ledger.read() as tx:
        found = await tx.fetch(
            "SELECT position, kind FROM stream_events WHERE ref >= ? AND ref < ? ORDER BY position",
            ref,
            ref + len(op.kinds),
        )
    return [(int(r["position"]), str(r["kind"])) for r in found]


async def _run(program: list[object], keep: int, read: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        ledger = await open_ledger(sqlite_url(Path(folder) / "window.sqlite3"))
        await ledger.migrate()
        try:
            await _check(ledger, program, StreamWindow(keep=keep, read=read))
        finally:
            await ledger.close()


async def _check(ledger: Ledger, program: list[object], window: StreamWindow) -> None:
    truth: list[tuple[int, str]] = []  # every committed event, in position order
    cursors = [0, 0, 0]
    ref = 0
    for op in program:
        if isinstance(op, Append):
            truth += await _append(ledger, op, ref)
            ref += len(op.kinds)
        elif isinstance(op, SetBack):
            cursors[op.consumer] = min(cursors[op.consumer], _position(truth, op.to))
        elif isinstance(op, Read):
            cursors[op.consumer] = await _read(ledger, window, truth, cursors[op.consumer], op)
    for consumer in range(3):  # each one reads to the head: it ends with every event
        after = cursors[consumer]
        delivered = []
        while after < (truth[-1][0] if truth else 0):
            every = Read(consumer, None, 3)
            before = after
            after = await _read(ledger, window, truth, after, every, delivered)
            assert after > before  # always progress
        assert delivered == [e for e in truth if e[0] > cursors[consumer]]


def _position(truth: list[tuple[int, str]], index: int) -> int:
    return 0 if index == 0 or not truth else truth[min(index, len(truth)) - 1][0]


async def _read(
    ledger: Ledger,
    window: StreamWindow,
    truth: list[tuple[int, str]],
    after: int,
    op: Read,
    delivered: list[tuple[int, str]] | None = None,
) -> int:
    """One consumer's read at ``after``, checked against the truth; its next cursor."""
    async with ledger.read() as tx:
        head = await stream_store.head(tx, after)
        if head <= after:
            return after
        top = max(after + 1, head - op.short)
        found, upto = await window.read(tx, after, top, op.kinds, op.limit)
    assert after < upto <= top
    wanted = [e for e in truth if after < e[0] <= upto and (op.kinds is None or e[1] in op.kinds)]
    assert [(e.position, e.kind) for e in found] == wanted[: op.limit]
    if delivered is not None:
        delivered += [(e.position, e.kind) for e in found]
    return found[-1].position if len(found) == op.limit else upto


#: a consumer read past the window's end from behind it (its own read), then reads on
#: from there: the window must start afresh, not claim the stretch it skipped
_SKIPPED = [Append(("probe.a",) * 6, False), Read(0, None, 5, 4), Read(0, None, 5, 2),
            Read(1, None, 5), Read(1, None, 5), Read(0, None, 5)]  # fmt: skip
#: a consumer that saw an older head than the window reaches gets nothing past it
_STALE = [Append(("probe.a",) * 6, False), Read(0, None, 5), Read(1, None, 5, 3)]


@settings(max_examples=200, deadline=None)
@example(_SKIPPED, 2, 2)
@example(_STALE, 12, 12)
@given(
    st.lists(ops, min_size=1, max_size=40),
    st.integers(1, 12),
    st.integers(1, 12),
)
def test_every_consumer_reads_exactly_what_the_ledger_holds(
    program: list[object], keep: int, read: int
) -> None:
    asyncio.run(_run(program, max(keep, read), min(keep, read)))


def test_a_read_larger_than_the_window_is_refused() -> None:
    with pytest.raises(ValueError):
        StreamWindow(keep=2, read=3)


def _counted_reads(monkeypatch: pytest.MonkeyPatch, pause: float = 0.0) -> list[int]:
    """The ``after`` of every read of the ledger's stream from now on (each ``pause``
    seconds slow), in order."""
    reads: list[int] = []
    original = stream_store.read_after

    async def counted(
        tx: Tx, after: int, upto: int, kinds: Collection[str] | None, limit: int
    ) -> list[stream_store.StreamEvent]:
        reads.append(after)
        if pause:
            await asyncio.sleep(pause)
        return await original(tx, after, upto, kinds, limit)

    monkeypatch.setattr(stream_store, "read_after", counted)
    return reads


async def test_consumers_at_the_same_place_share_one_read(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The point of the window: the other consumers' batches come from memory."""
    async with ledger.write() as tx:
        for ref in range(5):
            await publish(tx, "probe.a", None, ref)
    reads = _counted_reads(monkeypatch)
    window = StreamWindow()
    for kinds in (frozenset({"probe.a"}), None, frozenset({"probe.b"})):
        async with ledger.read() as tx:
            top = await stream_store.head(tx, 0)
            found, upto = await window.read(tx, 0, top, kinds, 100)
        assert upto == top
        assert len(found) == (0 if kinds == {"probe.b"} else 5)
    assert reads == [0]


async def test_consumers_reaching_the_end_together_read_it_once(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Consumers whose loops look at the same moment (each in its own task, its read
    slow) wait for the one reading: the stretch is read once, and the window stays one
    stretch (a later reader that found the end moved used to start it afresh)."""
    async with ledger.write() as tx:
        for ref in range(5):
            await publish(tx, "probe.a", None, ref)
    reads = _counted_reads(monkeypatch, pause=0.02)  # the others arrive meanwhile
    window = StreamWindow()

    async def consumer() -> list[int]:
        async with ledger.read() as tx:
            top = await stream_store.head(tx, 0)
            found, upto = await window.read(tx, 0, top, None, 100)
        assert upto == top
        return [e.position for e in found]

    got = await asyncio.gather(*(consumer() for _ in range(3)))
    assert got[0] == got[1] == got[2] and len(got[0]) == 5
    assert reads == [0]
    assert window.lo == 0


async def test_a_consumer_behind_joins_the_window_instead_of_passing_it(ledger: Ledger) -> None:
    """A consumer behind the window reads the ledger only up to where the window
    starts; it then reads from the window, and the window is not started afresh."""
    async with ledger.write() as tx:
        for ref in range(12):
            await publish(tx, "probe.a", None, ref)
    window = StreamWindow(keep=4, read=4)
    async with ledger.read() as tx:
        head = await stream_store.head(tx, 0)
        after = 0
        while after < head:  # one consumer reads to the head: the window keeps the last 4
            _, after = await window.read(tx, after, head, None, 100)
        lo, hi = window.lo, window.hi
        assert hi == head and lo < hi
        early, behind = await window.read(tx, 0, head, None, 100)
        assert behind == lo  # up to where the window starts, not on to the head
        late, upto = await window.read(tx, behind, head, None, 100)
        assert upto == head and (window.lo, window.hi) == (lo, hi)  # served by the window
        assert len(early) + len(late) == 12 and early[-1].position <= lo < late[0].position


async def test_a_reader_inside_reads_on_from_the_windows_end(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New events after the window's end are read from that end for everyone: the window
    grows, it does not start afresh at the reader (which would leave the others behind),
    and the reader gets everything up to its head in one batch (no second delivery for
    the few events past the end)."""
    for ref in range(8):
        async with ledger.write() as tx:
            await publish(tx, "probe.a", None, ref)
    async with ledger.read() as tx:
        head = await stream_store.head(tx, 0)
        positions = [e.position for e in await stream_store.read_after(tx, 0, head, None, 100)]
    reads = _counted_reads(monkeypatch)
    window = StreamWindow()
    async with ledger.read() as tx:
        await window.read(tx, 0, positions[4], None, 100)  # the head was then the 5th
        found, upto = await window.read(tx, positions[1], positions[7], None, 100)
    assert upto == positions[7]
    assert [e.position for e in found] == positions[2:]
    assert reads == [0, positions[4]] and window.lo == 0

"""What the writer process remembers of each code's history, so a scan reads no row.

Every verification needs the code's earlier verifications (:class:`ScanSummary`: how
many, where first and last) and, for a code verified more often than one item is, its
consumers' recent scans (the distinct-devices rule, :mod:`veriseal.scanning.identities`).
Read from the ledger, that is a query per scan (several for a much-scanned code, and
reads that grow with it). The group committer is the process's only writer of scans, so
it can keep both up to date itself: :class:`CodeMemory` holds them per code, filled by
the first read and moved on by every committed group (:meth:`CodeMemory.committed`).

Exactly once. An entry is filled from a ledger read that may or may not already see a
group whose :meth:`~CodeMemory.committed` call has not run yet (SQLite's reads run on the
event loop's thread while its commit finishes in another). Each entry therefore carries
the newest scan id it accounts for, read from the data itself (the summary's last
verification, the newest consumer scan), and a committed scan is applied only when its
id is newer: ids grow in commit order (also with groups in flight together, which take
turns: :mod:`veriseal.ledger.turns`), so nothing is counted twice or missed. A read
that suspended while groups committed (PostgreSQL's reads do) sees a prefix of them,
since one committer commits them in that order: a summary so read is kept only
when checked (below); a consumer span so read is kept with the groups it may have
missed applied from a short log of the last groups committed (:data:`LOGGED_SCANS`),
each scan only when newer than the span's newest, as above. (Without the log, no span
read on PostgreSQL would be kept under load, and every scan of a much-scanned code would
read up to :data:`identities.MAX_SPAN` rows.)

Freshness. Scans written by ANOTHER process (another worker or server on the same
PostgreSQL database, a CLI command) do not pass through this memory. A *checked* memory
(the default on PostgreSQL, see ``[server] code_memory``) confirms each entry against the
ledger's count and newest id of the code before it is used (one primary-key probe,
batched across the requests in flight: :mod:`veriseal.scanning.heads`) and drops it when
they differ, so another writer's scans count at once. That check cannot see a month
archived by ``veriseal ledger archive`` (the count stays, the scans' time and place go),
so the process tells the memory which ids the ledger still holds
(:meth:`~CodeMemory.forget_outside`, from :mod:`veriseal.scanning.archives`, every
``ttl`` seconds); a checked entry does not expire otherwise (an expiry re-read every
code at once: a burst of span reads of up to :data:`identities.MAX_SPAN` rows each). An
unchecked memory (SQLite, which one server process serves and which is never archived)
drops an entry ``ttl`` seconds after it was read, so a CLI command's scans count within
``ttl``.

Bounds: at most ``max_codes`` summaries and ``max_spans`` consumer spans (each at most
:data:`identities.MAX_SPAN` scans), least recently used forgotten first.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from veriseal.cache import LruDict
from veriseal.models import NewScan, ScanSummary
from veriseal.scanning.identities import CONSUMER_CHANNELS, MAX_SPAN, ConsumerScan, Tally

#: Outcomes that count as a verification (as the ledger's ``scan_codes`` counts them).
_VERIFICATIONS = frozenset({"genuine", "suspected_clone"})

Key = tuple[int, str]  # (brand id, code)

#: Scans of the last groups committed kept for spans read while they committed (at least
#: the last group, whatever its size): a read waits a loop round and a query, during
#: which a few groups of at most a few hundred scans commit.
LOGGED_SCANS = 4096


@dataclass(slots=True)
class _Entry:
    born: float  # when it was read from the ledger (monotonic seconds)
    summary: ScanSummary


@dataclass(slots=True)
class _Span:
    born: float
    scans: list[ConsumerScan]  # newest first, at most MAX_SPAN
    tally: Tally  # of ``scans``: the devices rule's bound without a pass over them


class CodeMemory:
    """Per-code summaries and consumer spans held by the process that commits the scans
    (see the module docstring for the contract)."""

    def __init__(
        self,
        max_codes: int = 100_000,
        max_spans: int = 2_048,
        ttl: float = 30.0,
        checked: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        #: other processes write scans too: confirm an entry against the ledger's
        #: (count, newest id) before using it (scanning.heads), drop it when they differ
        self.checked = checked
        self._clock = clock
        self._codes: LruDict[Key, _Entry] = LruDict(max_codes)
        self._spans: LruDict[Key, _Span] = LruDict(max_spans)
        #: moves whenever a group was committed: a read that spans a move is not kept
        #: as such (see :meth:`remember_span`)
        self.generation = 0
        #: the last groups committed: (the generation they moved to, ids, scans)
        self._log: deque[tuple[int, Sequence[int], Sequence[NewScan]]] = deque()
        self._logged = 0
        self._newest = 0  # the highest scan id told by committed(): see there

    # -- reads ---------------------------------------------------------------------------
    def summary(self, key: Key) -> ScanSummary | None:
        """The code's summary, or None when it must be read from the ledger."""
        entry = self._codes.get(key)
        if entry is None or self._expired(entry.born):
            return None
        return entry.summary

    def span(self, key: Key) -> tuple[list[ConsumerScan], int] | None:
        """The code's newest consumer verifications (newest first) and their
        :func:`identities.bound`, or None."""
        span = self._spans.get(key)
        if span is None or self._expired(span.born):
            return None
        return span.scans, span.tally.bound()

    def _expired(self, born: float) -> bool:
        """An unchecked entry read ``ttl`` seconds ago or more (a checked one is confirmed
        at each use instead, and told of archives: :meth:`forget_outside`)."""
        return not self.checked and self._clock() - born >= self.ttl

    # -- fills -----------------------------------------------------------------------------
    def remember(self, key: Key, summary: ScanSummary, generation: int) -> None:
        """Keep ``summary`` as read from the ledger by a read that began at
        ``generation``: dropped if a group committed meanwhile, unless the memory is
        checked (every use confirms the count and newest id first, so a summary that
        missed a group is found out then; PostgreSQL's reads wait a loop round and a
        query, during which groups nearly always commit under load)."""
        if generation == self.generation or self.checked:
            self._codes[key] = _Entry(self._clock(), summary)

    def remember_span(self, key: Key, scans: Sequence[ConsumerScan], generation: int) -> None:
        """Keep the consumer span read from the ledger (newest first) by a read that began
        at ``generation``. Groups committed since then are applied to it from the log
        (the read saw a prefix of them: each scan counts when newer than the span's
        newest); if the log no longer reaches back that far, nothing is kept."""
        missed = [g for g in self._log if g[0] > generation]
        if self.generation - generation != len(missed):
            return  # the log does not reach back to the read's start
        kept = list(scans[:MAX_SPAN])
        span = _Span(self._clock(), kept, Tally.of(kept))
        for _, ids, group in missed:
            for scan_id, scan in zip(ids, group, strict=True):
                if scan.brand_id is not None and (scan.brand_id, scan.code) == key:
                    _extend(span, scan_id, scan)
        self._spans[key] = span

    # -- the writer ---------------------------------------------------------------------------
    def committed(self, ids: Sequence[int], scans: Sequence[NewScan]) -> None:
        """Move the remembered codes on by a committed group (``ids`` and ``scans`` as
        stored, in commit order). Scans of codes not remembered cost a dict probe.

        Only scans newer than every one told before count: ids grow in commit order, so
        an id not above them is a retried upload's client id answered with the scan
        already stored (:meth:`Ledger.append_scans`), which may even be another code's
        if the client reused the id for a different scan."""
        newest = self._newest
        told: list[int] = []  # the group's new scans, for the log
        new: list[NewScan] = []
        for scan_id, scan in zip(ids, scans, strict=True):
            if scan_id <= newest:  # a repeat within the group names an id told just before
                continue
            newest = scan_id
            told.append(scan_id)
            new.append(scan)
            if scan.brand_id is None or scan.outcome not in _VERIFICATIONS:
                continue
            key = (scan.brand_id, scan.code)
            entry = self._codes.get(key)
            if entry is not None:
                entry.summary = _counted(entry.summary, scan_id, scan)
            span = self._spans.get(key)
            if span is not None:
                _extend(span, scan_id, scan)
        self._newest = newest
        self.generation += 1
        self._log.append((self.generation, told, new))
        self._logged += len(told)
        while self._logged - len(self._log[0][1]) >= LOGGED_SCANS:
            self._logged -= len(self._log.popleft()[1])

    def drop(self, key: Key) -> None:
        """Forget one code (its summary and span): the ledger knows more than we do."""
        self._codes.pop(key)
        self._spans.pop(key)

    def forget_outside(self, live: Sequence[tuple[int, int]]) -> int:
        """Forget what the ledger no longer holds, given the scan id ranges ``[lo, hi)``
        it still does (its partitions; the others were archived): every code whose
        summary shows the time and place of a scan outside them, and every span that
        reaches across ids outside them (it is read again, as the ledger now has it).
        Returns how many codes were forgotten. Costs a pass over the memory: call it
        when the ranges changed, not per scan."""
        ranges = list(live)

        def held(scan_id: int | None) -> bool:
            return scan_id is None or any(lo <= scan_id < hi for lo, hi in ranges)

        def reaches_out(scans: list[ConsumerScan]) -> bool:
            newest, oldest = scans[0].id or 0, scans[-1].id or 0
            if any(lo <= oldest and newest < hi for lo, hi in ranges):
                return False  # the usual case: the whole span in one range, no pass over it
            return not all(held(s.id) for s in scans)

        gone = {
            key
            for key, entry in self._codes.items()
            if (entry.summary.first_at is not None and not held(entry.summary.first_id))
            or (entry.summary.last_at is not None and not held(entry.summary.last_id))
        }
        gone.update(
            key for key, span in self._spans.items() if span.scans and reaches_out(span.scans)
        )
        for key in gone:
            self.drop(key)
        return len(gone)


def _extend(span: _Span, scan_id: int, scan: NewScan) -> None:
    """Put the committed scan ``scan_id`` on ``span`` when it is a consumer's
    verification newer than the span's newest (else the read that filled it saw it)."""
    if (
        scan.outcome not in _VERIFICATIONS
        or scan.channel not in CONSUMER_CHANNELS
        or (span.scans and scan_id <= (span.scans[0].id or 0))
    ):
        return
    province = scan.region.province if scan.region else None
    new = ConsumerScan(scan_id, scan.at.astimezone(dt.UTC), scan.actor, scan.client, province)
    span.scans.insert(0, new)
    span.tally.add(new)
    while len(span.scans) > MAX_SPAN:
        span.tally.remove(span.scans.pop())


def _counted(summary: ScanSummary, scan_id: int, scan: NewScan) -> ScanSummary:
    """``summary`` with the verification ``scan_id`` counted, unless it already is."""
    if summary.last_id is not None and scan_id <= summary.last_id:
        return summary  # the ledger read that filled the entry saw it already
    at = scan.at.astimezone(dt.UTC)  # as the ledger gives it back (ledger.rows.ts)
    if summary.count == 0:
        return ScanSummary(
            count=1,
            first_at=at,
            first_location=scan.location,
            last_at=at,
            first_id=scan_id,
            last_id=scan_id,
            last_location=scan.location,
        )
    return replace(
        summary,
        count=summary.count + 1,
        last_at=at,
        last_id=scan_id,
        last_location=scan.location,
    )

"""Scan-ledger queries shared by both SQL backends (mixed into ``SqlLedger``).

Scans are only ever inserted. What is said about a code (how often it was verified,
where first and last) comes from ``scan_codes``, a per-code aggregate written in the
same transaction as the scans it counts (migration 0009), so it cannot drift from the
facts and costs primary-key lookups however often a code is scanned.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from veriseal.errors import NotFound
from veriseal.ledger import alert_store, partition_store, rows, stream_store
from veriseal.ledger.turns import Step, Turn
from veriseal.models import (
    NO_SCAN_FILTER,
    NewAlert,
    NewScan,
    Scan,
    ScanBrief,
    ScanQuery,
    ScanSummary,
)

if TYPE_CHECKING:
    from veriseal.ledger.base import AlertMaker, Row, Tx


_COLS = (
    "at, brand_id, code, gtin, batch_id, unit_index, outcome, reason, channel, actor,"
    " lat, lon, accuracy_m, loc_source, client_scan_id, country, province, city, gb2260,"
    " received_at, client, user_id"
)
# one placeholder per column of _COLS, plus the id
_INSERT = f"INSERT INTO scans (id, {_COLS}) VALUES ({', '.join('?' * (_COLS.count(',') + 2))})"
#: The most codes one :meth:`ScanStore.scan_heads` reads.
MAX_HEADS = 64
#: Outcomes that count as a verification of the code (see Ledger.scan_summary).
VERIFICATIONS = ("genuine", "suspected_clone")
# Rows of one group go through executemany in order, so several scans of one code in
# a group count one after the other. first_id and last_id stay the smallest and largest
# id even when concurrent writers (PostgreSQL) commit out of id order: the clone rules
# bound their reads of a code's scans by them (veriseal.scanning.store).
_COUNT = (
    "INSERT INTO scan_codes (brand_id, code, n, first_id, last_id) VALUES (?, ?, 1, ?, ?)"
    " ON CONFLICT (brand_id, code) DO UPDATE SET n = scan_codes.n + 1,"
    " first_id = CASE WHEN excluded.first_id < scan_codes.first_id"
    " THEN excluded.first_id ELSE scan_codes.first_id END,"
    " last_id = CASE WHEN excluded.last_id > scan_codes.last_id"
    " THEN excluded.last_id ELSE scan_codes.last_id END"
)


#: A code's row in ``scan_codes``: its key columns and their SQL types.
_CODE_KEY = (("brand_id", "BIGINT"), ("code", "TEXT"))

#: What :meth:`ScanStore.scan_briefs` reads of a scan (``ScanBrief``), and the most ids
#: one of its statements names (:meth:`Dialect.any_of`: one statement per size class).
_BRIEF = (
    "SELECT id, brand_id, at, outcome, channel, gtin, batch_id, unit_index, province, lat, lon"
    " FROM scans WHERE brand_id = ? AND "
)
BRIEF_IDS = 256

_ENDS = ("first_id", "last_id")


def _values(s: NewScan) -> tuple[Any, ...]:
    loc, reg = s.location, s.region
    return (
        s.at, s.brand_id, s.code, s.gtin, s.batch_id, s.index, s.outcome, s.reason,
        str(s.channel), s.actor,
        loc.lat if loc else None, loc.lon if loc else None,
        loc.accuracy_m if loc else None, str(loc.source) if loc else None,
        s.client_scan_id,
        reg.country if reg else None, reg.province if reg else None,
        reg.city if reg else None, reg.gb2260 if reg else None,
        s.received_at, s.client, s.user_id,
    )  # fmt: skip


def _announce(scan_id: int | None, s: NewScan) -> stream_store.NewStreamEvent:
    """The stream event of a new scan, carrying its brief (:func:`event_brief`): a
    consumer that counts scans then reads no row (the scan consumer's briefs read was
    most of its database time on PostgreSQL), for about 100 bytes more per event."""
    assert scan_id is not None
    payload: dict[str, Any] = {"outcome": s.outcome, "located": s.location is not None}
    if s.brand_id is not None:
        loc = s.location
        payload["brief"] = [
            s.at.astimezone(dt.UTC).isoformat(), str(s.channel), s.gtin, s.batch_id, s.index,
            s.region.province if s.region else None,
            loc.lat if loc else None, loc.lon if loc else None,
        ]  # fmt: skip
    return stream_store.NewStreamEvent("scan", s.brand_id, scan_id, payload)


def event_brief(event: stream_store.StreamEvent) -> ScanBrief | None:
    """The brief a ``scan`` event carries: what :meth:`ScanStore.scan_briefs` reads of
    its scan as stored. None when the event carries none (appended before briefs were,
    or not a scan's) or one of another shape: read the row instead."""
    brief = event.payload.get("brief")
    if event.kind != "scan" or event.brand_id is None or not isinstance(brief, list):
        return None
    try:
        at, channel, gtin, batch_id, index, province, lat, lon = brief
        return ScanBrief(
            event.ref, event.brand_id, rows.ts(at), str(event.payload["outcome"]),
            str(channel), gtin, batch_id, index, province,
            None if lat is None or lon is None else float(lat),
            None if lat is None or lon is None else float(lon),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError):
        return None


async def _raised(
    tx: Tx, alerts: Sequence[AlertMaker | None], ids: Sequence[int]
) -> list[list[tuple[int, NewAlert]]]:
    """Store the alerts each scan raised (``alerts[i]`` made with ``ids[i]``)."""
    stored: list[list[tuple[int, NewAlert]]] = [[] for _ in ids]
    for pos, make in enumerate(alerts):
        if make is not None:
            for alert in make(ids[pos]):
                stored[pos].append((await alert_store.insert_alert(tx, alert), alert))
    return stored


class ScanStore(abc.ABC):
    @abc.abstractmethod
    def write(self) -> AbstractAsyncContextManager[Tx]: ...

    @abc.abstractmethod
    def read(self) -> AbstractAsyncContextManager[Tx]: ...

    #: When ``scans`` entered each month (``ledger_periods``), oldest first: loaded by
    #: ``SqlLedger.maintain`` where scans is partitioned, else empty. Replaced, never
    #: changed in place.
    scan_months: list[tuple[dt.datetime, int]] = []  # noqa: RUF012

    def scan_ids_from(self, when: dt.datetime) -> int:
        """An id at or below that of every scan recorded at or after ``when``: 0 where
        ids say nothing of time (SQLite, an unpartitioned table). On partitioned
        PostgreSQL, the start of the last month the scans had entered by ``when``
        (``ledger_periods``, as of the last :meth:`maintain`: a month entered since only
        makes the bound lower than it could be, never wrong)."""
        return partition_store.first_id_at(self.scan_months, when)

    def hot_write(self) -> AbstractAsyncContextManager[Tx]:
        """A write transaction for the scan hot path: a few short indexed statements.
        Same contract as :meth:`write`; a backend may run the statements without leaving
        the event loop's thread (SQLite does; only its COMMIT goes to a thread)."""
        return self.write()

    def hot_read(self) -> AbstractAsyncContextManager[Tx]:
        """A connection for short indexed reads on the hot path (see :meth:`hot_write`)."""
        return self.read()

    async def append_scans(self, scans: Sequence[NewScan]) -> list[int]:
        return (await self.append_group(scans, ()))[0]

    async def append_group(
        self,
        scans: Sequence[NewScan],
        alerts: Sequence[AlertMaker | None],
        turn: Turn | None = None,
    ) -> tuple[list[int], list[list[tuple[int, NewAlert]]]]:
        # Ids are allocated first, then all new rows go in with ONE executemany: a group
        # of hundreds of scans costs two round trips, not hundreds. Each step that hands
        # out or locks something waits for the transaction before (ledger.turns).
        turn = turn or Turn()
        ids: list[int | None] = [None] * len(scans)
        async with self.hot_write() as tx:
            if any(s.client_scan_id is not None for s in scans):
                # a client id the group before stores must be seen, not stored again
                await turn.wait(Step.ENDED)
            fresh: dict[tuple[str, str], int] = {}  # client ids new in this very group
            for pos, s in enumerate(scans):
                if s.client_scan_id is None:
                    continue
                key = (s.actor, s.client_scan_id)
                known = await tx.fetchrow(
                    "SELECT scan_id FROM scan_client_ids WHERE actor = ? AND client_scan_id = ?",
                    *key,
                )
                if known is not None:
                    ids[pos] = int(known["scan_id"])
                elif key in fresh:
                    ids[pos] = -1 - fresh[key]  # resolved below to the first copy's id
                else:
                    fresh[key] = pos
            new = [pos for pos, i in enumerate(ids) if i is None]
            await turn.wait(Step.RESERVED)
            allocated = await tx.reserve_ids("scans", len(new)) if new else []
            turn.took(Step.RESERVED)
            for pos, scan_id in zip(new, allocated, strict=True):
                ids[pos] = scan_id
            if new:
                await tx.executemany(_INSERT, [(ids[pos], *_values(scans[pos])) for pos in new])
                if fresh:
                    # their own table (migration 0020): unique across every partition
                    await tx.executemany(
                        "INSERT INTO scan_client_ids (actor, client_scan_id, scan_id)"
                        " VALUES (?, ?, ?)",
                        [(actor, client_id, ids[pos]) for (actor, client_id), pos in fresh.items()],
                    )
            counted = [
                (scans[pos].brand_id, scans[pos].code, ids[pos], ids[pos])
                for pos in new
                if scans[pos].brand_id is not None and scans[pos].outcome in VERIFICATIONS
            ]
            await turn.wait(Step.COUNTED)
            if counted:
                await tx.executemany(_COUNT, counted)
            turn.took(Step.COUNTED)
            await turn.wait(Step.ENDED)
            # announced on the event stream in the same transaction
            await stream_store.append(tx, [_announce(ids[pos], scans[pos]) for pos in new])
            out = [i for i in ids if i is not None]
            resolved = [out[-1 - i] if i < 0 else i for i in out]
            stored = await _raised(tx, alerts, resolved)  # last: they name their scans
        return resolved, stored

    async def scan_summary(self, brand_id: int, code: str) -> ScanSummary:
        return (await self.scan_summaries([(brand_id, code)]))[(brand_id, code)]

    async def scan_summaries(
        self, keys: Sequence[tuple[int, str]]
    ) -> dict[tuple[int, str], ScanSummary]:
        # Primary-key lookups: the aggregates, then their first and last scans by id,
        # in two statements rather than one join: scans is partitioned by id on
        # PostgreSQL, and ids given as values let the planner open only the partitions
        # holding them (a join plans every partition, measured 7x the planning time with
        # a year of months, benchmarks/bench_partitions.py). A scan archived with its
        # month (veriseal.ledger.archive) takes its time and place along, not the count.
        out = dict.fromkeys(keys, ScanSummary(count=0))
        found = [
            r
            for r in await self._by_codes(
                "SELECT brand_id, code, n, first_id, last_id FROM scan_codes WHERE ", keys
            )
            if r["n"]
        ]
        ends = await self._scan_ends(sorted({int(r[k]) for r in found for k in _ENDS}))
        for row in found:
            first, last = ends.get(int(row["first_id"])), ends.get(int(row["last_id"]))
            out[(int(row["brand_id"]), str(row["code"]))] = ScanSummary(
                count=int(row["n"]),
                first_at=None if first is None else rows.ts(first["at"]),
                first_location=None if first is None else rows.location(first),
                last_at=None if last is None else rows.ts(last["at"]),
                first_id=int(row["first_id"]),
                last_id=int(row["last_id"]),
                last_location=None if last is None else rows.location(last),
            )
        return out

    async def _scan_ends(self, ids: Sequence[int]) -> dict[int, Row]:
        """The time and place of the scans ``ids`` (at most 2 * MAX_HEADS), by id."""
        if not ids:
            return {}
        async with self.hot_read() as tx:
            where, args = tx.dialect.any_of("id", "BIGINT", ids)
            found = await tx.fetch(
                f"SELECT id, at, lat, lon, accuracy_m, loc_source FROM scans WHERE {where}", *args
            )
        return {int(r["id"]): r for r in found}

    async def scan_heads(
        self, keys: Sequence[tuple[int, str]]
    ) -> dict[tuple[int, str], tuple[int, int]]:
        found = await self._by_codes(
            "SELECT brand_id, code, n, last_id FROM scan_codes WHERE ", keys
        )
        return {
            (int(r["brand_id"]), str(r["code"])): (int(r["n"]), int(r["last_id"]))
            for r in found
            if r["n"]
        }

    async def _by_codes(self, select: str, keys: Sequence[tuple[int, str]]) -> list[Row]:
        """``select`` (ending in WHERE) for the ``scan_codes`` rows of ``keys`` (at most
        MAX_HEADS), on the hot read connection, in one statement per size class
        (:meth:`Dialect.pairs_of`), so PostgreSQL keeps each one prepared."""
        if not keys:
            return []
        if len(keys) > MAX_HEADS:
            raise ValueError(f"at most {MAX_HEADS} codes per read, not {len(keys)}")
        async with self.hot_read() as tx:
            where, args = tx.dialect.pairs_of(_CODE_KEY, keys)
            return await tx.fetch(select + where, *args)

    async def list_scans(
        self, brand_id: int | None, query: ScanQuery = NO_SCAN_FILTER
    ) -> list[Scan]:
        clauses = ["brand_id IS NULL" if brand_id is None else "brand_id = ?"]
        args: list[Any] = [] if brand_id is None else [brand_id]
        for clause, value in (
            ("code = ?", query.code),
            ("batch_id = ?", query.batch_id),
            ("gtin = ?", query.gtin),
            ("at >= ?", query.since),
            ("at < ?", query.until),
            ("country = ?", query.country),
            ("province = ?", query.province),
            ("id > ?", query.after_id),
            ("outcome = ?", query.outcome),
            ("channel = ?", query.channel),
        ):
            if value is not None:
                clauses.append(clause)
                args.append(value)
        order = "id"
        if query.newest_first:
            # the (brand, at) indexes walked backwards: a time range costs its page only
            order = "at DESC, id DESC"
            if query.before is not None:
                clauses.append("(at < ? OR (at = ? AND id < ?))")
                args += [query.before[0], query.before[0], query.before[1]]
        sql = (
            f"SELECT id, {_COLS} FROM scans WHERE {' AND '.join(clauses)} ORDER BY {order} LIMIT ?"
        )
        async with self.read() as tx:
            found = await tx.fetch(sql, *args, query.limit)
        return [rows.scan(r) for r in found]

    async def scan_briefs(
        self,
        brand_id: int,
        *,
        ids: Sequence[int] | None = None,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[ScanBrief]:
        if ids is None:
            async with self.read() as tx:
                found = await tx.fetch(
                    f"{_BRIEF}id > ? ORDER BY id LIMIT ?", brand_id, after_id, limit
                )
            return [rows.scan_brief(r) for r in found]
        wanted = sorted(set(ids))
        found = []
        async with self.read() as tx:
            for start in range(0, len(wanted), BRIEF_IDS):
                where, args = tx.dialect.any_of("id", "BIGINT", wanted[start : start + BRIEF_IDS])
                found += await tx.fetch(f"{_BRIEF}{where} ORDER BY id", brand_id, *args)
        return [rows.scan_brief(r) for r in found]

    async def event_briefs(
        self, brand_id: int, events: Sequence[stream_store.StreamEvent]
    ) -> list[ScanBrief]:
        """The briefs of the brand's ``scan`` events, by id: from the events where they
        carry one (:func:`event_brief`), the others read as :meth:`scan_briefs` reads
        them (those whose scan exists)."""
        mine = [e for e in events if e.kind == "scan" and e.brand_id == brand_id]
        carried = [b for b in map(event_brief, mine) if b is not None]
        held = {b.id for b in carried}
        missing = [e.ref for e in mine if e.ref not in held]
        read = await self.scan_briefs(brand_id, ids=missing) if missing else []
        return sorted({b.id: b for b in carried + read}.values(), key=lambda b: b.id)

    async def count_received(
        self, brand_id: int, code: str, reason: str, since: dt.datetime
    ) -> int:
        async with self.read() as tx:
            row = await tx.fetchrow(
                "SELECT COUNT(*) AS n FROM scans WHERE brand_id = ? AND code = ?"
                " AND reason = ? AND COALESCE(received_at, at) >= ?",
                brand_id,
                code,
                reason,
                since,
            )
        return 0 if row is None else int(row["n"])

    async def get_scan(self, scan_id: int) -> Scan:
        async with self.read() as tx:
            row = await tx.fetchrow(f"SELECT id, {_COLS} FROM scans WHERE id = ?", scan_id)
        if row is None:
            raise NotFound(f"no scan {scan_id}")
        return rows.scan(row)

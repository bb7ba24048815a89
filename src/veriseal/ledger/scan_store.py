"""Scan-ledger queries shared by both SQL backends (mixed into ``SqlLedger``).

Scans are only ever inserted. Everything said about a code (how often it was verified,
where first) is a query over its rows, so it cannot drift from the facts.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from veriseal.errors import NotFound
from veriseal.ledger import rows
from veriseal.models import NewScan, Scan, ScanSummary

if TYPE_CHECKING:
    from veriseal.ledger.sql import Tx

_COLS = (
    "at, brand_id, code, gtin, batch_id, unit_index, outcome, reason, channel, actor,"
    " lat, lon, accuracy_m, loc_source, client_scan_id"
)
_INSERT = f"INSERT INTO scans ({_COLS}) VALUES ({', '.join('?' * 15)}) RETURNING id"


def _values(s: NewScan) -> tuple[Any, ...]:
    loc = s.location
    return (
        s.at, s.brand_id, s.code, s.gtin, s.batch_id, s.index, s.outcome, s.reason,
        str(s.channel), s.actor,
        loc.lat if loc else None, loc.lon if loc else None,
        loc.accuracy_m if loc else None, str(loc.source) if loc else None,
        s.client_scan_id,
    )  # fmt: skip


class ScanStore(abc.ABC):
    @abc.abstractmethod
    def write(self) -> AbstractAsyncContextManager[Tx]: ...

    @abc.abstractmethod
    def read(self) -> AbstractAsyncContextManager[Tx]: ...

    async def append_scans(self, scans: Sequence[NewScan]) -> list[int]:
        ids: list[int] = []
        async with self.write() as tx:
            for s in scans:
                if s.client_scan_id is not None:
                    known = await tx.fetchrow(
                        "SELECT id FROM scans WHERE actor = ? AND client_scan_id = ?",
                        s.actor,
                        s.client_scan_id,
                    )
                    if known is not None:
                        ids.append(int(known["id"]))
                        continue
                row = await tx.fetchrow(_INSERT, *_values(s))
                assert row is not None
                ids.append(int(row["id"]))
        return ids

    async def scan_summary(self, brand_id: int, code: str) -> ScanSummary:
        where = "brand_id = ? AND code = ? AND outcome <> 'invalid'"
        async with self.read() as tx:
            agg = await tx.fetchrow(
                f"SELECT COUNT(*) AS n FROM scans WHERE {where}", brand_id, code
            )
            ends = [
                await tx.fetchrow(
                    f"SELECT id, at, lat, lon, accuracy_m, loc_source FROM scans WHERE {where}"
                    f" ORDER BY id {order} LIMIT 1",
                    brand_id,
                    code,
                )
                for order in ("ASC", "DESC")
            ]
        first, last = ends
        if agg is None or not agg["n"] or first is None or last is None:
            return ScanSummary(count=0)
        return ScanSummary(
            count=int(agg["n"]),
            first_at=rows.ts(first["at"]),
            first_location=rows.location(first),
            last_at=rows.ts(last["at"]),
            first_id=int(first["id"]),
            last_id=int(last["id"]),
            last_location=rows.location(last),
        )

    async def list_scans(
        self,
        brand_id: int | None,
        *,
        code: str | None = None,
        batch_id: int | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        limit: int = 1000,
    ) -> list[Scan]:
        clauses = ["brand_id IS NULL" if brand_id is None else "brand_id = ?"]
        args: list[Any] = [] if brand_id is None else [brand_id]
        for clause, value in (
            ("code = ?", code),
            ("batch_id = ?", batch_id),
            ("at >= ?", since),
            ("at < ?", until),
        ):
            if value is not None:
                clauses.append(clause)
                args.append(value)
        sql = f"SELECT id, {_COLS} FROM scans WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?"
        async with self.read() as tx:
            found = await tx.fetch(sql, *args, limit)
        return [rows.scan(r) for r in found]

    async def get_scan(self, scan_id: int) -> Scan:
        async with self.read() as tx:
            row = await tx.fetchrow(f"SELECT id, {_COLS} FROM scans WHERE id = ?", scan_id)
        if row is None:
            raise NotFound(f"no scan {scan_id}")
        return rows.scan(row)

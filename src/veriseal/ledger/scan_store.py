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
    from veriseal.ledger.base import Tx

_COLS = (
    "at, brand_id, code, gtin, batch_id, unit_index, outcome, reason, channel, actor,"
    " lat, lon, accuracy_m, loc_source, client_scan_id, country, province, city, gb2260"
)
_INSERT = f"INSERT INTO scans (id, {_COLS}) VALUES ({', '.join('?' * 20)})"


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
    )  # fmt: skip


class ScanStore(abc.ABC):
    @abc.abstractmethod
    def write(self) -> AbstractAsyncContextManager[Tx]: ...

    @abc.abstractmethod
    def read(self) -> AbstractAsyncContextManager[Tx]: ...

    @abc.abstractmethod
    async def allocate_scan_ids(self, tx: Tx, n: int) -> list[int]:
        """``n`` fresh, increasing scan ids, inside the write transaction ``tx``."""

    async def append_scans(self, scans: Sequence[NewScan]) -> list[int]:
        # Ids are allocated first, then all new rows go in with ONE executemany: a group
        # of hundreds of scans costs two round trips, not hundreds.
        ids: list[int | None] = [None] * len(scans)
        async with self.write() as tx:
            fresh: dict[tuple[str, str], int] = {}  # client ids new in this very group
            for pos, s in enumerate(scans):
                if s.client_scan_id is None:
                    continue
                key = (s.actor, s.client_scan_id)
                known = await tx.fetchrow(
                    "SELECT id FROM scans WHERE actor = ? AND client_scan_id = ?", *key
                )
                if known is not None:
                    ids[pos] = int(known["id"])
                elif key in fresh:
                    ids[pos] = -1 - fresh[key]  # resolved below to the first copy's id
                else:
                    fresh[key] = pos
            new = [pos for pos, i in enumerate(ids) if i is None]
            allocated = await self.allocate_scan_ids(tx, len(new)) if new else []
            for pos, scan_id in zip(new, allocated, strict=True):
                ids[pos] = scan_id
            if new:
                await tx.executemany(_INSERT, [(ids[pos], *_values(scans[pos])) for pos in new])
        out = [i for i in ids if i is not None]
        return [out[-1 - i] if i < 0 else i for i in out]

    async def scan_summary(self, brand_id: int, code: str) -> ScanSummary:
        # One round trip: the count, and the first and last rows, joined onto one row.
        # A verification is a scan that established the code: not a fake, not a scan still
        # waiting for its PIN (or with a wrong one), not a recalled or expired batch.
        where = "brand_id = ? AND code = ? AND outcome IN ('genuine', 'suspected_clone')"
        end = (
            "SELECT id, at, lat, lon, accuracy_m, loc_source FROM scans"
            f" WHERE {where} ORDER BY id {{}} LIMIT 1"
        )
        sql = (
            "SELECT c.n, f.id AS f_id, f.at AS f_at, f.lat AS f_lat, f.lon AS f_lon,"
            " f.accuracy_m AS f_accuracy_m, f.loc_source AS f_loc_source,"
            " l.id AS l_id, l.at AS l_at, l.lat AS l_lat, l.lon AS l_lon,"
            " l.accuracy_m AS l_accuracy_m, l.loc_source AS l_loc_source"
            f" FROM (SELECT COUNT(*) AS n FROM scans WHERE {where}) c"
            f" LEFT JOIN ({end.format('ASC')}) f ON 1 = 1"
            f" LEFT JOIN ({end.format('DESC')}) l ON 1 = 1"
        )
        async with self.read() as tx:
            row = await tx.fetchrow(sql, brand_id, code, brand_id, code, brand_id, code)
        if row is None or not row["n"] or row["f_id"] is None:
            return ScanSummary(count=0)
        return ScanSummary(
            count=int(row["n"]),
            first_at=rows.ts(row["f_at"]),
            first_location=rows.location(row, "f_"),
            last_at=rows.ts(row["l_at"]),
            first_id=int(row["f_id"]),
            last_id=int(row["l_id"]),
            last_location=rows.location(row, "l_"),
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
        country: str | None = None,
        province: str | None = None,
    ) -> list[Scan]:
        clauses = ["brand_id IS NULL" if brand_id is None else "brand_id = ?"]
        args: list[Any] = [] if brand_id is None else [brand_id]
        for clause, value in (
            ("code = ?", code),
            ("batch_id = ?", batch_id),
            ("at >= ?", since),
            ("at < ?", until),
            ("country = ?", country),
            ("province = ?", province),
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

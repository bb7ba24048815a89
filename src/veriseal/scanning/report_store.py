"""SQL of suspected-fake reports: ``fake_reports`` and ``fake_report_photos`` (migration
0016), and the reads of ``scans`` a report needs. No rules live here: the report
service (:mod:`veriseal.scanning.reports`) checks, seals and decides who reads what.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from veriseal.ledger import rows
from veriseal.ledger.base import Row, Tx


@dataclass(frozen=True)
class NewReport:
    at: dt.datetime
    brand_id: int | None
    user_id: int | None
    code: str
    gtin: str | None
    lot: str | None
    scan_id: int | None
    place: str
    note: str
    contact: str
    status: str


@dataclass(frozen=True)
class StoredReport:
    id: int
    report: NewReport
    alert_id: int | None
    photos: int  # how many photos it has


_SELECT = (
    "SELECT r.id, r.at, r.brand_id, r.user_id, r.code, r.gtin, r.lot, r.scan_id, r.place,"
    " r.note, r.contact, r.status, r.alert_id,"
    " (SELECT COUNT(*) FROM fake_report_photos p WHERE p.report_id = r.id) AS photos"
    " FROM fake_reports r"
)


def _report(row: Row) -> StoredReport:
    return StoredReport(
        int(row["id"]),
        NewReport(
            rows.ts(row["at"]),
            row["brand_id"],
            row["user_id"],
            str(row["code"]),
            row["gtin"],
            row["lot"],
            row["scan_id"],
            str(row["place"]),
            str(row["note"]),
            str(row["contact"]),
            str(row["status"]),
        ),
        row["alert_id"],
        int(row["photos"]),
    )


async def insert_report(tx: Tx, new: NewReport) -> int:
    return await tx.insert_returning_id(
        "fake_reports",
        {
            "at": new.at,
            "brand_id": new.brand_id,
            "user_id": new.user_id,
            "code": new.code,
            "gtin": new.gtin,
            "lot": new.lot,
            "scan_id": new.scan_id,
            "place": new.place,
            "note": new.note,
            "contact": new.contact,
            "status": new.status,
        },
    )


async def insert_photo(
    tx: Tx, report_id: int, n: int, media_type: str, sealed: bytes, evidence: bytes | None
) -> None:
    await tx.execute(
        "INSERT INTO fake_report_photos (report_id, n, media_type, photo_sealed,"
        " evidence_sealed) VALUES (?, ?, ?, ?, ?)",
        report_id,
        n,
        media_type,
        sealed,
        evidence,
    )


async def set_alert(tx: Tx, report_id: int, alert_id: int) -> None:
    await tx.execute("UPDATE fake_reports SET alert_id = ? WHERE id = ?", alert_id, report_id)


async def report(tx: Tx, report_id: int) -> StoredReport | None:
    row = await tx.fetchrow(_SELECT + " WHERE r.id = ?", report_id)
    return None if row is None else _report(row)


async def reports_of_user(
    tx: Tx, user_id: int, before_id: int | None, limit: int
) -> list[StoredReport]:
    """The user's reports, newest first, below ``before_id`` (index fake_reports_user)."""
    if before_id is None:
        found = await tx.fetch(
            _SELECT + " WHERE r.user_id = ? ORDER BY r.id DESC LIMIT ?", user_id, limit
        )
    else:
        found = await tx.fetch(
            _SELECT + " WHERE r.user_id = ? AND r.id < ? ORDER BY r.id DESC LIMIT ?",
            user_id,
            before_id,
            limit,
        )
    return [_report(r) for r in found]


async def count_since(tx: Tx, user_id: int, since: dt.datetime) -> int:
    """How many reports the user filed at or after ``since``."""
    row = await tx.fetchrow(
        "SELECT COUNT(*) AS n FROM fake_reports WHERE user_id = ? AND at >= ?", user_id, since
    )
    return 0 if row is None else int(row["n"])


async def photo(tx: Tx, report_id: int, n: int) -> tuple[bytes, str, bytes | None] | None:
    """Photo ``n`` of the report: (sealed image, media type, sealed evidence or None)."""
    row = await tx.fetchrow(
        "SELECT photo_sealed, media_type, evidence_sealed FROM fake_report_photos"
        " WHERE report_id = ? AND n = ?",
        report_id,
        n,
    )
    if row is None:
        return None
    evidence = row["evidence_sealed"]
    return (
        bytes(row["photo_sealed"]),
        str(row["media_type"]),
        None if evidence is None else bytes(evidence),
    )


async def evidence(tx: Tx, report_id: int) -> list[tuple[int, bytes | None]]:
    """Every photo's number and sealed evidence (never the images), by number."""
    found = await tx.fetch(
        "SELECT n, evidence_sealed FROM fake_report_photos WHERE report_id = ? ORDER BY n",
        report_id,
    )
    return [(int(r["n"]), None if r["evidence_sealed"] is None else bytes(r["evidence_sealed"]))
            for r in found]  # fmt: skip


async def scan_of(tx: Tx, scan_id: int) -> Row | None:
    """What a report takes from a scan: its user, brand, code, product and lot."""
    return await tx.fetchrow(
        "SELECT s.id, s.user_id, s.brand_id, s.code, s.gtin, b.lot FROM scans s"
        " LEFT JOIN batches b ON b.id = s.batch_id WHERE s.id = ?",
        scan_id,
    )

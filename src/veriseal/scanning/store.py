"""SQL the scanning services read from the scan ledger beyond ``Ledger``'s own methods.

Scans are appended by the ledger (``Ledger.append_scans``); these are the reads the
clone rules and the handheld uploads need, each one indexed query in the caller's
transaction. No rules live here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from veriseal.ledger import rows
from veriseal.ledger.base import Row, Tx
from veriseal.models import Alert, AlertKind, NewAlert

#: No upper bound on ids.
NO_ID = 2**63 - 1


# ``since_id``/``until_id`` below: the code's first and last verification
# (``scan_codes.first_id``/``last_id``, the smallest and largest id of its
# verifications, migration 0009), or a narrower range the caller needs. Every read here
# is of verifications, so those bounds change no answer; on PostgreSQL, where scans is
# partitioned by id, they leave the months outside them out of the plan (each month is a
# partition the planner would otherwise consider on every read).
async def first_scan_per_province(
    tx: Tx, brand_id: int, code: str, since_id: int = 0, until_id: int = NO_ID
) -> dict[str, int]:
    """Each province the code was verified in (genuine or suspected-clone scans placed by
    the device, not by the client's IP address: a carrier's gateway may sit provinces
    away), with the id of its first scan there (read from the index ``scans_code`` alone,
    which carries the columns it filters and groups by, migration 0021)."""
    found = await tx.fetch(
        "SELECT province, MIN(id) AS first_id FROM scans"
        " WHERE brand_id = ? AND code = ? AND id >= ? AND id <= ? AND province IS NOT NULL"
        " AND outcome IN ('genuine', 'suspected_clone') AND loc_source <> 'ip'"
        " GROUP BY province",
        brand_id,
        code,
        since_id,
        until_id,
    )
    return {str(r["province"]): int(r["first_id"]) for r in found}


_CONSUMER_VERIFICATIONS = (
    "FROM scans WHERE brand_id = ? AND code = ? AND id >= ? AND id <= ?"
    " AND outcome IN ('genuine', 'suspected_clone')"
    " AND channel IN ('web', 'api', 'console') ORDER BY id DESC LIMIT ?"
)


async def consumer_identity_bound(
    tx: Tx, brand_id: int, code: str, limit: int, since_id: int = 0, until_id: int = NO_ID
) -> int:
    """:func:`identities.bound` of the code's newest ``limit`` verifications through
    consumer channels (web, API, console): the distinct actors that presented their
    cookie plus the distinct networks of the others. One row back, not the scans."""
    row = await tx.fetchrow(
        "SELECT COUNT(DISTINCT CASE WHEN client IS NULL THEN actor END)"
        " + COUNT(DISTINCT client) AS n FROM (SELECT actor, client "
        + _CONSUMER_VERIFICATIONS
        + ") AS recent",
        brand_id,
        code,
        since_id,
        until_id,
        limit,
    )
    return 0 if row is None else int(row["n"])


async def consumer_verifications(
    tx: Tx, brand_id: int, code: str, limit: int, since_id: int = 0, until_id: int = NO_ID
) -> list[Row]:
    """The code's newest ``limit`` verifications through consumer channels (web, API,
    console), newest first (index ``scans_code``). No time bounds in SQL on purpose: with
    one, the planner may pick ``scans_at`` and read the brand's whole time range instead
    of the code's rows (measured: 30x slower per scan); the caller cuts the window."""
    return await tx.fetch(
        "SELECT id, at, actor, client, province " + _CONSUMER_VERIFICATIONS,
        brand_id,
        code,
        since_id,
        until_id,
        limit,
    )


async def withdrawn_codes_scanned(
    tx: Tx, batch_id: int, from_id: int | None, since: dt.datetime | None
) -> list[Row]:
    """Per code of the batch, its consumer scans (web, API, console) whose verdict was
    ``not_activated`` or ``decommissioned``, from scan ``from_id`` on (or that happened
    at or after ``since``): code, unit_index, outcome, n, first_id, last_id, first_at,
    last_at (index ``scans_batch``)."""
    clauses = ["batch_id = ?", "outcome IN ('not_activated', 'decommissioned')",
               "channel IN ('web', 'api', 'console')"]  # fmt: skip
    args: list[Any] = [batch_id]
    if from_id is not None:
        clauses.append("id >= ?")
        args.append(from_id)
    if since is not None:
        clauses.append("at >= ?")
        args.append(since)
    return await tx.fetch(
        "SELECT code, unit_index, outcome, COUNT(*) AS n, MIN(id) AS first_id,"
        " MAX(id) AS last_id, MIN(at) AS first_at, MAX(at) AS last_at FROM scans"
        f" WHERE {' AND '.join(clauses)} GROUP BY code, unit_index, outcome",
        *args,
    )


async def open_group_alert(
    tx: Tx, brand_id: int, kind: AlertKind, group_key: str, since: dt.datetime
) -> Alert | None:
    """The group's newest alert of ``kind`` if it was updated at or after ``since``
    (still open), else None (index ``alerts_group``)."""
    row = await tx.fetchrow(
        "SELECT id, at, code, evidence, details, updated_at FROM alerts"
        " WHERE brand_id = ? AND kind = ? AND group_key = ? ORDER BY id DESC LIMIT 1",
        brand_id,
        str(kind),
        group_key,
    )
    if row is None or row["updated_at"] is None or rows.ts(row["updated_at"]) < since:
        return None
    evidence = tuple(json.loads(row["evidence"]))
    alert = NewAlert(rows.ts(row["at"]), brand_id, kind, row["code"], evidence, row["details"])
    return Alert(int(row["id"]), alert)


async def update_group_alert(
    tx: Tx, alert_id: int, evidence: Sequence[int], details: str, at: dt.datetime
) -> None:
    """Replace a group alert's evidence and figures (see migration 0012), as of ``at``."""
    await tx.execute(
        "UPDATE alerts SET evidence = ?, details = ?, updated_at = ? WHERE id = ?",
        json.dumps(list(evidence)),
        details,
        at,
        alert_id,
    )


async def scan_ids_by_client_id(tx: Tx, actor: str, client_ids: Sequence[str]) -> dict[str, int]:
    """The ids of the scans ``actor`` already stored under these device-made ids, by
    client id (one query; ``client_ids`` must fit one statement's parameters)."""
    if not client_ids:
        return {}
    marks = ", ".join("?" * len(client_ids))
    found = await tx.fetch(
        "SELECT scan_id, client_scan_id FROM scan_client_ids"
        f" WHERE actor = ? AND client_scan_id IN ({marks})",
        actor,
        *client_ids,
    )
    return {str(r["client_scan_id"]): int(r["scan_id"]) for r in found}


async def answers(tx: Tx) -> None:
    """A trivial read: returns when the ledger answers, raises ``StorageError`` when not."""
    await tx.fetch("SELECT 1 AS one")


async def user_scans(tx: Tx, user_id: int, before_id: int | None, limit: int) -> list[Row]:
    """The user's scans newest first, below scan ``before_id`` when given, at most
    ``limit``, with the product's name and the batch's lot (index ``scans_user``; the
    products and batches by their keys)."""
    clauses = ["s.user_id = ?"]
    args: list[Any] = [user_id]
    if before_id is not None:
        clauses.append("s.id < ?")
        args.append(before_id)
    return await tx.fetch(
        "SELECT s.id, s.at, s.code, s.gtin, s.outcome, s.reason, s.channel, s.country,"
        " s.province, s.city, s.lat, s.lon, p.name AS product, b.lot"
        " FROM scans s LEFT JOIN products p ON p.gtin = s.gtin"
        " LEFT JOIN batches b ON b.id = s.batch_id"
        f" WHERE {' AND '.join(clauses)} ORDER BY s.id DESC LIMIT ?",
        *args,
        limit,
    )

"""SQL the scanning services read from the scan ledger beyond ``Ledger``'s own methods.

Scans are appended by the ledger (``Ledger.append_scans``); these are the reads the
clone rules and the handheld uploads need, each one indexed query in the caller's
transaction. No rules live here.
"""

from __future__ import annotations

from collections.abc import Sequence

from veriseal.ledger.base import Tx


async def first_scan_per_province(tx: Tx, brand_id: int, code: str) -> dict[str, int]:
    """Each province the code was verified in (genuine or suspected-clone scans), with
    the id of its first scan there (index ``scans_code_province``)."""
    found = await tx.fetch(
        "SELECT province, MIN(id) AS first_id FROM scans"
        " WHERE brand_id = ? AND code = ? AND province IS NOT NULL"
        " AND outcome IN ('genuine', 'suspected_clone') GROUP BY province",
        brand_id,
        code,
    )
    return {str(r["province"]): int(r["first_id"]) for r in found}


async def scan_ids_by_client_id(tx: Tx, actor: str, client_ids: Sequence[str]) -> dict[str, int]:
    """The ids of the scans ``actor`` already stored under these device-made ids, by
    client id (one query; ``client_ids`` must fit one statement's parameters)."""
    if not client_ids:
        return {}
    marks = ", ".join("?" * len(client_ids))
    found = await tx.fetch(
        f"SELECT id, client_scan_id FROM scans WHERE actor = ? AND client_scan_id IN ({marks})",
        actor,
        *client_ids,
    )
    return {str(r["client_scan_id"]): int(r["id"]) for r in found}


async def answers(tx: Tx) -> None:
    """A trivial read: returns when the ledger answers, raises ``StorageError`` when not."""
    await tx.fetch("SELECT 1 AS one")

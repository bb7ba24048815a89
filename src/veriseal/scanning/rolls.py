"""Scans of a batch's withdrawn codes: a stolen roll of labels, or voided ones reused.

A code that is authentic but was never activated on the line (or was decommissioned:
spoiled, destroyed) already gets its verdict from the verifier (``not_activated``,
``decommissioned``). This module raises the brand's alert about it, one per batch and
not one per scan, since a stolen roll is thousands of codes: the batch's *open*
``unactivated_scan`` alert is updated in place (evidence and figures grow) until no
such scan came for :data:`QUIET` days; a scan after that opens a new alert.

Only consumer scans count (web, API, console): the line and inspectors scan labels before
activation on purpose, through handhelds.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from veriseal.ledger import rows
from veriseal.ledger.alert_store import insert_alert
from veriseal.ledger.base import Ledger, Row
from veriseal.models import AlertKind, NewAlert
from veriseal.scanning import store

QUIET = dt.timedelta(days=30)  # an alert with no new scan for this long is closed
MAX_EVIDENCE = 50  # scan ids kept as evidence: the first scan of the first codes, the last
MAX_CODES = 20  # serials listed in the figures (all are counted)
MAX_RANGES = 20  # index ranges listed in the figures


def _ranges(indexes: Sequence[int]) -> list[str]:
    """Sorted indexes as ``a-b`` ranges of consecutive ones (``a`` alone for one)."""
    out: list[list[int]] = []
    for i in sorted(set(indexes)):
        if out and i == out[-1][1] + 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return [f"{a}-{b}" if a != b else str(a) for a, b in out]


def figures(batch_id: int, found: Sequence[Row]) -> tuple[tuple[int, ...], dict[str, Any]]:
    """The alert's evidence and details from the per-code rows of
    :func:`veriseal.scanning.store.withdrawn_codes_scanned` (at least one)."""
    by_first = sorted(found, key=lambda r: int(r["first_id"]))
    last = max(int(r["last_id"]) for r in found)
    evidence = sorted({int(r["first_id"]) for r in by_first[: MAX_EVIDENCE - 1]} | {last})
    ranges = _ranges([int(r["unit_index"]) for r in found if r["unit_index"] is not None])
    details: dict[str, Any] = {
        "batch_id": batch_id,
        "scans": sum(int(r["n"]) for r in found),
        "codes": len({r["code"] for r in found}),
        "decommissioned_codes": len({r["code"] for r in found if r["outcome"] != "not_activated"}),
        "first_scan": int(by_first[0]["first_id"]),
        "last_scan": last,
        "first_at": min(rows.ts(r["first_at"]) for r in found).isoformat(),
        "last_at": max(rows.ts(r["last_at"]) for r in found).isoformat(),
        "sample_codes": [r["code"] for r in by_first[:MAX_CODES]],
        "index_ranges": ranges[:MAX_RANGES] + (["..."] if len(ranges) > MAX_RANGES else []),
    }
    return tuple(evidence), details


async def record(
    ledger: Ledger, brand_id: int, batch_id: int, limit: int, now: dt.datetime
) -> tuple[int, NewAlert] | None:
    """After a consumer's scan of a withdrawn code of ``batch_id`` was stored: update the
    batch's open alert, or open one when its scans number more than ``limit``. Returns
    the id and the alert when one was OPENED (to be announced); None otherwise.

    One write transaction under a per-batch advisory lock, so concurrent scans of one
    roll (also from other server processes) update one alert and never open two."""
    group = f"batch:{batch_id}"
    async with ledger.write() as tx:
        await tx.advisory_lock(f"alerts:{brand_id}:{group}")
        kind = AlertKind.UNACTIVATED_SCAN
        opened = await store.open_group_alert(tx, brand_id, kind, group, now - QUIET)
        if opened is not None:
            first = int(json.loads(opened.alert.details)["first_scan"])
            found = await store.withdrawn_codes_scanned(tx, batch_id, first, None)
        else:
            found = await store.withdrawn_codes_scanned(tx, batch_id, None, now - QUIET)
        if not found:
            return None
        evidence, details = figures(batch_id, found)
        text = json.dumps(details, sort_keys=True, ensure_ascii=False)
        if opened is not None:
            await store.update_group_alert(tx, opened.id, evidence, text, now)
            return None
        if details["scans"] <= limit:
            return None
        alert = NewAlert(now, brand_id, kind, details["sample_codes"][0], evidence, text)
        return await insert_alert(tx, alert, group), alert

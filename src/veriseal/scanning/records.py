"""A stored scan as a flat record: the one shape the CLI export and the JSON API share."""

from __future__ import annotations

import json
from typing import Any

from veriseal.models import Alert, Scan

#: Record fields, in export column order.
COLUMNS = (
    "id", "at", "code", "gtin", "batch_id", "index", "outcome", "reason", "channel", "actor",
    "lat", "lon", "accuracy_m", "loc_source", "client_scan_id", "country", "province",
    "city", "gb2260", "received_at",
)  # fmt: skip


def scan_record(s: Scan) -> dict[str, Any]:
    n, loc, region = s.scan, s.scan.location, s.scan.region
    return {
        "id": s.id,
        "at": n.at.isoformat(),
        "code": n.code,
        "gtin": n.gtin,
        "batch_id": n.batch_id,
        "index": n.index,
        "outcome": n.outcome,
        "reason": n.reason,
        "channel": str(n.channel),
        "actor": n.actor,
        "lat": loc.lat if loc else None,
        "lon": loc.lon if loc else None,
        "accuracy_m": loc.accuracy_m if loc else None,
        "loc_source": str(loc.source) if loc else None,
        "client_scan_id": n.client_scan_id,
        "country": region.country if region else None,
        "province": region.province if region else None,
        "city": region.city if region else None,
        "gb2260": region.gb2260 if region else None,
        # set only when ``at`` is a device's reported scan time (see NewScan)
        "received_at": n.received_at.isoformat() if n.received_at else None,
    }


def alert_record(a: Alert) -> dict[str, Any]:
    return {
        "id": a.id,
        "at": a.alert.at.isoformat(),
        "kind": str(a.alert.kind),
        "code": a.alert.code,
        "evidence_scans": list(a.alert.evidence),
        "details": json.loads(a.alert.details),
    }

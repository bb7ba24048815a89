"""A signed-in user's own verifications, as the user sees them ("my scans").

What a row shows, and why no more: the code masked but for the last 4 characters of
its serial (enough to tell two items apart; a screenshot of the list hands nobody a
working code), the product, lot and verdict, where it was (province and city names,
the position rounded to about 100 m). Nothing another person did: the list is read by
``scans.user_id`` only (migration 0016).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from veriseal.ledger import rows
from veriseal.ledger.base import Row
from veriseal.regions.names import province_name

#: characters of the serial left readable by :func:`mask_code`
SHOWN = 4
#: decimals kept of a scan's latitude and longitude (0.001 degree: about 100 m)
POSITION_DECIMALS = 3
MAX_LIMIT = 200


def mask_code(code: str) -> str:
    """``code`` with all but its last :data:`SHOWN` characters hidden (``••••WXYZ``);
    a code of :data:`SHOWN` characters or fewer is hidden whole."""
    if len(code) <= SHOWN:
        return "•" * 4
    return "•" * 4 + code[-SHOWN:]


@dataclass(frozen=True)
class MyScan:
    id: int
    at: dt.datetime
    code: str  # masked (mask_code)
    product: str | None
    gtin: str | None
    lot: str | None
    outcome: str
    reason: str
    channel: str
    country: str | None
    province: str | None  # the stored key (CN-GD)
    province_zh: str
    province_en: str
    city: str | None
    lat: float | None
    lon: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "code": self.code,
            "product": self.product,
            "gtin": self.gtin,
            "lot": self.lot,
            "outcome": self.outcome,
            "reason": self.reason,
            "channel": self.channel,
            "region": None
            if self.country is None
            else {
                "country": self.country,
                "province": self.province,
                "province_name": {"zh": self.province_zh, "en": self.province_en},
                "city": self.city,
            },
            "lat": self.lat,
            "lon": self.lon,
        }


def _rounded(value: Any) -> float | None:
    return None if value is None else round(float(value), POSITION_DECIMALS)


def my_scan(row: Row) -> MyScan:
    """One row of :func:`veriseal.scanning.store.user_scans` as the user sees it."""
    province = row["province"]
    return MyScan(
        id=int(row["id"]),
        at=rows.ts(row["at"]),
        code=mask_code(str(row["code"])),
        product=row["product"],
        gtin=row["gtin"],
        lot=row["lot"],
        outcome=str(row["outcome"]),
        reason=str(row["reason"]),
        channel=str(row["channel"]),
        country=row["country"],
        province=province,
        province_zh=province_name(province, "zh"),
        province_en=province_name(province, "en"),
        city=row["city"],
        lat=_rounded(row["lat"]),
        lon=_rounded(row["lon"]),
    )


@dataclass(frozen=True)
class ScanPage:
    """One page of a user's scans, newest first; ``next_cursor``: the id to pass as
    ``cursor`` for the next (older) page, None on the last page."""

    items: list[MyScan]
    next_cursor: int | None

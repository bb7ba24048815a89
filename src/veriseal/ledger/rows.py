"""Row <-> record mapping shared by the backends (SQLite gives text, PostgreSQL types)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from veriseal.ledger.base import Row
from veriseal.models import (
    Batch,
    BatchStatus,
    Brand,
    KeyRecord,
    KeyStatus,
    Location,
    LocationSource,
    NewScan,
    Product,
    Profile,
    Region,
    Scan,
    ScanBrief,
    ScanChannel,
)


def ts(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return dt.datetime.fromisoformat(str(value)).astimezone(dt.UTC)


def day(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def brand(row: Row) -> Brand:
    return Brand(row["id"], row["slug"], row["name"], row["resolver"], ts(row["created_at"]))


def key(row: Row) -> KeyRecord:
    return KeyRecord(
        brand_id=row["brand_id"],
        slot=row["slot"],
        kid=row["kid"],
        public_key=bytes(row["public_key"]),
        sealed_secret=bytes(row["sealed_secret"]),
        status=KeyStatus(row["status"]),
        created_at=ts(row["created_at"]),
        revoked_at=ts(row["revoked_at"]) if row["revoked_at"] is not None else None,
    )


def product(row: Row) -> Product:
    return Product(
        brand_id=row["brand_id"],
        gtin=row["gtin"],
        name=row["name"],
        spec=row["spec"],
        manufacturer=row["manufacturer"],
        shelf_life_days=row["shelf_life_days"],
        category=tuple(p for p in row["category"].split("/") if p),
        category_id=row["category_id"],
    )


def batch(row: Row) -> Batch:
    return Batch(
        id=row["id"],
        brand_id=row["brand_id"],
        gtin=row["gtin"],
        lot=row["lot"],
        key_slot=row["key_slot"],
        seq=row["seq"],
        profile=Profile(row["profile"]),
        pin_digits=row["pin_digits"],
        size=row["size"],
        production_date=day(row["production_date"]),
        expiry_date=day(row["expiry_date"]) if row["expiry_date"] is not None else None,
        factory=row["factory"],
        line=row["line"],
        status=BatchStatus(row["status"]),
        manifest=bytes(row["manifest"]),
        manifest_sig=bytes(row["manifest_sig"]),
        created_at=ts(row["created_at"]),
    )


def location(row: Row, prefix: str = "") -> Location | None:
    if row[f"{prefix}lat"] is None or row[f"{prefix}lon"] is None:
        return None
    return Location(
        float(row[f"{prefix}lat"]),
        float(row[f"{prefix}lon"]),
        None if row[f"{prefix}accuracy_m"] is None else float(row[f"{prefix}accuracy_m"]),
        LocationSource(row[f"{prefix}loc_source"]),
    )


def region(row: Row) -> Region | None:
    if row["country"] is None:
        return None
    return Region(row["country"], row["province"] or "", row["city"] or "", row["gb2260"])


def scan_brief(row: Row) -> ScanBrief:
    located = row["lat"] is not None and row["lon"] is not None
    return ScanBrief(
        int(row["id"]),
        int(row["brand_id"]),
        ts(row["at"]),
        str(row["outcome"]),
        str(row["channel"]),
        row["gtin"],
        row["batch_id"],
        row["unit_index"],
        row["province"],
        float(row["lat"]) if located else None,
        float(row["lon"]) if located else None,
    )


def scan(row: Row) -> Scan:
    return Scan(
        id=row["id"],
        scan=NewScan(
            at=ts(row["at"]),
            code=row["code"],
            outcome=row["outcome"],
            reason=row["reason"],
            channel=ScanChannel(row["channel"]),
            actor=row["actor"],
            brand_id=row["brand_id"],
            gtin=row["gtin"],
            batch_id=row["batch_id"],
            index=row["unit_index"],
            location=location(row),
            client_scan_id=row["client_scan_id"],
            region=region(row),
            received_at=None if row["received_at"] is None else ts(row["received_at"]),
            client=row["client"],
            user_id=row["user_id"],
        ),
    )

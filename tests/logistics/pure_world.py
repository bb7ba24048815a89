"""Records for the pure rules' tests, built by hand (no store, no resolver): real Chinese
cities with the coordinates, provinces and GB/T 2260 city codes written from geography."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from veriseal_logistics.models import Checkpoint, Place, Waybill
from veriseal_logistics.statuses import Status

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)

SHENZHEN = Place("深圳市", 22.54, 114.06, "CN-GD", "440300")
GUANGZHOU = Place("广州市", 23.13, 113.26, "CN-GD", "440100")
DONGGUAN = Place("东莞市", 23.02, 113.75, "CN-GD", "441900")
CHANGSHA = Place("长沙市", 28.23, 112.94, "CN-HN", "430100")
WUHAN = Place("武汉市", 30.59, 114.31, "CN-HB", "420100")
ZHENGZHOU = Place("郑州市", 34.75, 113.63, "CN-HA", "410100")
BEIJING = Place("北京市", 39.90, 116.40, "CN-BJ", "110100")
SHANGHAI = Place("上海市", 31.23, 121.47, "CN-SH", "310100")
CHENGDU = Place("成都市", 30.57, 104.07, "CN-SC", "510100")
URUMQI = Place("乌鲁木齐市", 43.83, 87.62, "CN-XJ", "650100")
HARBIN = Place("哈尔滨市", 45.80, 126.53, "CN-HL", "230100")
KUNMING = Place("昆明市", 25.04, 102.71, "CN-YN", "530100")


def hours(h: float) -> dt.timedelta:
    return dt.timedelta(hours=h)


def waybill(origin: Place = SHENZHEN, destination: Place = WUHAN, **changes: Any) -> Waybill:
    """A waybill in transit from ``origin`` to ``destination`` (carrier ``shunfeng``,
    created at T0); ``changes``: any other field (``status``, ``promised_at``...)."""
    base = Waybill(
        id=1, brand_id=1, carrier="shunfeng", tracking_no="SF1234567890", reference="",
        movement_id=None, from_org=None, to_org=None, origin=origin,
        destination=destination, waypoints=(), promised_at=None, status=Status.IN_TRANSIT,
        last_event_at=None, picked_up_at=None, delivered_at=None, delivered_place=None,
        eta=None, created_at=T0, created_by="test",
    )  # fmt: skip
    return replace(base, **changes)


def checkpoint(id: int, at: dt.datetime, status: Status, place: Place | None = None) -> Checkpoint:
    return Checkpoint(
        id=id, waybill_id=1, at=at, status=status, raw_status="", description="",
        place=place if place is not None else Place(), source="manual", key=f"k{id}",
        received_at=at,
    )  # fmt: skip


def timeline(*steps: tuple[float, Status, Place | None]) -> list[Checkpoint]:
    """Checkpoints at T0 + hours, ids in order."""
    return [checkpoint(i + 1, T0 + hours(h), s, p) for i, (h, s, p) in enumerate(steps)]

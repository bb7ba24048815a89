"""How the logistics pages say a status, an ETA window and an alert's evidence, in both
languages (console_format)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from veriseal_logistics.console_format import (
    eta_basis,
    eta_text,
    evidence_summary,
    kind_label,
    source_label,
    status_label,
)
from veriseal_logistics.models import Eta
from veriseal_logistics.statuses import LABELS, Status

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
TODAY = dt.date(2026, 12, 4)


def _eta(p50: dt.datetime, p90: dt.datetime, basis: str = "history", n: int = 31) -> Eta:
    return Eta(p50, p90, basis, n)


def test_the_window_in_both_languages() -> None:
    same_month = _eta(
        dt.datetime(2026, 12, 12, 2, tzinfo=UTC), dt.datetime(2026, 12, 14, 9, tzinfo=UTC)
    )
    assert eta_text(same_month, SHANGHAI, "en", TODAY) == "expected 12–14 Dec"
    assert eta_text(same_month, SHANGHAI, "zh", TODAY) == "预计 12月12日–14日"
    across = _eta(dt.datetime(2026, 11, 30, 2, tzinfo=UTC), dt.datetime(2026, 12, 2, 2, tzinfo=UTC))
    assert eta_text(across, SHANGHAI, "en", TODAY) == "expected 30 Nov – 2 Dec"
    assert eta_text(across, SHANGHAI, "zh", TODAY) == "预计 11月30日–12月2日"
    one_day = _eta(
        dt.datetime(2026, 12, 12, 1, tzinfo=UTC), dt.datetime(2026, 12, 12, 8, tzinfo=UTC)
    )
    assert eta_text(one_day, SHANGHAI, "en", TODAY) == "expected 12 Dec"
    assert eta_text(one_day, SHANGHAI, "zh", TODAY) == "预计 12月12日"
    next_year = _eta(
        dt.datetime(2026, 12, 30, 2, tzinfo=UTC), dt.datetime(2027, 1, 2, 2, tzinfo=UTC)
    )
    assert eta_text(next_year, SHANGHAI, "en", TODAY) == "expected 30 Dec 2026 – 2 Jan 2027"
    assert eta_text(next_year, SHANGHAI, "zh", TODAY) == "预计 2026年12月30日–2027年1月2日"


def test_the_days_are_the_readers() -> None:
    # 20:00 UTC on the 11th is the 12th in Shanghai, still the 11th in New York
    eta = _eta(dt.datetime(2026, 12, 11, 20, tzinfo=UTC), dt.datetime(2026, 12, 13, 20, tzinfo=UTC))
    assert eta_text(eta, SHANGHAI, "en", TODAY) == "expected 12–14 Dec"
    assert eta_text(eta, ZoneInfo("America/New_York"), "en", TODAY) == "expected 11–13 Dec"


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2090, 1, 1)),
       st.timedeltas(min_value=dt.timedelta(hours=-5), max_value=dt.timedelta(days=40)),
       st.sampled_from(["en", "zh"]))  # fmt: skip
def test_any_window_reads_as_one(p50: dt.datetime, width: dt.timedelta, lang: str) -> None:
    start = p50.replace(tzinfo=UTC)
    text = eta_text(_eta(start, start + width), SHANGHAI, lang, TODAY)
    assert text.startswith("预计 " if lang == "zh" else "expected ")
    assert text.count("–") <= 1


def test_basis_labels_and_evidence() -> None:
    eta = _eta(dt.datetime(2026, 12, 12, tzinfo=UTC), dt.datetime(2026, 12, 14, tzinfo=UTC))
    assert "31 past deliveries" in eta_basis(eta, "en") and "31 次" in eta_basis(eta, "zh")
    default = _eta(eta.p50, eta.p90, "default", 0)
    assert "distance" in eta_basis(default, "en") and "按距离" in eta_basis(default, "zh")
    for s in Status:
        assert status_label(s, "en") == LABELS[s][0] and status_label(s.value, "zh") == LABELS[s][1]
    assert status_label("teleported", "en") == "teleported"
    assert kind_label("off_route", "zh") == "偏离路线" and kind_label("x", "en") == "x"
    assert source_label("kuaidi100", "en") == "快递100 push"
    off = {
        "checkpoints": [
            {
                "id": 3,
                "place": "成都转运中心",
                "province": "CN-SC",
                "distance_km": 912.345,
                "reason": "distance",
            }
        ],
        "corridor_km": 160.0,
        "route_km": 590.1,
        "provinces": None,
    }
    assert evidence_summary(off, "zh") == (
        "偏离的轨迹点: 成都转运中心 912.3 km · 走廊公里: 160.0 · 路线公里: 590.1"
    )
    stalled = {
        "last_event_at": "2026-12-01T00:00:00+00:00",
        "status": "in_transit",
        "silent_hours": 80.25,
        "threshold_hours": 48,
        "basis": "default",
        "samples": 0,
    }
    assert evidence_summary(stalled, "en") == (
        "hours without news: 80.2 · threshold hours: 48 · status: In transit · basis: default"
    )
    assert evidence_summary({}, "en") == ""

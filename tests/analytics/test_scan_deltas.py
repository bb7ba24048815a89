"""The scan cubes' deltas of a batch equal the module's contract applied scan by scan:
each scan adds 1 to six rows (all, local hour, province, city, product, verdict) of its
local day, to ``scans``, to its verdict group, and to ``first_scans`` or ``repeats``
by whether it is a unit's first scan. The reference below counts exactly that, one scan
at a time, in zones with half-hour offsets and summer time."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from veriseal_analytics.scan_rollup import COLUMNS, ScanFact, deltas

ZONES = ("Asia/Shanghai", "Asia/Kolkata", "Europe/Berlin", "America/St_Johns", "UTC")
OUTCOMES = ("genuine", "pin_required", "suspected_clone", "recalled", "invalid", "pin_wrong",
            "not_activated", "no_such_outcome")  # fmt: skip
GROUP = {"genuine": "genuine", "pin_required": "genuine", "suspected_clone": "clone",
         "recalled": "withdrawn", "not_activated": "withdrawn", "invalid": "invalid",
         "pin_wrong": "invalid"}  # fmt: skip

facts = st.builds(
    ScanFact,
    id=st.integers(1, 10**6),
    brand_id=st.just(1),
    # around two summer-time changes (Berlin: 2026-03-29, 2026-10-25) and a new year
    at=st.sampled_from(
        (dt.datetime(2026, 3, 28, 20), dt.datetime(2026, 10, 24, 20), dt.datetime(2025, 12, 31, 12))
    ).flatmap(
        lambda base: st.integers(0, 40 * 3600).map(
            lambda s: (base + dt.timedelta(seconds=s)).replace(tzinfo=dt.UTC)
        )
    ),
    outcome=st.sampled_from(OUTCOMES),
    gtin=st.sampled_from(("", "09506000134352", "09506000134369")),
    province=st.sampled_from(("", "CN-GD", "CN-ZJ")),
    city=st.sampled_from(("", "440300", "330100")),
)


Row = tuple[str, str, str]


def one_by_one(pairs: list[tuple[ScanFact, bool | None]], tz: str) -> dict[Row, tuple[int, ...]]:
    rows: dict[Row, Counter[str]] = {}
    for f, first in pairs:
        t = f.at.astimezone(ZoneInfo(tz))
        day = t.date().isoformat()
        six = (("all", ""), ("hour", f"{t.hour:02d}"), ("province", f.province),
               ("city", f.city), ("product", f.gtin), ("outcome", f.outcome))  # fmt: skip
        for cube, key in six:
            m = rows.setdefault((cube, day, key), Counter())
            m["scans"] += 1
            m[GROUP.get(f.outcome, "other")] += 1
            if first is True:
                m["first_scans"] += 1
            elif first is False:
                m["repeats"] += 1
    return {row: tuple(m[c] for c in COLUMNS) for row, m in rows.items()}


@given(st.lists(st.tuples(facts, st.sampled_from((True, False, None))), max_size=60),
       st.sampled_from(ZONES))  # fmt: skip
def test_a_batch_adds_what_its_scans_add_one_by_one(
    pairs: list[tuple[ScanFact, bool | None]], tz: str
) -> None:
    got = {row: m.as_tuple() for row, m in deltas(pairs, tz).items()}
    assert got == one_by_one(pairs, tz)

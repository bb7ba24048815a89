"""Events CSV: the documented columns (and their Chinese names), BOM or not, every bad
row reported with its line, and rows of any shape never crashing the reader."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal import VerisealError
from veriseal_logistics.csv_import import read_csv
from veriseal_logistics.intake_errors import CsvEventsInvalid
from veriseal_logistics.statuses import Status

GOOD = (
    "carrier,tracking_no,time,status,description,place,lat,lon,event_id\n"
    "sf,SF1,2026-12-01 18:00,揽收,已揽收,深圳,,,\n"
    "sf,SF1,2026-12-02T09:30:00+08:00,in_transit,到达中转场,上海,31.2,121.5,e-2\n"
    "sf,SF2,2026-12-02T01:00:00Z,1001,到达派件城市,,,,\n"
)


@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_rows_read_into_events(bom: str) -> None:
    rows = read_csv(bom + GOOD)
    assert [(r.line, r.carrier, r.tracking_no) for r in rows] == [
        (2, "sf", "SF1"),
        (3, "sf", "SF1"),
        (4, "sf", "SF2"),
    ]
    first, second, third = (r.event for r in rows)
    # no offset: China time
    assert first.at == dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
    assert first.status is Status.PICKED_UP and first.raw_status == "揽收"
    assert first.place.city == "440300"
    assert second.key == "e-2" and second.place.lat == 31.2 and second.place.name == "上海"
    assert second.raw_status == ""  # our own vocabulary: nothing raw to keep
    assert third.status is Status.AT_DESTINATION_CITY


def test_chinese_headers_are_aliases() -> None:
    rows = read_csv("快递公司,运单号,时间,状态,描述\nsf,SF1,2026-12-01 18:00:00,签收,已签收\n")
    assert rows[0].event.status is Status.DELIVERED


def test_every_bad_row_is_reported_with_its_line() -> None:
    text = (
        "carrier,tracking_no,time,status,event_id\n"
        "sf,SF1,2026-12-01 18:00,in_transit,a\n"
        "sf,SF1,tomorrow,in_transit,b\n"
        "sf,SF1,2026-12-01 18:00,teleported,c\n"
        ",SF1,2026-12-01 18:00,in_transit,d\n"
        "sf,SF1,2026-12-01 18:00,in_transit,a\n"
        "sf,SF1\n"
    )
    with pytest.raises(CsvEventsInvalid) as caught:
        read_csv(text)
    assert caught.value.code == "logistics_csv_invalid"
    assert [r["line"] for r in caught.value.details["rows"]] == [3, 4, 5, 6, 7]


@pytest.mark.parametrize("text", ["", "carrier,tracking_no\nsf,1\n", "nonsense,carrier\n",
                                  "carrier,tracking_no,time,status\n"])  # fmt: skip
def test_bad_headers_and_empty_files_are_coded_errors(text: str) -> None:
    with pytest.raises(VerisealError) as caught:
        read_csv(text)
    assert caught.value.http_status == 400


def test_a_nul_anywhere_refuses_the_file() -> None:
    with pytest.raises(CsvEventsInvalid):
        read_csv(GOOD.replace("已揽收", "已\x00揽收"))


_cell = st.one_of(
    st.text(max_size=15),
    st.sampled_from(
        ["sf", "SF1", "2026-12-01 18:00", "in_transit", "签收", "深圳", "22.5", "nan", "1e999"]
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_cell, min_size=0, max_size=10), max_size=6))
def test_any_rows_are_events_or_a_coded_error(rows: list[list[str]]) -> None:
    text = "carrier,tracking_no,time,status,description,place,lat,lon,event_id\n" + "\n".join(
        ",".join(c.replace(",", ";") for c in row) for row in rows
    )
    try:
        read_csv(text)
    except VerisealError as exc:
        assert exc.http_status == 400

"""Suspected-fake reports: filed with photos, an alert for the brand of the code, read by
the reporter and the brand only, photos sealed and every read audited; on each backend.
Uploads of any bytes end in a stored report or a coded 4xx error, never half-written."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image

from tests.lifecycle.conftest import codes, make_batch
from tests.scanning.test_my_scans import person
from veriseal.accounts.errors import Forbidden
from veriseal.accounts.models import SYSTEM, Role
from veriseal.engine import Engine
from veriseal.errors import RateLimited, VerisealError
from veriseal.ledger.base import Tx
from veriseal.models import AlertKind, Brand
from veriseal.notifications import HistoryFilter
from veriseal.scanning.errors import (
    PhotoInvalid,
    PhotoTooLarge,
    ReportInvalid,
    ReportNotFound,
    TooManyPhotos,
)
from veriseal.scanning.report_photos import MAX_BYTES, prepare
from veriseal.scanning.reports import MAX_PER_DAY, ReportRequest

REPORT = AlertKind.CONSUMER_REPORT
_REPORTERS = itertools.count()


def photo(fmt: str = "PNG", gps: bool = True, size: tuple[int, int] = (320, 240)) -> bytes:
    """A phone-like photo: a few colours, with EXIF GPS (Shanghai) and a capture time."""
    image = Image.new("RGB", size, (180, 40, 40))
    image.paste((20, 120, 200), (0, 0, size[0] // 2, size[1] // 2))
    exif = Image.Exif()
    if gps:
        exif[ExifTags.Base.GPSInfo] = {1: "N", 2: (31.0, 13.0, 48.0), 3: "E",
                                       4: (121.0, 28.0, 12.0)}  # fmt: skip
        exif.get_ifd(ExifTags.IFD.Exif)[0x9003] = "2026:03:01 14:22:05"
    out = io.BytesIO()
    image.save(out, fmt, exif=exif)
    return out.getvalue()


async def counts(engine: Engine) -> tuple[int, ...]:
    async def n(tx: Tx, table: str) -> int:
        row = await tx.fetchrow(f"SELECT COUNT(*) AS n FROM {table}")
        return 0 if row is None else int(row["n"])

    async with engine.ledger.read() as tx:
        return tuple([await n(tx, t) for t in ("fake_reports", "fake_report_photos", "alerts",
                                               "stream_events", "audit_log")])  # fmt: skip


async def audit_actions(engine: Engine) -> list[tuple[str, str]]:
    async with engine.ledger.read() as tx:
        found = await tx.fetch("SELECT action, target FROM audit_log ORDER BY id")
    return [(str(r["action"]), str(r["target"])) for r in found]


async def test_a_report_becomes_the_brands_alert(engine: Engine, brand: Brand) -> None:
    root = await engine.accounts.brand_org(brand)
    admin = await person(engine, "boss", Role.BRAND_ADMIN, root.id)
    inspector = await person(engine, "insp", Role.INSPECTOR, root.id)
    alice, mallory = await person(engine, "alice"), await person(engine, "mallory")
    batch = await make_batch(engine, brand, "L9")
    [uri] = await codes(engine, brand, batch, 0, 1)
    scan = await engine.scans.scan_as(alice, uri)

    report = await engine.reports.file(
        alice,
        ReportRequest(scan_id=scan.scan_id, place="  城南批发市场 3 号摊 ", note="包装印刷模糊"),
        [photo("PNG"), photo("JPEG", gps=False)],
    )
    assert (report.brand_id, report.gtin, report.lot) == (brand.id, "09506000134352", "L9")
    assert report.place == "城南批发市场 3 号摊" and report.status == "open"
    assert [p.n for p in report.photos] == [1, 2]
    assert report.photos[0].evidence == {"lat": 31.23, "lon": 121.47,
                                         "taken_at": "2026-03-01T14:22:05"}  # fmt: skip
    assert report.photos[1].evidence is None

    [alert] = await engine.ledger.list_alerts(brand.id, kind=REPORT)
    assert alert.id == report.alert_id and alert.alert.evidence == (scan.scan_id,)
    assert alert.alert.code == scan.verification.info.serial  # type: ignore[union-attr]
    details = json.loads(alert.alert.details)
    assert details["report_id"] == report.id and details["photos"] == 2
    assert "place" not in details and "note" not in details  # the report holds those

    # the brand's admin hears of it in the inbox, with the way to the report
    [message] = await engine.notifier.inbox.history(admin.user_id or 0, HistoryFilter())
    assert message.type == "consumer_report" and f"/console/reports/{report.id}" in message.body

    for reader in (alice, admin, inspector):
        assert (await engine.reports.get(reader, report.id)).note == "包装印刷模糊"
    data, media = await engine.reports.photo(admin, report.id, 1)
    shown = Image.open(io.BytesIO(data))
    assert (media, shown.format, shown.size) == ("image/jpeg", "JPEG", (320, 240))
    assert not shown.getexif()  # the stored image carries no EXIF (the GPS is apart)
    assert ("report.photo_read", f"report:{report.id}") in await audit_actions(engine)

    with pytest.raises(Forbidden):
        await engine.reports.get(mallory, report.id)
    with pytest.raises(Forbidden):
        await engine.reports.photo(mallory, report.id, 1)
    with pytest.raises(ReportNotFound):
        await engine.reports.photo(admin, report.id, 3)
    with pytest.raises(ReportNotFound):
        await engine.reports.get(admin, report.id + 1000)
    assert [r.id for r in await engine.reports.mine(alice)] == [report.id]
    assert await engine.reports.mine(mallory) == []


async def test_the_photos_are_sealed_not_stored_in_clear(engine: Engine, brand: Brand) -> None:
    alice = await person(engine, "alice")
    report = await engine.reports.file(alice, ReportRequest(gtin="9506000134352"), [photo("JPEG")])
    stored = prepare(photo("JPEG")).data
    async with engine.ledger.read() as tx:
        row = await tx.fetchrow(
            "SELECT photo_sealed, evidence_sealed FROM fake_report_photos WHERE report_id = ?",
            report.id,
        )
    assert row is not None
    sealed, evidence = bytes(row["photo_sealed"]), bytes(row["evidence_sealed"])
    assert stored[:64] not in sealed and b"31.23" not in evidence
    assert report.brand_id == brand.id  # the GTIN names the brand


async def test_who_a_report_belongs_to(engine: Engine, brand: Brand) -> None:
    """A fake serial under the brand's GTIN is the brand's; a code nobody can place is
    the platform's, and only the platform admin reads it."""
    other = await engine.brands.create("bolt", "Bolt", "id.bolt.example")
    stranger = await person(engine, "sam", Role.BRAND_ADMIN,
                            (await engine.accounts.brand_org(other)).id)  # fmt: skip
    platform = await person(engine, "root", Role.PLATFORM_ADMIN)
    alice = await person(engine, "alice")
    fake = await engine.reports.file(
        alice, ReportRequest(code="https://id.acme.example/01/09506000134352/21/FAKE99")
    )
    assert fake.brand_id == brand.id and fake.code.endswith("FAKE99")
    with pytest.raises(Forbidden):
        await engine.reports.get(stranger, fake.id)  # another brand's admin
    junk = await engine.reports.file(alice, ReportRequest(code="微信上买的，没有二维码"))
    assert junk.brand_id is None
    [platform_alert] = await engine.ledger.list_alerts(None, kind=REPORT)
    assert platform_alert.id == junk.alert_id
    assert (await engine.reports.get(platform, junk.id)).code == "微信上买的，没有二维码"
    with pytest.raises(Forbidden):
        await engine.reports.get(stranger, junk.id)


async def test_what_a_report_refuses(engine: Engine, brand: Brand) -> None:
    alice, bob = await person(engine, "alice"), await person(engine, "bob")
    batch = await make_batch(engine, brand)
    [uri] = await codes(engine, brand, batch, 0, 1)
    bobs = await engine.scans.scan_as(bob, uri)
    before = await counts(engine)
    cases: list[tuple[ReportRequest, list[bytes], type[VerisealError]]] = [
        (ReportRequest(), [], ReportInvalid),  # names nothing
        (ReportRequest(scan_id=bobs.scan_id), [], ReportInvalid),  # not her scan
        (ReportRequest(scan_id=10**12), [], ReportInvalid),
        (ReportRequest(code="X", note="n" * 2001), [], ReportInvalid),
        (ReportRequest(code="X\x00"), [], VerisealError),  # text_invalid
        (ReportRequest(gtin="123"), [], VerisealError),  # gtin_invalid
        (ReportRequest(code="X"), [photo()] * 4, TooManyPhotos),
        (ReportRequest(code="X"), [photo(), b"GIF89a not really"], PhotoInvalid),
        (ReportRequest(code="X"), [b"\xff" * (MAX_BYTES + 1)], PhotoTooLarge),
        (ReportRequest(code="X"), [b""], PhotoInvalid),
    ]
    for request, photos, error in cases:
        with pytest.raises(error) as raised:
            await engine.reports.file(alice, request, photos)
        assert 400 <= raised.value.http_status < 500, raised.value
    assert await counts(engine) == before  # nothing half-written
    with pytest.raises(ReportInvalid):
        await engine.reports.file(SYSTEM, ReportRequest(code="X"))


async def test_reports_per_day_are_bounded(engine: Engine, brand: Brand) -> None:
    alice = await person(engine, "alice")
    for i in range(MAX_PER_DAY):
        await engine.reports.file(alice, ReportRequest(code=f"FAKE{i}"))
    with pytest.raises(RateLimited):
        await engine.reports.file(alice, ReportRequest(code="one more"))
    await engine.reports.file(await person(engine, "bob"), ReportRequest(code="FAKE0"))


def _mutations() -> st.SearchStrategy[bytes]:
    """Any bytes, and bytes close to an image (a real photo cut short, flipped bits, a
    valid header before noise), which reach deeper into the decoders."""
    real = [photo("PNG"), photo("JPEG"), photo("WEBP")]

    def cut(data: bytes, at: int) -> bytes:
        return data[: at % (len(data) + 1)]

    def flip(data: bytes, at: int, value: int) -> bytes:
        i = at % len(data)
        return data[:i] + bytes([value]) + data[i + 1 :]

    base = st.sampled_from(real)
    flips: Callable[..., bytes] = flip
    return st.one_of(
        st.binary(max_size=2048),
        st.builds(cut, base, st.integers(0, 10**6)),
        st.builds(flips, base, st.integers(0, 10**6), st.integers(0, 255)),
        st.builds(lambda d, tail: d[:32] + tail, base, st.binary(max_size=512)),
        base,
    )


@settings(max_examples=300, deadline=None)
@given(_mutations())
def test_any_bytes_are_a_photo_or_a_coded_4xx(data: bytes) -> None:
    try:
        stored = prepare(data)
    except (PhotoInvalid, PhotoTooLarge) as exc:
        assert 400 <= exc.http_status < 500
        return
    assert Image.open(io.BytesIO(stored.data)).format == "JPEG"


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(uploads=st.lists(_mutations(), min_size=1, max_size=3))
async def test_any_upload_is_stored_whole_or_not_at_all(
    engine: Engine, brand: Brand, uploads: list[bytes]
) -> None:
    reporter = await person(engine, f"u{next(_REPORTERS)}")  # a day's reports each
    before = await counts(engine)
    outcome: Any
    try:
        outcome = await engine.reports.file(reporter, ReportRequest(code="X"), uploads)
    except (PhotoInvalid, PhotoTooLarge) as exc:
        assert 400 <= exc.http_status < 500
        assert await counts(engine) == before
        return
    assert len(outcome.photos) == len(uploads)
    for n in range(1, len(uploads) + 1):
        data, _ = await engine.reports.photo(reporter, outcome.id, n)
        assert Image.open(io.BytesIO(data)).format == "JPEG"

"""Every shipped ZPL template printed (rendered at its printer's resolution) and read back
by two independent readers: zxing-cpp for every symbol, zbar for QR codes (it reads no
DataMatrix). A label counts only if its symbol decodes to exactly the expected URI or GS1
element string, so a symbol overlapped by text, or one whose data the ZPL escaping
changed, fails here."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import zxingcpp

from veriseal.codes import digital_link
from veriseal.engine import Engine
from veriseal.models import Brand, Profile
from veriseal.printing import job, templates
from veriseal.printing.errors import PrintTemplateInvalid
from veriseal.printing.records import BatchSource
from veriseal.printing.render_base import Sink

from .conftest import GTIN, GTIN_NO_EXPIRY, make_source
from .readback import zbar, zpl_labels, zxing

pytestmark = pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)

LABELS = 20
ZPL = [t.name for t in templates.available() if t.kind == "zpl"]
# (profile, product, lot): '_' is legal in a GS1 lot, and "_1" was ZPL's FNC1 escape
CASES = {
    "compact-expiry-underscore-lot": (Profile.COMPACT, GTIN, "L_1.x-2"),
    "compact-no-expiry": (Profile.COMPACT, GTIN_NO_EXPIRY, "L2401"),
    "signed-expiry": (Profile.SIGNED, GTIN, "L2401"),
    "signed-no-expiry-underscore-lot": (Profile.SIGNED, GTIN_NO_EXPIRY, "A_1"),
}
PARAMS = [
    pytest.param(name, case, id=f"{name}-{case}")
    for name in ZPL
    for case, (profile, _, _) in CASES.items()
    if "qr" in name or profile is Profile.COMPACT  # DataMatrix cannot carry a signature
]


def _zpl(source: BatchSource, name: str, stop: int) -> bytes:
    out = io.BytesIO()
    sink = Sink.for_stream(out)
    job.run(job.renderer_for(templates.find(name), source), source, 0, stop, sink)
    sink.close()
    return out.getvalue()


@pytest.mark.parametrize(("name", "case"), PARAMS)
async def test_every_zpl_label_decodes(engine: Engine, brand: Brand, name: str, case: str) -> None:
    profile, gtin, lot = CASES[case]
    source = await make_source(engine, brand, profile, 0, LABELS, lot=lot, gtin=gtin)
    data = _zpl(source, name, LABELS)
    uris = [bytes(r).decode() for r in next(iter(source.chunks(0, LABELS))).field("uri")]
    links = [digital_link.parse(uri) for uri in uris]
    assert all(link.lot == lot for link in links)
    images = zpl_labels(data, name)
    assert len(images) == LABELS
    read = [zxing(image) for image in images]
    if "datamatrix" in name:
        # zxing reports a GS1 symbol as (AI)value text; its raw bytes carry GS (FNC1)
        assert [[b.text for b in r] for r in read] == [
            [digital_link.element_string_hri(link)] for link in links
        ]
        assert all(b.content_type == zxingcpp.ContentType.GS1 for r in read for b in r)
        assert [[b.bytes.decode() for b in r] for r in read] == [
            [digital_link.element_string(link)] for link in links
        ]
    else:
        assert [[b.text for b in r] for r in read] == [[uri] for uri in uris]
        assert [zbar(image) for image in images] == [[uri] for uri in uris]
    # the human-readable lines: no empty expiry caption for a product without shelf life
    text = data.decode("ascii")
    has_expiry = gtin == GTIN
    assert bool(re.search(r"\^FD(EXP |\(17\))\d", text)) == has_expiry
    assert re.search(r"\(17\)(?!\d{6})|EXP (?!\d)", text) is None  # no empty caption
    assert f"{lot}^FS" in text


async def test_text_over_the_qr_square_is_refused(
    engine: Engine, brand: Brand, tmp_path: Path
) -> None:
    source = await make_source(engine, brand, Profile.COMPACT, 0, 1)
    shipped = templates.find("zpl-qr-203").path.read_text()
    # the first line moved into the symbol's square (from 0, 26 mm wide)
    (tmp_path / "bad.toml").write_text(shipped.replace("x_mm = 26.5", "x_mm = 20", 1))
    with pytest.raises(PrintTemplateInvalid, match="runs into the symbol"):
        job.renderer_for(templates.find("bad", [tmp_path]), source)

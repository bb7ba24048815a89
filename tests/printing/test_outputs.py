"""Every output type, read back as a scanner or a printer would: PDF pages rasterised
(pdfium) and PNGs decoded with zxing-cpp; ZPL and CSV checked field by field."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from veriseal.codes import digital_link
from veriseal.engine import Engine
from veriseal.models import Brand, Profile
from veriseal.printing import job, templates
from veriseal.printing.errors import PrintTemplateUnsuitable
from veriseal.printing.records import BatchSource
from veriseal.printing.render_base import Sink

from .conftest import make_source
from .readback import svg_raster, zxing

pytestmark = pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)


def _expected(source: BatchSource, start: int, stop: int) -> tuple[list[str], list[str]]:
    chunk = next(iter(source.chunks(start, stop)))
    uris = [bytes(r).decode() for r in chunk.field("uri")]
    hri = []
    if "element_hri" in source.variable:
        hri = [bytes(r).decode() for r in chunk.field("element_hri")]
    return uris, hri


def _render(source: BatchSource, name: str, start: int, stop: int, workers: int = 1) -> bytes:
    out = io.BytesIO()
    tpl = templates.find(name)
    renderer = job.renderer_for(tpl, source)
    sink = Sink.for_zip(out) if renderer.named_files else Sink.for_stream(out)
    job.run(renderer, source, start, stop, sink, workers=workers)
    sink.close()
    return out.getvalue()


def _decode_pdf(data: bytes) -> list[zxingcpp.Barcode]:
    """The 2D symbols on every page, read as a label scanner is set to (a reader looking
    for every 1D format too now and then finds a phantom barcode in the printed text)."""
    found = []
    for page in pdfium.PdfDocument(data):
        found += zxing(page.render(scale=400 / 72).to_pil())
    return found


@pytest.mark.parametrize("name", ["a4-qr-3x8", "letter-qr-3x10", "a4-datamatrix-4x10"])
async def test_pdf_sheets_decode_to_each_code(engine: Engine, brand: Brand, name: str) -> None:
    source = await make_source(engine, brand, Profile.COMPACT, 8, 200)
    start, stop = 17, 17 + 50  # two pages (or more), a partial last page
    data = _render(source, name, start, stop, workers=2)
    assert b"/Image" not in data  # vector symbols, no embedded bitmaps
    uris, hri = _expected(source, start, stop)
    found = _decode_pdf(data)
    if "datamatrix" in name:
        assert sorted(b.text for b in found) == sorted(hri)
        assert all(b.content_type == zxingcpp.ContentType.GS1 for b in found)
    else:
        assert sorted(b.text for b in found) == sorted(uris)
    text = "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data))
    serial = uris[0].split("/21/")[1].split("?")[0]
    assert serial in text and "09506000134352" in text and "L2401" in text
    if name == "a4-qr-3x8":  # the scratch-off PIN box
        pin = bytes(next(iter(source.chunks(start, start + 1))).field("pin")[0]).decode()
        assert pin in text and "Scratch for PIN" in text


@pytest.mark.parametrize("name", ["png-qr", "png-datamatrix", "svg-qr", "svg-datamatrix"])
async def test_images_decode(engine: Engine, brand: Brand, name: str) -> None:
    source = await make_source(engine, brand, Profile.COMPACT, 0, 64)
    uris, hri = _expected(source, 3, 40)
    want = hri if "datamatrix" in name else uris
    archive = zipfile.ZipFile(io.BytesIO(_render(source, name, 3, 40, workers=2)))
    names = archive.namelist()
    assert len(names) == len(want) == len(set(names))
    for member, expected in zip(names, want, strict=True):
        raw = archive.read(member)
        assert member.rsplit(".", 1)[0] in expected  # named by serial
        image = Image.open(io.BytesIO(raw)) if member.endswith(".png") else svg_raster(raw)
        found = zxing(image)
        assert [b.text for b in found] == [expected]


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("symbol", ["qr", "datamatrix"])
async def test_zpl_structure(engine: Engine, brand: Brand, dpi: int, symbol: str) -> None:
    source = await make_source(engine, brand, Profile.COMPACT, 0, 100)
    text = _render(source, f"zpl-{symbol}-{dpi}", 0, 100, workers=2).decode("ascii")
    labels = re.findall(r"\^XA.*?\^XZ", text, re.S)
    uris, _ = _expected(source, 0, 100)
    assert len(labels) == 100
    dots = lambda mm: round(mm * dpi / 25.4)  # noqa: E731
    for label, uri in zip(labels, uris, strict=True):
        link = digital_link.parse(uri)
        assert f"^PW{dots(50)}" in label
        if symbol == "qr":
            (field,) = re.findall(r"\^BQN,2,(\d+)\^FDMA,([^^]*)\^FS", label)
            assert field == (str(dots(0.5)), uri)
        else:
            (field,) = re.findall(r"\^BXN,(\d+),200,0,0,6,#\^FD([^^]*)\^FS", label)
            assert field[0] == str(dots(0.5))
            raw = field[1].replace("#1", "\x1d")
            assert raw == "\x1d" + digital_link.element_string(link)
        assert f"^FD{'SN ' if symbol == 'qr' else '(21)'}{link.serial}^FS" in label


async def test_csv_for_coders(engine: Engine, brand: Brand) -> None:
    source = await make_source(engine, brand, Profile.COMPACT, 6, 300, lot="L-2.4_x")
    data = _render(source, "coder-csv", 100, 300).decode("ascii")
    rows = list(csv.DictReader(io.StringIO(data)))
    uris, _ = _expected(source, 100, 300)
    assert [r["uri"] for r in rows] == uris
    assert [int(r["index"]) for r in rows] == list(range(100, 300))
    for r in rows:
        assert r["lot"] == "L-2.4_x" and len(r["pin"]) == 6
        link = digital_link.parse_element_string(r["gs1"])
        assert link.serial == r["serial"] and link.lot == "L-2.4_x"


async def test_signed_batches_print_qr_only(engine: Engine, brand: Brand) -> None:
    source = await make_source(engine, brand, Profile.SIGNED, 0, 5)
    uris, _ = _expected(source, 0, 5)
    found = _decode_pdf(_render(source, "a4-qr-3x8", 0, 5))
    assert sorted(b.text for b in found) == sorted(uris)
    for name in ("a4-datamatrix-4x10", "zpl-datamatrix-203", "png-datamatrix"):
        with pytest.raises(PrintTemplateUnsuitable):
            job.renderer_for(templates.find(name), source)


async def test_reprint_gives_identical_bytes(engine: Engine, brand: Brand) -> None:
    source = await make_source(engine, brand, Profile.COMPACT, 8, 100)
    for name in ("a4-qr-3x8", "zpl-qr-300", "png-datamatrix"):
        assert _render(source, name, 10, 60) == _render(source, name, 10, 60, workers=2)


async def test_brand_template_directory(engine: Engine, brand: Brand, tmp_path: Path) -> None:
    mine = tmp_path / "labels"
    mine.mkdir()
    (mine / "tiny.toml").write_text(
        'kind = "csv"\ndescription = "serials"\n[[columns]]\nname = "s"\nvalue = "SN-{serial}"\n'
    )
    assert templates.find("tiny", [mine]).path.parent == mine
    source = await make_source(engine, brand, Profile.COMPACT, 0, 3)
    out = io.BytesIO()
    tpl = templates.find("tiny", [mine])
    job.run(job.renderer_for(tpl, source), source, 0, 3, Sink.for_stream(out))
    lines = out.getvalue().decode().splitlines()
    assert lines[0] == "s" and all(x.startswith("SN-C") for x in lines[1:]) and len(lines) == 4
    assert np.unique(lines[1:]).size == 3

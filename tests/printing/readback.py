"""Reading printed output back as a scanner would: every output kind turned into images
and decoded by real barcode readers (zxing-cpp always; zbar for QR where its library is
installed), so the tests compare what a phone or a line scanner would read.

- PDF sheets are rasterised with pdfium; PNG files are read as they are; SVG files are
  drawn from their one path of rectangles.
- ZPL labels are rendered to PNG by ``zpl_to_png.cjs`` (zpl-renderer-js, a WebAssembly
  build of the Zebrash ZPL renderer, installed by ``scripts/bootstrap`` from the
  repository's package-lock.json) at the template's printer resolution.

A missing tool skips the test that needs it, except under CI (``CI`` set), where it fails:
CI installs every tool, so a skip there would hide a broken install step.
"""

from __future__ import annotations

import base64
import ctypes.util
import io
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import NoReturn

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from veriseal.printing import templates

REPO = Path(__file__).resolve().parents[2]
ZPL_TO_PNG = Path(__file__).with_name("zpl_to_png.cjs")
MM_PER_INCH = 25.4


def missing(tool: str) -> NoReturn:
    """Skip (or, under CI, fail) a test whose tool is not installed here."""
    message = f"{tool} is not installed (scripts/bootstrap and scripts/test install it)"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


#: what a label scanner is set to read: the 2D symbols Veriseal prints. Scanning for
#: every 1D format too finds phantom barcodes in the human-readable text now and then
#: (a 4-character "C58A" on one label in a thousand), which no label scanner reports.
LABEL_SYMBOLS = (zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.DataMatrix)


def zxing(image: Image.Image) -> list[zxingcpp.Barcode]:
    return list(zxingcpp.read_barcodes(image, formats=LABEL_SYMBOLS))


def zbar(image: Image.Image) -> list[str]:
    """The QR codes zbar reads in ``image`` (zbar reads no DataMatrix)."""
    if ctypes.util.find_library("zbar") is None:
        missing("libzbar0 (zbar)")
    # imported here: pyzbar loads libzbar when imported, and fails without it
    from pyzbar import pyzbar  # noqa: PLC0415

    found = pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])
    return [r.data.decode("utf-8") for r in found]


def pdf_pages(data: bytes, dpi: int = 400) -> list[Image.Image]:
    return [page.render(scale=dpi / 72).to_pil() for page in pdfium.PdfDocument(data)]


def svg_raster(raw: bytes, scale: int = 6) -> Image.Image:
    """Draw the SVG's background and its path of rectangles (the only shapes written)."""
    root = ET.fromstring(raw)
    side = int(root.get("viewBox", "").split()[2])
    img = Image.new("L", (side * scale, side * scale), 255)
    draw = ImageDraw.Draw(img)
    path = root.find("{http://www.w3.org/2000/svg}path")
    assert path is not None
    for x, y, w, x2 in re.findall(r"M\s*(\d+)\s+(\d+)h\s*(\d+)v1H\s*(\d+)z", path.get("d", "")):
        assert x == x2
        x0, y0 = int(x) * scale, int(y) * scale
        draw.rectangle([x0, y0, x0 + int(w) * scale - 1, y0 + scale - 1], fill=0)
    return img


def archive_images(data: bytes) -> list[tuple[str, Image.Image]]:
    """(member name, image) of every PNG or SVG in a zip written by an image template."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    out = []
    for member in archive.namelist():
        raw = archive.read(member)
        image = Image.open(io.BytesIO(raw)) if member.endswith(".png") else svg_raster(raw)
        out.append((member, image))
    return out


def zpl_labels(data: bytes, template: str) -> list[Image.Image]:
    """Every ``^XA..^XZ`` label of ``data`` as the template's printer would print it."""
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "zpl-renderer-js").is_dir():
        missing("node with zpl-renderer-js (npm ci)")
    tpl = templates.find(template)
    dpmm = round(tpl.number("dpi") / MM_PER_INCH)  # 203 dpi = 8 dots/mm, 300 dpi = 12
    done = subprocess.run(
        [node, str(ZPL_TO_PNG), str(tpl.number("width_mm")), str(tpl.number("height_mm")),
         str(dpmm)],
        input=data, capture_output=True, check=False, timeout=300, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return [Image.open(io.BytesIO(base64.b64decode(png))) for png in json.loads(done.stdout)]


def read_back(data: bytes, template: str) -> list[list[str]]:
    """What zxing-cpp reads on each printed item of a job's output, in print order: each
    PDF page, image file or ZPL label gives the texts read on it (GS1 symbols in their
    HRI form, ``(01)...``, as a GS1-aware scanner reports them)."""
    kind = templates.find(template).kind
    if kind == "pdf":
        images = pdf_pages(data)
    elif kind == "image":
        images = [image for _, image in archive_images(data)]
    elif kind == "zpl":
        images = zpl_labels(data, template)
    else:
        raise AssertionError(f"{template}: {kind} output has no symbols to read")
    return [[b.text for b in zxing(image)] for image in images]

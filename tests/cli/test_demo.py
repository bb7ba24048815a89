"""The demo as a newcomer runs it twice: each run starts fresh (the old folder moved
aside) unless --keep-demo, and its labels carry readable text under a scannable QR."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import urllib.request
from pathlib import Path

import zxingcpp
from PIL import Image

from tests.conftest import veriseal_exe as _exe
from veriseal import demo

URI = "https://id.demo.example/01/09506000134352/10/DEMO-PIN/21/C007X5MA698S48C4XHPA?17=280526"


def test_label_has_text_under_a_scannable_qr(tmp_path: Path) -> None:
    path = demo.write_label(URI, tmp_path / "label.png", demo.DEMO_PRODUCT, pin_digits=6)
    image = Image.open(path)
    [found] = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert found.text == URI
    assert image.height > image.width  # the QR is square: the rest is the text
    lines = demo.label_lines(demo.DEMO_PRODUCT, URI, 6)
    assert lines[:4] == [
        demo.DEMO_PRODUCT,
        "GTIN 09506000134352",
        "LOT DEMO-PIN",
        "SN C007X5MA698S48C4XHPA",
    ]
    assert lines[4].startswith("PIN ######")
    gray = image.convert("L")
    text_area = gray.crop((0, image.width, image.width, image.height))
    assert text_area.getextrema()[0] == 0  # something is written there


#: The half-block characters of a terminal QR: which halves (top, bottom) are drawn,
#: i.e. lit in the light foreground colour of a light-on-dark terminal.
_HALVES = {" ": (0, 0), "\u2580": (1, 0), "\u2584": (0, 1), "\u2588": (1, 1)}


def _terminal_lines(printed: str) -> list[str]:
    """The lines of ``printed`` made of half blocks only: the terminal QR."""
    return [x for x in printed.splitlines() if x.strip() and set(x) <= set(_HALVES)]


def read_terminal_qr(printed: str, scale: int = 6) -> list[str]:
    """Rasterise the terminal QR in ``printed`` as a light-on-dark terminal shows it
    (a drawn half is light, the rest dark) and decode it with zxing-cpp, inverted
    symbols NOT tried: what the QR says, as a phone would read the screen."""
    lines = _terminal_lines(printed)
    width = max(len(x) for x in lines)
    image = Image.new("L", (width * scale, 2 * len(lines) * scale), 0)
    for y, line in enumerate(lines):
        for x, char in enumerate(line):
            for half, lit in enumerate(_HALVES[char]):
                if lit:
                    top = (2 * y + half) * scale
                    image.paste(255, (x * scale, top, (x + 1) * scale, top + scale))
    return [b.text for b in zxingcpp.read_barcodes(image, try_invert=False)]


def test_terminal_qr_reads_back_as_the_uri() -> None:
    printed = demo.terminal_qr(URI)
    assert read_terminal_qr(printed) == [URI]
    assert printed.endswith("\n") and len(_terminal_lines(printed)) == len(printed.splitlines())
    # what makes it fit a terminal: two modules per line (version 6, 41 modules, and
    # 4 of quiet zone each side: 49 modules in 25 lines)
    assert len(printed.splitlines()) == 25


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _demo_run(cwd: Path, *extra: str) -> tuple[str, int]:
    """Start the demo server, scan its first code once; (what it printed, how many
    verifications the code had before)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    env["PYTHONUNBUFFERED"] = "1"
    server = subprocess.Popen(
        [_exe(), "serve", "--demo", "--port", str(_free_port()), *extra],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        printed = []
        for line in server.stdout:
            printed.append(line)
            if line.startswith("Serving on"):
                break
        out = "".join(printed)
        link = next(x.split()[2] for x in printed if x.startswith("  [DEMO-C1"))
        request = urllib.request.Request(link, headers={"Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as r:
            body = json.load(r)
        assert body["outcome"] == "genuine", body
        # the demo's links are plain HTTP to this server, the linkset's included
        request = urllib.request.Request(link, headers={"Accept": "application/linkset+json"})
        with urllib.request.urlopen(request, timeout=10) as r:
            anchor = json.load(r)["linkset"][0]["anchor"]
        assert anchor == link.split("?")[0], anchor
        return out, int(body["scan"]["previous_verifications"])
    finally:
        server.terminate()
        server.communicate(timeout=30)  # reads the rest, closes the pipe


def test_each_demo_run_starts_fresh_unless_kept(tmp_path: Path) -> None:
    out, before = _demo_run(tmp_path)
    assert before == 0 and "fresh" not in out
    # the printed terminal QR is the first code's link, as printed above it
    link = next(x.split()[2] for x in out.splitlines() if x.startswith("  [DEMO-C1"))
    assert read_terminal_qr(out) == [link]
    assert (tmp_path / "veriseal-demo" / "demo-label.png").exists()
    out, before = _demo_run(tmp_path)
    assert before == 0  # a new ledger: the code was never scanned in it
    assert "veriseal-demo.previous" in out and (tmp_path / "veriseal-demo.previous").is_dir()
    _out, before = _demo_run(tmp_path, "--keep-demo")
    assert before == 1  # the same ledger as the run before

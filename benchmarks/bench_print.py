"""Label printing throughput per output, with the straightforward approach as baseline.

    PYTHONPATH=src:cli .venv/bin/python benchmarks/bench_print.py [--runs 3] [--quick]

For each output the script prints labels/s (median of ``--runs``; both cores, as
``veriseal print`` runs by default), the baseline measured in the same run (segno
building each QR with automatic version and mask, drawn into a reportlab canvas one
label and one module rectangle at a time) and the ratio, and the process's peak RSS.
Outputs go to a temporary directory and are deleted.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import segno
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from veriseal.batches import BatchRequest
from veriseal.catalogue import make_product
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.keys import KeySource, create_key_file
from veriseal.printing import job, templates
from veriseal.printing.records import BatchSource
from veriseal.printing.render_base import Sink

GTIN = "09506000134352"


async def make_source(folder: Path, size: int) -> BatchSource:
    key_file = folder / "bench.key"
    create_key_file(key_file)
    cfg = Config(path=None, db_url=f"sqlite:///{folder / 'l.sqlite3'}",
                 key_source=KeySource(key_file=key_file))  # fmt: skip
    async with await Engine.open(cfg) as engine:
        brand = await engine.brands.create("acme", "Acme", "id.acme.example")
        await engine.catalogue.add(make_product(brand, GTIN, "Tea", shelf_life_days=365))
        batch = await engine.batches.create(
            brand, BatchRequest(gtin=GTIN, lot="L2401", size=size, pin_digits=8)
        )
        key = {k.slot: k for k in await engine.keys.list(brand)}[batch.key_slot]
        return BatchSource(brand, batch, engine.keys.material(key))


def ours(source: BatchSource, name: str, n: int, out: Path, workers: int) -> float:
    tpl = templates.find(name)
    renderer = job.renderer_for(tpl, source)
    t0 = time.perf_counter()
    with out.open("wb") as f:
        sink = Sink.for_zip(f) if renderer.named_files else Sink.for_stream(f)
        job.run(renderer, source, 0, n, sink, workers=workers)
        sink.close()
    return n / (time.perf_counter() - t0)


def baseline(source: BatchSource, n: int) -> float:
    """segno with automatic version/mask per code, reportlab one rectangle per module."""
    uris = [bytes(r).decode() for r in next(iter(source.chunks(0, n))).field("uri")]
    t0 = time.perf_counter()
    c = canvas.Canvas(io.BytesIO(), pagesize=A4)
    for i, uri in enumerate(uris):
        if i and i % 24 == 0:
            c.showPage()
        slot = i % 24
        x0, y0 = 10 + (slot % 3) * 198, 780 - (slot // 3) * 105
        qr = segno.make_qr(uri, error="m")
        scale = 85 / len(qr.matrix)
        for r, row in enumerate(qr.matrix):
            for col, dark in enumerate(row):
                if dark:
                    c.rect(x0 + col * scale, y0 - r * scale, scale, scale, stroke=0, fill=1)
        serial = uri.split("/21/")[1].split("?")[0]
        c.drawString(x0 + 95, y0 - 10, f"SN {serial}")
        c.drawString(x0 + 95, y0 - 20, f"GTIN {GTIN}")
        c.drawString(x0 + 95, y0 - 30, "LOT L2401")
    c.save()
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="10x fewer labels")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    div = 10 if args.quick else 1
    jobs = [
        ("ZPL (zpl-qr-203)", "zpl-qr-203", 1_000_000 // div, ".zpl", 500_000),
        ("ZPL DataMatrix (zpl-datamatrix-300)", "zpl-datamatrix-300", 1_000_000 // div, ".zpl",
         500_000),
        ("CSV (coder-csv)", "coder-csv", 1_000_000 // div, ".csv", 500_000),
        ("PDF A4 3x8 (a4-qr-3x8)", "a4-qr-3x8", 100_000 // div, ".pdf", 5_000),
        ("PDF A4 DataMatrix (a4-datamatrix-4x10)", "a4-datamatrix-4x10", 100_000 // div, ".pdf",
         5_000),
        ("PNG QR (png-qr), zip", "png-qr", 20_000 // div, ".zip", 2_000),
        ("SVG QR (svg-qr), zip", "svg-qr", 20_000 // div, ".zip", 2_000),
        ("PNG DataMatrix (png-datamatrix), zip", "png-datamatrix", 20_000 // div, ".zip", 2_000),
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = asyncio.run(make_source(folder, 1_000_000))
        base = statistics.median(baseline(source, 300) for _ in range(args.runs))
        print(f"baseline (segno auto version/mask + reportlab per module): {base:,.0f} labels/s")
        print(f"{'output':42} {'labels':>9} {'labels/s':>11} {'ratio':>7} {'target':>9}")
        for label, name, n, ext, target in jobs:
            out = folder / f"out{ext}"
            rate = statistics.median(
                ours(source, name, n, out, args.workers) for _ in range(args.runs)
            )
            size_mb = out.stat().st_size / 1e6
            met = "met" if rate >= target else "MISSED"
            print(f"{label:42} {n:>9,} {rate:>11,.0f} {rate / base:>7.0f}x"
                  f" {target:>9,} {met} ({size_mb:,.0f} MB)")  # fmt: skip
            sys.stdout.flush()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: parent {rss:,.0f} MiB, largest worker {kids:,.0f} MiB")


if __name__ == "__main__":
    main()

"""Label printing throughput per output, with straightforward approaches as baselines.

    PYTHONPATH=src:cli .venv/bin/python benchmarks/bench_print.py [--runs 3] [--quick]

For each output the script prints labels/s (median of ``--runs``, a fresh output file
each run, as ``veriseal print`` writes ``NAME.part``; ``--workers`` as the CLI's
default of 2, which text outputs do not use: see docs/printing.md), and measured in the
same run, on the same batch:

- ``seg+rl``: the usual way, segno building each QR with automatic version and
  mask, drawn into a reportlab canvas one label and one module rectangle at a time;
- ``plain``: the straightforward way to make THAT output: for ZPL/CSV, one Python
  string per label assembled from the same (vectorised) codes, hashed and written per
  label (its bytes are checked equal to ours); for QR images, segno per code (automatic
  version and mask) saved as PNG/SVG into the zip; for PDF, the ``seg+rl`` baseline.

Then the ratio to each, whether the target is met, and each process's peak RSS. Text
outputs are also run through the process pool (``pooled`` forced on) to show why they
are not pooled. Outputs go to a temporary directory and are deleted.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import resource
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import segno
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.products import make_product
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.printing import job, templates
from veriseal.printing.records import BatchSource
from veriseal.printing.render_base import Sink
from veriseal.printing.render_text import CsvRenderer

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


def ours(
    source: BatchSource, name: str, n: int, out: Path, workers: int, pooled: bool | None = None
) -> tuple[float, str]:
    """labels/s and the output's SHA-256, as ``veriseal print`` makes them (progress
    callback included)."""
    renderer = job.renderer_for(templates.find(name), source)
    if pooled is not None:
        renderer.pooled = pooled
    out.unlink(missing_ok=True)
    done = [0]

    def progress(k: int) -> None:
        done[0] += k

    t0 = time.perf_counter()
    with out.open("wb") as f:
        sink = Sink.for_zip(f) if renderer.named_files else Sink.for_stream(f)
        job.run(renderer, source, 0, n, sink, workers=workers, progress=progress)
        sink.close()
    rate = n / (time.perf_counter() - t0)
    assert done[0] == n, "progress must count every label"
    return rate, sink.sha256


def seg_rl(source: BatchSource, n: int) -> float:
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


def plain_text(source: BatchSource, name: str, n: int, out: Path) -> tuple[float, str]:
    """One Python string per label from the same codes (minting stays vectorised, as in
    ``veriseal batch codes``), encoded, hashed and written per label."""
    renderer = job.renderer_for(templates.find(name), source)
    record = renderer.record  # type: ignore[attr-defined]
    pieces = [(p.const.decode() if p.const is not None else None, p.name, p.col, p.width)
              for p in record.pieces]  # fmt: skip
    names = {p[1] for p in pieces if p[0] is None}
    out.unlink(missing_ok=True)
    digest = hashlib.sha256()
    t0 = time.perf_counter()
    with out.open("wb") as f:
        if isinstance(renderer, CsvRenderer):
            f.write(renderer.header)
            digest.update(renderer.header)
        for chunk in source.chunks(0, n, 1 << 16):
            fields = {k: [bytes(r).decode() for r in chunk.field(k)] for k in names}
            for i in range(chunk.n):
                label = "".join(
                    const if const is not None else fields[k][i][col : col + w]
                    for const, k, col, w in pieces
                ).encode()
                digest.update(label)
                f.write(label)
    return n / (time.perf_counter() - t0), digest.hexdigest()


def plain_images(source: BatchSource, kind: str, n: int, out: Path) -> float:
    """segno per code (automatic version and mask), saved as PNG/SVG into a zip."""
    uris = [bytes(r).decode() for r in next(iter(source.chunks(0, n))).field("uri")]
    out.unlink(missing_ok=True)
    t0 = time.perf_counter()
    with out.open("wb") as f, zipfile.ZipFile(f, "w") as z:
        for uri in uris:
            buf = io.BytesIO()
            segno.make_qr(uri, error="m").save(buf, kind=kind, scale=6, border=4)
            z.writestr(uri.split("/21/")[1].split("?")[0] + "." + kind, buf.getvalue())
    return n / (time.perf_counter() - t0)


def median(runs: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(runs))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="10x fewer labels")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    div = 10 if args.quick else 1
    # (label, template, labels, extension, target, plain baseline kind)
    jobs = [
        ("ZPL QR (zpl-qr-203)", "zpl-qr-203", 1_000_000 // div, ".zpl", 500_000, "text"),
        ("ZPL DataMatrix (zpl-datamatrix-300)", "zpl-datamatrix-300", 1_000_000 // div, ".zpl",
         500_000, "text"),
        ("CSV (coder-csv)", "coder-csv", 1_000_000 // div, ".csv", 500_000, "text"),
        ("PDF A4 QR 3x8 (a4-qr-3x8)", "a4-qr-3x8", 100_000 // div, ".pdf", 5_000, "seg+rl"),
        ("PDF A4 DataMatrix (a4-datamatrix-4x10)", "a4-datamatrix-4x10", 100_000 // div, ".pdf",
         5_000, "seg+rl"),
        ("PNG QR (png-qr), zip", "png-qr", 20_000 // div, ".zip", 2_000, "png"),
        ("SVG QR (svg-qr), zip", "svg-qr", 20_000 // div, ".zip", 2_000, "svg"),
        ("PNG DataMatrix (png-datamatrix), zip", "png-datamatrix", 20_000 // div, ".zip", 2_000,
         "seg+rl"),
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = asyncio.run(make_source(folder, 1_000_000))
        base = median(args.runs, lambda: seg_rl(source, 300))
        print(f"seg+rl baseline (segno auto version/mask + reportlab per module): "
              f"{base:,.0f} labels/s; median of {args.runs} runs each")  # fmt: skip
        print(f"{'output':40} {'labels':>9} {'labels/s':>11} {'plain/s':>9} {'x plain':>8}"
              f" {'x seg+rl':>9} {'target':>8}")  # fmt: skip
        for label, name, n, ext, target, plain_kind in jobs:
            out = folder / f"out{ext}"
            rates, digests = [], set()
            for _ in range(args.runs):
                rate, digest = ours(source, name, n, out, args.workers)
                rates.append(rate)
                digests.add(digest)
            rate = statistics.median(rates)
            size_mb = out.stat().st_size / 1e6
            if plain_kind == "text":
                m = min(n, 100_000)  # per-label Python is slow: a tenth of the job
                digests.add(ours(source, name, m, out, args.workers)[1])
                plain_rates = []
                for _ in range(args.runs):
                    p_rate, p_digest = plain_text(source, name, m, out)
                    plain_rates.append(p_rate)
                    assert p_digest in digests, "the plain baseline must write the same bytes"
                plain = statistics.median(plain_rates)
            elif plain_kind in ("png", "svg"):
                plain = median(
                    args.runs, lambda k=plain_kind, o=out: plain_images(source, k, 300, o)
                )
            else:
                plain = base
            met = "met" if rate >= target else "MISSED"
            print(f"{label:40} {n:>9,} {rate:>11,.0f} {plain:>9,.0f} {rate / plain:>7.1f}x"
                  f" {rate / base:>8.0f}x {target:>8,} {met} ({size_mb:,.0f} MB)")  # fmt: skip
            sys.stdout.flush()
        print("text outputs through the process pool instead (pickled chunks), for comparison:")
        for label, name, n, ext, *_ in jobs[:3]:
            out = folder / f"out{ext}"
            pooled = median(args.runs, lambda t=name, k=n, o=out: ours(source, t, k, o, 2, True)[0])
            print(f"  {label:38} {n:>9,} {pooled:>11,.0f} labels/s with 2 worker processes")
        print("image outputs in one process instead of the pool, for comparison:")
        for label, name, n, ext, *_ in jobs[5:]:
            out = folder / f"out{ext}"
            single = median(args.runs, lambda t=name, k=n, o=out: ours(source, t, k, o, 1)[0])
            print(f"  {label:38} {n:>9,} {single:>11,.0f} labels/s in one process")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: parent {rss:,.0f} MiB, largest worker {kids:,.0f} MiB")


if __name__ == "__main__":
    main()

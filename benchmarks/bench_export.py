"""Report export at scale: 1,000,000 rows x 8 columns to CSV and XLSX, time and peak memory.

Usage::

    PYTHONPATH=src:plugins .venv/bin/python benchmarks/bench_export.py [--rows 1000000]
        [--rounds 3] [--xlsx-rounds 1] [--only csv,csv_bare,xlsx,xlsx_bare,pdf]
        [--pdf-rows 50000]

The rows (date, region, dealer, GTIN, a Chinese product name, units, revenue in cents,
share) are generated on the fly, never held in a list, so the figures are the writer's.
Each writer runs in its own subprocess, which reports its wall time and its peak
resident memory (``ru_maxrss``) next to the peak of the same process after imports,
before writing (``idle``). Writers:

- ``csv``: :func:`veriseal_analytics.export_files.write_csv` (typed values, injection
  guard, BOM, atomic rename, progress);
- ``csv_bare``: the baseline, a bare ``csv.writer`` writing the same rows' raw values;
- ``xlsx``: :func:`~veriseal_analytics.export_files.write_xlsx` (typed cells with number
  formats, frozen header, injection guard, sheet split at 1,048,575 rows);
- ``xlsx_bare``: the baseline, bare openpyxl ``write_only`` appending the raw values;
- ``pdf``: :func:`veriseal_analytics.report_pdf.write_pdf` with one line chart and a
  table of ``--pdf-rows`` rows (its default export limit, 50,000; a PDF is not for 1M
  rows), no baseline.

It prints the MEDIAN of the rounds per writer and the ratios writer / baseline.
Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from openpyxl import Workbook

from veriseal_analytics.charts_pdf import ChartSpec, Series
from veriseal_analytics.export_files import Col, write_csv, write_xlsx
from veriseal_analytics.report_pdf import ReportSection, write_pdf

REGIONS = ("华东", "华南", "华北", "西南", "东北", "西北", "华中")
PRODUCTS = ("有机纯牛奶 250ml", "婴儿配方奶粉 900g", "高钙奶酪棒", "Organic yogurt 1L",
            "低脂酸奶 200g×12", "Premium butter 250g")  # fmt: skip
WRITERS = ("csv", "csv_bare", "xlsx", "xlsx_bare", "pdf")


def _cols() -> list[Col]:
    return [
        Col("date", "Date", "日期", "date"),
        Col("region", "Region", "大区", "text"),
        Col("dealer", "Dealer", "经销商", "text"),
        Col("gtin", "GTIN", "GTIN", "text"),
        Col("name", "Product", "商品", "text"),
        Col("units", "Units", "数量", "int"),
        Col("revenue", "Revenue", "收入", "money"),
        Col("share", "Share", "占比", "percent"),
    ]


def rows(n: int) -> Iterator[dict[str, object]]:
    """``n`` deterministic report rows, generated one at a time."""
    start = dt.date(2026, 1, 1)
    for i in range(n):
        yield {
            "date": start + dt.timedelta(days=i % 365),
            "region": REGIONS[i % len(REGIONS)],
            "dealer": f"经销商-{i % 5000:04d}",
            "gtin": f"0950600{i % 1_000_000:06d}{i % 10}",
            "name": PRODUCTS[i % len(PRODUCTS)],
            "units": (i * 7919) % 10_000,
            "revenue": (i * 104_729) % 100_000_000,
            "share": ((i * 31) % 10_000) / 10_000,
        }


def _progress(writer: str, total: int) -> Callable[[int], None]:
    step = max(1, total // 10)

    def report(n: int) -> None:
        if n % step == 0 or n == total:
            print(f"  {writer}: {n:,}/{total:,}", file=sys.stderr, flush=True)

    return report


def _child(writer: str, n: int, out: Path) -> dict[str, float]:
    """Run one writer in this process; return its seconds and memory figures."""
    cols = _cols()
    idle_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if writer == "csv":
        write_csv(out, cols, rows(n), lang="zh", on_progress=_progress(writer, n),
                  progress_every=max(1, n // 10))  # fmt: skip
    elif writer == "xlsx":
        write_xlsx(out, cols, rows(n), lang="zh", on_progress=_progress(writer, n),
                   progress_every=max(1, n // 10))  # fmt: skip
    elif writer == "csv_bare":
        with out.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow([c.title_zh for c in cols])
            for r in rows(n):
                w.writerow(r.values())
    elif writer == "xlsx_bare":
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Report")
        ws.append([c.title_zh for c in cols])
        for r in rows(n):
            ws.append(list(r.values()))
        wb.save(str(out))
    elif writer == "pdf":
        months = [f"2026-{m:02d}" for m in range(1, 13)]
        chart = ChartSpec("line", "月度收入 Monthly revenue", months,
                          [Series(r, [1e6 * (m + i) for m in range(12)])
                           for i, r in enumerate(REGIONS[:3])])  # fmt: skip
        table = list(rows(n))
        write_pdf(out, title="销售报表 Sales report", subtitle_lines=["2026"], lang="zh",
                  sections=[ReportSection("明细 Detail", chart, cols, table)],
                  generated_at=dt.datetime.now(dt.UTC), max_rows=n)  # fmt: skip
    else:
        raise SystemExit(f"unknown writer {writer}")
    seconds = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_mb": peak_kb / 1024, "idle_mb": idle_kb / 1024,
            "file_mb": out.stat().st_size / 1e6}  # fmt: skip


def _run(writer: str, n: int, tmp: Path) -> dict[str, float]:
    out = tmp / f"bench_{writer}.{writer.removesuffix('_bare')}"
    cmd = [sys.executable, __file__, "--child", writer, "--rows", str(n), "--out", str(out)]
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    out.unlink(missing_ok=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3, help="rounds for the CSV writers")
    ap.add_argument("--xlsx-rounds", type=int, default=1, help="rounds for the XLSX writers")
    ap.add_argument("--pdf-rows", type=int, default=50_000, help="table rows of the PDF")
    ap.add_argument("--only", default=",".join(WRITERS))
    ap.add_argument("--child", choices=WRITERS, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.rows, args.out)))
        return
    writers = [w for w in args.only.split(",") if w]
    medians: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_export.") as tmp:
        for writer in writers:
            rounds = args.rounds if writer.startswith("csv") else args.xlsx_rounds
            n = args.pdf_rows if writer == "pdf" else args.rows
            runs = []
            for r in range(rounds):
                print(f"{writer} round {r + 1}/{rounds}", file=sys.stderr, flush=True)
                runs.append(_run(writer, n, Path(tmp)))
            medians[writer] = {k: statistics.median(x[k] for x in runs) for k in runs[0]}
            medians[writer]["rounds"] = rounds
            medians[writer]["rows"] = n
    print(f"rows={args.rows:,} columns=8 python={sys.version.split()[0]} cpus={os.cpu_count()}")
    print(f"{'writer':<10} {'rows':>10} {'rounds':>6} {'seconds':>9} {'rows/s':>10} "
          f"{'peak MB':>8} {'idle MB':>8} {'file MB':>8}")  # fmt: skip
    for writer, m in medians.items():
        print(f"{writer:<10} {int(m['rows']):>10,} {int(m['rounds']):>6} {m['seconds']:>9.2f} "
              f"{m['rows'] / m['seconds']:>10,.0f} {m['peak_mb']:>8.1f} {m['idle_mb']:>8.1f} "
              f"{m['file_mb']:>8.1f}")  # fmt: skip
    for mine, bare in (("csv", "csv_bare"), ("xlsx", "xlsx_bare")):
        if mine in medians and bare in medians:
            a, b = medians[mine], medians[bare]
            print(f"ratio {mine}/{bare}: time x{a['seconds'] / b['seconds']:.2f}, "
                  f"peak memory x{a['peak_mb'] / b['peak_mb']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()

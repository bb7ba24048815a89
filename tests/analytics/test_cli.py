"""``veriseal report ...`` on a real ledger of paid orders, on both backends: the figures
the commands print are commerce's own order totals; a definition runs and exports to
XLSX read back by openpyxl; market data imports all or nothing; the trends and the
management report (a PDF read back by pypdfium2) come from the rollups; the rebuild
check exits 1 on a drifted rollup and the repair makes it clean."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import openpyxl
import pypdfium2 as pdfium
import pytest

from tests.analytics.conftest import World
from tests.commerce.conftest import TEA, WINE
from tests.conftest import CliRun, cli_runner

MARKET = """date,metric,value,unit,region,competitor,source
2026-10,competitor_price,118.00,CNY,CN-GD,Rival Tea,行业报告 2026Q4
2026-11,competitor_price,112.50,CNY,CN-GD,Rival Tea,行业报告 2026Q4
2026-11,market_size,1250000000,CNY,CN-GD,,行业报告 2026Q4
"""


async def test_report_commands(world: World, ledger_url: str, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    one = await world.paid("gd", "440300", [(TEA, 12), (WINE, 2)])
    two = await world.paid("shop", "440100", [(TEA, 5)])
    await world.shop.drain()
    run = cli_runner(world.shop.tmp, monkeypatch, ("--db", ledger_url, "--brand", "acme"))
    monkeypatch.setenv("VERISEAL_KEY_FILE", str(world.shop.tmp / "test.key"))
    (tmp_path / "spec.json").write_text(
        json.dumps({"dimensions": ["product"], "measures": ["revenue", "units"], "period": "7d"})
    )
    (tmp_path / "market.csv").write_text(MARKET, encoding="utf-8")
    (tmp_path / "bad.csv").write_text(MARKET + "2026-12,competitor_price,-1,CNY,,,\n")
    gd = world.shop.orgs["GD01"]
    await asyncio.to_thread(_commands, run, tmp_path, one.total + two.total, gd)
    # a rollup row drifts: the check says so (exit 1) and changes nothing; repair fixes it
    async with world.ctx.db.write() as tx:
        await tx.execute("UPDATE analytics_cube SET units = units + 1 WHERE cube = 'all'")
    await asyncio.to_thread(_rebuild, run)


def _commands(run: CliRun, tmp: Path, total: int, gd: int) -> None:
    sales = json.loads(run("report", "sales", "--period", "7d", "--json"))
    assert (sales["revenue"], sales["orders"], sales["units"]) == (total, 2, 19)
    top = json.loads(run("report", "top", "product", "--period", "7d", "--json"))
    assert {r["key"]: r["units"] for r in top} == {TEA: 17, WINE: 2}
    assert "Revenue" in run("report", "sales", "--compare", "year")
    cities = json.loads(run("report", "top", "city", "--within", "CN-GD", "--json"))
    assert {r["key"] for r in cities} == {"440100", "440300"}
    dealers = json.loads(run("report", "top", "city_dealer", "--within", "440300", "--json"))
    assert [r["key"] for r in dealers] == [f"440300|{gd}"]
    assert "Guangzhou" in run("report", "top", "city", "--within", "CN-GD")
    weeks = json.loads(run("report", "trend", "--period", "90d", "--step", "week", "--json"))
    assert sum(r["orders"] for r in weeks) == 2
    segments = json.loads(run("report", "dealers", "--segments", "--json"))
    counted = sum(s["count"] for s in segments["segments"])
    assert counted == 2  # GD01 and GZ-R1 ordered; every ordering dealer is in one segment
    hours = json.loads(run("report", "scans", "--by", "hour", "--json"))
    assert sum(r["scans"] for r in hours) == 0  # no scan was recorded in this ledger
    trend = json.loads(run("report", "trend", "--period", "7d", "--json"))
    assert sum(r["revenue"] for r in trend) == total
    suggested = json.loads(run("report", "suggest", "--dealer", str(gd), "--json"))
    assert suggested[0]["gtin"] in (TEA, WINE)
    assert "hit-rate" in run("report", "evaluate")
    rows = json.loads(run("report", "run", str(tmp / "spec.json"), "--json"))["rows"]
    assert {r["product"]: r["units"] for r in rows} == {TEA: 17, WINE: 2}
    out = run("report", "export", str(tmp / "spec.json"), "-o", str(tmp / "top.xlsx"))
    assert "2 rows" in out
    sheet = openpyxl.load_workbook(tmp / "top.xlsx", read_only=True).worksheets[0]
    cells = list(sheet.iter_rows(values_only=True))
    assert {r[0]: r[3] for r in cells[1:]} == {TEA: 17, WINE: 2}
    _saved(run, tmp)
    assert "[market_csv_invalid]" in run("report", "market-import", str(tmp / "bad.csv"), code=2)
    assert "3 rows imported (3 new" in run("report", "market-import", str(tmp / "market.csv"))
    assert "(0 new, 3 replaced)" in run("report", "market-import", str(tmp / "market.csv"))
    prices = json.loads(run("report", "market", "--metric", "competitor_price", "--json"))
    assert [p["value"] for p in prices] == ["118.00", "112.50"]
    trends = json.loads(run("report", "trends", "--period", "30d", "--json"))
    assert len(trends["values"]) == 30 and sum(trends["values"]) == pytest.approx(total / 100)
    assert "pages ->" in run("report", "management", "-o", str(tmp / "m.pdf"), "--period", "30d")
    pdf = pdfium.PdfDocument(tmp / "m.pdf")
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "Rival" not in text  # the market section shows metrics, not competitor rows
    assert "competitor_price" in text and "112.50" in text
    assert "Revenue" in text


def _saved(run: CliRun, tmp: Path) -> None:
    """Saved reports: save, list, run (the figures of ``report run``), a refused share,
    a schedule, the due delivery (not due yet: nothing sent), delete."""
    spec = str(tmp / "spec.json")
    made = json.loads(run("report", "saved", "save", "每周商品", spec, "--schedule", "weekly",
                          "--format", "csv", "--json"))  # fmt: skip
    assert made["schedule"] == "weekly" and made["next_run_at"] is not None
    assert "每周商品" in run("report", "saved", "list")
    rows = json.loads(run("report", "saved", "run", str(made["id"]), "--json"))["rows"]
    assert {r["product"]: r["units"] for r in rows} == {TEA: 17, WINE: 2}
    out = run("report", "saved", "save", "x", spec, "--share-role", "ceo", code=2)
    assert "[analytics_report_invalid]" in out
    assert "0 delivered" in run("report", "saved", "deliver")
    assert "deleted" in run("report", "saved", "delete", str(made["id"]))
    assert json.loads(run("report", "saved", "list", "--json"))["reports"] == []


def _rebuild(run: CliRun) -> None:
    out = run("report", "rebuild", "--check", code=1)
    assert "1 differing" in out
    assert "Repaired." in run("report", "rebuild")
    assert "0 differing" in run("report", "rebuild", "--check")

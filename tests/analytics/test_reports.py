"""Custom reports and background exports over real HTTP, on both backends: a definition
groups and filters like a hand count of the orders placed; an export job runs in the
background to done with its rows counted, and its CSV, XLSX and PDF read back with real
readers equal the report; a bad definition is a 400 that stores nothing; files are
private; another brand's job is not found."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import os
import stat
from pathlib import Path
from typing import Any

import openpyxl
import pypdfium2 as pdfium
import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.analytics.conftest import World
from tests.commerce.conftest import TEA, WINE
from veriseal.server.app import Limits, make_app
from veriseal_analytics.exports import KEEP_DAYS, STALE_HOURS, export_dir, jobs

SPEC = {"dimensions": ["province", "product"], "measures": ["revenue", "units", "orders"],
        "period": "7d", "sort": "revenue"}  # fmt: skip


async def _token(world: World, who: str) -> dict[str, str]:
    token, _ = await world.shop.engine.accounts.create_token(world.shop.people[who], "t", ["*"])
    return {"Authorization": f"Bearer {token}"}


async def _until_done(c: TestClient, job: int, headers: dict[str, str]) -> dict[str, Any]:
    for _ in range(200):
        r = await c.get(f"/api/v1/analytics/exports/{job}", headers=headers)
        got: dict[str, Any] = await r.json()
        if got["status"] in ("done", "failed"):
            return got
        await asyncio.sleep(0.05)
    raise AssertionError("the export never ended")


async def test_reports_and_their_exports(world: World, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    a = await world.paid("gd", "440300", [(TEA, 12), (WINE, 2)])
    b = await world.paid("shop", "440100", [(TEA, 5)])
    c_ = await world.paid("zj", "330100", [(WINE, 3)])
    await world.shop.drain()
    admin = await _token(world, "admin")
    async with TestClient(TestServer(make_app(world.shop.engine, Limits(per_minute=0)))) as c:
        r = await c.post("/api/v1/analytics/reports/run", headers=admin, json={"spec": SPEC})
        assert r.status == 200, await r.text()
        rows = (await r.json())["rows"]
        got = {(x["province"], x["product"]): (x["units"], x["orders"]) for x in rows}
        # counted by hand from the orders above
        assert got == {("CN-GD", TEA): (17, 2), ("CN-GD", WINE): (2, 1), ("CN-ZJ", WINE): (3, 1)}
        assert sum(x["revenue"] for x in rows) == a.total + b.total + c_.total
        assert rows == sorted(rows, key=lambda x: x["revenue"], reverse=True)
        filtered = {**SPEC, "filters": {"province": ["CN-ZJ"]}}
        r = await c.post("/api/v1/analytics/reports/run", headers=admin, json={"spec": filtered})
        assert [x["province"] for x in (await r.json())["rows"]] == ["CN-ZJ"]
        # a bad definition: 400 with its code, no job stored
        for bad in ({**SPEC, "measures": ["profit"]}, {**SPEC, "dimensions": ["a", "b", "c"]},
                    {**SPEC, "period": "forever"}, {**SPEC, "extra": 1},
                    {**SPEC, "filters": {"dealer": ["12; DROP TABLE x"]}}):  # fmt: skip
            r = await c.post("/api/v1/analytics/exports", headers=admin,
                             json={"spec": bad, "format": "csv"})  # fmt: skip
            body = await r.json()
            assert r.status == 400, body
            assert body["error"]["code"] in ("analytics_report_invalid", "analytics_period_invalid")
        r = await c.get("/api/v1/analytics/exports", headers=admin)
        assert (await r.json())["exports"] == []
        files: dict[str, bytes] = {}
        for fmt in ("csv", "xlsx", "pdf"):
            r = await c.post("/api/v1/analytics/exports", headers=admin,
                             json={"spec": SPEC, "format": fmt, "lang": "en"})  # fmt: skip
            assert r.status == 202, await r.text()
            job = await _until_done(c, (await r.json())["id"], admin)
            assert job["status"] == "done", job
            assert job["rows_done"] == job["rows_total"] == 3
            r = await c.get(f"/api/v1/analytics/exports/{job['id']}/file", headers=admin)
            assert r.status == 200
            files[fmt] = await r.read()
        # a dealer may not export; an unknown job is 404
        r = await c.post("/api/v1/analytics/exports", headers=await _token(world, "gd"),
                         json={"spec": SPEC})  # fmt: skip
        assert r.status == 403
        r = await c.get("/api/v1/analytics/exports/999999/file", headers=admin)
        assert r.status == 404 and (await r.json())["error"]["code"] == "analytics_export_not_found"
    table = list(csv.reader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    assert table[0][:2] == ["Province", "Province name"]
    assert {(x[0], x[2]) for x in table[1:]} == set(got)
    sheet = openpyxl.load_workbook(io.BytesIO(files["xlsx"]), read_only=True).worksheets[0]
    cells = list(sheet.iter_rows(values_only=True))
    units = {(r[0], r[2]): r[5] for r in cells[1:]}
    assert units == {k: v[0] for k, v in got.items()}
    pdf = pdfium.PdfDocument(files["pdf"])
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert TEA in text and "Guangdong" in text
    folder = tmp_path / "data" / "veriseal" / "exports"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in folder.iterdir())


async def test_the_sweep_fails_stale_jobs_and_deletes_old_files(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    now = dt.datetime.now(dt.UTC)
    ids = {}
    async with world.ctx.db.write() as tx:
        for name, age in (("stale", STALE_HOURS + 1), ("fresh", 0)):
            ids[name] = await tx.insert_returning_id("analytics_exports", {
                "brand_id": world.shop.brand.id, "spec": "{}", "format": "csv",
                "status": "running", "created_at": now - dt.timedelta(hours=age)})  # fmt: skip
    folder = export_dir(world.ctx)
    old, new = folder / "1.csv", folder / "2.csv"
    for f in (old, new):
        f.write_text("x")
    gone = (now - dt.timedelta(days=KEEP_DAYS + 1)).timestamp()
    os.utime(old, (gone, gone))
    await jobs(world.ctx).sweep()
    admin = world.shop.people["admin"]
    stale = await jobs(world.ctx).get(admin, world.shop.brand, ids["stale"])
    fresh = await jobs(world.ctx).get(admin, world.shop.brand, ids["fresh"])
    assert (stale.status, fresh.status) == ("failed", "running")
    assert "stopped" in stale.error
    assert not old.exists() and new.exists()

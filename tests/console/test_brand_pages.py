"""The brand console's pages over real HTTP, per role: the dashboard (its tables say
what its charts draw), batches (create, activate, print and download), scans (filters,
pages, exports that read back as the page), alerts (the workflow's forms), keys."""

from __future__ import annotations

import csv
import datetime as dt
import html as htmllib
import io
import json
import re
from collections.abc import Mapping

import openpyxl
import pytest

from veriseal.brandops.dashboard import day_number
from veriseal.console.views import scans as scan_views
from veriseal.extend.stream import worker_for
from veriseal.models import AlertKind, NewAlert, NewScan, Region, ScanChannel

from .conftest import ConsoleClient, ConsoleLive

ROW = re.compile(r'<tr data-scan="(\d+)" data-outcome="([a-z_]+)">')


def _kpi(html: str, name: str) -> int:
    found = re.search(rf'id="kpi-{name}">([^<]*)<', html)
    assert found, name
    return int(found.group(1).replace(",", ""))


def _json_block(html: str, block_id: str) -> object:
    found = re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>', html,
                      re.S)  # fmt: skip
    assert found, block_id
    return json.loads(htmllib.unescape(found.group(1)))


async def _fetch(client: ConsoleClient, path: str) -> tuple[int, Mapping[str, str], bytes]:
    """A file download as the browser gets it: status, headers, body."""
    async with client.session.get(client.base + path, allow_redirects=False) as r:
        return r.status, r.headers, await r.read()


async def _scans(console: ConsoleLive, n: int, at: dt.datetime | None = None) -> list[int]:
    engine = console.engine
    brand = await engine.brand(None)
    batch = (await engine.batches.list(brand))[0]
    when = at or dt.datetime.now(dt.UTC)
    scans = [
        NewScan(
            at=when - dt.timedelta(minutes=i),
            code=f"CODE{i}",
            outcome=["genuine", "genuine", "suspected_clone", "invalid"][i % 4],
            reason="",
            channel=[ScanChannel.WEB, ScanChannel.HANDHELD][i % 3 == 0],
            actor=f"device:{i}",
            brand_id=brand.id,
            gtin=batch.gtin,
            batch_id=batch.id,
            index=i % batch.size,
            region=Region("CN", ["CN-GD", "CN-ZJ"][i % 2], ["Guangzhou", "Hangzhou"][i % 2]),
        )
        for i in range(n)
    ]  # fmt: skip
    ids = await engine.ledger.append_scans(scans)
    await worker_for(engine).drain(["veriseal.dashboard"])
    return ids


async def test_dashboard_per_role(console: ConsoleLive) -> None:
    now = dt.datetime.now(dt.UTC)
    await _scans(console, 12, now)
    admin = await console.client("brand_admin")
    status, html = await admin.get("/console/dashboard?lang=en")
    assert status == 200
    today = day_number(dt.datetime.now(dt.UTC))  # a UTC+8 day: it may turn between scans
    expected_today = sum(1 for i in range(12) if day_number(now - dt.timedelta(minutes=i)) == today)
    assert _kpi(html, "today") == expected_today
    assert _kpi(html, "window") == 12
    # the charts' data and the tables hold the same numbers
    pie = _json_block(html, "chart-verdicts")
    assert isinstance(pie, dict)
    assert sorted(d["value"] for d in pie["data"]) == [3, 3, 6]
    geo = _json_block(html, "chart-map")
    assert isinstance(geo, dict)
    assert sorted((d["code"], d["value"]) for d in geo["data"]) == [("330000", 6), ("440000", 6)]
    assert re.search(r'data-province="CN-GD">.*?<td[^>]*>440000</td><td[^>]*>6</td>', html, re.S)
    trend = _json_block(html, "chart-trend")
    assert isinstance(trend, dict) and len(trend["x"]) == 14
    assert sum(trend["series"][0]["data"]) == 12 and sum(trend["series"][1]["data"]) == 6
    inspector = await console.client("inspector")
    assert (await inspector.get("/console/dashboard"))[0] == 200
    for role in ("retailer", "factory_operator", "distributor", "consumer"):
        c = await console.client(role)
        assert (await c.get("/console/dashboard"))[0] == 403, role
    # the platform admin chooses a brand first
    platform = await console.client("platform_admin")
    status, html = await platform.get("/console/dashboard")
    assert status == 200 and "/console/dashboard?brand=demo" in html
    status, html = await platform.get("/console/dashboard?brand=demo")
    assert status == 200 and _kpi(html, "window") == 12


async def test_batches_create_activate_print_download(console: ConsoleLive) -> None:
    admin = await console.client("brand_admin")
    status, html = await admin.get("/console/batches")
    assert status == 200 and 'id="create-batch"' in html
    status, html = await admin.post("/console/batches", {
        "gtin": "09506000134352", "lot": "C1", "size": "30", "profile": "compact",
        "pin_digits": "0"})  # fmt: skip
    assert status == 200 and 'id="activate"' in html, html[:3000]
    batch_id = int(re.search(r"<h1>[^#]*#(\d+)", html).group(1))  # type: ignore[union-attr]
    # a bad form keeps what was typed and says why
    status, html = await admin.post("/console/batches", {
        "gtin": "09506000134352", "lot": "C1", "size": "30"})  # fmt: skip
    assert status == 409 and 'id="form-error"' in html and 'value="C1"' in html
    operator = await console.client("factory_operator")
    status, html = await operator.get("/console/batches")
    assert status == 200 and f'data-batch="{batch_id}"' in html and "create-batch" not in html
    status, _ = await operator.post("/console/batches", {"gtin": "09506000134352",
                                                         "lot": "C2", "size": "1"})  # fmt: skip
    assert status == 403
    retailer = await console.client("retailer")
    assert (await retailer.get("/console/batches"))[0] == 403
    assert (await retailer.get(f"/console/batches/{batch_id}"))[0] == 403
    # activation: a range, then the counts on the page
    status, html = await operator.post(f"/console/batches/{batch_id}/activate",
                                       {"scope": "range", "first": "0", "last": "9"})  # fmt: skip
    assert status == 200 and re.search(r'id="count-active">10<', html)
    status, html = await operator.post(f"/console/batches/{batch_id}/activate", {"scope": "all"})
    assert status == 200 and re.search(r'id="count-active">30<', html)
    status, html = await operator.post(f"/console/batches/{batch_id}/activate",
                                       {"scope": "range", "first": "5", "last": "99"})  # fmt: skip
    assert status == 400 and 'id="form-error"' in html
    # print: a run, rendered in the background, then its file
    form = {"template": "a4-qr-3x8", "first": "0", "last": "23"}
    status, html = await operator.post(f"/console/batches/{batch_id}/print", form)
    assert status == 200
    run_id = int(re.search(r'data-run="(\d+)"', html).group(1))  # type: ignore[union-attr]
    await console.engine.ops.prints.wait(run_id)
    status, html = await operator.get(f"/console/batches/{batch_id}")
    assert f'data-run="{run_id}" data-state="done"' in html
    link = f"/console/batches/{batch_id}/print/{run_id}/download"
    assert link in html
    status, headers, body = await _fetch(operator, link)
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert "attachment" in headers["Content-Disposition"] and body.startswith(b"%PDF-")
    assert (await retailer.raw("GET", link)).status == 403
    inspector = await console.client("inspector")
    assert (await inspector.raw("GET", link)).status == 403
    # the same labels again: refused inline
    form = {"template": "a4-qr-3x8", "first": "0", "last": "5"}
    status, html = await operator.post(f"/console/batches/{batch_id}/print", form)
    assert status == 409 and 'id="form-error"' in html


async def test_scans_filters_pages_and_exports(
    console: ConsoleLive, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await _scans(console, 45)
    inspector = await console.client("inspector")
    status, html = await inspector.get("/console/scans?limit=20&lang=en")
    assert status == 200
    first = [int(i) for i, _ in ROW.findall(html)]
    assert first == ids[:20]  # newest first: the first recorded is the newest here
    nxt = re.search(r'id="next-page" href="([^"]+)"', html)
    assert nxt
    status, html = await inspector.get(htmllib.unescape(nxt.group(1)))
    assert [int(i) for i, _ in ROW.findall(html)] == ids[20:40]
    # filters
    status, html = await inspector.get("/console/scans?outcome=suspected_clone&province=440000"
                                       "&channel=web")  # fmt: skip
    got = ROW.findall(html)
    assert got and {o for _, o in got} == {"suspected_clone"}
    status, html = await inspector.get("/console/scans?from=2999-01-01")
    assert status == 200 and not ROW.findall(html) and "empty" in html
    status, html = await inspector.get("/console/scans?from=yesterday")
    assert status == 400 and 'id="form-error"' in html
    # exports read back as the page: the same scans, in the same order
    query = "/console/scans?outcome=genuine&limit=200"
    _, page = await inspector.get(query)
    shown = [int(i) for i, _ in ROW.findall(page)]
    assert shown
    status, headers, body = await _fetch(inspector, query + "&export=csv")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert [int(x[0]) for x in rows[1:]] == shown
    assert {x[2] for x in rows[1:]} == {"genuine"}
    status, headers, body = await _fetch(inspector, query + "&export=xlsx")
    assert status == 200 and "spreadsheetml" in headers["Content-Type"]
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    cells = list(book.active.iter_rows(values_only=True))
    assert [int(x[0]) for x in cells[1:]] == shown
    assert [x[4] for x in cells[1:]] == [x[4] for x in rows[1:]]  # the codes
    # a spreadsheet past its cap is refused with a message, before anything is sent
    monkeypatch.setattr(scan_views, "XLSX_MAX_ROWS", len(shown) - 1)
    status, html = await inspector.get(query + "&export=xlsx&lang=en")
    assert status == 413 and "export CSV" in html
    status, _, body = await _fetch(inspector, query + "&export=csv")  # CSV: every row
    assert status == 200 and len(body.decode("utf-8").splitlines()) == len(shown) + 1
    retailer = await console.client("retailer")
    assert (await retailer.raw("GET", query + "&export=csv")).status == 403
    operator = await console.client("factory_operator")
    assert (await operator.get("/console/scans"))[0] == 403


async def test_alerts_workflow_in_the_console(console: ConsoleLive) -> None:
    engine = console.engine
    brand = await engine.brand(None)
    [scan_id] = await _scans(console, 1)
    alert_id = await engine.ledger.append_alert(NewAlert(
        dt.datetime.now(dt.UTC), brand.id, AlertKind.CLONE_COUNT, "CODE0", (scan_id,),
        '{"count": 21, "limit": 20}'))  # fmt: skip
    travel = NewAlert(
        dt.datetime.now(dt.UTC), brand.id, AlertKind.IMPOSSIBLE_TRAVEL, "C1", (), "{}"
    )
    other = await engine.ledger.append_alert(travel)
    inspector = await console.client("inspector")
    status, html = await inspector.get("/console/alerts?lang=en")
    assert status == 200 and f'data-alert="{alert_id}"' in html and f'data-alert="{other}"' in html
    status, html = await inspector.get("/console/alerts?kind=clone_count")
    assert f'data-alert="{alert_id}"' in html and f'data-alert="{other}"' not in html
    status, html = await inspector.get(f"/console/alerts/{alert_id}?lang=en")
    assert status == 200 and f'data-scan="{scan_id}"' in html and "count: 21" in html
    assert 'id="step-investigating"' not in html  # an inspector reads, never moves
    status, _ = await inspector.post(f"/console/alerts/{alert_id}/transition",
                                     {"to": "investigating"})  # fmt: skip
    assert status == 403
    admin = await console.client("brand_admin")
    status, html = await admin.get(f"/console/alerts/{alert_id}")
    assert 'id="step-investigating"' in html and 'id="step-dismissed"' in html
    status, html = await admin.post(f"/console/alerts/{alert_id}/transition",
                                    {"to": "investigating"})  # fmt: skip
    assert status == 200 and 'data-state="investigating"' in html
    status, html = await admin.post(f"/console/alerts/{alert_id}/transition",
                                    {"to": "confirmed", "note": " "})  # fmt: skip
    assert status == 400 and 'id="form-error"' in html
    status, html = await admin.post(f"/console/alerts/{alert_id}/transition",
                                    {"to": "confirmed", "note": "佛山 copies"})  # fmt: skip
    assert status == 200 and 'data-state="confirmed"' in html and "佛山 copies" in html
    status, html = await admin.post(f"/console/alerts/{alert_id}/transition",
                                    {"to": "dismissed", "note": "x"})  # fmt: skip
    assert status == 409
    status, html = await inspector.get("/console/alerts?state=confirmed")
    assert f'data-alert="{alert_id}"' in html and f'data-alert="{other}"' not in html
    retailer = await console.client("retailer")
    assert (await retailer.get("/console/alerts"))[0] == 403
    assert (await retailer.get(f"/console/alerts/{alert_id}"))[0] == 403


async def test_keys_page(console: ConsoleLive) -> None:
    admin = await console.client("brand_admin")
    status, html = await admin.get("/console/keys?lang=en")
    assert status == 200 and 'data-slot="0" data-status="active"' in html
    assert 'id="rotation-due"' not in html
    for role in ("factory_operator", "inspector", "retailer"):
        c = await console.client(role)
        assert (await c.get("/console/keys"))[0] == 403, role

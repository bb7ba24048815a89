"""The CLI as a user meets it: click's runner for the flows, the installed command too."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

from tests.conftest import veriseal_exe
from veriseal.catalog.keys import KeySource
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.models import Location, LocationSource, ScanChannel
from veriseal.scanning.service import ScanContext

GTIN = "9506000134352"


def setup_brand(run, db: str | None = None) -> None:  # type: ignore[no-untyped-def]
    extra = ["--db", db] if db else []
    run(*extra, "init", "--brand", "acme", "--name", "Acme", "--resolver", "id.acme.example")
    run(*extra, "product", "add", "--gtin", GTIN, "--name", "Green tea", "--shelf-life-days", "365")


def test_full_flow_on_each_backend(run, ledger_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    setup_brand(run, ledger_url)
    db = ["--db", ledger_url]
    out = run(*db, "batch", "create", "--product", GTIN, "--lot", "L1", "--size", "50")
    assert "Batch 1 created" in out
    run(*db, "batch", "codes", "1", "--format", "uri", "-o", "codes.txt")
    uris = (tmp_path / "codes.txt").read_text().splitlines()
    assert len(uris) == 50 and len(set(uris)) == 50
    assert uris[0].startswith("https://id.acme.example/01/09506000134352/10/L1/21/C")
    assert "Genuine" in run(*db, "verify", uris[7])
    info = json.loads(run(*db, "verify", uris[7], "--json"))
    assert info["outcome"] == "genuine" and info["code"]["index"] == 7
    serial = uris[7].split("/21/")[1].split("?")[0]
    edited = serial[:5] + ("Z" if serial[5] != "Z" else "Y") + serial[6:]
    assert "tag_mismatch" in run(*db, "verify", edited, code=1)
    # a reprint of a range gives the same codes
    run(*db, "batch", "codes", "1", "--from", "5", "--to", "9", "--format", "uri", "-o", "re.txt")
    assert (tmp_path / "re.txt").read_text().splitlines() == uris[5:10]


def test_formats_signed_offline_and_keys(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    setup_brand(run)
    run(
        "batch",
        "create",
        "--product",
        GTIN,
        "--lot",
        "S1",
        "--size",
        "20",
        "--profile",
        "signed",
        "--pin",
    )
    run("batch", "codes", "1", "--format", "csv", "-o", "c.csv")
    lines = (tmp_path / "c.csv").read_text().splitlines()
    assert lines[0] == "index,serial,uri,pin" and len(lines) == 21
    index, serial, uri, pin = lines[3].split(",")
    assert index == "2" and len(pin) == 8 and serial.startswith("S")
    run("batch", "codes", "1", "--format", "jsonl", "-o", "c.jsonl")
    rec = json.loads((tmp_path / "c.jsonl").read_text().splitlines()[2])
    assert rec == {"index": 2, "serial": serial, "uri": uri, "pin": pin}
    assert "pin_required" in run("verify", uri, code=13)
    assert "Genuine" in run("verify", uri, "--pin", pin)
    run("keys", "export-public", "-o", "jwks.json")
    assert "offline check" in run("verify", uri, "--jwks", "jwks.json")
    run("keys", "rotate")
    keys = json.loads(run("keys", "list", "--json"))
    assert [(k["kid"], k["status"]) for k in keys] == [("acme.0", "retired"), ("acme.1", "active")]
    assert "Genuine" in run("verify", uri, "--pin", pin)
    run("batch", "manifest", "1", "-o", "m.json")
    run("keys", "export-public", "-o", "jwks2.json")
    assert "valid" in run("batch", "check-manifest", "m.json", "--jwks", "jwks2.json")
    run("keys", "revoke", "0", "--yes")
    assert "key_revoked" in run("verify", uri, "--pin", pin, code=12)


def test_import_reports_bad_rows_and_imports_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init", "--brand", "acme", "--name", "Acme", "--resolver", "id.acme.example")
    rows = [
        "gtin,name,shelf_life_days,category",
        "4006381333931,Tea,365,Beverages/Tea/Green",
        "4006381333932,Bad check digit,1,",
        "96385074,Short GTIN,,",
        "12345,Too short,,",
        "036000291452,,,",
        "96385074,Repeat,,",
    ]
    (tmp_path / "p.csv").write_text("\n".join(rows) + "\n")
    out = run("product", "import", "p.csv", code=2)
    for line in ("3", "5", "6", "7"):
        assert f"p.csv:{line}:" in out, out
    assert json.loads(run("product", "list", "--json")) == []
    out = run("product", "import", "p.csv", "--skip-bad")
    assert "Imported 2 products" in out
    gtins = [p["gtin"] for p in json.loads(run("product", "list", "--json"))]
    assert gtins == ["00000096385074", "04006381333931"]


def test_errors_are_coded_messages_not_tracebacks(run) -> None:  # type: ignore[no-untyped-def]
    assert "config_invalid" in run("batch", "list", code=7)
    setup_brand(run)
    assert "[batch_not_found]" in run("batch", "show", "99", code=3)
    assert "[gtin_invalid]" in run("product", "add", "--gtin", "123", "--name", "x", code=2)
    assert "[invalid_input]" in run(
        "batch", "create", "--product", GTIN, "--lot", "a b", "--size", "3", code=2
    )
    assert "[conflict]" in run(
        "init", "--brand", "acme", "--name", "A", "--resolver", "a.example", code=4
    )
    run("batch", "create", "--product", GTIN, "--lot", "L1", "--size", "3")
    assert "[invalid_input]" in run(
        "batch", "codes", "1", "--from", "2", "--to", "3", "-o", "x", code=2
    )
    assert "错误" in run("--lang", "zh", "batch", "show", "99", code=3) or "未找到" in run(
        "--lang", "zh", "batch", "show", "99", code=3
    )


def test_installed_command(tmp_path: Path) -> None:
    exe = veriseal_exe()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}

    def sh(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert sh("--help").returncode == 0
    assert (
        sh("init", "--brand", "acme", "--name", "Acme", "--resolver", "id.acme.example").returncode
        == 0
    )
    assert sh("product", "add", "--gtin", GTIN, "--name", "Tea").returncode == 0
    assert sh("batch", "create", "--product", GTIN, "--lot", "L1", "--size", "10").returncode == 0
    codes = sh("batch", "codes", "1", "-o", "-")
    first = codes.stdout.splitlines()[0]
    ok = sh("verify", first)
    assert ok.returncode == 0 and "Genuine" in ok.stdout
    bad = sh("verify", "https://id.acme.example/01/09506000134352/10/L1/21/%ZZ")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr + bad.stdout


async def _record_scans(db: str, key: Path, uris: list[str]) -> None:
    cfg = Config(path=None, db_url=db, key_source=KeySource(key_file=key))
    async with await Engine.open(cfg) as engine:
        here = Location(39.9042, 116.4074, 20.0, LocationSource.GPS)
        for uri in uris:
            await engine.scans.scan(uri, ScanContext(ScanChannel.WEB, "device:t", here))


def test_scans_list_show_export(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    setup_brand(run)
    run("batch", "create", "--product", GTIN, "--lot", "L1", "--size", "5")
    run("batch", "codes", "1", "-o", "c.txt")
    uris = (tmp_path / "c.txt").read_text().splitlines()
    serial = uris[1].split("/21/")[1].split("?")[0]
    db = f"sqlite:///{tmp_path / 'veriseal.sqlite3'}"
    asyncio.run(_record_scans(db, tmp_path / "veriseal.key", [uris[0], uris[1], uris[1], "junk"]))
    listed = json.loads(run("scans", "list", "--json"))
    assert [r["index"] for r in listed] == [0, 1, 1]
    assert json.loads(run("scans", "list", "--json", "--code", serial.lower()))[0]["code"] == serial
    assert [r["code"] for r in json.loads(run("scans", "list", "--json", "--fakes"))] == ["junk"]
    by_product = json.loads(run("scans", "list", "--json", "--product", listed[0]["gtin"]))
    assert len(by_product) == 3
    assert json.loads(run("scans", "list", "--json", "--product", "4006381333931")) == []
    assert json.loads(run("scans", "show", str(listed[0]["id"])))["lat"] == 39.9042
    run("scans", "export", "--format", "csv", "-o", "s.csv", "--batch", "1")
    lines = (tmp_path / "s.csv").read_text().splitlines()
    assert lines[0].startswith("id,at,code") and len(lines) == 4
    run("scans", "export", "--format", "jsonl", "-o", "s.jsonl", "--since", "2000-01-01")
    assert len((tmp_path / "s.jsonl").read_text().splitlines()) == 3
    assert "[not_found]" in run("scans", "show", "999", code=3)


def test_policy_and_alerts(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    setup_brand(run)
    shown = json.loads(run("policy", "show"))
    assert shown["default"] is True and shown["policy"]["max_verifications"] == 20
    run("policy", "set", "--max-verifications", "1")
    run("policy", "set", "--product", GTIN, "--max-speed-kmh", "500")
    product = json.loads(run("policy", "show", "--product", GTIN))["policy"]
    assert product == {
        "max_verifications": 1,
        "max_speed_kmh": 500.0,
        "max_regions": None,
        "max_devices": 4,
        "devices_window_days": 30,
        "max_unactivated_scans": 0,
    }
    run("policy", "set", "--product", GTIN, "--max-devices", "6", "--devices-window-days", "14")
    run("policy", "set", "--product", GTIN, "--no-unactivated-rule")
    product = json.loads(run("policy", "show", "--product", GTIN))["policy"]
    assert (product["max_devices"], product["devices_window_days"]) == (6, 14)
    assert product["max_unactivated_scans"] is None and product["max_speed_kmh"] == 500.0
    run("policy", "set", "--product", GTIN, "--no-devices-rule", "--max-unactivated-scans", "0")
    product = json.loads(run("policy", "show", "--product", GTIN))["policy"]
    assert (product["max_devices"], product["max_unactivated_scans"]) == (None, 0)
    assert "[product_not_found]" in run("policy", "set", "--product", "4006381333931", code=3)
    run("batch", "create", "--product", GTIN, "--lot", "L1", "--size", "3")
    run("batch", "codes", "1", "-o", "c.txt")
    uri = (tmp_path / "c.txt").read_text().splitlines()[0]
    db = f"sqlite:///{tmp_path / 'veriseal.sqlite3'}"
    asyncio.run(_record_scans(db, tmp_path / "veriseal.key", [uri, uri]))
    found = json.loads(run("alerts", "list", "--json", "--kind", "clone_count"))
    assert len(found) == 1 and found[0]["details"] == {"limit": 1, "verifications": 2}
    assert "suspected_clone" in run("scans", "list")

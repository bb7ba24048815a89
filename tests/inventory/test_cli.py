"""``veriseal warehouses ...`` and ``veriseal stock ...`` end to end on a fresh ledger
(SQLite, the default of ``veriseal init``): the brand's default warehouse made on first
use, a second warehouse, receiving in lots, issuing oldest lot first, a refusal with its
code and nothing changed, a transfer, the movement log, and ``stock rebuild --check``
catching a corrupted cache (exit 1) until the repair."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from veriseal_cli.main import cli

TEA = "09506000134352"


def test_stock_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke

    def ok(*args: str) -> str:
        result = run(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
        return result.output

    ok("init", "--brand", "acme", "--name", "Acme Tea", "--resolver", "id.acme.example")
    ok("product", "add", "--gtin", TEA, "--name", "Green tea", "--category", "Beverages/Tea")
    ok("warehouses", "create", "SH", "上海仓", "--address", "上海市浦东新区1号")
    listed = json.loads(ok("warehouses", "list", "--json"))
    assert [(w["code"], w["is_default"]) for w in listed] == [("SH", True)]
    assert "quarantine\tquarantine" in ok("warehouses", "locations", "SH")
    ok("warehouses", "add-location", "SH", "A-01")
    ok("stock", "receive", "SH", f"{TEA}:10:L2", f"{TEA}:5:L1", "--document", "IN-1",
       "--reason", "production")  # fmt: skip
    ok("stock", "issue", "SH", f"{TEA}:7", "--document", "OUT-1")
    balances = json.loads(ok("stock", "balances", "SH", "--json"))
    assert [(b["lot"], b["on_hand"]) for b in balances] == [("L2", 8)]  # L1 went first
    short = run(cli, ["stock", "issue", "SH", f"{TEA}:9"])
    assert short.exit_code != 0 and "[stock_insufficient]" in short.output
    bad = run(cli, ["stock", "issue", "SH", "not-a-line"])
    assert bad.exit_code != 0 and "[stock_invalid]" in bad.output
    ok("warehouses", "create", "BJ", "北京仓")
    ok("stock", "transfer", "SH", "BJ", f"{TEA}:3", "--reason", "rebalance")
    levels = {lv["warehouse_id"]: lv["sellable"]
              for lv in json.loads(ok("stock", "levels", "--product", TEA, "--json"))}  # fmt: skip
    assert sorted(levels.values()) == [3, 5]
    log = ok("stock", "movements", "--document", "OUT-1")
    assert [(ln.split("\t")[4], ln.split("\t")[5]) for ln in log.splitlines()] == [
        ("L2", "-2"),
        ("L1", "-5"),
    ]  # newest first: one movement per lot taken
    assert "0 difference(s) found" in ok("stock", "rebuild", "--check")
    db = tmp_path / "veriseal.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE inventory_levels SET sellable = sellable + 100")
    check = run(cli, ["stock", "rebuild", "--check"])
    assert check.exit_code == 1 and "2 difference(s) found" in check.output
    assert "2 difference(s) repaired" in ok("stock", "rebuild")
    assert "0 difference(s) found" in ok("stock", "rebuild", "--check")

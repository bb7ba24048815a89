"""``veriseal stock settings|alerts|replenish`` end to end on a fresh ledger: a setting
opens an alert as the stock falls, the alert list shows it, the replenishment shows the
numbers behind its suggestion, and bad input is refused with a coded message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from veriseal_cli.main import cli

TEA = "09506000134352"


def test_settings_alerts_and_replenishment_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke

    def ok(*args: str) -> str:
        result = run(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
        return result.output

    ok("init", "--brand", "acme", "--name", "Acme Tea", "--resolver", "id.acme.example")
    ok("product", "add", "--gtin", TEA, "--name", "Green tea", "--category", "Beverages/Tea")
    ok("warehouses", "create", "MAIN", "Main warehouse")
    ok("stock", "receive", "MAIN", f"{TEA}:30")
    out = ok("stock", "settings", "set", TEA, "--safety", "10", "--reorder-point", "15",
             "--reorder-qty", "24", "--lead-time", "3", "--pack", "12")  # fmt: skip
    assert "safety 10, reorder point 15, reorder qty 24" in out
    [row] = json.loads(ok("stock", "settings", "show", "--json"))
    assert (row["warehouse_id"], row["safety_stock"], row["review_days"]) == (None, 10, 7)
    ok("stock", "issue", "MAIN", f"{TEA}:21")  # 9 left: below 10
    [alert] = json.loads(ok("stock", "alerts", "--open", "--json"))
    assert (alert["gtin"], alert["opened_level"], alert["open"]) == (TEA, 9, True)
    # 21 sold in 28 days: 0.75/day; demand 0.75 x (3 + 7) = 7.5 -> 8; target 10 + 8 = 18;
    # position 9; shortfall 9; max(9, 24) = 24 -> two packs of 12
    [plan] = json.loads(ok("stock", "replenish", "--json"))
    assert (plan["velocity"], plan["target"], plan["shortfall"], plan["quantity"]) == (
        "0.75", 18, 9, 24)  # fmt: skip
    text = ok("--lang", "zh", "stock", "replenish")
    assert "销售速度：28 天出库 21 件 = 每天 0.75 件" in text
    bad = run(cli, ["stock", "settings", "set", "00000000000000", "--safety", "1"])
    assert bad.exit_code != 0 and "[product_not_found]" in bad.output
    ok("stock", "receive", "MAIN", f"{TEA}:6")  # 15: at the reorder point, closes
    assert json.loads(ok("stock", "alerts", "--open", "--json")) == []
    assert "cleared" in ok("stock", "settings", "clear", TEA)

"""``veriseal prices ...`` and ``veriseal promotions ...`` end to end on a fresh ledger:
lists and rows (a tie refused with its code), a derived list with rounding, a promotion,
and a quote that explains which row gave each price."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from veriseal_cli.main import cli

TEA = "09506000134352"


def test_prices_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke

    def ok(*args: str) -> str:
        result = run(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
        return result.output

    ok("init", "--brand", "acme", "--name", "Acme Tea", "--resolver", "id.acme.example")
    ok("product", "add", "--gtin", TEA, "--name", "Green tea", "--category", "Beverages/Tea")
    assert "list 1 retail (CNY)" in ok("prices", "add-list", "retail")
    ok("prices", "add-list", "wholesale")
    assert "retail\tCNY" in ok("prices", "lists")
    row = json.loads(ok("prices", "set", "--list", "retail", "--gtin", TEA, "--price", "128"))
    assert row["price"] == 12800
    tie = run(cli, ["prices", "set", "--list", "wholesale", "--gtin", TEA, "--price", "1"])
    assert tie.exit_code != 0 and "[price_row_tie]" in tie.output
    bad = run(cli, ["prices", "set", "--list", "retail", "--price", "1.001"])
    assert bad.exit_code != 0 and "[money_invalid]" in bad.output
    ok("prices", "set", "--list", "wholesale", "--level", "retailer", "--percent-of", "retail",
       "--percent", "85", "--rounding", "end_9_9")  # fmt: skip
    assert len(ok("prices", "rows").splitlines()) == 2
    promo = json.loads(ok("promotions", "add", "满减", "amount_off", "--amount", "5",
                          "--min-amount", "100"))  # fmt: skip
    assert promo["amount"] == 500
    mine = json.loads(ok("promotions", "add", "推荐", "percent_off", "--percent", "5",
                         "--suggested-only", "--suggested-k", "3"))  # fmt: skip
    assert (mine["suggested_only"], mine["suggested_k"]) == (True, 3)
    bad = run(cli, ["promotions", "add", "x", "percent_off", "--suggested-only",
                    "--suggested-k", "99"])  # fmt: skip
    assert bad.exit_code != 0 and "[price_invalid]" in bad.output
    assert ok("promotions", "suggested", "--k", "5") == ""  # no order yet: none suggested
    ok("promotions", "delete", str(mine["id"]))
    out = ok("prices", "quote", "--product", TEA, "--qty", "2")
    # retail: 2 x 128.00 = 256.00, 满 100 减 5
    assert f"{TEA} x 2 @ 128.00 = 251.00" in out
    assert f"price: list 'retail' row {row['id']}: product {TEA}" in out
    assert "- 5.00 满减 [amount_off" in out
    assert "subtotal 256.00  discount 5.00  total 251.00 CNY" in out
    assert "active" in ok("promotions", "list")
    ok("promotions", "disable", str(promo["id"]))
    assert "disabled" in ok("promotions", "list")
    q = json.loads(ok("prices", "quote", "--product", TEA, "--qty", "1", "--json"))
    assert (q["total"], q["discount"]) == (12800, 0)
    assert run(cli, ["prices", "quote", "--product", TEA]).exit_code != 0
    ok("promotions", "delete", str(promo["id"]))
    assert ok("promotions", "list") == ""
    ok("prices", "delete", str(row["id"]))
    nothing = run(cli, ["prices", "quote", "--product", TEA, "--qty", "1"])
    assert nothing.exit_code != 0 and "[price_not_found]" in nothing.output

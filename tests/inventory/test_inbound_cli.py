"""``veriseal inbound ...`` end to end on a fresh SQLite ledger: receive into quarantine,
show the plan, refuse a bad decision with its code, accept part with a reason, release
a product needing no inspection, and the pure ``inbound plan`` calculator.

Plans are typed from the published level II table (see test_sampling.py): lot 281-500 is
code letter H, n 50; AQL 1.0 Ac 1 Re 2; lot 2-8 at AQL 0.65 is an arrow down to F
(n 20 >= the lot: 100% inspection, Ac 0 Re 1)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from veriseal_cli.main import cli

TEA = "09506000134352"
WINE = "09506000134369"


def test_inbound_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke

    def ok(*args: str) -> str:
        result = run(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
        return result.output

    ok("init", "--brand", "acme", "--name", "Acme Tea", "--resolver", "id.acme.example")
    ok("product", "add", "--gtin", TEA, "--name", "Green tea", "--category", "Beverages/Tea")
    ok("product", "add", "--gtin", WINE, "--name", "Rice wine", "--category", "Beverages/Wine")
    ok("warehouses", "create", "W1", "一号仓 Store 1")
    assert "required\tAQL 1.0\tII" in ok("inbound", "setting", TEA, "--required", "--aql", "1.0")
    bad = run(cli, ["inbound", "setting", TEA, "--required", "--aql", "0.3"])
    assert bad.exit_code != 0 and "[inbound_invalid]" in bad.output

    out = ok("inbound", "receive", "W1", f"{TEA}:400:L1", f"{WINE}:24", "--supplier", "茶厂")
    number = re.search(r"IN\d{8}-\d{4}", out)
    assert number is not None
    no = number.group(0)
    shown = ok("inbound", "show", no)
    assert "n 50 Ac 1 Re 2" in shown and "免检" in shown
    refused = run(cli, ["inbound", "inspect", no, "1", "--decision", "accept_all",
                        "--defects", "2"])  # fmt: skip
    assert refused.exit_code != 0 and "[inbound_invalid]" in refused.output
    no_reason = run(cli, ["inbound", "inspect", no, "1", "--decision", "accept_part",
                          "--defects", "2", "--accepted", "390", "--rejected", "10"])  # fmt: skip
    assert no_reason.exit_code != 0 and "[inbound_invalid]" in no_reason.output
    done = json.loads(ok("inbound", "inspect", no, "1", "--decision", "accept_part",
                         "--defects", "2", "--accepted", "390", "--rejected", "10",
                         "--reason", "受潮", "--json"))  # fmt: skip
    assert done["lines"][0]["status"] == "partial" and done["status"] == "open"
    assert "released" in ok("inbound", "release", no)
    levels = json.loads(ok("stock", "levels", "--warehouse", "W1", "--json"))
    got = {lv["gtin"]: (lv["sellable"], lv["quarantine"], lv["rejected"]) for lv in levels}
    assert got == {TEA: (390, 0, 10), WINE: (24, 0, 0)}
    assert f"{no}\tdone" in ok("inbound", "list", "--status", "done")
    again = run(cli, ["inbound", "release", no])
    assert again.exit_code != 0 and "[inbound_state]" in again.output

    plan = json.loads(ok("inbound", "plan", "8", "0.65", "--json"))
    assert (plan["code_letter"], plan["sample_size"], plan["full"], plan["accept"],
            plan["reject"]) == ("F", 8, True, 0, 1)  # fmt: skip
    assert "n 50  Ac 1  Re 2" in ok("inbound", "plan", "500", "1.0")
    assert run(cli, ["inbound", "plan", "0", "1.0"]).exit_code != 0

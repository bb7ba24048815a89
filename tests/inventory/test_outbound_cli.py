"""``veriseal outbound ...`` end to end on a fresh ledger: create, the picking list
(exit 1 while short), issue, the PDF file read back by a real barcode reader, list;
refusals carry their codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.printing.readback import pdf_pages, zxing
from veriseal_cli.main import cli

TEA = "09506000134352"


def test_outbound_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke

    def ok(*args: str) -> str:
        result = run(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
        return result.output

    ok("init", "--brand", "acme", "--name", "Acme Tea", "--resolver", "id.acme.example")
    ok("product", "add", "--gtin", TEA, "--name", "绿茶 Green tea", "--category", "Tea")
    ok("warehouses", "create", "MAIN", "主仓 Main")
    ok("stock", "receive", "MAIN", f"{TEA}:8:L2", f"{TEA}:5:L1")
    number = ok("outbound", "create", "MAIN", f"{TEA}:20", "--to", "某酒店 Hotel",
                "--address", "杭州市", "--note", "易碎").strip()  # fmt: skip
    assert number.startswith("OUT") and len(number) == len("OUT20261204-0001")
    short = run(cli, ["outbound", "pick", number])
    assert short.exit_code == 1 and "SHORT" in short.output
    refused = run(cli, ["outbound", "issue", number])
    assert refused.exit_code != 0 and "[stock_insufficient]" in refused.output
    ok("outbound", "cancel", number, "--reason", "缺货")
    first = number
    number = ok("outbound", "create", "MAIN", f"{TEA}:10", "--to", "某酒店 Hotel").strip()
    picks = ok("outbound", "pick", number).splitlines()[1:]
    assert [p.split("\t")[1:] for p in picks] == [["main", TEA, "L1", "5"],
                                                  ["main", TEA, "L2", "5"]]  # fmt: skip
    assert "issued" in ok("outbound", "issue", number, "--handler", "老陈")
    ok("outbound", "pdf", number, "-o", "sheet.pdf")
    data = (tmp_path / "sheet.pdf").read_bytes()
    assert [b.text for b in zxing(pdf_pages(data, dpi=200)[0])] == [f"VSOUT:{number}"]
    rows = json.loads(ok("outbound", "list", "--json"))
    assert [(r["number"], r["status"]) for r in rows] == [(number, "issued"), (first, "cancelled")]
    no_org = run(cli, ["outbound", "receive", f"VSOUT:{number}"])
    assert no_org.exit_code != 0 and "[outbound_not_receivable]" in no_org.output
    missing = run(cli, ["outbound", "pdf", "OUT20000101-0001"])
    assert missing.exit_code != 0 and "[outbound_not_found]" in missing.output

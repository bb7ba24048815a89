"""The lifecycle commands as a user meets them (click's runner), on both backends."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from tests.conftest import cli_runner

from .test_epcis import SCHEMA_PATH

GTIN = "9506000134352"
Run = Callable[..., str]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ledger_url: str) -> Run:
    invoke = cli_runner(tmp_path, monkeypatch, ["--db", ledger_url])
    invoke("init", "--brand", "acme", "--name", "Acme", "--resolver", "id.acme.example")
    invoke("product", "add", "--gtin", GTIN, "--name", "Green tea", "--shelf-life-days", "365")
    return invoke


def test_factory_day(run: Run, tmp_path: Path) -> None:
    run("batch", "require-activation", "--all-new")
    run("batch", "create", "--product", GTIN, "--lot", "L1", "--size", "100")
    run("batch", "codes", "1", "--format", "uri", "--from", "0", "--to", "9", "-o", "codes.txt")
    uris = (tmp_path / "codes.txt").read_text().split()
    assert run("verify", uris[0], code=16).count("NOT ACTIVATED") == 1

    out = run(
        "batch", "activate", "1", "--from", "0", "--to", "47", "--read-point", "9506000000015"
    )
    assert "48 codes activated" in out
    run("verify", uris[0])  # exit 0: genuine
    (tmp_path / "spoilt.txt").write_text(uris[8] + "\n" + uris[9] + "\n")
    out = run("batch", "decommission", "1", "--codes", "spoilt.txt", "--reason", "smudged")
    assert "2 codes decommissioned" in out
    run("verify", uris[8], code=17)
    run("batch", "decommission", "1", "--from", "60", "--to", "61", code=2)  # --reason missing
    states = json.loads(run("batch", "states", "1"))
    assert (states["active"], states["decommissioned"], states["not_activated"]) == (46, 2, 52)

    run("sscc", "mint", "--company-prefix", "9506000", "--count", "3", "-o", "ssccs.csv")
    rows = (tmp_path / "ssccs.csv").read_text().splitlines()
    assert rows[0] == "sscc,uri,element_string" and len(rows) == 4
    case_a, case_b, pallet = (r.split(",")[0] for r in rows[1:])
    assert rows[1].split(",")[1] == f"https://id.acme.example/00/{case_a}"

    out = run("pack", case_a, "--items", "1:10-33", "--json")
    assert json.loads(out)["items"] == 24
    out = run("pack", case_a, "--items", "1:30-40", code=4)
    assert "[already_packed]" in out
    out = run("pack", case_b, "--items", "codes.txt", code=4)  # uris[8], [9] are void
    assert "[item_decommissioned]" in out
    (tmp_path / "cases.txt").write_text(f"(00){case_a}\n{case_b}\n")
    run("pack", case_b, "--items", "1:34-45")
    run("pack", pallet, "--items", "cases.txt")
    deep = json.loads(run("contents", pallet, "--deep"))
    assert deep["items"] == 36 and sorted(deep["units"]) == sorted([case_a, case_b])
    run("unpack", case_a, "--items", "1:10-11")
    out = run("unpack", case_a, "--items", "1:10-11", code=4)
    assert "[not_packed]" in out
    run("pack", "106141412345678909", "--items", "1:50-51", code=2)  # bad check digit

    run("events", "export", "--format", "epcis-json", "-o", "events.jsonld")
    doc = json.loads((tmp_path / "events.jsonld").read_text())
    validator = Draft7Validator(
        json.loads(SCHEMA_PATH.read_text()), format_checker=Draft7Validator.FORMAT_CHECKER
    )
    assert validator.is_valid(doc)
    steps = [e["bizStep"] for e in doc["epcisBody"]["eventList"]]
    assert steps == [
        "commissioning",
        "decommissioning",
        "packing",
        "packing",
        "packing",
        "unpacking",
    ]
    assert json.loads(run("events", "export"))["type"] == "EPCISDocument"  # to stdout


def test_chinese_messages(run: Run) -> None:
    run("batch", "create", "--product", GTIN, "--lot", "L1", "--size", "10")
    out = run("--lang", "zh", "batch", "activate", "1", "--range", "0-4")
    assert "已激活 5 个码" in out
    out = run("--lang", "zh", "batch", "activate", "1", "--range", "5-12", code=2)
    assert "编号范围无效 [range_invalid]" in out

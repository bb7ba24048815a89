"""The product CSV as brands write it: the shipped sample (Chinese headers) imported by
the CLI, and any mix of English and Chinese header names, in any column order."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from veriseal.catalog.products import _ALIASES, parse_csv
from veriseal.models import Brand
from veriseal_cli.main import cli

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "products.csv"
BRAND = Brand(1, "acme", "Acme", "id.acme.example", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
ROW = {
    "gtin": "09506000134352",
    "name": "龙井绿茶",
    "spec": "250 g",
    "manufacturer": "杭州示例茶业",
    "shelf_life_days": "540",
    "category": "饮料/茶叶/绿茶",
}


def test_the_sample_imports_with_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("VERISEAL_CONFIG", "VERISEAL_DB", "VERISEAL_BRAND"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C")
    runner = CliRunner()

    def ok(*args: str) -> str:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    ok("init", "--brand", "acme", "--name", "Acme", "--resolver", "id.acme.example")
    assert "Imported 3 products" in ok("product", "import", str(SAMPLE))
    found = {p["gtin"]: p for p in json.loads(ok("product", "list", "--json"))}
    tea = found["09506000134376"]
    assert tea["shelf_life_days"] == 540 and tea["category"] == "饮料/茶叶/绿茶"
    assert found["04006381333931"]["shelf_life_days"] is None


def _names(column: str) -> list[str]:
    return [column, column.upper(), *(k for k, v in _ALIASES.items() if v == column)]


@given(
    order=st.permutations(sorted(ROW)),
    pick=st.fixed_dictionaries({c: st.sampled_from(_names(c)) for c in ROW}),
)
def test_any_header_spelling_and_order(order: list[str], pick: dict[str, str]) -> None:
    text = ",".join(pick[c] for c in order) + "\n" + ",".join(ROW[c] for c in order) + "\n"
    rows, errors = parse_csv(BRAND, text)
    assert errors == []
    [(line, product)] = rows
    assert line == 2 and product.gtin == ROW["gtin"] and product.name == ROW["name"]
    assert product.shelf_life_days == 540 and product.category_path == ROW["category"]


def test_spreadsheet_variants_of_the_chinese_headers() -> None:
    header = "商品名称,商品条码/GTIN,规格,厂家,保质期（天）,品类\n"
    text = header + "龙井,09506000134352,250 g,茶厂,540,茶叶\n"
    [(_, product)], errors = parse_csv(BRAND, text)
    assert errors == [] and product.name == "龙井" and product.spec == "250 g"
    assert product.manufacturer == "茶厂" and product.shelf_life_days == 540

"""Lots must survive in a Digital Link path: '.' and '..' are GS1-legal lots, but URL
parsers (browsers, curl, resolvers) remove such dot segments, so their codes could never
be verified from their links. Batch creation refuses them with a coded, bilingual error,
through the service and the CLI, and writes nothing."""

from __future__ import annotations

import json
import posixpath
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from veriseal.catalog.batches import BatchRequest, check_lot
from veriseal.catalog.errors import LotNotLinkable
from veriseal.catalog.products import make_product
from veriseal.codes import digital_link
from veriseal.engine import Engine
from veriseal.errors import InvalidInput
from veriseal_cli.main import cli

GTIN = "09506000134352"


@pytest.mark.parametrize("lot", [".", "..", " .. "])
async def test_service_refuses_dot_segment_lots(engine: Engine, lot: str) -> None:
    brand = await engine.brands.create("acme", "Acme", "id.acme.example")
    await engine.catalogue.add(make_product(brand, GTIN, "Green tea"))
    with pytest.raises(LotNotLinkable) as info:
        await engine.batches.create(brand, BatchRequest(gtin=GTIN, lot=lot, size=10))
    assert info.value.code == "lot_dot_segment" and info.value.http_status == 400
    assert "remove '.' and '..'" in info.value.message and "浏览器" in info.value.message
    assert await engine.batches.list(brand) == []
    ok = await engine.batches.create(brand, BatchRequest(gtin=GTIN, lot="...", size=10))
    assert ok.lot == "..."  # three dots is an ordinary segment


@given(st.text("A.b_-9", min_size=1, max_size=20))
def test_every_accepted_lot_survives_path_normalisation(lot: str) -> None:
    try:
        lot = check_lot(lot)
    except InvalidInput:
        assert lot.strip() in (".", "..")
        return
    uri = digital_link.build_uri("id.example", GTIN, lot, "S1")
    path = uri[len("https://id.example") :]
    assert posixpath.normpath(path) == path  # what a browser would request
    assert digital_link.parse(uri).lot == lot


def test_cli_refuses_dot_segment_lots(
    ledger_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("VERISEAL_CONFIG", "VERISEAL_DB", "VERISEAL_PASSPHRASE", "VERISEAL_KEY_FILE",
                "VERISEAL_BRAND", "VERISEAL_LANG"):  # fmt: skip
        monkeypatch.delenv(var, raising=False)
    runner = CliRunner()

    def run(*args: str, code: int = 0, lang: str = "C") -> str:
        result = runner.invoke(cli, ["--db", ledger_url, *args], env={"LANG": lang})
        out = result.output + (result.stderr if result.stderr_bytes else "")
        assert result.exit_code == code, out
        assert "Traceback" not in out
        return out

    run("init", "--brand", "acme", "--name", "Acme", "--resolver", "id.acme.example")
    run("product", "add", "--gtin", GTIN, "--name", "Tea")
    for lot in (".", ".."):
        out = run("batch", "create", "--product", GTIN, "--lot", lot, "--size", "5", code=2)
        assert "[lot_dot_segment]" in out and "Lot cannot appear in a link" in out
    out = run("batch", "create", "--product", GTIN, "--lot", "..", "--size", "5", code=2,
              lang="zh_CN.UTF-8")  # fmt: skip
    assert "批号无法用于链接" in out and "浏览器" in out
    assert json.loads(run("batch", "list", "--json")) == []  # nothing was written


@pytest.mark.parametrize("ref", ["١", "²", "1" * 30])
async def test_batch_refs_are_ascii_numbers(engine: Engine, ref: str) -> None:
    """'١' (Arabic-Indic one) used to name batch 1: int() reads it."""
    brand = await engine.brands.create("acme", "Acme", "id.acme.example")
    await engine.catalogue.add(make_product(brand, GTIN, "Green tea"))
    await engine.batches.create(brand, BatchRequest(gtin=GTIN, lot="L1", size=10))
    assert (await engine.batches.get(brand, "1")).id == 1
    with pytest.raises(InvalidInput):
        await engine.batches.get(brand, ref)

"""Print-job records on both ledger backends, and the CLI a line operator uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from veriseal.engine import Engine
from veriseal.models import Brand, Profile
from veriseal.printing.errors import PrintOverlap, ReprintOfUnprinted
from veriseal.printing.jobs import JobRequest, PrintJobs
from veriseal_cli.main import cli

from .conftest import make_source


async def test_overlap_refused_reprint_recorded(engine: Engine, brand: Brand) -> None:
    batch = (await make_source(engine, brand, Profile.COMPACT, 0, 1000)).batch
    jobs = PrintJobs(engine.ledger)
    first = await jobs.record(JobRequest(batch, 0, 500, "zpl-qr-203", "L1", "ann"), "a" * 64)
    assert (first.first_index, first.last_index, first.reprint_of) == (0, 499, None)
    await jobs.record(JobRequest(batch, 500, 1000, "zpl-qr-203"), "b" * 64)  # adjacent: fine
    with pytest.raises(PrintOverlap) as info:
        await jobs.record(JobRequest(batch, 499, 501, "a4-qr-3x8"), "c" * 64)
    assert info.value.code == "print_overlap" and info.value.details["jobs"] == [1, 2]
    reprint = JobRequest(batch, 450, 550, "zpl-qr-203", "L1", "bob", reprint=True)
    again = await jobs.record(reprint, "d" * 64)
    assert again.reprint_of == first.id and again.operator == "bob"
    with pytest.raises(PrintOverlap):  # a reprint does not make a range printable again
        await jobs.check(JobRequest(batch, 460, 470, "zpl-qr-203"))
    assert len(await jobs.list(batch)) == 3  # the refused job changed nothing


async def test_reprint_of_unprinted_labels_refused(engine: Engine, brand: Brand) -> None:
    batch = (await make_source(engine, brand, Profile.COMPACT, 0, 100)).batch
    jobs = PrintJobs(engine.ledger)
    await jobs.record(JobRequest(batch, 0, 10, "x"), "a" * 64)
    await jobs.record(JobRequest(batch, 20, 30, "x"), "a" * 64)
    with pytest.raises(ReprintOfUnprinted):
        await jobs.check(JobRequest(batch, 5, 25, "x", reprint=True))  # 10..19 never printed
    assert len(await jobs.list(batch)) == 2


def test_cli_print_flow(ledger_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("VERISEAL_CONFIG", "VERISEAL_DB", "VERISEAL_PASSPHRASE", "VERISEAL_KEY_FILE",
                "VERISEAL_BRAND", "VERISEAL_LANG"):  # fmt: skip
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C")
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, ["--db", ledger_url, *args], catch_exceptions=False)
        out = result.output + (result.stderr if result.stderr_bytes else "")
        assert result.exit_code == code, out
        assert "Traceback" not in out
        return out

    run("init", "--brand", "acme", "--name", "Acme", "--resolver", "id.acme.example")
    run("product", "add", "--gtin", "9506000134352", "--name", "Tea", "--shelf-life-days", "30")
    run("batch", "create", "--product", "9506000134352", "--lot", "L1", "--size", "300")
    assert "zpl-qr-203" in run("print", "--list-templates")
    out = run("print", "1", "--template", "zpl-qr-203", "--to", "199", "--line", "L3",
              "--operator", "ann", "-o", "a.zpl")  # fmt: skip
    assert "Job 1: 200 labels" in out
    first = (tmp_path / "a.zpl").read_bytes()
    out = run("print", "1", "--template", "zpl-qr-203", "--from", "150", "--to", "250",
              "-o", "b.zpl", code=4)  # fmt: skip
    assert "[print_overlap]" in out and not (tmp_path / "b.zpl").exists()
    out = run("print", "1", "--template", "zpl-qr-203", "--from", "0", "--to", "199",
              "--reprint", "-o", "c.zpl", "--workers", "1")  # fmt: skip
    assert "Reprint job 2 (of job 1)" in out
    assert (tmp_path / "c.zpl").read_bytes() == first
    out = run("print", "1", "--template", "nope", "-o", "d.pdf", code=3)
    assert "[print_template_not_found]" in out and "a4-qr-3x8" in out
    out = run("print", "1", "--template", "png-qr", "--from", "200", "--to", "209", "-o", "imgs")
    assert sorted(p.suffix for p in (tmp_path / "imgs").iterdir()) == [".png"] * 10
    jobs = json.loads(run("print-jobs", "1", "--json"))
    assert [(j["first"], j["last"], j["reprint_of"]) for j in jobs] == [
        (0, 199, None), (0, 199, 1), (200, 209, None)
    ]  # fmt: skip
    assert jobs[0]["sha256"] == jobs[1]["sha256"] and jobs[0]["line"] == "L3"

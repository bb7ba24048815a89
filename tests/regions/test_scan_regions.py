"""Scans carry their region; the "more than M distinct regions" clone rule; the filters.

On both ledger backends (``ledger_url`` in tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.plugins.conftest import OpenEngine, brand_and_codes
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.models import (
    AlertKind,
    ClonePolicy,
    Location,
    LocationSource,
    Region,
    ScanChannel,
    ScanQuery,
    ScanSummary,
)
from veriseal.scanning.clones import evaluate, regions_seen
from veriseal.scanning.service import ScanContext
from veriseal.scanning.verification import Outcome
from veriseal_cli.main import cli

SHANGHAI = Location(31.2304, 121.4737, 20.0, LocationSource.GPS)
PUDONG = Location(31.2214, 121.5447, 30.0, LocationSource.GPS)
BEIJING = Location(39.9042, 116.4074, 20.0, LocationSource.GPS)
GUANGZHOU = Location(23.1291, 113.2644, 15.0, LocationSource.GPS)
CHENGDU = Location(30.5728, 104.0668, 25.0, LocationSource.GPS)
T0 = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)


def region(province: str) -> Region:
    return Region("CN", province, "x")


def test_regions_rule_pure() -> None:
    policy = ClonePolicy(max_verifications=None, max_speed_kmh=None, max_regions=2)
    none = ScanSummary(0)
    two = {"CN-SH": 1, "CN-BJ": 5}
    assert evaluate(policy, none, T0, None, region("CN-SH"), {"CN-SH": 1}) == []
    assert evaluate(policy, none, T0, None, region("CN-SH"), two) == []  # a known region
    [crossing] = evaluate(policy, none, T0, None, region("CN-GD"), two)
    assert (crossing.kind, crossing.raise_alert, crossing.evidence) == (
        AlertKind.CLONE_REGIONS,
        True,
        (1, 5),
    )
    assert crossing.details == {"regions": 3, "limit": 2}
    three = {**two, "CN-GD": 9}
    [later] = evaluate(policy, none, T0, None, region("CN-SH"), three)
    assert (later.raise_alert, later.evidence) == (False, (1, 5, 9))  # past it: no new alert
    assert evaluate(policy, none, T0, None, None, two) == []  # no location: no judgement
    off = ClonePolicy(max_verifications=None, max_speed_kmh=None, max_regions=None)
    assert evaluate(off, none, T0, None, region("CN-GD"), two) == []


async def test_scans_store_their_region_and_filter_by_it(open_engine: OpenEngine) -> None:
    engine = await open_engine()
    brand, (a, b) = await brand_and_codes(engine, 2)
    web = ScanChannel.WEB
    s1 = await engine.scans.scan(a, ScanContext(web, location=SHANGHAI))
    s2 = await engine.scans.scan(b, ScanContext(web, location=GUANGZHOU))
    s3 = await engine.scans.scan(b, ScanContext(web))  # no location: no region
    stored = await engine.ledger.get_scan(s1.scan_id)
    assert stored.scan.region == Region("CN", "CN-SH", stored.scan.region.city, "310000")  # type: ignore[union-attr]
    assert s1.to_dict()["scan"]["region"]["province"] == "CN-SH"  # type: ignore[index]
    assert (await engine.ledger.get_scan(s3.scan_id)).scan.region is None
    by = engine.ledger.list_scans
    assert [s.id for s in await by(brand.id, ScanQuery(province="CN-GD"))] == [s2.scan_id]
    in_cn = await by(brand.id, ScanQuery(country="CN"))
    assert [s.id for s in in_cn] == [s1.scan_id, s2.scan_id]
    assert await by(brand.id, ScanQuery(country="JP")) == []
    code = stored.scan.code
    summary = await engine.ledger.scan_summary(brand.id, code)
    assert await regions_seen(engine.ledger, brand.id, code, summary) == {"CN-SH": s1.scan_id}


async def test_more_than_m_regions_is_a_suspected_clone(open_engine: OpenEngine) -> None:
    engine = await open_engine()
    brand, (uri,) = await brand_and_codes(engine, 1)
    policy = ClonePolicy(max_verifications=None, max_speed_kmh=None, max_regions=2)
    await engine.ledger.set_clone_policy(brand.id, None, policy)

    async def at(where: Location) -> tuple[Outcome, str, int]:
        r = await engine.scans.scan(uri, ScanContext(ScanChannel.WEB, location=where))
        return r.verification.outcome, r.verification.reason, r.scan_id

    sh = await at(SHANGHAI)
    assert sh[0] is Outcome.GENUINE
    assert (await at(PUDONG))[0] is Outcome.GENUINE  # the same province
    bj = await at(BEIJING)
    assert bj[0] is Outcome.GENUINE  # two regions: allowed
    gz = await at(GUANGZHOU)
    assert gz[:2] == (Outcome.SUSPECTED_CLONE, "clone_regions")
    again = await at(SHANGHAI)
    assert again[:2] == (Outcome.SUSPECTED_CLONE, "clone_regions")  # the code is burnt
    await at(CHENGDU)
    [alert] = await engine.ledger.list_alerts(brand.id, kind=AlertKind.CLONE_REGIONS)
    assert alert.alert.evidence == (sh[2], bj[2], gz[2])  # first scan in each region
    assert json.loads(alert.alert.details) == {"limit": 2, "regions": 3}


def test_scans_list_filters_by_region(ledger_url: str, tmp_path: Path) -> None:
    key_file = tmp_path / "k.key"
    create_key_file(key_file)
    cfg = Config(None, ledger_url, KeySource(key_file=key_file))

    async def record() -> int:
        async with await Engine.open(cfg) as engine:
            _, (a, b) = await brand_and_codes(engine, 2)
            s1 = await engine.scans.scan(a, ScanContext(ScanChannel.WEB, location=GUANGZHOU))
            await engine.scans.scan(b, ScanContext(ScanChannel.WEB, location=BEIJING))
            return s1.scan_id

    gz_id = asyncio.run(record())  # the CLI runs its own event loop: this test is sync
    config = tmp_path / "veriseal.toml"
    config.write_text(f'[ledger]\nurl = "{ledger_url}"\n[keys]\nkey_file = "{key_file}"\n')
    runner = CliRunner()
    for flag in (["--province", "440000"], ["--province", "cn-gd"]):
        out = runner.invoke(cli, ["--config", str(config), "scans", "list", "--json", *flag])
        assert out.exit_code == 0, out.output
        rows = json.loads(out.output)
        assert [(r["id"], r["province"], r["gb2260"]) for r in rows] == [(gz_id, "CN-GD", "440000")]
    out = runner.invoke(cli, ["--config", str(config), "scans", "list", "--country", "jp"])
    assert out.exit_code == 0 and out.output == ""


@pytest.mark.parametrize("where", [SHANGHAI, GUANGZHOU])
async def test_engine_without_plugins_still_resolves_regions(
    ledger_url: str, tmp_path: Path, where: Location
) -> None:
    key_file = tmp_path / "k.key"
    create_key_file(key_file)
    cfg = Config(None, ledger_url, KeySource(key_file=key_file), plugins=())
    async with await Engine.open(cfg) as engine:
        assert engine.plugins.names == []
        _, (uri,) = await brand_and_codes(engine, 1)
        result = await engine.scans.scan(uri, ScanContext(ScanChannel.WEB, location=where))
        assert result.region is not None and result.region.country == "CN"


def test_policy_set_max_regions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VERISEAL_PASSPHRASE", "correct horse battery staple")
    for var in ("VERISEAL_CONFIG", "VERISEAL_DB", "VERISEAL_KEY_FILE", "VERISEAL_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    runner = CliRunner()
    db = ["--db", f"sqlite:///{tmp_path / 'l.sqlite3'}"]
    init = ["init", "--brand", "acme", "--name", "Acme", "--resolver", "id.acme.example"]
    assert runner.invoke(cli, [*db, *init]).exit_code == 0
    out = runner.invoke(cli, [*db, "policy", "set", "--max-regions", "3"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["policy"]["max_regions"] == 3
    out = runner.invoke(cli, [*db, "policy", "set", "--max-verifications", "9"])
    assert json.loads(out.output)["policy"]["max_regions"] == 3  # kept
    out = runner.invoke(cli, [*db, "policy", "set", "--no-regions-rule"])
    assert json.loads(out.output)["policy"]["max_regions"] is None

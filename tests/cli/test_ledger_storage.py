"""``veriseal ledger partitions|maintain|archive`` as an operator runs them: on a SQLite
ledger (nothing to do, said so) and on PostgreSQL (an old month archived to a file and
dropped, the current ones left alone)."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import veriseal_exe as _exe
from veriseal.engine import Engine
from veriseal.ledger import open_ledger
from veriseal_cli.serve import _upkeep


def _sh(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    env["LANG"] = "C"
    return subprocess.run(
        [_exe(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _init(tmp_path: Path, *db: str) -> None:
    done = _sh(tmp_path, *db, "init", "--brand", "acme", "--name", "Acme", "--resolver", "id.x")
    assert done.returncode == 0, done.stderr


def test_a_sqlite_ledger_has_nothing_to_partition(tmp_path: Path) -> None:
    _init(tmp_path)
    for args in (("partitions",), ("maintain",), ("archive", "--older-than", "1", "--to", "a")):
        done = _sh(tmp_path, "ledger", *args)
        assert done.returncode == 0, done.stderr
        assert "no partitions (SQLite)" in done.stdout
    assert not (tmp_path / "a").exists()


@pytest.mark.postgres
async def test_an_old_month_is_archived_and_dropped(tmp_path: Path, pg_url: str) -> None:
    _init(tmp_path, "--db", pg_url)
    ledger = await open_ledger(pg_url)
    try:
        async with ledger.write() as tx:
            # a scan from before partitioning (the legacy partition's ids), and the
            # current month entered long ago: the legacy partition closed in 2020
            await tx.execute(
                "INSERT INTO scans (id, at, code, outcome, reason, channel, actor)"
                " VALUES (5, ?, 'OLD', 'invalid', 'invalid', 'web', 'device:x')",
                dt.datetime(2019, 12, 31, tzinfo=dt.UTC),
            )
            await tx.execute(
                "UPDATE ledger_periods SET entered_at = ? WHERE table_name = 'scans'",
                dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
            )
    finally:
        await ledger.close()
    listed = _sh(tmp_path, "ledger", "partitions", "--json")
    assert listed.returncode == 0, listed.stderr
    names = {p["partition"] for p in json.loads(listed.stdout)}
    assert "scans_legacy" in names and f"scans_p{dt.datetime.now(dt.UTC):%Y%m}" in names
    dry = _sh(tmp_path, "ledger", "archive", "--older-than", "3", "--to", "out", "--dry-run")
    assert "Would archive scans_legacy" in dry.stdout and not (tmp_path / "out").exists()
    done = _sh(
        tmp_path, "ledger", "archive", "--older-than", "3", "--to", "out", "--table", "scans"
    )
    assert done.returncode == 0, done.stderr
    assert "Archived scans_legacy: 1 rows" in done.stdout and "partition dropped" in done.stdout
    with gzip.open(tmp_path / "out" / "scans_legacy.jsonl.gz", "rt") as lines:
        assert [json.loads(line)["code"] for line in lines] == ["OLD"]
    after = {
        p["partition"] for p in json.loads(_sh(tmp_path, "ledger", "partitions", "--json").stdout)
    }
    assert names - after == {"scans_legacy"}  # the stream's and this month's stay
    again = _sh(
        tmp_path, "ledger", "archive", "--older-than", "3", "--to", "out", "--table", "scans"
    )
    assert "nothing to archive" in again.stdout


async def test_a_running_server_keeps_the_coming_months_made(engine: Engine) -> None:
    """``veriseal serve``'s upkeep: a missing future month (dropped here, as if the
    server had run since before it was due) is made again while the server runs; on
    SQLite it has nothing to do and still stops when told."""
    now = dt.datetime.now(dt.UTC)
    later = dt.datetime(now.year + (now.month + 1) // 12, (now.month + 1) % 12 + 1, 1)
    name = f"scans_p{later:%Y%m}"  # two months ahead, by the calendar
    if engine.ledger.dialect.partitioned:
        async with engine.ledger.write() as tx:
            await tx.execute(f"ALTER TABLE scans DETACH PARTITION {name}")
            await tx.execute(f"DROP TABLE {name}")
    stop = asyncio.Event()
    task = asyncio.create_task(_upkeep(engine, stop, every=0.05))
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.wait_for(task, 5)
    found = {p.name for p in await engine.ledger.partitions()}
    assert (name in found) is engine.ledger.dialect.partitioned

"""``veriseal dashboard rebuild`` recounts the rollup; ``events lag`` lists its consumer."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.cli.test_cli import _record_scans, setup_brand


def test_rebuild_and_lag(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    setup_brand(run)
    run("batch", "create", "--product", "09506000134352", "--lot", "L1", "--size", "5")
    run("batch", "codes", "1", "-o", "codes.txt")
    uris = (tmp_path / "codes.txt").read_text(encoding="utf-8").split()
    db = f"sqlite:///{tmp_path / 'veriseal.sqlite3'}"
    asyncio.run(_record_scans(db, tmp_path / "veriseal.key", uris[:3]))
    lag = {c["consumer"]: c for c in json.loads(run("events", "lag", "--json"))}
    assert lag["veriseal.dashboard"]["declared"] is True
    # nobody consumed the stream yet: the three scans are the consumer's to count
    assert "0 scans counted; 3 recorded since" in run("dashboard", "rebuild")
    assert "Delivered 3 events" in run("events", "consume", "--consumer", "veriseal.dashboard")
    assert "3 scans counted; 0 recorded since" in run("dashboard", "rebuild")
    assert "3 scans counted" in run("dashboard", "rebuild")  # nothing new, nothing twice
    assert "已重建" in run("--lang", "zh", "dashboard", "rebuild")

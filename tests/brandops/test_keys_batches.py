"""Key status (rotation due after the configured age) and the console's batches."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from veriseal.accounts.errors import Forbidden
from veriseal.catalog.batches import BatchRequest
from veriseal.config import ConfigError, load
from veriseal.engine import Engine
from veriseal.errors import BatchNotFound
from veriseal.lifecycle.index_ranges import make
from veriseal.models import KeyStatus

from .conftest import GTIN, World, build_world, open_config


async def test_key_status(ledger_url: str, tmp_path: Path) -> None:
    engine = await Engine.open(open_config(ledger_url, tmp_path, key_rotation_days=90))
    try:
        w = await build_world(engine)
        first = await engine.keys.active(w.brand)
        await engine.keys.rotate(w.brand)
        second = await engine.keys.active(w.brand)
        await engine.keys.rotate(w.brand)
        await engine.keys.revoke(w.brand, first.slot)
        now = second.created_at + dt.timedelta(days=100)
        report = await engine.ops.keys.status(w.who["B"], w.brand, now=now)
        states = [(k.slot, k.status, k.rotation_due) for k in report.keys]
        assert states == [
            (0, KeyStatus.REVOKED, False),
            (1, KeyStatus.RETIRED, False),
            (2, KeyStatus.ACTIVE, True),  # 100 days old, 90 allowed: due
        ]
        assert report.keys[0].retired_at == report.keys[1].created_at
        assert report.keys[0].revoked_at is not None and report.keys[1].revoked_at is None
        assert report.keys[2].retired_at is None and report.rotate_after_days == 90
        fresh = await engine.ops.keys.status(w.who["B"], w.brand, now=report.keys[2].created_at)
        assert not fresh.rotation_due and fresh.active is not None and fresh.active.slot == 2
        assert "Ed25519" in fresh.keys[0].algorithm
        for letter in ("F", "D", "R", "I", "C"):
            with pytest.raises(Forbidden):
                await engine.ops.keys.status(w.who[letter], w.brand)
        with pytest.raises(Forbidden):
            await engine.ops.keys.status(w.who["other"], w.brand)
        assert len((await engine.ops.keys.status(w.who["P"], w.other)).keys) == 1
    finally:
        await engine.close()


def test_rotation_age_is_configured(tmp_path: Path) -> None:
    cfg = tmp_path / "veriseal.toml"
    cfg.write_text('[ledger]\nurl = "x.sqlite3"\n[keys]\nrotate_after_days = 30\n')
    loaded = load(str(cfg))
    assert loaded.key_rotation_days == 30 and loaded.print_spool == tmp_path / "print-spool"
    cfg.write_text('[ledger]\nurl = "x.sqlite3"\n[keys]\nrotate_after_days = 0\n')
    with pytest.raises(ConfigError):
        load(str(cfg))


async def test_batches(world: World) -> None:
    desk = world.engine.ops.batches
    assert await desk.brand(world.who["F"]) == world.brand
    made = await desk.create(world.who["B"], world.brand, BatchRequest(GTIN, "L2", 100))
    assert [b.id for b in await desk.all(world.who["F"], world.brand)] == [made.id, world.batch.id]
    with pytest.raises(Forbidden):  # a factory operator prints and activates, never creates
        await desk.create(world.who["F"], world.brand, BatchRequest(GTIN, "L3", 1))
    for letter in ("D", "R", "I", "C"):
        with pytest.raises(Forbidden):
            await desk.all(world.who[letter], world.brand)
    with pytest.raises(Forbidden):
        await desk.all(world.who["other"], world.brand)
    with pytest.raises(BatchNotFound):
        await desk.get(world.who["other"], world.other, made.id)
    # activation: a range, then the whole batch (idempotent over what is active)
    part = await desk.activate(world.who["F"], world.brand, made.id, [make(0, 9)])
    assert (part.changed, part.already) == (10, 0)
    whole = await desk.activate(world.who["F"], world.brand, made.id)
    assert (whole.changed, whole.already) == (90, 10)
    counts = await desk.counts(world.who["B"], world.brand, made.id)
    assert counts["active"] == 100 and counts["not_activated"] == 0
    with pytest.raises(Forbidden):
        await desk.activate(world.who["I"], world.brand, made.id)
    # the platform admin names the brand
    assert await desk.brand(world.who["P"], "rival") == world.other
    with pytest.raises(Forbidden):
        await desk.brand(world.who["B"], "rival")

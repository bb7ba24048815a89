"""Activation and decommission through the services and the verifier, on both backends."""

from __future__ import annotations

import datetime as dt

import pytest

from veriseal.engine import Engine
from veriseal.lifecycle.errors import RangeInvalid, ReasonRequired
from veriseal.lifecycle.events import Where
from veriseal.lifecycle.index_ranges import IndexRange
from veriseal.models import Brand
from veriseal.scanning.verification import Outcome

from .conftest import codes, make_batch

LINE = Where("urn:epc:id:sgln:9506000.00001.L1", "https://id.gs1.org/414/9506000000015", "test")


async def test_batches_verify_at_once_unless_activation_is_required(
    engine: Engine, brand: Brand
) -> None:
    old = await make_batch(engine, brand, "OLD")
    [code] = await codes(engine, brand, old, 5, 6)
    assert (await engine.verifier.verify(code)).outcome is Outcome.GENUINE  # backward compatible

    await engine.lifecycle.activation.set_required(brand, old, True)
    result = await engine.verifier.verify(code)
    assert (result.outcome, result.reason) == (Outcome.NOT_ACTIVATED, "not_activated")
    assert result.info is not None and result.info.index == 5  # authentic, but not live

    change = await engine.lifecycle.activation.activate(old, [IndexRange(0, 9)], LINE)
    assert (change.changed, change.already, change.skipped) == (10, 0, 0)
    assert (await engine.verifier.verify(code)).outcome is Outcome.GENUINE
    [outside] = await codes(engine, brand, old, 10, 11)
    assert (await engine.verifier.verify(outside)).outcome is Outcome.NOT_ACTIVATED


async def test_brand_rule_applies_to_batches_created_after_it(engine: Engine, brand: Brand) -> None:
    before = await make_batch(engine, brand, "BEFORE")
    await engine.lifecycle.activation.set_required(brand, None, True)
    after = await make_batch(engine, brand, "AFTER")
    [b] = await codes(engine, brand, before, 0, 1)
    [a] = await codes(engine, brand, after, 0, 1)
    assert (await engine.verifier.verify(b)).outcome is Outcome.GENUINE
    assert (await engine.verifier.verify(a)).outcome is Outcome.NOT_ACTIVATED
    # a batch's own rule overrides the brand's
    await engine.lifecycle.activation.set_required(brand, after, False)
    assert (await engine.verifier.verify(a)).outcome is Outcome.GENUINE


async def test_decommission_is_final_and_activation_is_idempotent(
    engine: Engine, brand: Brand
) -> None:
    batch = await make_batch(engine, brand)
    act = engine.lifecycle.activation
    await act.set_required(brand, batch, True)
    void = await act.decommission(batch, [IndexRange(3, 4), IndexRange(7, 7)], "jam", LINE)
    assert (void.changed, void.already) == (3, 0)
    change = await act.activate(batch, [IndexRange(0, 9)], LINE)
    assert (change.changed, change.already, change.skipped) == (7, 0, 3)
    again = await act.activate(batch, [IndexRange(0, 9)], LINE)
    assert (again.event_id, again.changed, again.already, again.skipped) == (None, 0, 7, 3)
    twice = await act.decommission(batch, [IndexRange(4, 5)], "burnt", LINE, destroyed=True)
    assert (twice.changed, twice.already) == (1, 1)

    uris = await codes(engine, brand, batch, 0, 10)
    outcomes = [(await engine.verifier.verify(u)).outcome for u in uris]
    assert outcomes == [
        Outcome.GENUINE,
        Outcome.GENUINE,
        Outcome.GENUINE,
        Outcome.DECOMMISSIONED,
        Outcome.DECOMMISSIONED,
        Outcome.DECOMMISSIONED,
        Outcome.GENUINE,
        Outcome.DECOMMISSIONED,
        Outcome.GENUINE,
        Outcome.GENUINE,
    ]
    counts = await act.counts(batch)
    assert counts == {
        "size": 100,
        "requires_activation": 1,
        "active": 6,
        "decommissioned": 4,
        "not_activated": 90,
    }
    # stored as ranges: one row per range, not per code
    async with engine.ledger.read() as tx:
        row = await tx.fetchrow("SELECT COUNT(*) AS n FROM event_ranges")
    assert row is not None and int(row["n"]) == 2 + 3 + 1  # void 3-4,7; active 0-2,5-6,8-9; 5


async def test_decommission_applies_without_activation_rule(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand)
    [code] = await codes(engine, brand, batch, 42, 43)
    await engine.lifecycle.activation.decommission(batch, [IndexRange(42, 42)], "spoilt", LINE)
    result = await engine.verifier.verify(code)
    assert (result.outcome, result.reason) == (Outcome.DECOMMISSIONED, "decommissioned")


async def test_bad_requests_change_nothing(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand, size=10)
    act = engine.lifecycle.activation
    with pytest.raises(RangeInvalid) as exc:
        await act.activate(batch, [IndexRange(5, 10)], LINE)
    assert exc.value.code == "range_invalid"
    with pytest.raises(ReasonRequired):
        await act.decommission(batch, [IndexRange(1, 1)], "  ", LINE)
    with pytest.raises(RangeInvalid):
        await act.activate(batch, [], LINE)
    assert await engine.lifecycle.events.list(brand.id) == []


async def test_activation_by_another_process_is_seen_at_once(
    engine: Engine, brand: Brand, ledger_url: str, tmp_path: object
) -> None:
    """A negative answer is re-read from the ledger: a code activated through another
    engine (another worker, the CLI) verifies at once in this one."""
    from veriseal.config import Config  # noqa: PLC0415 - local to this test

    batch = await make_batch(engine, brand)
    await engine.lifecycle.activation.set_required(brand, batch, True)
    [code] = await codes(engine, brand, batch, 0, 1)
    assert (await engine.verifier.verify(code)).outcome is Outcome.NOT_ACTIVATED
    other = await Engine.open(
        Config(path=None, db_url=ledger_url, key_source=engine.config.key_source)
    )
    try:
        await other.lifecycle.activation.activate(batch, [IndexRange(0, 0)], LINE)
    finally:
        await other.close()
    engine.lifecycle.activation.states.recheck = 0.0
    assert (await engine.verifier.verify(code)).outcome is Outcome.GENUINE


async def test_events_carry_epcis_vocabulary(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand)
    when = dt.datetime(2026, 11, 25, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    await engine.lifecycle.activation.activate(batch, [IndexRange(0, 49)], LINE, at=when)
    await engine.lifecycle.activation.decommission(
        batch, [IndexRange(7, 7)], "torn", LINE, destroyed=True
    )
    first, second = await engine.lifecycle.events.list(brand.id)
    assert (first.event.biz_step, first.event.disposition, first.event.action) == (
        "commissioning",
        "active",
        "ADD",
    )
    assert first.event.event_time == when and first.event.event_time.utcoffset() == when.utcoffset()
    assert first.event.where == LINE
    assert (second.event.biz_step, second.event.disposition, second.event.reason) == (
        "decommissioning",
        "destroyed",
        "torn",
    )


async def test_derivation_keeps_decommission_final(engine: Engine, brand: Brand) -> None:
    """Even a stray activation row after a decommission (services never write one) does
    not revive the void label: state is derived with decommission final."""
    batch = await make_batch(engine, brand)
    act = engine.lifecycle.activation
    await act.set_required(brand, batch, True)
    await act.decommission(batch, [IndexRange(4, 6)], "jam", LINE)
    change = await act.activate(batch, [IndexRange(0, 3)], LINE)
    async with engine.ledger.write() as tx:
        await tx.execute(
            "INSERT INTO event_ranges (event_id, batch_id, first_index, last_index, state)"
            " VALUES (?, ?, 0, 9, 'active')",
            change.event_id,
            batch.id,
        )
    life = await act.lifecycle(batch)
    assert [life.status(i) for i in range(11)] == [
        *["live"] * 4,
        *["decommissioned"] * 3,
        *["live"] * 3,
        "not_activated",
    ]

"""Packing and unpacking items, cases and pallets on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from veriseal.engine import Engine
from veriseal.errors import InvalidInput
from veriseal.lifecycle.aggregation import Children, PackRequest
from veriseal.lifecycle.errors import (
    AlreadyPacked,
    ItemDecommissioned,
    ItemNotActivated,
    NotPacked,
    PackCycle,
    PackEmpty,
)
from veriseal.lifecycle.events import BatchRange, Where
from veriseal.lifecycle.index_ranges import IndexRange
from veriseal.models import Batch, Brand
from veriseal.scanning.errors import ItemUnknown
from veriseal.scanning.items import resolve_items

from .conftest import PREFIX, codes, make_batch

LINE = Where(actor="test")


def items(batch: Batch, first: int, last: int) -> Children:
    return Children((BatchRange(batch.id, first, last),))


async def count(engine: Engine, table: str) -> int:
    async with engine.ledger.read() as tx:
        row = await tx.fetchrow(f"SELECT COUNT(*) AS n FROM {table}")
    assert row is not None
    return int(row["n"])


async def ssccs(engine: Engine, brand: Brand, n: int) -> list[str]:
    return list((await engine.lifecycle.ssccs.mint(brand, PREFIX, n)).ssccs())


async def test_items_cases_pallet_and_history(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand, size=100)
    agg = engine.lifecycle.aggregation
    case_a, case_b, pallet = await ssccs(engine, brand, 3)
    await agg.pack(brand, PackRequest(case_a, items(batch, 0, 23)), LINE)
    await agg.pack(brand, PackRequest(case_b, items(batch, 24, 47)), LINE)
    await agg.pack(brand, PackRequest(pallet, Children(units=(case_a, case_b))), LINE)

    assert await agg.parent_of_item(batch, 0) == case_a
    assert await agg.parent_of_item(batch, 47) == case_b
    assert await agg.parent_of_item(batch, 48) is None
    assert await agg.parent_of_unit(brand, case_a) == pallet
    deep = await agg.contents(brand, pallet, deep=True)
    assert deep.items == 48 and set(deep.units) == {case_a, case_b}

    # an item is in at most one parent at a time; refused with a stable code, nothing written
    events_before = await count(engine, "events")
    with pytest.raises(AlreadyPacked) as exc:
        await agg.pack(brand, PackRequest(case_b, items(batch, 20, 30)), LINE)
    assert exc.value.code == "already_packed" and exc.value.details["parent"] == case_a
    with pytest.raises(AlreadyPacked):
        await agg.pack(brand, PackRequest(pallet, Children(units=(case_a,))), LINE)
    with pytest.raises(PackCycle) as cyc:
        await agg.pack(brand, PackRequest(case_a, Children(units=(pallet,))), LINE)
    assert cyc.value.code == "pack_cycle"
    with pytest.raises(PackCycle):
        await agg.pack(brand, PackRequest(case_a, Children(units=(case_a,))), LINE)
    assert await count(engine, "events") == events_before

    # unpack part of a case: the containment range is split, history kept
    result = await agg.unpack(brand, case_a, LINE, items(batch, 10, 11))
    assert (result.items, result.units) == (2, 0)
    assert await agg.parent_of_item(batch, 10) is None
    assert await agg.parent_of_item(batch, 9) == case_a
    assert await agg.parent_of_item(batch, 12) == case_a
    held = await agg.contents(brand, case_a)
    assert [r.range for r in held.ranges] == [IndexRange(0, 9), IndexRange(12, 23)]
    with pytest.raises(NotPacked) as missing:
        await agg.unpack(brand, case_a, LINE, items(batch, 10, 12))
    assert missing.value.code == "not_packed"

    # the freed items can go elsewhere; unpack everything of the pallet
    await agg.pack(brand, PackRequest(case_b, items(batch, 10, 11)), LINE)
    whole = await agg.unpack(brand, pallet, LINE)
    assert (whole.items, whole.units) == (0, 2)
    assert await agg.parent_of_unit(brand, case_a) is None
    with pytest.raises(NotPacked):
        await agg.unpack(brand, pallet, LINE)
    events = await engine.lifecycle.events.list(brand.id)
    assert [(e.event.biz_step, e.event.action) for e in events] == [
        ("packing", "ADD"),
        ("packing", "ADD"),
        ("packing", "ADD"),
        ("unpacking", "DELETE"),
        ("packing", "ADD"),
        ("unpacking", "DELETE"),
    ]


async def test_pack_many_is_one_transaction_of_ranges(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand, size=2400)
    cases = await ssccs(engine, brand, 100)
    plan = [PackRequest(sscc, items(batch, i * 24, i * 24 + 23)) for i, sscc in enumerate(cases)]
    results = await engine.lifecycle.aggregation.pack_many(brand, plan, LINE)
    assert sum(r.items for r in results) == 2400
    assert len({r.event_id for r in results}) == 100
    # rows per case: one event, one event range, one containment range (never per item)
    assert await count(engine, "events") == 100
    assert await count(engine, "event_ranges") == 100
    assert await count(engine, "packed_ranges") == 100
    assert await engine.lifecycle.aggregation.parent_of_item(batch, 2399) == cases[-1]

    # all or nothing: one clash refuses the whole plan
    more = await ssccs(engine, brand, 2)
    clash = [
        PackRequest(more[0], Children((BatchRange(batch.id, 0, 0),))),
        PackRequest(more[1], Children((BatchRange(batch.id, 5, 5),))),
    ]
    with pytest.raises(AlreadyPacked):
        await engine.lifecycle.aggregation.pack_many(brand, clash, LINE)
    assert await count(engine, "events") == 100


async def test_one_request_cannot_claim_an_item_twice(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand)
    a, b = await ssccs(engine, brand, 2)
    agg = engine.lifecycle.aggregation
    with pytest.raises(AlreadyPacked):
        await agg.pack_many(
            brand,
            [PackRequest(a, items(batch, 0, 5)), PackRequest(b, items(batch, 5, 9))],
            LINE,
        )
    with pytest.raises(PackEmpty):
        await agg.pack(brand, PackRequest(a), LINE)
    with pytest.raises(InvalidInput):
        await agg.pack(brand, PackRequest(a, items(batch, 95, 100)), LINE)  # outside the batch
    with pytest.raises(InvalidInput):
        await agg.pack(brand, PackRequest("123456789012345678", items(batch, 0, 1)), LINE)
    assert await count(engine, "events") == 0


async def test_decommissioned_items_cannot_be_packed(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand)
    await engine.lifecycle.activation.decommission(batch, [IndexRange(7, 7)], "torn", LINE)
    [case] = await ssccs(engine, brand, 1)
    with pytest.raises(ItemDecommissioned) as exc:
        await engine.lifecycle.aggregation.pack(brand, PackRequest(case, items(batch, 0, 23)), LINE)
    assert exc.value.code == "item_decommissioned"


async def test_items_not_activated_cannot_be_packed_when_the_batch_requires_it(
    engine: Engine, brand: Brand
) -> None:
    """A batch (or the brand, for batches made after its rule) that requires activation
    packs only activated items; the refusal lists the first offending ranges and writes
    nothing. Batches without the requirement pack as before."""
    life = engine.lifecycle
    agg = life.aggregation
    batch = await make_batch(engine, brand, size=100)
    await life.activation.set_required(brand, batch, True)
    await life.activation.activate(batch, [IndexRange(0, 9), IndexRange(12, 12)], LINE)
    for gap in (14, 16, 18, 20, 22, 24, 26):
        await life.activation.activate(batch, [IndexRange(gap, gap)], LINE)
    case, other = await ssccs(engine, brand, 2)
    events = await count(engine, "events")
    with pytest.raises(ItemNotActivated) as exc:
        await agg.pack_many(
            brand,
            [
                PackRequest(other, items(batch, 0, 5)),  # fine on its own
                PackRequest(case, items(batch, 8, 30)),
            ],
            LINE,
        )
    assert exc.value.code == "item_not_activated"
    assert exc.value.details["batch_id"] == batch.id
    assert exc.value.details["items"] == ["10-11", "13", "15", "17", "19"]  # first five
    assert exc.value.details["count"] == 23 - 2 - 1 - 7
    assert await count(engine, "events") == events
    assert await count(engine, "packed_ranges") == 0
    assert await agg.parent_of_item(batch, 0) is None

    packed = await agg.pack(brand, PackRequest(case, items(batch, 0, 9)), LINE)
    assert packed.items == 10

    # the brand-wide rule applies to batches created after it
    await life.activation.set_required(brand, None, True)
    later = await make_batch(engine, brand, lot="L2", size=10)
    with pytest.raises(ItemNotActivated) as exc:
        await agg.pack(brand, PackRequest(other, items(later, 0, 0)), LINE)
    assert exc.value.details["items"] == ["0"]

    # without the requirement, never-activated items pack as before
    free = await make_batch(engine, brand, lot="L3", size=10)
    await life.activation.set_required(brand, free, False)
    assert (await agg.pack(brand, PackRequest(other, items(free, 0, 9)), LINE)).items == 10


async def test_items_from_printed_codes(engine: Engine, brand: Brand, tmp_path: Path) -> None:
    batch = await make_batch(engine, brand)
    uris = await codes(engine, brand, batch, 0, 10)
    [case] = await ssccs(engine, brand, 1)
    lines = [*uris[3:6], "# a comment", "", uris[0], f"(00){case}"]
    children, by_batch = await resolve_items(engine.verifier, brand, lines)
    assert [r.range for r in children.ranges] == [IndexRange(0, 0), IndexRange(3, 5)]
    assert children.units == (case,)
    assert by_batch == {batch.id: [IndexRange(0, 0), IndexRange(3, 5)]}
    fake = uris[1][:-3] + ("AAA" if not uris[1].endswith("AAA") else "BBB")
    with pytest.raises(ItemUnknown) as exc:
        await resolve_items(engine.verifier, brand, [uris[2], fake])
    assert exc.value.code == "item_unknown" and exc.value.details["line"] == 2

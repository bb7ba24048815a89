"""``territories.movement_ranges`` as another plugin sees it (its own protocol under the
same key): exactly the units each shipment and receipt moved, pallets expanded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from tests.territories.conftest import World
from tests.territories.test_shipments_diversion import pack_pallet, sscc
from veriseal.accounts.models import SYSTEM
from veriseal.extend import ServiceKey, Unavailable
from veriseal_territories.shipments import MoveOptions


class MovementRanges(Protocol):
    async def __call__(
        self, brand_id: int, movement_ids: Sequence[int]
    ) -> dict[int, dict[int, list[tuple[int, int]]]]: ...


MOVEMENT_RANGES = ServiceKey[MovementRanges]("territories.movement_ranges")


async def test_the_units_each_movement_moved(network: World) -> None:
    w = network
    lookup = w.engine.plugins.context("territories").optional(MOVEMENT_RANGES)
    assert not isinstance(lookup, Unavailable)
    b = w.batch.id
    pallet = await pack_pallet(w)  # items 0-47 in two cases
    loose = w.codes(100, 3) + w.codes(102, 2) + w.codes(200, 1)  # 100-103 (102 twice), 200
    out = await w.t.ship(SYSTEM, w.brand, "GD01", [pallet, *loose])
    back = await w.t.receive(SYSTEM, w.brand, [sscc(2), *w.codes(100, 2)], at_ref="GD01")
    # a second receipt of the same units moves nothing new (its upload is remembered)
    options = MoveOptions(client_id="again-1")
    again = await w.t.receive(SYSTEM, w.brand, [sscc(2)], at_ref="GD01", options=options)
    # the retailer scans in a case GD01 holds (taken from another dealer)
    taken = await w.t.receive(SYSTEM, w.brand, [sscc(1)], at_ref="GZ-R1")
    ids = [*out.movement_ids, *back.movement_ids, *again.movement_ids, *taken.movement_ids]
    found = await lookup(w.brand.id, [*ids, 999_999])
    assert found[out.movement_ids[0]] == {b: [(0, 47), (100, 103), (200, 200)]}
    assert [found[m] for m in back.movement_ids] == [{b: [(24, 47), (100, 101)]}]
    assert len(again.movement_ids) == 1 and found[again.movement_ids[0]] == {}
    assert [found[m] for m in taken.movement_ids] == [{b: [(0, 23)]}]
    assert 999_999 not in found
    # another brand sees none of them
    other = await w.engine.brands.create("other", "Other", "id.other.example")
    assert await lookup(other.id, ids) == {}
    assert await lookup(w.brand.id, []) == {}

"""``territories.take_back`` (issue 17, returns): the brand takes units back from a dealer.

Through the service registry as another plugin sees it (its own protocol under the same
key), HTTP and the CLI, on both ledger backends with real transactions: afterwards
nobody holds the units (the brand has them as if never shipped), the movement is on the
stream as ``territories.returned`` and in ``territories.movement_ranges``, refusals write
nothing, a retry with the same client id is a replay, and a return is never judged as a
sale (live diversion check, history analysis, EPCIS export, the dealer's movements).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner
from jsonschema import Draft7Validator

from tests.lifecycle.test_epcis import SCHEMA_PATH
from tests.territories.conftest import CHANGSHA, DEALERS_CSV, GTIN, World, drain, single_sightings
from tests.territories.test_api_cli import token
from tests.territories.test_epcis_export import export, parties
from tests.territories.test_shipments_diversion import pack_pallet, scan, sscc
from veriseal import Forbidden
from veriseal.accounts.models import SYSTEM, Principal, Role
from veriseal.extend import ServiceKey, Unavailable
from veriseal.server.app import Limits, make_app
from veriseal_cli.main import cli
from veriseal_territories.analysis import analyse
from veriseal_territories.dealers import DealerNotFound
from veriseal_territories.shipments import MoveOptions, NotHeld


class Shipped(Protocol):
    @property
    def movement_ids(self) -> list[int]: ...


class TakeBack(Protocol):
    async def __call__(
        self,
        principal: Principal,
        brand_id: int,
        from_org_id: int,
        items: Sequence[str],
        *,
        reference: str,
        client_id: str | None = None,
    ) -> Shipped: ...


class MovementRanges(Protocol):
    async def __call__(
        self, brand_id: int, movement_ids: Sequence[int]
    ) -> dict[int, dict[int, list[tuple[int, int]]]]: ...


TAKE_BACK = ServiceKey[TakeBack]("territories.take_back")
MOVEMENT_RANGES = ServiceKey[MovementRanges]("territories.movement_ranges")


def service(w: World) -> TakeBack:
    found = w.engine.plugins.context("territories").optional(TAKE_BACK)
    assert not isinstance(found, Unavailable)
    return found


async def staff(w: World, role: Role = Role.BRAND_ADMIN, org: str | None = None) -> Principal:
    """A new signed-in user of the brand's root org (or of dealer ``org``)."""
    root = (await w.engine.accounts.brand_org(w.brand)).id
    org_id = root if org is None else await w.dealer_org(org)
    user = await w.engine.accounts.create_user(
        SYSTEM, contact=f"{role}-{org or 'root'}@acme.example", display_name=str(role),
        role=role, org_id=org_id,
    )  # fmt: skip
    return await w.engine.accounts.principal(user)


async def returned_events(w: World) -> list[dict[str, Any]]:
    async with w.engine.ledger.read() as tx:
        rows = await tx.fetch(
            "SELECT payload FROM stream_events WHERE kind = 'territories.returned'"
            " ORDER BY position"
        )
        return [tx.dialect.decode_json(r["payload"]) for r in rows]


async def held(w: World, code: str) -> list[tuple[int, int]]:
    org = await w.dealer_org(code)
    return [(h["first"], h["last"]) for h in await w.t.shipments.holdings(w.brand.id, org)]


async def movement_count(w: World) -> int:
    return len(await w.t.shipments.movements(w.brand.id))


async def test_take_back_releases_the_units_to_the_brand(network: World) -> None:
    w, t = network, network.t
    take_back, b = service(w), w.batch.id
    gd, zj = await w.dealer_org("GD01"), await w.dealer_org("ZJ01")
    root = (await w.engine.accounts.brand_org(w.brand)).id
    pallet = await pack_pallet(w)  # items 0-47 in cases sscc(1) (0-23) and sscc(2) (24-47)
    await t.ship(SYSTEM, w.brand, "GD01", [pallet, *w.codes(100, 10)])
    await t.receive(SYSTEM, w.brand, [sscc(1), *w.codes(100, 5)], at_ref="GD01")
    boss = await staff(w)
    # received units, a case still in transit to the dealer, and loose items
    items = [*w.codes(0, 3), sscc(2), *w.codes(104, 2)]
    r = await take_back(boss, w.brand.id, gd, items, reference="RMA-1", client_id="rt-1")
    assert len(r.movement_ids) == 1
    [movement] = r.movement_ids
    # the dealer keeps only the rest; nobody holds the units taken back
    assert await held(w, "GD01") == [(3, 23), (100, 103), (106, 109)]
    assert await t.shipments.holder(b, 0) is None and await t.shipments.holder(b, 30) is None
    # the movement: kind back, from the dealer to the brand's root org
    [row] = [m for m in await t.shipments.movements(w.brand.id) if m["id"] == movement]
    assert (row["kind"], row["from_org"], row["to_org"], row["items"]) == ("back", gd, root, 29)
    # published once, as the transaction's last statement
    assert await returned_events(w) == [
        {"movements": [movement], "from_org": gd, "to_org": root, "units": {GTIN: 29},
         "reference": "RMA-1"}
    ]  # fmt: skip
    ranges = w.engine.plugins.context("territories").optional(MOVEMENT_RANGES)
    assert not isinstance(ranges, Unavailable)
    assert await ranges(w.brand.id, [movement]) == {movement: {b: [(0, 2), (24, 47), (104, 105)]}}
    # the dealer can no longer ship them; the brand can, to another dealer
    with pytest.raises(NotHeld) as refused:
        await t.ship(SYSTEM, w.brand, "GZ-R1", w.codes(1, 1), from_ref="GD01")
    assert refused.value.code == "not_held"
    again = await t.ship(SYSTEM, w.brand, "ZJ01", [*w.codes(0, 3), sscc(2)])
    assert again.items == 27
    assert await held(w, "ZJ01") == [(0, 2), (24, 47)]
    assert (await t.shipments.holder(b, 30) or (0,))[0] == zj
    # a retry with the same client id is a replay: nothing written twice
    before = await movement_count(w)
    replay = await take_back(boss, w.brand.id, gd, items, reference="RMA-1", client_id="rt-1")
    assert replay.movement_ids == [movement]
    assert getattr(replay, "replayed") is True  # noqa: B009 (not in the consumer's protocol)
    assert await movement_count(w) == before and len(await returned_events(w)) == 1
    assert await held(w, "ZJ01") == [(0, 2), (24, 47)]  # the replay did not take them back


async def test_units_the_dealer_does_not_hold_write_nothing(network: World) -> None:
    w, t = network, network.t
    take_back = service(w)
    gd, root = await w.dealer_org("GD01"), (await w.engine.accounts.brand_org(w.brand)).id
    await t.ship(SYSTEM, w.brand, "GD01", w.codes(0, 5))
    await t.ship(SYSTEM, w.brand, "ZJ01", w.codes(10, 5))
    boss = await staff(w)
    before = (await movement_count(w), await held(w, "GD01"), await held(w, "ZJ01"))
    cases = {
        "never shipped (the brand's)": w.codes(3, 4),  # 3-4 GD01's, 5-6 the brand's
        "another dealer's": [*w.codes(0, 1), *w.codes(12, 1)],
    }
    for why, items in cases.items():
        with pytest.raises(NotHeld) as refused:
            await take_back(boss, w.brand.id, gd, items, reference="RMA-2", client_id="rt-2")
        assert refused.value.code == "not_held", why
    with pytest.raises(DealerNotFound):  # the brand's own org is no dealer
        await take_back(boss, w.brand.id, root, w.codes(0, 1), reference="x", client_id="rt-3")
    after = (await movement_count(w), await held(w, "GD01"), await held(w, "ZJ01"))
    assert after == before and await returned_events(w) == []
    # the refused client id was not used up: the corrected request goes through
    ok = await take_back(boss, w.brand.id, gd, w.codes(3, 2), reference="RMA-2", client_id="rt-2")
    assert len(ok.movement_ids) == 1 and await held(w, "GD01") == [(0, 2)]


async def test_only_brand_staff_with_scans_record_take_back(network: World) -> None:
    w, t = network, network.t
    take_back = service(w)
    gd, r1 = await w.dealer_org("GD01"), await w.dealer_org("GZ-R1")
    await t.ship(SYSTEM, w.brand, "GD01", w.codes(0, 5))
    await t.ship(SYSTEM, w.brand, "GZ-R1", w.codes(10, 5))
    dealer = await staff(w, Role.DISTRIBUTOR, "GD01")
    boss = await staff(w)
    scoped = dataclasses.replace(boss, scopes=frozenset({"orgs.view", "scans.read"}))
    before = (await movement_count(w), await held(w, "GD01"), await held(w, "GZ-R1"))
    refusals = [
        (dealer, gd),  # a dealer does not take back from itself ...
        (dealer, r1),  # ... nor from its own shop: returns go to the brand
        (scoped, gd),  # brand staff whose token lacks scans.record
    ]
    for who, org in refusals:
        with pytest.raises(Forbidden):
            await take_back(who, w.brand.id, org, w.codes(10 if org == r1 else 0, 2),
                            reference="RMA-3")  # fmt: skip
    after = (await movement_count(w), await held(w, "GD01"), await held(w, "GZ-R1"))
    assert after == before and await returned_events(w) == []
    # another brand's staff cannot either
    other = await w.engine.brands.create("other", "Other", "id.other.example")
    other_root = await w.engine.accounts.brand_org(other)
    stranger = await w.engine.accounts.principal(
        await w.engine.accounts.create_user(
            SYSTEM, contact="x@other.example", display_name="X", role=Role.BRAND_ADMIN,
            org_id=other_root.id,
        )
    )  # fmt: skip
    with pytest.raises(Forbidden):
        await take_back(stranger, w.brand.id, gd, w.codes(0, 1), reference="RMA-3")
    # the brand's warehouse staff with the full role may
    r = await take_back(boss, w.brand.id, r1, w.codes(10, 2), reference="RMA-3")
    assert len(r.movement_ids) == 1 and await held(w, "GZ-R1") == [(12, 14)]


async def test_a_return_is_not_a_sale(network: World) -> None:
    """Units taken back and then seen outside the old dealer's territory are nobody's
    diversion: neither the live check nor the history analysis blames the dealer, or
    treats the brand's own org as a dealer holding them."""
    w, t = network, network.t
    await single_sightings(w)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    gd = await w.dealer_org("GD01")
    await t.ship(SYSTEM, w.brand, "GD01", w.codes(0, 4))
    await t.receive(SYSTEM, w.brand, w.codes(0, 4), at_ref="GD01")
    await t.take_back(SYSTEM, w.brand, "GD01", w.codes(0, 2), options=MoveOptions(reference="R"))
    await scan(w, w.codes(0, 1)[0], CHANGSHA, actor="device:a")  # taken back: nobody's
    await drain(w.engine)
    assert await t.alerts.list(SYSTEM, w.brand.id) == []
    assert await analyse(t.ctx, t.diversion, SYSTEM, w.brand.id, start) == []
    # a unit the dealer kept is still judged (the check above could fail)
    await scan(w, w.codes(3, 1)[0], CHANGSHA, actor="device:b")
    await drain(w.engine)
    [alert] = await t.alerts.list(SYSTEM, w.brand.id)
    assert (alert.org_id, alert.index) == (gd, 3)
    found = await analyse(t.ctx, t.diversion, SYSTEM, w.brand.id, start)
    assert [(f.code, sorted(f.outside_units)) for f in found] == [("GD01", [(w.batch.id, 3)])]
    # the dealer's movements show it as a return, not as goods taken by another dealer
    dealer = await staff(w, Role.DISTRIBUTOR, "GD01")
    seen = await t.network.movements(dealer, w.brand.id)
    newest = seen.movements[0]
    assert (newest.kind, newest.direction, newest.status, newest.items) == (
        "back", "out", "returned", 2,
    )  # fmt: skip


async def test_epcis_export_shows_a_return(network: World) -> None:
    w, t = network, network.t
    gd, root = await w.dealer_org("GD01"), (await w.engine.accounts.brand_org(w.brand)).id
    base = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    await t.shipments.ship(SYSTEM, w.brand, "GD01", w.codes(0, 3), options=MoveOptions(at=base))
    later = MoveOptions(at=base + dt.timedelta(minutes=5), reference="RMA-9")
    await t.shipments.take_back(SYSTEM, w.brand, gd, w.codes(1, 2), options=later)
    doc = await export(w)
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    assert [e.message for e in Draft7Validator(schema).iter_errors(doc)] == []
    back = doc["epcisBody"]["eventList"][-1]
    assert (back["bizStep"], back["disposition"], back["action"]) == (
        "receiving", "returned", "OBSERVE",
    )  # fmt: skip
    serials = [u.split("/21/")[1].split("?")[0] for u in w.codes(1, 2)]
    assert back["epcList"] == [f"https://id.gs1.org/01/{GTIN}/21/{s}" for s in serials]
    assert back["sourceList"] == parties(w.brand.slug, gd, "source")
    assert back["destinationList"] == parties(w.brand.slug, root, "destination")


async def test_http(network: World) -> None:
    w, t = network, network.t
    root = await w.engine.accounts.brand_org(w.brand)
    boss = {"Authorization": "Bearer " + await token(w, Role.BRAND_ADMIN, root.id, "b@a.example")}
    gd_org = await w.dealer_org("GD01")
    gd = {"Authorization": "Bearer " + await token(w, Role.DISTRIBUTOR, gd_org, "13911110001")}
    await t.ship(SYSTEM, w.brand, "GD01", w.codes(0, 5))
    url = "/api/v1/territories/takebacks"
    body = {"from": "GD01", "items": w.codes(0, 2), "reference": "RMA-7", "client_id": "api-1"}
    async with TestClient(TestServer(make_app(w.engine, Limits(per_minute=0)))) as c:
        r = await c.post(url, headers=gd, json=body)
        assert r.status == 403 and (await r.json())["error"]["code"] == "forbidden"
        r = await c.post(url, headers=boss, json={**body, "items": w.codes(4, 2)})
        assert r.status == 409 and (await r.json())["error"]["code"] == "not_held"
        assert await returned_events(w) == []
        r = await c.post(url, headers=boss, json=body)
        first = await r.json()
        assert r.status == 201 and (first["kind"], first["items"]) == ("back", 2)
        assert (first["from_org"], first["to_org"]) == (gd_org, root.id)
        r = await c.post(url, headers=boss, json=body)  # retried: replayed
        assert r.status == 200 and (await r.json())["movements"] == first["movements"]
        spec = await (await c.get("/openapi.json")).json()
        assert "post" in spec["paths"][url]
    [event] = await returned_events(w)
    assert event["reference"] == "RMA-7" and event["units"] == {GTIN: 2}
    assert await held(w, "GD01") == [(2, 4)]


def test_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke

    def ok(*args: str) -> Any:
        result = run(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
        return json.loads(result.output) if result.output.startswith("{") else result.output

    ok("init", "--brand", "acme", "--name", "Acme Tea", "--resolver", "id.acme.example")
    ok("product", "add", "--gtin", GTIN, "--name", "Green tea", "--category", "Beverages/Tea")
    ok("batch", "create", "--product", GTIN, "--lot", "L1", "--size", "100")
    (tmp_path / "dealers.csv").write_text(DEALERS_CSV, encoding="utf-8")
    ok("dealers", "import", "dealers.csv")
    ok("batch", "codes", "1", "--format", "uri", "--to", "5", "-o", "codes.txt")
    codes = (tmp_path / "codes.txt").read_text().split()
    ok("shipments", "out", "--to", "GD01", "--items", "codes.txt")
    refused = run(cli, ["shipments", "take-back", "--from", "ZJ01", codes[0]])
    assert refused.exit_code != 0 and "[not_held]" in refused.output
    args = ["shipments", "take-back", "--from", "GD01", *codes[:2], "--reference", "RMA-1"]
    got = ok(*args, "--client-id", "cli-1")
    assert (got["kind"], got["items"], got["replayed"]) == ("back", 2, False)
    assert ok(*args, "--client-id", "cli-1")["replayed"] is True
    assert ok("shipments", "holder", codes[0]) == {"holder": None, "held_by": "brand"}
    assert ok("shipments", "holder", codes[2])["holder"]["code"] == "GD01"

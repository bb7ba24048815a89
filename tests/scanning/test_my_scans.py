"""A signed-in user's own verifications: recorded with the user, listed to that user
only, verdicts unchanged; on each backend."""

from __future__ import annotations

import pytest

from tests.lifecycle.conftest import codes, make_batch
from veriseal.accounts.errors import Forbidden
from veriseal.accounts.models import SYSTEM, Principal, Role
from veriseal.engine import Engine
from veriseal.models import Brand, Location, LocationSource, ScanChannel
from veriseal.scanning.my_scans import mask_code
from veriseal.scanning.service import ScanContext

SHANGHAI = Location(31.23042, 121.47377, 20.0, LocationSource.GPS)


async def person(
    engine: Engine, name: str, role: Role = Role.CONSUMER, org_id: int | None = None
) -> Principal:
    user = await engine.accounts.create_user(
        SYSTEM, contact=f"{name}@example.com", display_name=name, role=role, org_id=org_id
    )
    return await engine.accounts.principal(user)


async def test_a_consumers_scans_are_theirs_alone(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand, "L7")
    [first, second, third] = await codes(engine, brand, batch, 0, 3)
    alice, bob = await person(engine, "alice"), await person(engine, "bob")

    one = await engine.scans.scan_as(alice, first, SHANGHAI)
    two = await engine.scans.scan_as(alice, "https://id.acme.example/01/09506000134352/21/NOPE")
    await engine.scans.scan_as(bob, second)
    await engine.scans.scan(third, ScanContext(ScanChannel.WEB, "device:anon"))  # anonymous

    page = await engine.scans.my_scans(alice)
    assert [s.id for s in page.items] == [two.scan_id, one.scan_id]  # newest first
    assert page.next_cursor is None
    latest, oldest = page.items
    assert latest.outcome == "invalid" and latest.product is None
    assert oldest.outcome == "genuine" and oldest.channel == "console"
    assert (oldest.product, oldest.gtin, oldest.lot) == ("Green tea", "09506000134352", "L7")
    serial = one.verification.info.serial  # type: ignore[union-attr]
    assert oldest.code == "••••" + serial[-4:] and serial not in str(oldest.to_dict())
    assert (oldest.province, oldest.province_zh, oldest.province_en) == (
        "CN-SH",
        "上海市",
        "Shanghai",
    )
    assert (oldest.lat, oldest.lon) == (31.23, 121.474)
    assert [s.id for s in (await engine.scans.my_scans(bob)).items] != [one.scan_id]
    assert len((await engine.scans.my_scans(bob)).items) == 1


async def test_pages_walk_back_in_time(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand)
    uris = await codes(engine, brand, batch, 0, 5)
    carol = await person(engine, "carol")
    ids = [(await engine.scans.scan_as(carol, u)).scan_id for u in uris]
    seen: list[int] = []
    cursor = None
    while True:
        page = await engine.scans.my_scans(carol, cursor, limit=2)
        seen += [s.id for s in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted(ids, reverse=True)


async def test_signing_in_does_not_change_a_verdict(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand)
    [uri] = await codes(engine, brand, batch, 0, 1)
    dave = await person(engine, "dave")
    anonymous = await engine.scans.scan(uri, ScanContext(ScanChannel.WEB, "device:d1"))
    signed = await engine.scans.scan(
        uri, ScanContext(ScanChannel.WEB, "device:d1", user_id=dave.user_id)
    )
    assert anonymous.verification.outcome == signed.verification.outcome
    assert anonymous.verification.reason == signed.verification.reason
    stored = await engine.ledger.get_scan(signed.scan_id)
    assert stored.scan.user_id == dave.user_id and stored.scan.actor == "device:d1"
    assert (await engine.ledger.get_scan(anonymous.scan_id)).scan.user_id is None
    assert [s.id for s in (await engine.scans.my_scans(dave)).items] == [signed.scan_id]


async def test_staff_scanning_in_the_console_are_handheld_scans(
    engine: Engine, brand: Brand
) -> None:
    """A dealer checking goods on the console's scan page must not count as a buyer."""
    root = await engine.accounts.brand_org(brand)
    inspector = await person(engine, "ivan", Role.INSPECTOR, root.id)
    batch = await make_batch(engine, brand)
    [uri] = await codes(engine, brand, batch, 0, 1)
    result = await engine.scans.scan_as(inspector, uri)
    stored = (await engine.ledger.get_scan(result.scan_id)).scan
    assert (stored.channel, stored.actor) == (ScanChannel.HANDHELD, f"user:{inspector.user_id}")
    assert stored.user_id == inspector.user_id


async def test_the_local_operator_has_no_list_and_no_console_scan(engine: Engine) -> None:
    assert (await engine.scans.my_scans(SYSTEM)).items == []
    with pytest.raises(Forbidden):
        await engine.scans.scan_as(SYSTEM, "X")


def test_masking_keeps_the_last_four_characters_only() -> None:
    assert mask_code("ABCDEFGHJK") == "••••GHJK"
    assert mask_code("AB") == "••••"
    assert mask_code("") == "••••"

"""Opening and reviewing return requests on both backends: every unit named by its
code; a fake code, a unit not shipped on the order to this dealer, a unit already in a
return and more units than were delivered are refused with their coded error and
nothing changed, the suspicious ones kept as alerts with the evidence; partial approval
declines the rest (which may be asked again); a question and its answer; withdrawal."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.returns.conftest import TEA, WINE, World, deliver
from veriseal import VerisealError
from veriseal_commerce import returns_store
from veriseal_commerce.returns import ReturnAsk


async def _counts(world: World) -> tuple[int, int, int]:
    async with world.shop.ctx.db.read() as tx:
        out = []
        for table in ("commerce_returns", "commerce_return_units", "commerce_return_alerts"):
            row = await tx.fetchrow(f"SELECT COUNT(*) AS n FROM {table}")
            out.append(0 if row is None else int(row["n"]))
    return out[0], out[1], out[2]


def _ask(order_no: str, codes: list[str], **kw: object) -> ReturnAsk:
    return ReturnAsk(
        order_no, str(kw.pop("kind", "return")), str(kw.pop("reason", "damaged")), codes, **kw
    )  # type: ignore[arg-type]


async def test_open_then_approve_part_declines_the_rest(world: World) -> None:
    shop = world.shop
    got = await deliver(world)
    gd, admin = shop.people["gd"], shop.people["admin"]
    asked = got.codes[TEA][:3] + got.codes[WINE][:1]
    r = await shop.c.returns.open(gd, _ask(got.order.order_no, asked, detail="crushed box"))
    assert r.status == "requested" and r.return_no.startswith("RT")
    assert [(x.gtin, x.quantity, x.approved) for x in r.lines] == [(TEA, 3, None), (WINE, 1, None)]
    assert sorted(u.code for u in r.units) == sorted(asked)
    # the brand approves two of the tea units only: the other two units are declined
    r = await shop.c.returns.approve(admin, r.return_no, got.codes[TEA][:2], "two crushed")
    assert r.status == "approved"
    assert [(x.gtin, x.approved) for x in r.lines] == [(TEA, 2), (WINE, 0)]
    assert sorted((u.code, u.status) for u in r.units) == sorted(
        (c, "approved") for c in got.codes[TEA][:2]
    )
    # declined units may be asked again, in a new request
    again = await shop.c.returns.open(gd, _ask(got.order.order_no, [got.codes[TEA][2]]))
    assert [u.code for u in again.units] == [got.codes[TEA][2]]
    view = await shop.c.returns.view(gd, r.return_no)
    assert [e.action for e in view.events] == ["open", "approve"]
    assert [e.to_status for e in view.events] == ["requested", "approved"]


async def test_a_fake_code_is_refused_and_kept_as_an_alert(world: World) -> None:
    shop = world.shop
    got = await deliver(world)
    genuine = got.codes[TEA][0]
    forged = genuine[:-4] + ("AAAA" if not genuine.endswith("AAAA") else "BBBB")
    before = await _counts(world)
    with pytest.raises(VerisealError) as refused:
        await shop.c.returns.open(shop.people["gd"], _ask(got.order.order_no, [genuine, forged]))
    assert refused.value.code == "return_unit_fake"
    assert refused.value.details["code"] == forged
    after = await _counts(world)
    assert after[:2] == before[:2]  # no request, no unit
    assert after[2] == before[2] + 1
    alerts = await shop.c.returns.alerts(shop.people["admin"], shop.brand)
    assert (alerts[0].kind, alerts[0].code) == ("fake_code", forged)
    assert alerts[0].evidence["order_no"] == got.order.order_no
    assert alerts[0].evidence["verdict"] == "invalid"


async def test_a_unit_shipped_to_someone_else_is_refused(world: World) -> None:
    shop = world.shop
    mine = await deliver(world, "gd")
    theirs = await deliver(world, "zj", lines=((TEA, 2),), first={TEA: 500})
    never = shop.codes(TEA, 900, 1)[0]  # genuine, never shipped
    for code in (theirs.codes[TEA][0], never):
        before = await _counts(world)
        with pytest.raises(VerisealError) as refused:
            await shop.c.returns.open(shop.people["gd"], _ask(mine.order.order_no, [code]))
        assert refused.value.code == "return_unit_not_on_order"
        after = await _counts(world)
        assert after[:2] == before[:2] and after[2] == before[2] + 1
    alerts = await shop.c.returns.alerts(shop.people["admin"], shop.brand)
    assert [a.kind for a in alerts[:2]] == ["not_on_order", "not_on_order"]
    assert alerts[0].evidence["verdict"] == "genuine"


async def test_a_unit_already_returned_is_refused(world: World) -> None:
    shop, gd = world.shop, world.shop.people["gd"]
    got = await deliver(world)
    first = await shop.c.returns.open(gd, _ask(got.order.order_no, got.codes[TEA][:2]))
    before = await _counts(world)
    with pytest.raises(VerisealError) as refused:
        await shop.c.returns.open(gd, _ask(got.order.order_no, got.codes[TEA][1:3]))
    assert refused.value.code == "return_unit_returned"
    assert refused.value.details["findings"][0]["return_no"] == first.return_no
    after = await _counts(world)
    assert after[:2] == before[:2] and after[2] == before[2] + 1


async def test_the_window_and_product_rules(world: World) -> None:
    shop, gd, admin = world.shop, world.shop.people["gd"], world.shop.people["admin"]
    got = await deliver(world)
    await shop.c.returns.set_settings(admin, shop.brand, sealed_only=[WINE], no_return=[])
    with pytest.raises(VerisealError) as refused:
        await shop.c.returns.open(gd, _ask(got.order.order_no, got.codes[WINE][:1], opened=[WINE]))
    assert (refused.value.code, refused.value.details["gtin"]) == ("return_not_eligible", WINE)
    await shop.c.returns.set_settings(admin, shop.brand, no_return=[TEA])
    with pytest.raises(VerisealError) as refused:
        await shop.c.returns.open(gd, _ask(got.order.order_no, got.codes[TEA][:1]))
    assert refused.value.code == "return_not_eligible"
    # the window: delivered 40 days ago with a 30-day window
    async with shop.ctx.db.write() as tx:
        await tx.execute(
            "UPDATE commerce_fulfilments SET delivered_at = ? WHERE order_id = ?",
            dt.datetime.now(dt.UTC) - dt.timedelta(days=40),
            got.order.id,
        )
    with pytest.raises(VerisealError) as refused:
        await shop.c.returns.open(gd, _ask(got.order.order_no, got.codes[WINE][:1]))
    assert refused.value.code == "return_window_closed"
    with pytest.raises(VerisealError) as refused:
        await shop.c.returns.open(gd, _ask(got.order.order_no, got.codes[WINE][:1], reason="nope"))
    assert refused.value.code == "return_invalid"
    assert (await _counts(world))[:2] == (0, 0)


async def test_over_return_is_refused_even_for_units_on_the_order(world: World) -> None:
    """Shipped but not yet delivered units count as not returnable."""
    shop, gd = world.shop, world.shop.people["gd"]
    got = await deliver(world, lines=((TEA, 3),))
    # mark one unit as not delivered: the dealer has received only two
    async with shop.ctx.db.write() as tx:
        await tx.execute(
            "UPDATE commerce_order_lines SET delivered = 2 WHERE order_id = ?", got.order.id
        )
    with pytest.raises(VerisealError) as refused:
        await shop.c.returns.open(gd, _ask(got.order.order_no, got.codes[TEA]))
    assert refused.value.code == "return_too_many"
    assert (refused.value.details["asked"], refused.value.details["left"]) == (3, 2)
    assert (await _counts(world))[:2] == (0, 0)


async def test_ask_answer_reject_and_cancel(world: World) -> None:
    shop, gd, admin = world.shop, world.shop.people["gd"], world.shop.people["admin"]
    got = await deliver(world)
    r = await shop.c.returns.open(gd, _ask(got.order.order_no, got.codes[TEA][:1]))
    r = await shop.c.returns.ask(admin, r.return_no, "请提供破损照片 / photos please")
    assert r.status == "info_requested"
    with pytest.raises(VerisealError) as refused:  # only the dealer answers
        await shop.c.returns.answer(admin, r.return_no, "x")
    assert refused.value.code == "forbidden"
    await shop.c.returns.add_photo(gd, r.return_no, "image/png", "box.png",
                                   b"\x89PNG\r\n\x1a\n" + b"1" * 10)  # fmt: skip
    r = await shop.c.returns.answer(gd, r.return_no, "已上传 / uploaded")
    assert r.status == "requested"
    r = await shop.c.returns.reject(admin, r.return_no, "not damaged in transit")
    assert (r.status, r.units) == ("rejected", ())
    with pytest.raises(VerisealError) as refused:
        await shop.c.returns.approve(admin, r.return_no)
    assert refused.value.code == "return_transition"
    view = await shop.c.returns.view(gd, r.return_no)
    assert [m.side for m in view.messages] == ["brand", "dealer"]
    assert len(view.photos) == 1
    # withdrawn: the units are free again
    r2 = await shop.c.returns.open(gd, _ask(got.order.order_no, got.codes[TEA][:1]))
    r2 = await shop.c.returns.cancel(gd, r2.return_no, "found a use for it")
    assert r2.status == "cancelled" and r2.units == ()


async def test_another_dealer_cannot_open_or_read(world: World) -> None:
    shop = world.shop
    got = await deliver(world)
    with pytest.raises(VerisealError) as refused:
        await shop.c.returns.open(shop.people["zj"], _ask(got.order.order_no, got.codes[TEA][:1]))
    assert refused.value.code == "forbidden"
    r = await shop.c.returns.open(shop.people["gd"], _ask(got.order.order_no, got.codes[TEA][:1]))
    with pytest.raises(VerisealError) as refused:
        await shop.c.returns.view(shop.people["zj"], r.return_no)
    assert refused.value.code == "forbidden"
    async with shop.ctx.db.read() as tx:
        assert (
            await returns_store.get(tx, await returns_store.id_of(tx, r.return_no))
        ).status == "requested"


async def test_two_requests_for_the_same_unit_at_once_one_wins(world: World) -> None:
    """Real concurrent transactions: requests on one order queue on its lock."""
    import asyncio  # noqa: PLC0415

    shop, gd = world.shop, world.shop.people["gd"]
    got = await deliver(world)
    code = got.codes[TEA][0]
    done = await asyncio.gather(
        *(shop.c.returns.open(gd, _ask(got.order.order_no, [code])) for _ in range(3)),
        return_exceptions=True,
    )
    won = [x for x in done if not isinstance(x, BaseException)]
    lost = [x for x in done if isinstance(x, BaseException)]
    assert len(won) == 1, done
    assert all(isinstance(x, VerisealError) and x.code == "return_unit_returned" for x in lost)
    assert (await _counts(world))[:2] == (1, 1)


async def test_a_retried_form_is_one_request(world: World) -> None:
    shop, gd = world.shop, world.shop.people["gd"]
    got = await deliver(world)
    ask = _ask(got.order.order_no, got.codes[TEA][:2], client_id="form-1")
    first = await shop.c.returns.open(gd, ask)
    again = await shop.c.returns.open(gd, ask)
    assert again.return_no == first.return_no
    assert (await _counts(world))[:2] == (1, 2)

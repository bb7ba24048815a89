"""THE pricing engine, pure: the specificity order of price rows, derived lists and the
rounding rules, every promotion benefit, stacking (priority, exclusive, combinable
lists), usage limits and budget, the known stacking bugs, and properties over random
baskets. Expected figures are written out by hand (small explicit arithmetic), never
computed with the engine's helpers."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from veriseal_commerce.engine import (
    Basket,
    BasketLine,
    Buyer,
    PriceList,
    PriceNotFound,
    PriceRow,
    Promotion,
    Rules,
    Usage,
    price_basket,
)
from veriseal_commerce.pricing_models import SUGGESTED_REASON, round_price

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
A, B, C = "09506000134352", "09506000134369", "09506000134376"
TEA, BEVERAGES = 12, 10  # category ids: Green (12) -> Tea (11) -> Beverages (10)
CHAIN = (12, 11, 10)
RETAIL, WHOLESALE = PriceList(1, 1, "retail"), PriceList(2, 1, "wholesale")
GD = Buyer(30, "distributor", (30, 1), ("440100", "CN-GD", "CN"), False)
SHOP = Buyer(31, "retailer", (31, 30, 1), ("440100", "CN-GD", "CN"), False)


def basket(*lines: tuple[str, int], buyer: Buyer = GD, at: dt.datetime = NOW) -> Basket:
    return Basket(1, "CNY", tuple(BasketLine(g, q, CHAIN) for g, q in lines), buyer, at)


def flat(price: int = 10000, *extra: PriceRow) -> tuple[PriceRow, ...]:
    """One row pricing everything at ``price``, plus ``extra``."""
    return (PriceRow(900, 1, amount=price), *extra)


def rules(rows: tuple[PriceRow, ...], *promos: Promotion, **usage: Usage) -> Rules:
    used = {int(k[1:]): v for k, v in usage.items()}
    return Rules((RETAIL, WHOLESALE), rows, promos, used)


# -- price rows: the specificity order ------------------------------------------------------


def unit(rows: tuple[PriceRow, ...], qty: int = 1, buyer: Buyer = GD) -> tuple[int, int]:
    line = price_basket(basket((A, qty), buyer=buyer), rules(rows)).lines[0]
    assert line.price is not None
    return line.unit_price, line.price.row_id


def test_a_product_row_beats_a_category_row_beats_everything() -> None:
    rows = flat(10000, PriceRow(2, 1, category_id=BEVERAGES, amount=9000))
    assert unit(rows) == (9000, 2)
    rows = (*rows, PriceRow(3, 1, category_id=TEA, amount=8500))
    assert unit(rows) == (8500, 3)  # the nearer category
    rows = (*rows, PriceRow(4, 1, gtin=A, amount=8000))
    assert unit(rows) == (8000, 4)


def test_org_then_region_then_level_then_tier() -> None:
    rows = flat(10000, PriceRow(2, 1, region="CN", amount=9900))
    assert unit(rows) == (9900, 2)
    rows = (*rows, PriceRow(3, 1, region="CN-GD", amount=9800))
    assert unit(rows) == (9800, 3)
    rows = (*rows, PriceRow(4, 1, level="distributor", amount=9700))
    assert unit(rows) == (9800, 3)  # region ranks before level
    rows = (*rows, PriceRow(5, 1, org_id=1, amount=9600))  # the brand's root org: everyone
    assert unit(rows) == (9600, 5)
    rows = (*rows, PriceRow(6, 1, org_id=30, amount=9500))  # GD01's subtree
    assert unit(rows) == (9500, 6)
    assert unit(rows, buyer=SHOP) == (9500, 6)  # the shop under GD01 too
    rows = (*rows, PriceRow(7, 1, org_id=31, amount=9400))
    assert unit(rows, buyer=SHOP) == (9400, 7)
    assert unit(rows) == (9500, 6)


def test_volume_tiers_take_the_highest_reached() -> None:
    rows = (
        PriceRow(1, 1, gtin=A, amount=10000),
        PriceRow(2, 1, gtin=A, min_qty=10, amount=9000),
        PriceRow(3, 1, gtin=A, min_qty=100, amount=8000),
    )
    assert unit(rows, 9) == (10000, 1)
    assert unit(rows, 10) == (9000, 2)
    assert unit(rows, 99) == (9000, 2)
    assert unit(rows, 100) == (8000, 3)


def test_a_row_outside_its_dates_or_for_another_level_does_not_apply() -> None:
    later = PriceRow(2, 1, gtin=A, amount=5000, valid_from=NOW + dt.timedelta(seconds=1))
    ended = PriceRow(3, 1, gtin=A, amount=5000, valid_until=NOW)
    retailers = PriceRow(4, 1, gtin=A, amount=5000, level="retailer")
    assert unit(flat(10000, later, ended, retailers)) == (10000, 900)
    assert unit(flat(10000, retailers), buyer=SHOP) == (5000, 4)


def test_no_row_is_price_not_found() -> None:
    with pytest.raises(PriceNotFound) as err:
        price_basket(basket((A, 1)), rules((PriceRow(1, 1, gtin=B, amount=1),)))
    assert err.value.code == "price_not_found"


def test_wholesale_derived_from_retail_with_rounding() -> None:
    rows = (
        PriceRow(1, 1, gtin=A, level="consumer", amount=12800),
        PriceRow(2, 2, level="distributor", base_list_id=1, percent=Decimal(70)),
        PriceRow(3, 2, level="retailer", base_list_id=1, percent=Decimal(85), rounding="end_9_9"),
    )
    assert unit(rows) == (8960, 2)  # 128.00 x 70% = 89.60
    assert unit(rows, buyer=SHOP) == (10990, 3)  # 128.00 x 85% = 108.80 -> 109.90
    consumer = Buyer(None, "consumer", (), (), False)
    assert unit(rows, buyer=consumer) == (12800, 1)


@pytest.mark.parametrize(
    ("minor", "rule", "expected"),
    [(12345, "end_8", 12800), (12800, "end_8", 12800), (12801, "end_8", 13800),
     (1, "end_8", 800), (12345, "end_9_9", 12990), (995, "end_9_9", 1990),
     (990, "end_9_9", 990), (12345, "none", 12345), (500, "end_8", 800)],
)  # fmt: skip
def test_rounding_rules(minor: int, rule: str, expected: int) -> None:
    assert round_price(minor, rule, "CNY") == expected


@given(st.integers(1, 10**9), st.sampled_from(["end_8", "end_9_9"]))
def test_rounding_never_lowers_and_lands_on_the_rule(minor: int, rule: str) -> None:
    got = round_price(minor, rule, "CNY")
    assert got >= minor
    assert got - minor < 1000  # the next ending within 10 yuan
    assert got % 1000 == (800 if rule == "end_8" else 990)


# -- promotions ----------------------------------------------------------------------------


def promo(pid: int, benefit: str, **kw: object) -> Promotion:
    return Promotion(pid, 1, f"P{pid}", benefit, **kw)  # type: ignore[arg-type]


def test_percent_off_and_amount_off_split_by_weight() -> None:
    q = price_basket(
        basket((A, 1), (B, 2)),
        rules(flat(10000), promo(1, "amount_off", amount=1000)),
    )
    # 1000 shared 10000 : 20000 -> 333 on A, the rest (667) on the last line
    assert [ln.line_total for ln in q.lines] == [10000 - 333, 20000 - 667]
    assert (q.subtotal, q.discount, q.total) == (30000, 1000, 29000)
    d = q.lines[0].discounts[0]
    assert (d.rule_id, d.kind, d.name, d.amount) == (1, "amount_off", "P1", 333)


def test_fixed_price_tiered_free_shipping() -> None:
    q = price_basket(basket((A, 3)), rules(flat(10000), promo(1, "fixed_price", amount=7000)))
    assert q.total == 21000
    tiers = ((5, Decimal(5)), (10, Decimal(10)))
    t = rules(flat(1000), promo(2, "tiered", tiers=tiers), promo(3, "free_shipping"))
    assert price_basket(basket((A, 4)), t).total == 4000
    assert price_basket(basket((A, 3), (B, 2)), t).total == 5000 - 250
    q = price_basket(basket((A, 12)), t)
    assert (q.total, q.free_shipping) == (12000 - 1200, True)


def test_buy_x_get_y_adds_a_gift_line() -> None:
    gift = promo(1, "gift", gtins=(A,), buy_qty=5, gift_qty=1, gift_gtin=C, per_order=2)
    q = price_basket(basket((A, 17)), rules(flat(300), gift))
    assert [(ln.gtin, ln.quantity, ln.gift, ln.line_total) for ln in q.lines] == [
        (A, 17, False, 5100),
        (C, 2, True, 0),  # 3 sets reached, 2 allowed per order
    ]
    assert (q.subtotal, q.discount, q.total) == (5700, 600, 5100)


def test_conditions_level_region_window_first_order_min_qty() -> None:
    def total(p: Promotion, buyer: Buyer = GD, qty: int = 2) -> int:
        return price_basket(basket((A, qty), buyer=buyer), rules(flat(1000), p)).total

    off = {"percent": Decimal(10)}
    assert total(promo(1, "percent_off", levels=("retailer",), **off)) == 2000
    assert total(promo(1, "percent_off", levels=("retailer",), **off), SHOP) == 1800
    assert total(promo(1, "percent_off", regions=("CN-ZJ",), **off)) == 2000
    assert total(promo(1, "percent_off", regions=("CN-GD",), **off)) == 1800
    assert total(promo(1, "percent_off", starts=NOW + dt.timedelta(days=1), **off)) == 2000
    assert total(promo(1, "percent_off", ends=NOW, **off)) == 2000
    assert total(promo(1, "percent_off", first_order=True, **off)) == 2000
    first = Buyer(30, "distributor", (30, 1), ("CN",), True)
    assert total(promo(1, "percent_off", first_order=True, **off), first) == 1800
    assert total(promo(1, "percent_off", min_qty=3, **off)) == 2000
    assert total(promo(1, "percent_off", min_qty=3, **off), qty=3) == 2700
    assert total(promo(1, "percent_off", category_ids=(99,), **off)) == 2000
    assert total(promo(1, "percent_off", category_ids=(BEVERAGES,), **off)) == 1800
    assert total(promo(1, "percent_off", active=False, **off)) == 2000


def test_usage_limits_and_budget() -> None:
    p = promo(1, "amount_off", amount=500, overall=3, per_dealer=1, budget=1200)
    base = flat(1000)
    assert price_basket(basket((A, 2)), rules(base, p)).total == 1500
    assert price_basket(basket((A, 2)), rules(base, p, p1=Usage(3, 0, 0))).total == 2000
    assert price_basket(basket((A, 2)), rules(base, p, p1=Usage(1, 1, 0))).total == 2000
    q = price_basket(basket((A, 2)), rules(base, p, p1=Usage(2, 0, 900)))
    assert (q.total, q.promotions[0].amount) == (1700, 300)  # 1200 - 900 left
    assert price_basket(basket((A, 2)), rules(base, p, p1=Usage(2, 0, 1200))).total == 2000


def test_exclusive_and_combinable_lists() -> None:
    sale = promo(1, "percent_off", percent=Decimal(10), priority=5)
    excl = promo(2, "amount_off", amount=300, exclusive=True, priority=9)
    q = price_basket(basket((A, 1)), rules(flat(1000), sale, excl))
    assert ({d.rule_id for d in q.lines[0].discounts}, q.total) == ({2}, 700)
    only_3 = promo(4, "amount_off", amount=100, combines_with=(3,))
    q = price_basket(basket((A, 1)), rules(flat(1000), sale, only_3))
    assert q.total == 900  # 4 does not combine with 1
    q = price_basket(basket((A, 1)), rules(flat(1000), promo(3, "percent_off", percent=10), only_3))
    assert q.total == 1000 - 100 - 100  # same priority: 3 (10% of 1000) first, then 4


def test_suggested_only_covers_the_dealers_top_k_suggestions() -> None:
    p = promo(1, "percent_off", percent=Decimal(10), suggested_only=True, suggested_k=1)
    r = rules(flat(1000), p)
    mine = replace(GD, suggested=(B, A))  # B first: only B is in the top 1

    def off(buyer: Buyer) -> list[int]:
        q = price_basket(basket((A, 1), (B, 2), buyer=buyer), r)
        return [sum(d.amount for d in ln.discounts) for ln in q.lines]

    assert off(mine) == [0, 200]
    q = price_basket(basket((B, 1), buyer=mine), r)
    assert q.lines[0].discounts[0].reason.endswith(SUGGESTED_REASON)
    assert off(replace(GD, suggested=(A, B))) == [100, 0]
    assert off(replace(mine, suggested=())) == [0, 0]  # no suggestions (no analytics): never
    both = rules(flat(1000), replace(p, suggested_k=2, gtins=(A, C)))
    q = price_basket(basket((A, 1), (B, 2), buyer=mine), both)  # and its own product list
    assert [ln.line_total for ln in q.lines] == [900, 2000]


# -- the known stacking bugs ----------------------------------------------------------------


def test_a_voucher_after_a_sale_takes_the_sale_price() -> None:
    """saleor #17453: the percentage is of the discounted amount, not the original."""
    sale = promo(1, "percent_off", percent=Decimal(50), priority=10)
    voucher = promo(2, "percent_off", percent=Decimal(10))
    q = price_basket(basket((A, 2)), rules(flat(10000), sale, voucher))
    # 20000 -> 50% off = 10000 -> 10% of 10000 = 1000 off
    assert [d.amount for d in q.lines[0].discounts] == [10000, 1000]
    assert q.total == 9000


def test_a_minimum_spend_is_checked_after_earlier_discounts() -> None:
    """saleor #4082: 满 150 减 20 must not apply when the sale brought 200 down to 100."""
    sale = promo(1, "percent_off", percent=Decimal(50), priority=10)
    spend = promo(2, "amount_off", amount=2000, min_amount=15000)
    assert price_basket(basket((A, 2)), rules(flat(10000), sale, spend)).total == 10000
    assert price_basket(basket((A, 2)), rules(flat(10000), spend)).total == 18000


def test_the_same_promotion_never_applies_twice_to_a_line() -> None:
    """saleor #18627: a rule listed twice, or covering a line twice, applies once."""
    p = promo(1, "percent_off", percent=Decimal(10), gtins=(A,), category_ids=(TEA,))
    q = price_basket(basket((A, 1)), rules(flat(1000), p, p))
    assert [d.rule_id for d in q.lines[0].discounts] == [1]
    assert q.total == 900


# -- properties ------------------------------------------------------------------------------

_GTINS = (A, B, C)


@st.composite
def promotions(draw: st.DrawFn, pid: int) -> Promotion:
    benefit = draw(st.sampled_from(["percent_off", "amount_off", "fixed_price", "tiered",
                                    "gift", "free_shipping"]))  # fmt: skip
    return Promotion(
        pid, 1, f"P{pid}", benefit,
        priority=draw(st.integers(0, 3)),
        exclusive=draw(st.booleans()),
        gtins=tuple(draw(st.sets(st.sampled_from(_GTINS), max_size=2))),
        min_qty=draw(st.integers(0, 5)),
        min_amount=draw(st.integers(0, 50000)),
        percent=Decimal(draw(st.integers(0, 100))),
        amount=draw(st.integers(1, 30000)),
        tiers=((2, Decimal(draw(st.integers(0, 100)))), (5, Decimal(draw(st.integers(0, 100))))),
        buy_qty=draw(st.integers(1, 4)), gift_qty=1, gift_gtin=C,
        budget=draw(st.none() | st.integers(0, 20000)),
        suggested_only=draw(st.booleans()), suggested_k=draw(st.integers(1, 3)),
    )  # fmt: skip


@st.composite
def cases(draw: st.DrawFn) -> tuple[Basket, Rules]:
    lines = draw(st.lists(st.tuples(st.sampled_from(_GTINS), st.integers(1, 50)),
                          min_size=1, max_size=6))  # fmt: skip
    rows = [PriceRow(900, 1, amount=draw(st.integers(0, 100000)))]
    for i, g in enumerate(draw(st.lists(st.sampled_from(_GTINS), max_size=3, unique=True))):
        rows.append(PriceRow(i + 1, 1, gtin=g, amount=draw(st.integers(0, 100000))))
    promos = [draw(promotions(pid)) for pid in range(1, draw(st.integers(0, 5)) + 1)]
    buyer = replace(GD, suggested=tuple(draw(st.permutations(_GTINS))[: draw(st.integers(0, 3))]))
    return basket(*lines, buyer=buyer), Rules((RETAIL,), tuple(rows), tuple(promos), {})


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_quote_properties(case: tuple[Basket, Rules]) -> None:
    b, r = case
    q = price_basket(b, r)
    gross = [ln.unit_price * ln.quantity for ln in q.lines]
    assert q.subtotal == sum(gross)
    assert 0 <= q.total <= q.subtotal
    assert sum(ln.line_total for ln in q.lines) == q.total
    assert q.discount == q.subtotal - q.total
    for ln, g in zip(q.lines, gross, strict=True):
        assert 0 <= ln.line_total <= g
        assert ln.line_total == g - sum(d.amount for d in ln.discounts)
        ids = [d.rule_id for d in ln.discounts]
        assert len(ids) == len(set(ids))  # no rule twice on a line
    used = {u.promotion_id for u in q.promotions}
    exclusive = {p.id for p in r.promotions if p.exclusive}
    if used & exclusive:
        assert len(used) == 1
    assert price_basket(b, r) == q  # the same basket twice: the same quote
    for p in r.promotions:
        if p.budget is not None:
            assert sum(u.amount for u in q.promotions if u.promotion_id == p.id) <= p.budget
    top = {p.id: b.buyer.suggested[: p.suggested_k] for p in r.promotions if p.suggested_only}
    for ln in q.lines:
        for d in ln.discounts:
            if d.rule_id in top and not ln.gift:  # a gift line is the gift, not a covered line
                assert ln.gtin in top[d.rule_id]


@settings(max_examples=300)
@given(
    st.lists(st.tuples(st.sampled_from(_GTINS), st.integers(1, 50)), min_size=1, max_size=6),
    st.permutations(_GTINS),
    st.integers(0, 3),
    st.integers(1, 3),
    st.sets(st.sampled_from(_GTINS), max_size=2),
    st.integers(1, 100),
)
def test_suggested_only_applies_iff_the_gtin_is_suggested(
    lines: list[tuple[str, int]],
    ranking: list[str],
    shown: int,
    k: int,
    gtins: set[str],
    pct: int,
) -> None:
    """A suggested-only discount is on a line exactly when its product is in the dealer's
    top ``k`` (and in the promotion's own products, when it names some)."""
    suggested = tuple(ranking[:shown])
    p = promo(7, "percent_off", percent=Decimal(pct), gtins=tuple(sorted(gtins)),
              suggested_only=True, suggested_k=k)  # fmt: skip
    # unit price 100 (1.00): any 1% or more of a line is at least one minor unit
    q = price_basket(basket(*lines, buyer=replace(GD, suggested=suggested)), rules(flat(100), p))
    for ln in q.lines:
        covered = ln.gtin in suggested[:k] and (not gtins or ln.gtin in gtins)
        assert bool(ln.discounts) == covered
        assert all(d.rule_id == 7 and d.reason.endswith(SUGGESTED_REASON) for d in ln.discounts)
    assert bool(q.promotions) == any(ln.gtin in suggested[:k] and (not gtins or ln.gtin in gtins)
                                     for ln in q.lines)  # fmt: skip

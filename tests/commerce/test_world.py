"""The commerce test world is what its docstring says (a broken fixture would make every
commerce test meaningless)."""

from __future__ import annotations

from tests.commerce.conftest import TEA, Shop
from veriseal.accounts.models import Role


async def test_the_world(shop: Shop) -> None:
    assert shop.engine.plugins.context("commerce").name == "commerce"
    assert {p.role for p in shop.people.values()} == {
        Role.BRAND_ADMIN, Role.FACTORY_OPERATOR, Role.DISTRIBUTOR, Role.RETAILER,
    }  # fmt: skip
    codes = shop.codes(TEA, 0, 3)
    assert len(set(codes)) == 3
    verdict = await shop.ctx.verify(codes[0])
    assert verdict.genuine and verdict.info is not None and verdict.info.gtin == TEA
    gd = await shop.t.dealers.find(shop.brand.id, "GD01")
    assert gd.status == "active" and gd.regions == ("CN-GD",)

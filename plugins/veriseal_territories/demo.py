"""The territories plugin's demo data (hook ``seed_demo``): the demo brand's dealer
organisations become dealers with territories, so the demo shows shipments, goods held
and diversion checks (and an orders module has authorized dealers to sell to).

Idempotent: an organisation that is a dealer already, or a dealer with grants, is left
as it is."""

from __future__ import annotations

from veriseal import SYSTEM_PRINCIPAL as SYSTEM
from veriseal import Brand, OrgKind
from veriseal.extend import PluginContext
from veriseal_territories.service import of

#: Where the demo's dealers sell: the distributor in East China, its shops in Hangzhou.
REGIONS = {OrgKind.DISTRIBUTOR: "CN-ZJ;CN-JS;CN-SH", OrgKind.RETAILER: "330100"}


async def seed(ctx: PluginContext, brand: Brand) -> None:
    t = of(ctx)
    root = await ctx.brand_org(brand)
    dealers = await t.dealers.all(brand.id)
    for org in await ctx.org_tree(SYSTEM, root.id):  # parents before their children
        regions = REGIONS.get(org.kind)
        if regions is None or org.id in dealers:
            continue
        fields = {"code": f"DEMO-{org.id}", "regions": regions, "contact": org.name}
        dealers[org.id] = await t.dealers.adopt(SYSTEM, brand.id, org.id, fields)
    granted = {g.org_id for g in await t.grants.grants(brand.id)}
    for dealer in dealers.values():
        if dealer.org_id in granted or not dealer.code.startswith("DEMO-"):
            continue
        for region in dealer.regions:
            await t.grants.grant(SYSTEM, brand.id, dealer.code, "*", region)

"""CLI of price lists, rows, promotions and quotes.

::

    veriseal prices lists | add-list NAME [--currency CNY]
    veriseal prices rows [--list NAME]
    veriseal prices set --list NAME (--price 12.50 | --percent-of NAME --percent 70)
                        [--gtin G | --category ID] [--level L] [--dealer D] [--region R]
                        [--min-qty N] [--from DATE] [--until DATE] [--rounding end_8]
                        [--row ID]                     # replace row ID instead of adding
    veriseal prices delete ROW_ID
    veriseal prices quote [--dealer D] --product G --qty N [--product G --qty N ...]
                          [--region R] [--at DATE] [--json]
    veriseal promotions list | show ID | disable ID | enable ID | delete ID
    veriseal promotions add NAME BENEFIT [--percent --amount --min-qty --min-amount ...]
                            [--suggested-only [--suggested-k 10]]
    veriseal promotions suggested [--k 10] [--limit 20]   # what to plan promotions on

Every command acts as the local operator (the CLI holds the ledger and its keys).
Amounts are typed as people write them (``12.50``); output shows minor units as money.
"""

from __future__ import annotations

import json
from typing import Any

import click

from veriseal import SYSTEM_PRINCIPAL, Brand
from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_commerce import pricing_input, suggestions
from veriseal_commerce.engine import Quote
from veriseal_commerce.money import format_amount
from veriseal_commerce.pricing import PriceInvalid, PricingService
from veriseal_commerce.pricing_models import BENEFITS, LEVELS, MAX_SUGGESTED_K, ROUNDINGS
from veriseal_commerce.service import of

NAME = "commerce"


async def _list_id(p: PricingService, brand: Brand, ref: str | None) -> tuple[int, str]:
    """A list's id and currency from its name or id."""
    for pl in await p.lists(SYSTEM_PRINCIPAL, brand):
        if ref in (pl.name, str(pl.id)):
            return pl.id, pl.currency
    raise PriceInvalid(f"no price list {str(ref)[:40]!r}")


# -- prices ----------------------------------------------------------------------------------
@click.group()
def prices() -> None:
    """Price lists, their rows and quotes (commerce plugin). 价格表、价格行与报价。"""


@prices.command("lists")
@pass_opts
def lists_(opts: Options) -> None:
    """List the price lists. 列出价格表。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        for pl in await of(ctx).pricing.lists(SYSTEM_PRINCIPAL, brand):
            click.echo(f"{pl.id}\t{pl.name}\t{pl.currency}")

    with_context(opts, NAME, go)


@prices.command("add-list")
@click.argument("name")
@click.option("--currency", default="CNY", show_default=True, help="ISO 4217. 币种。")
@pass_opts
def add_list(opts: Options, name: str, currency: str) -> None:
    """Add an empty price list. 新建价格表。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        pl = await of(ctx).pricing.add_list(SYSTEM_PRINCIPAL, brand, name, currency)
        click.echo(f"list {pl.id} {pl.name} ({pl.currency})")

    with_context(opts, NAME, go)


@prices.command("rows")
@click.option("--list", "list_ref", help="A list's name or id (default: every list). 价格表。")
@pass_opts
def rows(opts: Options, list_ref: str | None) -> None:
    """Show price rows as JSON lines. 以 JSON 行显示价格行。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        p = of(ctx).pricing
        list_id = None if list_ref is None else (await _list_id(p, brand, list_ref))[0]
        for r in await p.rows(SYSTEM_PRINCIPAL, brand, list_id):
            click.echo(json.dumps(pricing_input.row_dict(r), ensure_ascii=False))

    with_context(opts, NAME, go)


@prices.command("set")
@click.option("--list", "list_ref", required=True, help="The list's name or id. 价格表。")
@click.option("--row", "row_id", type=int, default=0, help="Replace this row. 替换该行。")
@click.option("--gtin", help="One product. 单个商品。")
@click.option("--category", "category_id", type=int, help="A category id and below. 类目。")
@click.option("--level", type=click.Choice(LEVELS), help="Dealer level. 经销商级别。")
@click.option("--dealer", help="An org subtree: org id or dealer code. 组织子树。")
@click.option("--region", help="CN, CN-GD, 440100 ... and below. 区域。")
@click.option("--min-qty", type=int, default=1, show_default=True, help="Volume tier. 起订量。")
@click.option("--from", "valid_from", help="Valid from (date). 生效日期。")
@click.option("--until", "valid_until", help="Valid until, exclusive. 失效日期。")
@click.option("--price", help="A fixed price, e.g. 12.50. 固定价格。")
@click.option("--percent-of", "base", help="Derive from this list. 基于该价格表。")
@click.option("--percent", default="100", show_default=True, help="Of the base list. 百分比。")
@click.option("--rounding", type=click.Choice(ROUNDINGS), default="none", show_default=True,
              help="end_8: ...8.00, end_9_9: ...9.90 (never lower). 尾数规则。")  # fmt: skip
@pass_opts
def set_(opts: Options, /, list_ref: str, row_id: int, **fields: Any) -> None:
    """Add a price row (or replace --row); a tie is refused. 新增或替换价格行（并列将被拒绝）。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        p = of(ctx).pricing
        list_id, currency = await _list_id(p, brand, list_ref)
        data = {**fields, "list_id": list_id}
        if fields["base"] is not None:
            data["base_list_id"] = (await _list_id(p, brand, fields["base"]))[0]
        if fields["dealer"] is not None:
            data["org_id"] = await p.dealer_org(SYSTEM_PRINCIPAL, brand, fields["dealer"])
        row = pricing_input.price_row(data, currency, row_id)
        saved = await p.set_row(SYSTEM_PRINCIPAL, brand, row)
        echo_json(pricing_input.row_dict(saved))

    with_context(opts, NAME, go)


@prices.command("delete")
@click.argument("row_id", type=int)
@pass_opts
def delete(opts: Options, row_id: int) -> None:
    """Delete a price row. 删除价格行。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        await of(ctx).pricing.delete_row(SYSTEM_PRINCIPAL, brand, row_id)
        click.echo(f"deleted row {row_id}")

    with_context(opts, NAME, go)


def explain(q: Quote) -> list[str]:
    """A quote for people: each line, the row that priced it and why, each discount."""

    def m(minor: int) -> str:
        return format_amount(minor, q.currency)

    out: list[str] = []
    for ln in q.lines:
        gift = " (gift 赠品)" if ln.gift else ""
        out.append(f"{ln.gtin} x {ln.quantity} @ {m(ln.unit_price)} = {m(ln.line_total)}{gift}")
        if ln.price is not None:
            out.append(f"  price: list {ln.price.list_name!r} {ln.price.reason}")
        for d in ln.discounts:
            out.append(f"  - {m(d.amount)} {d.name} [{d.kind} #{d.rule_id}] {d.reason}")
    out.append(f"subtotal {m(q.subtotal)}  discount {m(q.discount)}  total {m(q.total)} "
               f"{q.currency}" + ("  free shipping 包邮" if q.free_shipping else ""))  # fmt: skip
    return out


@prices.command("quote")
@click.option("--dealer", help="Org id or dealer code (default: retail). 经销商。")
@click.option("--product", "products", multiple=True, required=True, help="GTIN. 商品。")
@click.option("--qty", "quantities", multiple=True, type=int, required=True, help="数量。")
@click.option("--region", help="Delivery region. 收货区域。")
@click.option("--at", "at", help="Price at this date. 报价时间。")
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def quote(opts: Options, /, dealer: str | None, products: tuple[str, ...], **more: Any) -> None:
    """Price a basket and explain which row gave each price. 报价并说明价格来源。"""
    quantities: tuple[int, ...] = more["quantities"]
    if len(products) != len(quantities):
        raise click.UsageError("give one --qty per --product")

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        p = of(ctx).pricing
        org_id = None if dealer is None else await p.dealer_org(SYSTEM_PRINCIPAL, brand, dealer)
        at = pricing_input.when(more["at"])
        q = await p.quote(SYSTEM_PRINCIPAL, brand, org_id, list(zip(products, quantities,
                          strict=True)), more["region"], at)  # fmt: skip
        if more["as_json"]:
            echo_json(q.to_dict())
        else:
            click.echo("\n".join(explain(q)))

    with_context(opts, NAME, go)


# -- promotions --------------------------------------------------------------------------
@click.group()
def promotions() -> None:
    """Promotions: conditions, benefits, stacking, limits (commerce plugin). 促销活动。"""


@promotions.command("list")
@pass_opts
def list_(opts: Options) -> None:
    """List promotions. 列出促销。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        for x in await of(ctx).pricing.promotions(SYSTEM_PRINCIPAL, brand):
            state = "active" if x.active else "disabled"
            click.echo(f"{x.id}\t{x.name}\t{x.benefit}\tpriority {x.priority}\t{state}")

    with_context(opts, NAME, go)


@promotions.command("show")
@click.argument("promo_id", type=int)
@pass_opts
def show(opts: Options, promo_id: int) -> None:
    """Show one promotion as JSON. 显示促销详情。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        echo_json(pricing_input.promotion_dict(
            await of(ctx).pricing.promotion(SYSTEM_PRINCIPAL, brand, promo_id)))  # fmt: skip

    with_context(opts, NAME, go)


def _switch(name: str, active: bool, help_text: str) -> None:
    @promotions.command(name, help=help_text)
    @click.argument("promo_id", type=int)
    @pass_opts
    def command(opts: Options, promo_id: int) -> None:
        async def go(ctx: PluginContext) -> None:
            brand = await ctx.brand(opts.brand)
            await of(ctx).pricing.set_active(SYSTEM_PRINCIPAL, brand, promo_id, active)
            click.echo(f"promotion {promo_id} {name}d")

        with_context(opts, NAME, go)


_switch("disable", False, "Disable a promotion. 停用促销。")
_switch("enable", True, "Enable a promotion. 启用促销。")


@promotions.command("delete")
@click.argument("promo_id", type=int)
@pass_opts
def delete_promotion(opts: Options, promo_id: int) -> None:
    """Delete a promotion (orders keep their recorded discounts). 删除促销。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        await of(ctx).pricing.delete_promotion(SYSTEM_PRINCIPAL, brand, promo_id)
        click.echo(f"deleted promotion {promo_id}")

    with_context(opts, NAME, go)


@promotions.command("add")
@click.argument("name")
@click.argument("benefit", type=click.Choice(BENEFITS))
@click.option("--percent", help="percent_off: e.g. 10. 折扣百分比。")
@click.option("--amount", help="amount_off: off the order; fixed_price: unit price. 金额。")
@click.option("--tiers", help="tiered: 10:5,50:8 (from 10 units 5% off). 阶梯。")
@click.option("--buy", "buy_qty", type=int, help="gift: for every N units ... 买 N。")
@click.option("--gift", "gift_qty", type=int, help="... M units free. 赠 M。")
@click.option("--gift-gtin", help="The gift product. 赠品。")
@click.option("--gtins", help="Covered products, comma-separated. 适用商品。")
@click.option("--categories", "category_ids", help="Covered category ids. 适用类目。")
@click.option("--min-qty", type=int, help="Minimum units. 最低数量。")
@click.option("--min-amount", help="Minimum spend after earlier discounts (满). 满额。")
@click.option("--levels", help="Dealer levels, comma-separated. 经销商级别。")
@click.option("--regions", help="Regions (and below). 区域。")
@click.option("--from", "starts", help="Start. 开始。")
@click.option("--until", "ends", help="End, exclusive. 结束。")
@click.option("--first-order", is_flag=True, help="Only a dealer's first order. 首单。")
@click.option("--suggested-only", is_flag=True,
              help="Only on the ordering dealer's suggested products (analytics plugin)."
                   " 仅限订货经销商的推荐商品（需数据分析插件）。")  # fmt: skip
@click.option("--suggested-k", type=int, default=10, show_default=True,
              help="Among its top K suggestions (1-50). 取推荐前 K 名。")  # fmt: skip
@click.option("--priority", type=int, default=0, show_default=True, help="Higher first. 优先级。")
@click.option("--exclusive", is_flag=True, help="Never combined. 不可叠加。")
@click.option("--combines-with", help="Only with these promotion ids. 仅可与之叠加。")
@click.option("--per-order", type=int, help="Gift sets per order. 每单上限。")
@click.option("--per-dealer", type=int, help="Orders per dealer. 每经销商上限。")
@click.option("--overall", type=int, help="Orders overall. 总次数上限。")
@click.option("--budget", help="Total discount budget. 预算。")
@click.option("--currency", default="CNY", show_default=True)
@pass_opts
def add(opts: Options, /, **fields: Any) -> None:
    """Add a promotion. 新增促销。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        promo = pricing_input.promotion(fields)
        made = await of(ctx).pricing.add_promotion(SYSTEM_PRINCIPAL, brand, promo)
        echo_json(pricing_input.promotion_dict(made))
        if made.suggested_only and not suggestions.available(ctx):
            click.echo(NO_SUGGESTIONS, err=True)

    with_context(opts, NAME, go)


NO_SUGGESTIONS = ("warning: the analytics plugin is not enabled: a promotion limited to"
                  " suggested products never applies. 警告：数据分析插件未启用，仅限推荐商品的"
                  "促销不会生效。")  # fmt: skip


@promotions.command("suggested")
@click.option("--k", "k", type=click.IntRange(1, MAX_SUGGESTED_K), default=10,
              show_default=True, help="A dealer's top K suggestions. 推荐前 K 名。")  # fmt: skip
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="How many products to show. 显示条数。")  # fmt: skip
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def suggested(opts: Options, k: int, limit: int, as_json: bool) -> None:
    """Products most often suggested to the brand's dealers, to plan promotions on
    (analytics plugin). 最常推荐给经销商的商品，用于策划促销。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        if not suggestions.available(ctx):
            click.echo(NO_SUGGESTIONS, err=True)
        counts = (await of(ctx).pricing.suggested_counts(SYSTEM_PRINCIPAL, brand, k))[:limit]
        names = {x.gtin: x.name for x in await ctx.products(brand)} if counts else {}
        for c in counts:
            if as_json:
                row = {"gtin": c.gtin, "name": names.get(c.gtin, c.gtin), "dealers": c.dealers}
                click.echo(json.dumps(row, ensure_ascii=False))
            else:
                click.echo(f"{c.gtin}\t{c.dealers}\t{names.get(c.gtin, c.gtin)}")

    with_context(opts, NAME, go)

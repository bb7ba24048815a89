"""CLI of safety stock, low-stock alerts and replenishment (commands of ``veriseal stock``).

::

    veriseal stock settings set GTIN [--warehouse W] [--safety N] [--reorder-point N]
                                [--reorder-qty N] [--lead-time DAYS] [--review DAYS]
                                [--pack N]          # no --warehouse: the brand default
    veriseal stock settings clear GTIN [--warehouse W]
    veriseal stock settings show [--product G] [--warehouse W] [--json]
    veriseal stock alerts [--open] [--warehouse W] [--json]
    veriseal stock replenish [--warehouse W] [--product G] [--days 28]
                             [--basis outbound|scans] [--all] [--json]

Commands act as the local operator unless ``--user`` names a user."""

from __future__ import annotations

import click

from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_inventory.cli_common import NAME, acting, user_option
from veriseal_inventory.cli_stock import stock
from veriseal_inventory.planning import BASES, PlanRequest
from veriseal_inventory.replenish import DEFAULT_REVIEW_DAYS, DEFAULT_WINDOW_DAYS, Policy
from veriseal_inventory.service import of

_json = click.option("--json", "as_json", is_flag=True, help="As JSON. 以 JSON 输出。")
_warehouse = click.option("--warehouse", help="Warehouse code or id. 仓库编码。")
_units = click.IntRange(0, 10**12)
_days = click.IntRange(0, 3660)


@stock.group("settings")
def settings() -> None:
    """Safety stock, reorder point and quantity per product. 安全库存与补货设置。"""


@settings.command("set")
@click.argument("gtin")
@_warehouse
@click.option(
    "--safety",
    "safety_stock",
    type=_units,
    default=0,
    show_default=True,
    help="Safety stock: below it an alert opens. 安全库存。",
)
@click.option(
    "--reorder-point",
    type=_units,
    default=0,
    show_default=True,
    help="Reorder below it; the alert closes at it. 再订货点。",
)
@click.option(
    "--reorder-qty", type=_units, default=0, show_default=True, help="Smallest order. 最小补货量。"
)
@click.option(
    "--lead-time",
    "lead_time_days",
    type=_days,
    default=0,
    show_default=True,
    help="Days from order to arrival. 交货期（天）。",
)
@click.option(
    "--review",
    "review_days",
    type=_days,
    default=DEFAULT_REVIEW_DAYS,
    show_default=True,
    help="Days between reviews. 盘点周期（天）。",
)
@click.option(
    "--pack",
    "pack_size",
    type=click.IntRange(1, 10**12),
    default=1,
    show_default=True,
    help="Order in whole packs of. 每包件数。",
)
@user_option
@pass_opts
def set_(opts: Options, /, gtin: str, warehouse: str | None, user_id: int | None,
         **policy: int) -> None:  # fmt: skip
    """Set a product's policy (no --warehouse: the brand default). 设置商品的库存策略。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        brand = await ctx.brand(opts.brand)
        w = None if warehouse is None else await inv.warehouses.find(brand, warehouse)
        saved = await inv.alerts.save(await acting(ctx, user_id), brand, gtin.strip(),
                                      Policy(**policy), w)  # fmt: skip
        where = w.code if w else "brand default / 品牌默认"
        p = saved.policy
        click.echo(f"{gtin} @ {where}: safety {p.safety_stock}, reorder point"
                   f" {p.reorder_point}, reorder qty {p.reorder_qty}, lead {p.lead_time_days}"
                   f" d, review {p.review_days} d, pack {p.pack_size}")  # fmt: skip

    with_context(opts, NAME, go)


@settings.command("clear")
@click.argument("gtin")
@_warehouse
@user_option
@pass_opts
def clear(opts: Options, gtin: str, warehouse: str | None, user_id: int | None) -> None:
    """Remove a product's policy row. 删除商品的库存策略。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        brand = await ctx.brand(opts.brand)
        w = None if warehouse is None else await inv.warehouses.find(brand, warehouse)
        gone = await inv.alerts.clear(await acting(ctx, user_id), brand, gtin.strip(), w)
        click.echo("cleared / 已删除" if gone else "no such setting / 无此设置")

    with_context(opts, NAME, go)


@settings.command("show")
@click.option("--product", "gtin", help="GTIN. 商品条码。")
@_warehouse
@user_option
@_json
@pass_opts
def show(opts: Options, gtin: str | None, warehouse: str | None, user_id: int | None,
         as_json: bool) -> None:  # fmt: skip
    """The policies in scope (brand defaults and per warehouse). 查看库存策略。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        brand = await ctx.brand(opts.brand)
        w = None if warehouse is None else await inv.warehouses.find(brand, warehouse)
        who = await acting(ctx, user_id)
        found = await inv.alerts.settings(who, brand, gtin=gtin, warehouse=w)
        codes = {x.id: x.code for x in await inv.warehouses.in_scope(who, brand)}
        if as_json:
            echo_json([s.to_dict() for s in found])
            return
        click.echo("warehouse\tgtin\tsafety\treorder_point\treorder_qty\tlead\treview\tpack")
        for s in found:
            p = s.policy
            where = "default" if s.warehouse_id is None else codes.get(s.warehouse_id)
            click.echo(f"{where}\t{s.gtin}\t{p.safety_stock}\t"
                       f"{p.reorder_point}\t{p.reorder_qty}\t{p.lead_time_days}\t"
                       f"{p.review_days}\t{p.pack_size}")  # fmt: skip

    with_context(opts, NAME, go)


@stock.command("alerts")
@click.option("--open", "open_only", is_flag=True, help="Open ones only. 仅未关闭的。")
@_warehouse
@user_option
@_json
@pass_opts
def alerts(opts: Options, open_only: bool, warehouse: str | None, user_id: int | None,
           as_json: bool) -> None:  # fmt: skip
    """Low-stock alerts, newest first. 库存不足预警。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        brand = await ctx.brand(opts.brand)
        w = None if warehouse is None else await inv.warehouses.find(brand, warehouse)
        who = await acting(ctx, user_id)
        found = await inv.alerts.alerts(who, brand, open_only=open_only, warehouse=w)
        codes = {x.id: x.code for x in await inv.warehouses.in_scope(who, brand)}
        if as_json:
            echo_json([a.to_dict() for a in found])
            return
        for a in found:
            state = "OPEN"
            if a.closed_at is not None:
                state = f"closed {a.closed_at:%Y-%m-%d %H:%M} at {a.closed_level}"
            click.echo(f"{a.opened_at:%Y-%m-%d %H:%M}\t{codes.get(a.warehouse_id)}\t{a.gtin}\t"
                       f"{a.opened_level} < {a.safety_stock}\t{state}")  # fmt: skip

    with_context(opts, NAME, go)


@stock.command("replenish")
@_warehouse
@click.option("--product", "gtin", help="GTIN. 商品条码。")
@click.option(
    "--days",
    type=click.IntRange(1, 3660),
    default=DEFAULT_WINDOW_DAYS,
    show_default=True,
    help="Velocity window. 销售速度统计天数。",
)
@click.option(
    "--basis",
    type=click.Choice(BASES),
    default="outbound",
    show_default=True,
    help="Sales: the warehouse's outbound, or consumer scans. 销量依据。",
)
@click.option("--all", "show_all", is_flag=True, help="Also rows with nothing to order. 全部。")
@user_option
@_json
@pass_opts
def replenish(opts: Options, warehouse: str | None, gtin: str | None, days: int, basis: str,
              show_all: bool, user_id: int | None, as_json: bool) -> None:  # fmt: skip
    """Suggested replenishment with the numbers behind it. 补货建议及其计算依据。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        brand = await ctx.brand(opts.brand)
        w = None if warehouse is None else await inv.warehouses.find(brand, warehouse)
        request = PlanRequest(w, gtin, days, basis, only_needed=not show_all)
        rows = await inv.planning.plan(await acting(ctx, user_id), brand, request)
        lang = "zh" if (opts.lang or "").startswith("zh") else "en"
        if as_json:
            echo_json([r.to_dict(lang) for r in rows])
            return
        if not rows:
            click.echo("nothing to order / 无需补货")
        for r in rows:
            click.echo(f"{r.warehouse.code}\t{r.level.gtin}\torder {r.suggestion.quantity}")
            for line in r.suggestion.explain(lang):
                click.echo(f"  {line}")

    with_context(opts, NAME, go)

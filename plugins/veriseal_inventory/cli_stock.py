"""CLI of warehouses and stock by quantity.

::

    veriseal warehouses list | create CODE NAME [--org ID] [--address TEXT]
    veriseal warehouses locations WAREHOUSE | add-location WAREHOUSE CODE [--kind K]
    veriseal stock levels [--product G] [--warehouse W] [--json]
    veriseal stock balances WAREHOUSE [--product G] [--json]
    veriseal stock movements [--warehouse W] [--product G] [--document D] [--limit N]
    veriseal stock receive WAREHOUSE GTIN:QTY[:LOT] ... [--location L] [--document D]
                           [--reason R] [--at TIME] [--client-id X]
    veriseal stock issue WAREHOUSE GTIN:QTY[:LOT] ... (same options)
    veriseal stock transfer FROM TO GTIN:QTY[:LOT] ... [--to-location L]
    veriseal stock reservations REFERENCE | expire
    veriseal stock rebuild [--check]        # caches vs movements; exit 1 on a difference

Commands act as the local operator unless ``--user`` names a user."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_inventory.cli_common import NAME, acting, lines_of, user_option, when
from veriseal_inventory.models import LocationKind
from veriseal_inventory.rebuild import rebuild as rebuild_caches
from veriseal_inventory.service import of
from veriseal_inventory.stock import MoveRequest
from veriseal_inventory.stock_store import MovementQuery


@click.group()
def warehouses() -> None:
    """Warehouses and locations (inventory plugin). 仓库与库位。"""


@warehouses.command("list")
@user_option
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def list_warehouses(opts: Options, user_id: int | None, as_json: bool) -> None:
    """The warehouses in scope. 可见的仓库。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        found = await of(ctx).warehouses.in_scope(await acting(ctx, user_id), brand)
        if as_json:
            echo_json([w.to_dict() for w in found])
            return
        for w in found:
            click.echo(f"{w.code}\t{w.name}\torg {w.org_id}\t{'default' if w.is_default else ''}")

    with_context(opts, NAME, go)


@warehouses.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--org", "org_id", type=int, help="Owner organisation. 所属组织。")
@click.option("--address", default="", help="Address. 地址。")
@user_option
@pass_opts
def create(opts: Options, code: str, name: str, org_id: int | None, address: str,
           user_id: int | None) -> None:  # fmt: skip
    """Create a warehouse. 新建仓库。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        w = await of(ctx).warehouses.create(await acting(ctx, user_id), brand, code, name,
                                            org_id=org_id, address=address)  # fmt: skip
        click.echo(f"{w.code}\t{w.id}")

    with_context(opts, NAME, go)


@warehouses.command("locations")
@click.argument("warehouse")
@pass_opts
def locations(opts: Options, warehouse: str) -> None:
    """A warehouse's locations. 仓库的库位。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        w = await inv.warehouses.find(await ctx.brand(opts.brand), warehouse)
        for loc in await inv.warehouses.locations(w.id):
            click.echo(f"{loc.code}\t{loc.kind}\t{loc.id}")

    with_context(opts, NAME, go)


@warehouses.command("add-location")
@click.argument("warehouse")
@click.argument("code")
@click.option("--kind", type=click.Choice([k.value for k in LocationKind]), default="stock")
@user_option
@pass_opts
def add_location(opts: Options, warehouse: str, code: str, kind: str,
                 user_id: int | None) -> None:  # fmt: skip
    """Add a location. 新增库位。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        w = await inv.warehouses.find(await ctx.brand(opts.brand), warehouse)
        loc = await inv.warehouses.add_location(await acting(ctx, user_id), w, code,
                                                LocationKind(kind))  # fmt: skip
        click.echo(f"{loc.code}\t{loc.kind}\t{loc.id}")

    with_context(opts, NAME, go)


@click.group()
def stock() -> None:
    """Stock: levels, movements, receiving and issuing (inventory plugin). 库存。"""


@stock.command("levels")
@click.option("--product", "gtin", help="GTIN. 商品条码。")
@click.option("--warehouse", help="Warehouse code. 仓库编码。")
@user_option
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def levels(opts: Options, gtin: str | None, warehouse: str | None, user_id: int | None,
           as_json: bool) -> None:  # fmt: skip
    """Stock per warehouse and product. 各仓库商品库存。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        brand = await ctx.brand(opts.brand)
        w = None if warehouse is None else await inv.warehouses.find(brand, warehouse)
        found = await inv.stock.levels(await acting(ctx, user_id), brand, gtin=gtin,
                                       warehouse=w)  # fmt: skip
        if as_json:
            echo_json([lv.to_dict() for lv in found])
            return
        click.echo("warehouse\tgtin\tsellable\treserved\tavailable\tquarantine\trejected")
        for lv in found:
            click.echo(f"{lv.warehouse_id}\t{lv.gtin}\t{lv.sellable}\t{lv.reserved}\t"
                       f"{lv.available}\t{lv.quarantine}\t{lv.rejected}")  # fmt: skip

    with_context(opts, NAME, go)


@stock.command("balances")
@click.argument("warehouse")
@click.option("--product", "gtin")
@user_option
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def balances(opts: Options, warehouse: str, gtin: str | None, user_id: int | None,
             as_json: bool) -> None:  # fmt: skip
    """Stock per location and lot. 按库位与批次的库存。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        w = await inv.warehouses.find(await ctx.brand(opts.brand), warehouse)
        found = await inv.stock.balances(await acting(ctx, user_id), w, gtin)
        if as_json:
            echo_json([b.to_dict() for b in found])
            return
        for b in found:
            click.echo(f"{b.location_id}\t{b.gtin}\t{b.lot or '-'}\t{b.on_hand}\t{b.reserved}")

    with_context(opts, NAME, go)


@stock.command("movements")
@click.option("--warehouse")
@click.option("--product", "gtin")
@click.option("--document")
@click.option("--limit", type=click.IntRange(1, 1000), default=50)
@user_option
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def movements(opts: Options, warehouse: str | None, gtin: str | None, document: str | None,
              limit: int, user_id: int | None, as_json: bool) -> None:  # fmt: skip
    """Movements, newest first: when, what, how many, who, why. 出入库流水。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        brand = await ctx.brand(opts.brand)
        ids = None if warehouse is None else [(await inv.warehouses.find(brand, warehouse)).id]
        q = MovementQuery(ids, gtin, document, limit=limit)
        found = await inv.stock.movements(await acting(ctx, user_id), brand, q)
        if as_json:
            echo_json([m.to_dict() for m in found])
            return
        for m in found:
            click.echo(f"{m.at:%Y-%m-%d %H:%M}\t{m.kind}\twh {m.warehouse_id}\t{m.gtin}\t"
                       f"{m.lot or '-'}\t{m.quantity:+d}\t{m.actor}\t{m.document}\t"
                       f"{m.reason}")  # fmt: skip

    with_context(opts, NAME, go)


def _move_options(f: Callable[..., None]) -> Callable[..., None]:
    """The options of a movement by quantity, handed to ``f`` as one ``req``."""

    @functools.wraps(f)
    def wrapper(**kwargs: Any) -> None:
        req = MoveRequest(kwargs.pop("document"), kwargs.pop("reason"), when(kwargs.pop("at")),
                          kwargs.pop("client_id"), kwargs.pop("location"))  # fmt: skip
        f(req=req, **kwargs)

    for option in reversed([
        click.option("--location", help="Location code. 库位。"),
        click.option("--document", default="", help="Document number. 单据号。"),
        click.option("--reason", default="", help="Reason. 原因。"),
        click.option("--at", "at", help="Effective time (back-dating is limited). 业务时间。"),
        click.option("--client-id", help="Makes a retry safe. 重试安全标识。"),
        user_option,
    ]):  # fmt: skip
        wrapper = option(wrapper)
    return wrapper


def _done(ids: list[int]) -> None:
    click.echo(f"movements {' '.join(map(str, ids))}")


@stock.command("receive")
@click.argument("warehouse")
@click.argument("lines", nargs=-1, required=True)
@_move_options
@pass_opts
def receive(opts: Options, warehouse: str, lines: tuple[str, ...], req: MoveRequest,
            user_id: int | None) -> None:  # fmt: skip
    """Goods in by quantity. 按数量入库。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        w = await inv.warehouses.find(await ctx.brand(opts.brand), warehouse)
        _done(await inv.stock.receive(await acting(ctx, user_id), w, lines_of(lines), req))

    with_context(opts, NAME, go)


@stock.command("issue")
@click.argument("warehouse")
@click.argument("lines", nargs=-1, required=True)
@_move_options
@pass_opts
def issue(opts: Options, warehouse: str, lines: tuple[str, ...], req: MoveRequest,
          user_id: int | None) -> None:  # fmt: skip
    """Goods out by quantity (never below zero). 按数量出库（不会出现负库存）。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        w = await inv.warehouses.find(await ctx.brand(opts.brand), warehouse)
        _done(await inv.stock.issue(await acting(ctx, user_id), w, lines_of(lines), req))

    with_context(opts, NAME, go)


@stock.command("transfer")
@click.argument("source")
@click.argument("target")
@click.argument("lines", nargs=-1, required=True)
@click.option("--to-location", help="Target location code. 目标库位。")
@_move_options
@pass_opts
def transfer(opts: Options, source: str, target: str, lines: tuple[str, ...],
             to_location: str | None, req: MoveRequest, user_id: int | None) -> None:  # fmt: skip
    """Move goods between warehouses or locations. 移库。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        brand = await ctx.brand(opts.brand)
        src = await inv.warehouses.find(brand, source)
        dst = await inv.warehouses.find(brand, target)
        principal = await acting(ctx, user_id)
        _done(await inv.stock.transfer(principal, src, dst, lines_of(lines), req, to_location))

    with_context(opts, NAME, go)


@stock.command("reservations")
@click.argument("reference")
@pass_opts
def reservations(opts: Options, reference: str) -> None:
    """What a reference (an order number) holds. 订单预留的库存。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        for r in await of(ctx).reservations.held(brand.id, reference):
            click.echo(f"{r.gtin}\twh {r.warehouse_id}\t{r.remaining}/{r.quantity}\t"
                       f"{r.status}\t{r.expires_at:%Y-%m-%d %H:%M}")  # fmt: skip

    with_context(opts, NAME, go)


@stock.command("expire")
@pass_opts
def expire(opts: Options) -> None:
    """Release reservations past their expiry (what `veriseal serve` does each minute).
    释放已过期的预留。"""

    async def go(ctx: PluginContext) -> None:
        click.echo(f"released {await of(ctx).reservations.expire()} reservation(s)")

    with_context(opts, NAME, go)


@stock.command("rebuild")
@click.option("--check", "check_only", is_flag=True,
              help="Only report differences. 仅报告差异，不修改。")  # fmt: skip
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def rebuild(opts: Options, check_only: bool, as_json: bool) -> None:
    """Compare the cached balances with the movements (and repair them). 重建库存余额。"""

    async def go(ctx: PluginContext) -> int:
        diffs = await rebuild_caches(ctx, check_only=check_only)
        if as_json:
            echo_json([d.to_dict() for d in diffs])
        else:
            for d in diffs:
                click.echo(f"{d.table}\t{d.key}\tcached {d.cached}\tmovements say {d.truth}")
            verb = "found" if check_only else "repaired"
            click.echo(f"{len(diffs)} difference(s) {verb} / 差异 {len(diffs)} 处")
        return len(diffs)

    if with_context(opts, NAME, go) and check_only:
        raise SystemExit(1)

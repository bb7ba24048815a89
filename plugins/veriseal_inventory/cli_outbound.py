"""CLI of outbound sheets (出库单).

::

    veriseal outbound create WAREHOUSE GTIN:QTY[:LOT] ... (--to-org ID | --to NAME)
                             [--address A] [--contact C] [--note N]
    veriseal outbound list [--status S] [--json]
    veriseal outbound pick NUMBER [--json]          # the picking list
    veriseal outbound issue NUMBER [--handler NAME]
    veriseal outbound cancel NUMBER [--reason R]
    veriseal outbound pdf NUMBER [-o FILE]          # default: NUMBER.pdf
    veriseal outbound receive NUMBER                # the consignee's check-in

Commands act as the local operator unless ``--user`` names a user."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_inventory.cli_common import NAME, acting, lines_of, user_option
from veriseal_inventory.outbound import NewLine
from veriseal_inventory.outbound_store import Consignee, OutboundSheet
from veriseal_inventory.service import of


@click.group()
def outbound() -> None:
    """Outbound sheets: picking, issuing, PDF, check-in (inventory plugin). 出库单。"""


def _summary(s: OutboundSheet) -> str:
    units = sum(ln.quantity for ln in s.lines)
    return (f"{s.number}\t{s.status}\twarehouse {s.warehouse_id}\t{s.consignee.name}"
            f"\t{units or ''}{' received' if s.received_at else ''}")  # fmt: skip


def _consignee_options(f: Callable[..., None]) -> Callable[..., None]:
    """The consignee options, handed to ``f`` as one ``consignee``."""

    @functools.wraps(f)
    def wrapper(**kwargs: Any) -> None:
        c = Consignee(kwargs.pop("name"), kwargs.pop("address"), kwargs.pop("contact"),
                      kwargs.pop("org_id"))  # fmt: skip
        f(consignee=c, **kwargs)

    for option in reversed([
        click.option("--to-org", "org_id", type=int, help="Consignee organisation id. 收货组织。"),
        click.option("--to", "name", default="", help="Consignee name. 收货方名称。"),
        click.option("--address", default="", help="Consignee address. 收货地址。"),
        click.option("--contact", default="", help="Consignee contact. 联系人。"),
    ]):  # fmt: skip
        wrapper = option(wrapper)
    return wrapper


@outbound.command("create")
@click.argument("warehouse")
@click.argument("lines", nargs=-1, required=True)
@_consignee_options
@click.option("--note", default="", help="Note printed on the sheet. 备注。")
@user_option
@pass_opts
def create(opts: Options, warehouse: str, lines: tuple[str, ...], consignee: Consignee,
           note: str, user_id: int | None) -> None:  # fmt: skip
    """Create a sheet (status picking); prints its number. 新建出库单。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        brand = await ctx.brand(opts.brand)
        w = await inv.warehouses.find(brand, warehouse)
        wanted = [NewLine(x.gtin, x.quantity, x.lot) for x in lines_of(lines)]
        sheet = await inv.outbound.create(await acting(ctx, user_id), brand, w, consignee,
                                          wanted, note)  # fmt: skip
        click.echo(sheet.number)

    with_context(opts, NAME, go)


@outbound.command("list")
@click.option("--status", type=click.Choice(["picking", "issued", "cancelled"]))
@click.option("--limit", type=click.IntRange(1, 500), default=100)
@click.option("--json", "as_json", is_flag=True)
@user_option
@pass_opts
def list_sheets(opts: Options, status: str | None, limit: int, as_json: bool,
                user_id: int | None) -> None:  # fmt: skip
    """Sheets in scope, newest first. 出库单列表。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        found = await of(ctx).outbound.sheets(await acting(ctx, user_id), brand, status=status,
                                            limit=limit)  # fmt: skip
        if as_json:
            echo_json([s.to_dict() for s in found])
            return
        for s in found:
            click.echo(_summary(s))

    with_context(opts, NAME, go)


@outbound.command("pick")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
@user_option
@pass_opts
def pick(opts: Options, number: str, as_json: bool, user_id: int | None) -> None:
    """The picking list: location, lot, quantity per line. 拣货单。

    Exit status 1 when stock is short."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        sheet, plan = await of(ctx).outbound.picking(await acting(ctx, user_id), brand, number)
        if as_json:
            echo_json({**sheet.to_dict(), "picking": plan.to_dict()})
        else:
            click.echo(_summary(sheet))
            for p in plan.picks:
                click.echo(f"{p.line_no}\t{p.location_code}\t{p.gtin}\t{p.lot or '-'}"
                           f"\t{p.quantity}")  # fmt: skip
            for s in plan.shortages:
                click.echo(f"{s.line_no}\tSHORT 缺货\t{s.gtin}\t{s.lot or '-'}"
                           f"\t{s.found}/{s.wanted}")  # fmt: skip
        if plan.shortages:
            raise SystemExit(1)

    with_context(opts, NAME, go)


@outbound.command("issue")
@click.argument("number")
@click.option("--handler", help="Who hands the goods over (default: the user). 经办人。")
@user_option
@pass_opts
def issue(opts: Options, number: str, handler: str | None, user_id: int | None) -> None:
    """Issue: post the picking list as the outbound. 出库。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        s = await of(ctx).outbound.issue(await acting(ctx, user_id), brand, number, handler)
        click.echo(_summary(s))

    with_context(opts, NAME, go)


@outbound.command("cancel")
@click.argument("number")
@click.option("--reason", default="", help="Reason. 原因。")
@user_option
@pass_opts
def cancel(opts: Options, number: str, reason: str, user_id: int | None) -> None:
    """Cancel a sheet not yet issued. 作废出库单。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        s = await of(ctx).outbound.cancel(await acting(ctx, user_id), brand, number, reason)
        click.echo(_summary(s))

    with_context(opts, NAME, go)


@outbound.command("pdf")
@click.argument("number")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: NUMBER.pdf). 输出文件。")  # fmt: skip
@user_option
@pass_opts
def pdf(opts: Options, number: str, output: Path | None, user_id: int | None) -> None:
    """Write the issued sheet as PDF. 导出出库单 PDF。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        data = await of(ctx).outbound.pdf(await acting(ctx, user_id), brand, number)
        target = output or Path(f"{number.strip().upper()}.pdf")
        target.write_bytes(data)
        click.echo(f"{target}\t{len(data)} bytes")

    with_context(opts, NAME, go)


@outbound.command("receive")
@click.argument("number")
@user_option
@pass_opts
def receive(opts: Options, number: str, user_id: int | None) -> None:
    """The consignee checks the sheet in (the number or the scanned VSOUT:...).
    收货确认（单号或扫描内容）。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        s = await of(ctx).outbound.receive(await acting(ctx, user_id), brand, number)
        click.echo(f"{_summary(s)}\tinto warehouse {s.received_warehouse_id}")

    with_context(opts, NAME, go)

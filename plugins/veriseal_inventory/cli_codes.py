"""CLI of code-tracked stock (commands of the ``veriseal stock`` group).

::

    veriseal stock receive-codes WAREHOUSE CODE... [--file F] [--location L]
                                 [--document D] [--client-id X]
    veriseal stock issue-codes WAREHOUSE CODE... [--file F] [--document D] [--client-id X]
    veriseal stock where CODE [--json]
    veriseal stock code-alerts [--status open|closed] [--kind K] [--warehouse W] [--json]
    veriseal stock close-alert ID NOTE

CODE is an item code (URI, element string, serial) or a case or pallet SSCC
(``--file``: one per line; ``-`` reads standard input). Commands act as the local
operator unless ``--user`` names a user."""

from __future__ import annotations

from typing import IO

import click

from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_inventory.cli_common import NAME, acting, user_option
from veriseal_inventory.cli_stock import stock
from veriseal_inventory.service import of
from veriseal_inventory.units import CodeResult
from veriseal_inventory.units_store import AlertQuery


def _entries(codes: tuple[str, ...], file: IO[str] | None) -> list[str]:
    return [*codes, *(file.read().splitlines() if file is not None else [])]


def _done(r: CodeResult) -> None:
    seen = " (recorded before / 此前已记录)" if r.replayed else ""
    click.echo(f"{r.warehouse}\t{r.units} unit(s) / {r.units} 件\t{r.ranges}{seen}")
    click.echo(f"movements {' '.join(map(str, r.movement_ids))}")


_file = click.option("--file", type=click.File("r", encoding="utf-8"),
                     help="Codes, one per line ('-': stdin). 码文件，每行一个。")  # fmt: skip
_document = click.option("--document", default="", help="Document number. 单据号。")
_client = click.option("--client-id", help="Makes a retry safe. 重试安全标识。")


@stock.command("receive-codes")
@click.argument("warehouse")
@click.argument("codes", nargs=-1)
@_file
@click.option("--location", help="Location code (default: main). 库位（默认 main）。")
@_document
@_client
@user_option
@pass_opts
def receive_codes(opts: Options, warehouse: str, codes: tuple[str, ...], file: IO[str] | None,
                  location: str | None, document: str, client_id: str | None,
                  user_id: int | None) -> None:  # fmt: skip
    """Goods in by scanned codes (cases and pallets expand). 扫码入库（箱码、托盘码自动展开）。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        w = await inv.warehouses.find(await ctx.brand(opts.brand), warehouse)
        _done(await inv.units.receive_codes(await acting(ctx, user_id), w, _entries(codes, file),
                                            location=location, document=document,
                                            client_id=client_id))  # fmt: skip

    with_context(opts, NAME, go)


@stock.command("issue-codes")
@click.argument("warehouse")
@click.argument("codes", nargs=-1)
@_file
@_document
@_client
@user_option
@pass_opts
def issue_codes(opts: Options, warehouse: str, codes: tuple[str, ...], file: IO[str] | None,
                document: str, client_id: str | None, user_id: int | None) -> None:  # fmt: skip
    """Goods out by scanned codes (all must be in this warehouse). 扫码出库。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        w = await inv.warehouses.find(await ctx.brand(opts.brand), warehouse)
        _done(await inv.units.issue_codes(await acting(ctx, user_id), w, _entries(codes, file),
                                          document=document, client_id=client_id))  # fmt: skip

    with_context(opts, NAME, go)


@stock.command("where")
@click.argument("code")
@user_option
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def where(opts: Options, code: str, user_id: int | None, as_json: bool) -> None:
    """Which warehouse and location hold a code's units. 查询码所在仓库与库位。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        found = await of(ctx).units.where(await acting(ctx, user_id), brand, code)
        if as_json:
            echo_json(found.to_dict())
            return
        for h in found.held:
            place = f"{h['warehouse']}/{h['location']}" if h["warehouse"] else "(out of scope)"
            click.echo(f"{h['units']}\t{h['count']}\t{place}")
        if found.not_in_stock:
            click.echo(f"{found.not_in_stock}\tnot in stock / 不在库")

    with_context(opts, NAME, go)


@stock.command("code-alerts")
@click.option("--status", type=click.Choice(["open", "closed"]))
@click.option("--kind", type=click.Choice(["duplicate_code", "untracked_outbound"]))
@click.option("--warehouse", help="Warehouse code. 仓库编码。")
@click.option("--limit", type=click.IntRange(1, 500), default=100)
@user_option
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def code_alerts(opts: Options, status: str | None, kind: str | None, warehouse: str | None,
                limit: int, user_id: int | None, as_json: bool) -> None:  # fmt: skip
    """Duplicate codes and untracked outbound units, newest first. 库存码异常。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        brand = await ctx.brand(opts.brand)
        ids = None if warehouse is None else [(await inv.warehouses.find(brand, warehouse)).id]
        found = await inv.units.alerts(await acting(ctx, user_id), brand,
                                       AlertQuery(ids, status, kind, None, limit))  # fmt: skip
        if as_json:
            echo_json([a.to_dict() for a in found])
            return
        for a in found:
            click.echo(f"{a.id}\t{a.at:%Y-%m-%d %H:%M}\t{a.kind}\t{a.units}\t"
                       f"wh {a.warehouse_id}\theld {a.held_warehouse_id or '-'}\t"
                       f"{a.document}\t{a.status}")  # fmt: skip

    with_context(opts, NAME, go)


@stock.command("close-alert")
@click.argument("alert_id", type=int)
@click.argument("note")
@user_option
@pass_opts
def close_alert(opts: Options, alert_id: int, note: str, user_id: int | None) -> None:
    """Close a code alert, saying what was found. 关闭库存码异常并说明结果。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        a = await of(ctx).units.close_alert(await acting(ctx, user_id), brand, alert_id, note)
        click.echo(f"{a.id}\t{a.status}")

    with_context(opts, NAME, go)

"""CLI of stocktakes (盘点).

::

    veriseal stocktake open WAREHOUSE [--mode system|physical] [--blind]
                            [--location L ...] [--product GTIN ...]
    veriseal stocktake count ID GTIN:QTY[:LOT] ... [--location L]   # 0 is a count
    veriseal stocktake scan ID CODE ... [--file F] [--location L]  # items, cases, pallets
    veriseal stocktake show ID [--json]
    veriseal stocktake submit ID --reason R [--cost GTIN:FEN ...]
    veriseal stocktake approve ID [--note N]        # someone other than the proposer
    veriseal stocktake reject ID --reason R
    veriseal stocktake cancel ID | close ID
    veriseal stocktake list [--warehouse W] [--status S] [--json]

Commands act as the local operator unless ``--user`` names a user; the local operator
cannot approve a count it proposed itself (maker-checker needs two people)."""

from __future__ import annotations

from pathlib import Path

import click

from veriseal import InvalidInput
from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_inventory.cli_common import NAME, acting, lines_of, user_option
from veriseal_inventory.count_states import CountAction, CountStatus
from veriseal_inventory.service import of
from veriseal_inventory.stocktake_models import CountLine, CountMode, StocktakeView


@click.group()
def stocktake() -> None:
    """Stocktakes: count, propose, approve (inventory plugin). 盘点。"""


def _echo(view: StocktakeView, as_json: bool) -> None:
    body = view.to_dict()
    if as_json:
        echo_json(body)
        return
    st, summary = body["stocktake"], body["summary"]
    click.echo(f"{st['number']}\t{st['status']}\t{st['mode']}{' blind' if st['blind'] else ''}"
               f"\twarehouse {st['warehouse_id']}")  # fmt: skip
    click.echo("\t".join(f"{k} {v}" for k, v in summary.items()))
    for ln in body["lines"]:
        cells = [ln["location"], ln["gtin"], ln["lot"] or "-",
                 f"counted {'-' if ln['counted'] is None else ln['counted']}"]  # fmt: skip
        if "expected_now" in ln:  # left out of a blind count for counters
            cells += [f"expected {ln['expected_now']}", f"diff {ln['difference']}"]
        if ln["outdated"]:
            cells.append("outdated")
        click.echo("\t".join(cells))


@stocktake.command("open")
@click.argument("warehouse")
@click.option(
    "--mode",
    type=click.Choice([m.value for m in CountMode]),
    default="system",
    help="system: list expected lines; physical: record what is found.",
)
@click.option("--blind", is_flag=True, help="Hide expected quantities from counters. 盲盘。")
@click.option("--location", "locations", multiple=True, help="Only this location. 仅此库位。")
@click.option("--product", "gtins", multiple=True, help="Only this GTIN. 仅此商品。")
@user_option
@pass_opts
def open_count(opts: Options, warehouse: str, mode: str, blind: bool,
               locations: tuple[str, ...], gtins: tuple[str, ...],
               user_id: int | None) -> None:  # fmt: skip
    """Open a count: expected quantities are frozen now. 开始盘点。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        w = await inv.warehouses.find(await ctx.brand(opts.brand), warehouse)
        st = await inv.counts.open(await acting(ctx, user_id), w, mode=CountMode(mode),
                                   blind=blind, locations=locations, gtins=gtins)  # fmt: skip
        click.echo(f"{st.id}\t{st.number}\t{st.status}")

    with_context(opts, NAME, go)


@stocktake.command("count")
@click.argument("count_id", type=int)
@click.argument("lines", nargs=-1)
@click.option("--location", help="Where these were counted (default: main stock). 库位。")
@user_option
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def count(opts: Options, count_id: int, lines: tuple[str, ...], location: str | None,
          user_id: int | None, as_json: bool) -> None:  # fmt: skip
    """Record counted quantities GTIN:QTY[:LOT]. 录入盘点数量。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        found = [CountLine(x.gtin, x.quantity, x.lot, location) for x in lines_of(lines)]
        _echo(await of(ctx).counts.count(await acting(ctx, user_id), brand, count_id, found),
              as_json)  # fmt: skip

    with_context(opts, NAME, go)


@stocktake.command("scan")
@click.argument("count_id", type=int)
@click.argument("codes", nargs=-1)
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Codes, one per line. 每行一个码。",
)
@click.option("--location", help="Where they were scanned (default: main stock). 库位。")
@user_option
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def scan(opts: Options, count_id: int, codes: tuple[str, ...], file: Path | None,
         location: str | None, user_id: int | None, as_json: bool) -> None:  # fmt: skip
    """Count scanned item, case or pallet codes. 扫码盘点。"""
    texts = list(codes) + (file.read_text(encoding="utf-8").splitlines() if file else [])

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        got = await of(ctx).counts.count_codes(await acting(ctx, user_id), brand, count_id,
                                               texts, location)  # fmt: skip
        if not as_json:
            click.echo(f"added {got.added}\trepeated {got.repeated}")
        _echo(got.view, as_json)

    with_context(opts, NAME, go)


@stocktake.command("show")
@click.argument("count_id", type=int)
@user_option
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def show(opts: Options, count_id: int, user_id: int | None, as_json: bool) -> None:
    """A count's lines and variance. 查看盘点单。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        _echo(await of(ctx).counts.show(await acting(ctx, user_id), brand, count_id), as_json)

    with_context(opts, NAME, go)


def _costs(texts: tuple[str, ...]) -> dict[str, int]:
    out = {}
    for text in texts:
        gtin, _, fen = text.partition(":")
        if not fen.isdigit() or len(fen) > 11:
            raise InvalidInput(f"{text!r}: a cost is GTIN:FEN (fen, a whole number)")
        out[gtin.strip()] = int(fen)
    return out


@stocktake.command("submit")
@click.argument("count_id", type=int)
@click.option("--reason", required=True, help="Why stock differs. 差异原因。")
@click.option("--cost", "costs", multiple=True, help="GTIN:FEN unit cost. 单位成本（分）。")
@user_option
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def submit(opts: Options, count_id: int, reason: str, costs: tuple[str, ...],
           user_id: int | None, as_json: bool) -> None:  # fmt: skip
    """Propose the variance for approval. 提交盘点差异待审核。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        view = await of(ctx).counts.submit(await acting(ctx, user_id), brand, count_id,
                                           reason, _costs(costs))  # fmt: skip
        _echo(view, as_json)

    with_context(opts, NAME, go)


@stocktake.command("approve")
@click.argument("count_id", type=int)
@click.option("--note", default="", help="A note. 备注。")
@user_option
@pass_opts
def approve(opts: Options, count_id: int, note: str, user_id: int | None) -> None:
    """Apply the variance (someone other than the proposer). 审核通过并调整库存。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        view = await of(ctx).counts.approve(await acting(ctx, user_id), brand, count_id, note)
        click.echo(f"{view.stocktake.number}\t{view.stocktake.status}\t"
                   f"{view.stocktake.movements} adjustment(s)")  # fmt: skip

    with_context(opts, NAME, go)


@stocktake.command("reject")
@click.argument("count_id", type=int)
@click.option("--reason", required=True, help="Why. 驳回原因。")
@user_option
@pass_opts
def reject(opts: Options, count_id: int, reason: str, user_id: int | None) -> None:
    """Refuse the variance: back to counting. 驳回。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        view = await of(ctx).counts.reject(await acting(ctx, user_id), brand, count_id, reason)
        click.echo(f"{view.stocktake.number}\t{view.stocktake.status}")

    with_context(opts, NAME, go)


def _ender(action: CountAction, doc: str) -> click.Command:
    @click.argument("count_id", type=int)
    @user_option
    @pass_opts
    def command(opts: Options, count_id: int, user_id: int | None) -> None:
        async def go(ctx: PluginContext) -> None:
            brand = await ctx.brand(opts.brand)
            st = await of(ctx).counts.end(await acting(ctx, user_id), brand, count_id, action)
            click.echo(f"{st.number}\t{st.status}")

        with_context(opts, NAME, go)

    command.__doc__ = doc
    return stocktake.command(str(action))(command)


_ender(CountAction.CANCEL, "Cancel a count not yet submitted. 取消盘点。")
_ender(CountAction.CLOSE, "Close a rejected count. 关闭被驳回的盘点。")


@stocktake.command("list")
@click.option("--warehouse")
@click.option("--status", type=click.Choice([s.value for s in CountStatus]))
@user_option
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def list_counts(opts: Options, warehouse: str | None, status: str | None, user_id: int | None,
                as_json: bool) -> None:  # fmt: skip
    """Stocktakes, newest first. 盘点单列表。"""

    async def go(ctx: PluginContext) -> None:
        inv = of(ctx)
        brand = await ctx.brand(opts.brand)
        w = None if warehouse is None else await inv.warehouses.find(brand, warehouse)
        wanted = None if status is None else CountStatus(status)
        found = await inv.counts.listed(await acting(ctx, user_id), brand, warehouse=w,
                                        status=wanted)  # fmt: skip
        if as_json:
            echo_json([s.to_dict() for s in found])
            return
        for s in found:
            click.echo(f"{s.id}\t{s.number}\t{s.status}\twarehouse {s.warehouse_id}\t"
                       f"{s.opened_at:%Y-%m-%d %H:%M}\t{s.reason}")  # fmt: skip

    with_context(opts, NAME, go)

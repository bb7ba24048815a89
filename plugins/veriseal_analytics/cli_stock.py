"""``veriseal report stock``: stock-movement statistics from the shell (added to the
``report`` group by :func:`register`).

::

    veriseal report stock [--period 30d] [--compare previous|year|none]
                          [--by product|warehouse|category|trend] [--top 10] [--json]
    veriseal report stock-rebuild [--check] [--json]  # stock rollups against inventory

Without ``--by``: units received, returned, shipped, adjusted, transferred, in, out and
the net change, with the change against the compared period."""

from __future__ import annotations

import sys
from typing import Any

import click

from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_analytics.cli_report import (
    NAME,
    compare_option,
    json_option,
    pct,
    period_option,
    top_option,
    user_option,
    zh,
)
from veriseal_analytics.periods import Compare
from veriseal_analytics.permissions import ANALYTICS_MANAGE
from veriseal_analytics.service import period_in
from veriseal_analytics.stock_booking import FIGURES
from veriseal_analytics.stock_rebuild import rebuild
from veriseal_analytics.stock_stats import StockBy, StockRanking, stock_stats

BY = ("product", "warehouse", "category", "trend")
#: each figure's name (English, Chinese)
NAMES: dict[str, tuple[str, str]] = {
    "received": ("Received", "入库"), "returned": ("Returned", "退货入库"),
    "shipped": ("Shipped", "出库"), "adjusted_in": ("Adjusted in", "调增"),
    "adjusted_out": ("Adjusted out / scrapped", "调减/报废"),
    "transferred_in": ("Transferred in", "调入"),
    "transferred_out": ("Transferred out", "调出"),
    "units_in": ("Units in", "进"), "units_out": ("Units out", "出"),
    "net": ("Net change", "净变化"),
}  # fmt: skip


def _summary(got: dict[str, Any], cn: bool) -> None:
    ch = got.get("change", {})
    click.echo(f"{got['period']['from']} .. {got['period']['to']}")
    for f in FIGURES:
        label = NAMES[f][1 if cn else 0]
        click.echo(f"  {label:<24}{got[f]:>14,}   {pct(ch.get(f)) if ch else ''}")


def _table(rows: list[dict[str, Any]], first: str, cn: bool) -> None:
    cols = ("received", "shipped", "units_in", "units_out", "net")
    click.echo(f"{'':<30}" + "".join(f"{NAMES[c][1 if cn else 0][:11]:>12}" for c in cols))
    for r in rows:
        click.echo(f"{str(r.get(first) or '-')[:30]:<30}"
                   + "".join(f"{r[c]:>12,}" for c in cols))  # fmt: skip


@click.command("stock")
@period_option
@compare_option
@click.option("--by", "by", type=click.Choice(BY), default=None,
              help="A ranking or the trend per day. 分组维度或每日趋势。")  # fmt: skip
@top_option
@user_option
@json_option
@pass_opts
def stock(
    opts: Options, period: str, compare: Compare, by: str | None, top: int,
    user_id: int | None, as_json: bool,
) -> None:  # fmt: skip
    """Stock movements: received, shipped, adjusted, transferred, net change.
    库存变动：入库、出库、调整、调拨与净变化。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        who = await ctx.acting(user_id)
        stats, p, cn = stock_stats(ctx), period_in(ctx, period), zh(opts)
        got: Any
        if by is None:
            got = await stats.summary(who, brand, p, compare)
        elif by == "trend":
            got = await stats.trend(who, brand, p)
        else:
            ranked: StockBy = by  # type: ignore[assignment]  # one of BY's rankings
            got = await stats.ranking(who, brand, StockRanking(ranked, p, top, compare,
                                                               "zh" if cn else "en"))  # fmt: skip
        if as_json:
            echo_json(got)
        elif by is None:
            _summary(got, cn)
        else:
            _table(got, "bucket" if by == "trend" else "label", cn)

    with_context(opts, NAME, go)


@click.command("stock-rebuild")
@click.option("--check", is_flag=True, help="Only report differences (exit 1 if any). 只检查。")
@user_option
@json_option
@pass_opts
def stock_rebuild(opts: Options, check: bool, user_id: int | None, as_json: bool) -> None:
    """Check the stock rollups against inventory's posts, and repair them.
    核对并修复库存变动汇总。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        ctx.require(await ctx.acting(user_id), ANALYTICS_MANAGE, brand_id=brand.id)

        def progress(what: str, n: int) -> None:
            click.echo(f"  {what}: {n:,}", err=True)

        got = await rebuild(ctx, brand, repair=not check, progress=progress)
        if as_json:
            echo_json(got.to_dict())
        else:
            cn = zh(opts)
            click.echo(f"库存过账 {got.posts:,}；未入账 {len(got.missing):,}；来源不明"
                       f" {len(got.unknown):,}；汇总行 {got.cube_rows:,}；不一致"
                       f" {got.difference_count:,}" if cn else
                       f"{got.posts:,} stock posts; {len(got.missing):,} not booked;"
                       f" {len(got.unknown):,} unknown; {got.cube_rows:,} rollup rows;"
                       f" {got.difference_count:,} differing")  # fmt: skip
            if got.repaired:
                click.echo("已修复。" if cn else "Repaired.")
        if check and not got.clean:
            sys.exit(1)

    with_context(opts, NAME, go)


def register(group: click.Group) -> None:
    """Add ``stock`` and ``stock-rebuild`` to the ``report`` group."""
    group.add_command(stock)
    group.add_command(stock_rebuild)

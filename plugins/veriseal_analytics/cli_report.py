"""``veriseal report ...``: sales statistics and the rollups' upkeep from the shell.

::

    veriseal report sales [--period 30d] [--compare previous|year|none] [--json]
    veriseal report top product|category|dealer|province|city|city_dealer|channel
                        [--period 30d] [--top 10] [--order revenue|units|orders]
                        [--within CODE] [--json]
    veriseal report trend [--period 90d] [--step day|week|month] [--json]
    veriseal report rebuild [--check] [--json]   # rollups against commerce's records

Periods: ``30d``, ``mtd``, ``ytd``, ``2026-11``, ``2026``, ``2026-11-01..2026-11-30``
(days in ``[plugins.analytics] tz``). Commands act as the local operator unless
``--user`` names a user."""

from __future__ import annotations

import sys
from typing import get_args

import click

from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_analytics.periods import Compare, Step
from veriseal_analytics.permissions import ANALYTICS_MANAGE
from veriseal_analytics.rebuild import rebuild as run_rebuild
from veriseal_analytics.sales import By, Metric, Ranking
from veriseal_analytics.service import of, period_in
from veriseal_analytics.suggest import evaluation, of_engine

NAME = "analytics"
user_option = click.option(
    "--user", "user_id", type=int,
    help="Act as this user (default: the local operator). 以该用户身份操作（默认本机管理员）。",
)  # fmt: skip
json_option = click.option("--json", "as_json", is_flag=True, help="As JSON. 以 JSON 输出。")
period_option = click.option(
    "--period", default="30d", show_default=True,
    help="30d, mtd, ytd, 2026-11, 2026 or FROM..TO. 统计周期。")  # fmt: skip


compare_option = click.option(
    "--compare", type=click.Choice(["previous", "year", "none"]), default="previous",
    show_default=True, help="Compared with. 对比周期。")  # fmt: skip
top_option = click.option("--top", "top", type=click.IntRange(1, 1000), default=10,
                          show_default=True)  # fmt: skip


def zh(opts: Options) -> bool:
    return (opts.lang or "").lower().startswith("zh")


def money(v: float | None) -> str:
    return "-" if v is None else f"{v / 100:,.2f}"


def pct(v: float | None) -> str:
    return "-" if v is None else f"{v:+.1%}"


@click.group("report")
def report() -> None:
    """Sales statistics and reports. 销售统计与报表。"""


@report.command("sales")
@period_option
@compare_option
@user_option
@json_option
@pass_opts
def sales(opts: Options, period: str, compare: Compare, user_id: int | None, as_json: bool) -> None:
    """Revenue, units, orders, average order value, return rate.
    销售额、销量、订单数、客单价、退货率。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        who = await ctx.acting(user_id)
        got = await of(ctx).sales.summary(who, brand, period_in(ctx, period), compare)
        if as_json:
            echo_json(got)
            return
        cn = zh(opts)
        ch = got.get("change", {})
        click.echo(f"{got['period']['from']} .. {got['period']['to']}")
        rows = [("Revenue", "销售额", money(got["revenue"]), ch.get("revenue")),
                ("Units", "销量", f"{got['units']:,}", ch.get("units")),
                ("Orders", "订单数", f"{got['orders']:,}", ch.get("orders")),
                ("Average order", "客单价", money(got["aov"]), ch.get("aov")),
                ("Return rate", "退货率", "-" if got["return_rate"] is None
                 else f"{got['return_rate']:.2%}", ch.get("return_rate"))]  # fmt: skip
        for en, cn_, value, delta in rows:
            click.echo(
                f"  {(cn_ if cn else en):<14}{value:>16}   {pct(delta) if 'change' in got else ''}"
            )

    with_context(opts, NAME, go)


@report.command("top")
@click.argument("by", type=click.Choice(list(get_args(By))))
@period_option
@top_option
@click.option("--order", type=click.Choice(["revenue", "units", "orders"]), default="revenue",
              show_default=True)  # fmt: skip
@click.option("--within", help="Drill down: a province (city) or a city (city_dealer). 下钻范围。")
@compare_option
@user_option
@json_option
@pass_opts
def top(  # noqa: PLR0913 - one parameter per option
    opts: Options, by: By, period: str, top: int, order: Metric, within: str | None,
    compare: Compare, user_id: int | None, as_json: bool,
) -> None:  # fmt: skip
    """A ranking with period-over-period change. 排行榜（含环比/同比）。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        lang = "zh" if zh(opts) else "en"
        q = Ranking(by, period_in(ctx, period), top, compare, order, within, lang)
        found = await of(ctx).sales.ranking(await ctx.acting(user_id), brand, q)
        if as_json:
            echo_json([r.to_dict() for r in found])
            return
        for i, r in enumerate(found, 1):
            d = r.to_dict()
            delta = pct(d["change"][order]) if "change" in d else ""
            click.echo(f"{i:>3}. {r.label[:30]:<30} {money(d['revenue']):>16} {d['units']:>10,}"
                       f" {d['orders']:>8,}  {delta}")  # fmt: skip

    with_context(opts, NAME, go)


@report.command("trend")
@click.option("--period", default="90d", show_default=True, help="As for sales. 统计周期。")
@click.option("--step", type=click.Choice(["day", "week", "month"]), default="day",
              show_default=True)  # fmt: skip
@user_option
@json_option
@pass_opts
def trend(opts: Options, period: str, step: Step, user_id: int | None, as_json: bool) -> None:
    """Revenue, units and orders per day, week or month. 销售趋势。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        who = await ctx.acting(user_id)
        rows = await of(ctx).sales.trend(who, brand, period_in(ctx, period), step)
        if as_json:
            echo_json(rows)
            return
        for r in rows:
            click.echo(
                f"{r['bucket']:<12}{money(r['revenue']):>16}{r['units']:>10,}{r['orders']:>8,}"
            )

    with_context(opts, NAME, go)


@report.command("rebuild")
@click.option("--check", is_flag=True, help="Only report differences (exit 1 if any). 只检查。")
@user_option
@json_option
@pass_opts
def rebuild(opts: Options, check: bool, user_id: int | None, as_json: bool) -> None:
    """Check the rollups against commerce's orders and returns, and repair them.
    核对汇总数据与订单、退货记录，并修复。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        ctx.require(await ctx.acting(user_id), ANALYTICS_MANAGE, brand_id=brand.id)

        def progress(what: str, n: int) -> None:
            click.echo(f"  {what}: {n:,}", err=True)

        got = await run_rebuild(ctx, brand, repair=not check, progress=progress)
        if as_json:
            echo_json(got.to_dict())
        else:
            cn = zh(opts)
            click.echo((f"汇总行 {got.cube_rows:,}；未入账 {len(got.missing):,}；来源不明"
                        f" {len(got.unknown):,}；不一致 {got.difference_count:,}") if cn else
                       (f"{got.cube_rows:,} rollup rows; {len(got.missing):,} not booked;"
                        f" {len(got.unknown):,} unknown to commerce;"
                        f" {got.difference_count:,} differing"))  # fmt: skip
            if got.repaired:
                click.echo("已修复。" if cn else "Repaired.")
        if check and not got.clean:
            sys.exit(1)

    with_context(opts, NAME, go)


@report.command("suggest")
@click.option(
    "--dealer",
    "dealer",
    type=int,
    required=True,
    help="The dealer's organisation id. 经销商机构 ID。",
)
@click.option("-k", "k", type=click.IntRange(1, 100), default=10, show_default=True)
@user_option
@json_option
@pass_opts
def suggest(opts: Options, dealer: int, k: int, user_id: int | None, as_json: bool) -> None:
    """Products a dealer is likely to order next. 经销商可能下次订购的商品。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        rows = await of_engine(ctx).for_dealer(await ctx.acting(user_id), brand, dealer, k)
        if as_json:
            echo_json(rows)
            return
        cn = zh(opts)
        for i, r in enumerate(rows, 1):
            why = r["reason_zh"] if cn else r["reason_en"]
            click.echo(f"{i:>3}. {r['gtin']}  {r['name'][:30]:<30} {why}")

    with_context(opts, NAME, go)


@report.command("evaluate")
@click.option("-k", "k", type=click.IntRange(1, 100), default=10, show_default=True)
@user_option
@json_option
@pass_opts
def evaluate(opts: Options, k: int, user_id: int | None, as_json: bool) -> None:
    """The suggestions against popularity on each dealer's latest order held out.
    推荐效果离线评估（对比热销基线）。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        got = evaluation(await of_engine(ctx).evaluate(await ctx.acting(user_id), brand, k))
        if as_json:
            echo_json(got)
            return
        click.echo(f"dealers {got['dealers']:,}, training lines {got['train_lines']:,}, k={k}")
        for name in ("recommender", "baseline", "ratio"):
            s = got[name]
            click.echo(f"  {name:<12} hit-rate {s['hit_rate']:.3f}  MAP {s['map']:.3f}"
                       f"  precision {s['precision']:.3f}  NDCG {s['ndcg']:.3f}")  # fmt: skip

    with_context(opts, NAME, go)

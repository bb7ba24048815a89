"""``veriseal report scans``: scan statistics from the shell (added to the ``report``
group by :func:`register`).

::

    veriseal report scans [--period 30d] [--compare previous|year|none]
                          [--by hour|province|city|product|outcome|trend|delay]
                          [--top 10] [--json]
    veriseal report scans-rebuild [--check] [--json]  # scan rollups against the scans

Without ``--by``: scans, first scans, repeat-scan and clone-suspect rates. ``--by
delay``: days from shipment to first scan per product (median, p90)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
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
from veriseal_analytics.scan_rebuild import rebuild
from veriseal_analytics.scan_stats import ScanBy, ScanRanking, scan_stats
from veriseal_analytics.service import period_in

BY = ("hour", "province", "city", "product", "outcome", "trend", "delay")


def _rate(v: float | None) -> str:
    return "-" if v is None else f"{v:.2%}"


def _days(v: float | None) -> str:
    return "-" if v is None else f"{v:g}"


def _summary(got: dict[str, Any], cn: bool) -> None:
    ch = got.get("change", {})
    click.echo(f"{got['period']['from']} .. {got['period']['to']}")
    rows = [("Scans", "扫码次数", f"{got['scans']:,}", ch.get("scans")),
            ("First scans", "首次扫码", f"{got['first_scans']:,}", ch.get("first_scans")),
            ("Repeat-scan rate", "重复扫码率", _rate(got["repeat_rate"]), ch.get("repeat_rate")),
            ("Clone-suspect rate", "疑似克隆率", _rate(got["clone_rate"]),
             ch.get("clone_rate"))]  # fmt: skip
    for en, cn_, value, delta in rows:
        click.echo(f"  {(cn_ if cn else en):<20}{value:>14}   {pct(delta) if ch else ''}")


async def _fetch(ctx: PluginContext, opts: Options, q: _Ask) -> Any:
    brand = await ctx.brand(opts.brand)
    who = await ctx.acting(q.user_id)
    stats, p = scan_stats(ctx), period_in(ctx, q.period)
    lang = "zh" if zh(opts) else "en"
    if q.by is None:
        return await stats.summary(who, brand, p, q.compare)
    if q.by == "trend":
        return await stats.trend(who, brand, p)
    if q.by == "delay":
        return await stats.delay(who, brand, p, lang)
    by: ScanBy = q.by  # type: ignore[assignment]  # one of BY's rankings
    return await stats.ranking(who, brand, ScanRanking(by, p, q.top, q.compare, lang))


def _print(by: str | None, got: Any, cn: bool) -> None:
    if by is None:
        _summary(got, cn)
    elif by == "trend":
        for r in got:
            click.echo(f"{r['bucket']:<12}{r['scans']:>10,}{r['first_scans']:>10,}"
                       f"{_rate(r['clone_rate']):>10}")  # fmt: skip
    elif by == "delay":
        head = ("商品", "件数", "中位天数", "P90天数") if cn else ("Product", "Units", "Median",
                                                              "P90")  # fmt: skip
        click.echo(f"{head[0]:<30}{head[1]:>10}{head[2]:>8}{head[3]:>8}")
        for r in [{"label": "全部" if cn else "All", **got["all"]}, *got["products"]]:
            click.echo(f"{r['label'][:30]:<30}{r['units']:>10,}{_days(r['median']):>8}"
                       f"{_days(r['p90']):>8}")  # fmt: skip
    else:
        cols = ("扫码次数", "重复率", "疑似克隆") if cn else ("Scans", "Repeat", "Clone")
        click.echo(f"{'':<30}{cols[0]:>10}{cols[1]:>10}{cols[2]:>10}")
        for r in got:
            rates = f"{_rate(r['repeat_rate']):>10}{_rate(r['clone_rate']):>10}"
            click.echo(f"{(r['label'] or '-')[:30]:<30}{r['scans']:>10,}{rates}")


@dataclass(frozen=True, slots=True)
class _Ask:
    period: str
    compare: Compare
    by: str | None
    top: int
    user_id: int | None


@click.command("scans")
@period_option
@compare_option
@click.option("--by", "by", type=click.Choice(BY), default=None,
              help="A ranking, the trend or the first-scan delay. 分组维度。")  # fmt: skip
@top_option
@user_option
@json_option
@pass_opts
def scans(
    opts: Options, period: str, compare: Compare, by: str | None, top: int,
    user_id: int | None, as_json: bool,
) -> None:  # fmt: skip
    """Scans by hour, region, product and verdict; repeat and clone rates; delay.
    扫码分析：时段、地区、商品、验证结果、重复与疑似克隆比率、首扫时滞。"""

    async def go(ctx: PluginContext) -> None:
        got = await _fetch(ctx, opts, _Ask(period, compare, by, top, user_id))
        if as_json:
            echo_json(got)
        else:
            _print(by, got, zh(opts))

    with_context(opts, NAME, go)


@click.command("scans-rebuild")
@click.option("--check", is_flag=True, help="Only report differences (exit 1 if any). 只检查。")
@user_option
@json_option
@pass_opts
def scans_rebuild(opts: Options, check: bool, user_id: int | None, as_json: bool) -> None:
    """Check the scan rollups against the scans, and repair them. 核对并修复扫码汇总。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        ctx.require(await ctx.acting(user_id), ANALYTICS_MANAGE, brand_id=brand.id)

        def progress(what: str, n: int) -> None:
            click.echo(f"  {what}: {n:,}", err=True)

        got = await rebuild(ctx, brand, repair_it=not check, progress=progress)
        if as_json:
            echo_json(got.to_dict())
        else:
            cn = zh(opts)
            click.echo(f"扫码 {got.scans:,}；汇总行 {got.cube_rows:,}；不一致"
                       f" {got.difference_count:,}" if cn else
                       f"{got.scans:,} scans; {got.cube_rows:,} rollup rows;"
                       f" {got.difference_count:,} differing")  # fmt: skip
            if got.repaired:
                click.echo("已修复。" if cn else "Repaired.")
        if check and not got.clean:
            sys.exit(1)

    with_context(opts, NAME, go)


def register(group: click.Group) -> None:
    """Add ``scans`` and ``scans-rebuild`` to the ``report`` group."""
    group.add_command(scans)
    group.add_command(scans_rebuild)

"""``veriseal report run|export|market-import|market|trends|management``: custom reports,
their exports, market data and the management report from the shell.

::

    veriseal report run SPEC.json [--json]                 # a definition, shown
    veriseal report export SPEC.json -o FILE.csv|xlsx|pdf  # written here, with progress
    veriseal report market-import FILE.csv                 # all or nothing
    veriseal report market --metric competitor_price [--json]
    veriseal report trends [--source sales|scans] [--region CN-GD] [--period 365d] [--json]
    veriseal report management -o REPORT.pdf [--period 90d]

A definition is JSON: ``{"measures": ["revenue", "units"], "dimensions": ["month",
"province"], "period": "ytd", "compare": "year", "filters": {"product": ["0950..."]},
"sort": "revenue", "limit": 100, "detail": false}`` (docs/analytics.md)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import click

from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_analytics import management
from veriseal_analytics.cli_report import NAME, json_option, period_option, user_option, zh
from veriseal_analytics.export_files import write_csv, write_xlsx
from veriseal_analytics.market import Market
from veriseal_analytics.market_data import Metric
from veriseal_analytics.periods import Period
from veriseal_analytics.permissions import ANALYTICS_EXPORT
from veriseal_analytics.report_pdf import ReportSection, write_pdf
from veriseal_analytics.reports import DETAIL_COLUMNS, ReportSpec, columns, spec_of
from veriseal_analytics.service import of, period_in


def _spec_file(path: Path) -> Any:
    return spec_of(path.read_bytes())


def register(group: click.Group) -> None:
    """Add the commands to ``veriseal report``."""
    for command in (run, export, market_import, market, trends, management_pdf):
        group.add_command(command)


@click.command("run")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@user_option
@json_option
@pass_opts
def run(opts: Options, spec: Path, user_id: int | None, as_json: bool) -> None:
    """Run a report definition (JSON). 运行自定义报表。"""

    async def go(ctx: PluginContext) -> None:
        s = _spec_file(spec)
        brand = await ctx.brand(opts.brand)
        period = period_in(ctx, s.period)
        lang = "zh" if zh(opts) else "en"
        rows = await of(ctx).reports.run(await ctx.acting(user_id), brand, s, period, lang,
                                         limit=s.limit)  # fmt: skip
        show_rows(s, period, rows, lang, as_json)

    with_context(opts, NAME, go)


def show_rows(spec: ReportSpec, period: Period, rows: list[dict[str, Any]], lang: str,
              as_json: bool) -> None:  # fmt: skip
    """A report's rows as JSON, or as a tab-separated table with its headings."""
    if as_json:
        echo_json({"period": period.to_dict(), "rows": rows})
        return
    cols = columns(spec)
    click.echo("\t".join(c.title(lang) for c in cols))
    for r in rows:
        click.echo("\t".join("" if r.get(c.key) is None else str(r[c.key]) for c in cols))


@click.command("export")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="FILE.csv, FILE.xlsx or FILE.pdf. 输出文件。")  # fmt: skip
@user_option
@pass_opts
def export(opts: Options, spec: Path, output: Path, user_id: int | None) -> None:
    """Export a report definition to CSV, XLSX or PDF, with progress. 导出报表。"""
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx", "pdf"):
        raise click.BadParameter("the output must end in .csv, .xlsx or .pdf", param_hint="-o")

    async def go(ctx: PluginContext) -> None:
        s = _spec_file(spec)
        who = await ctx.acting(user_id)
        brand = await ctx.brand(opts.brand)
        ctx.require(who, ANALYTICS_EXPORT, brand_id=brand.id)
        period = period_in(ctx, s.period)
        lang = "zh" if zh(opts) else "en"
        reports = of(ctx).reports
        if s.detail:
            cols = DETAIL_COLUMNS
            rows = [r async for page in reports.detail(who, brand, s, period) for r in page]
        else:
            cols = columns(s)
            rows = await reports.run(who, brand, s, period, lang)

        def progress(n: int) -> None:
            click.echo(f"  {n:,} rows", err=True)

        if fmt == "csv":
            n = await asyncio.to_thread(write_csv, output, cols, rows, lang=lang,
                                        on_progress=progress)  # fmt: skip
        elif fmt == "xlsx":
            n = (await asyncio.to_thread(write_xlsx, output, cols, rows, lang=lang,
                                         on_progress=progress)).rows  # fmt: skip
        else:
            await asyncio.to_thread(write_pdf, output, title=brand.name, subtitle_lines=[s.period],
                                    sections=[ReportSection(brand.name, None, cols, rows)],
                                    lang=lang, generated_at=dt.datetime.now(dt.UTC))  # fmt: skip
            n = len(rows)
        click.echo(f"{n:,} rows -> {output}")

    with_context(opts, NAME, go)


@click.command("market-import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@user_option
@pass_opts
def market_import(opts: Options, file: Path, user_id: int | None) -> None:
    """Import market data (CSV, all or nothing). 导入市场数据。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        got = await Market(ctx).import_csv(await ctx.acting(user_id), brand, file.read_bytes())
        cn = f"导入 {got.rows:,} 行（新增 {got.new:,}，替换 {got.replaced:,}）"
        en = f"{got.rows:,} rows imported ({got.new:,} new, {got.replaced:,} replaced)"
        click.echo(cn if zh(opts) else en)

    with_context(opts, NAME, go)


@click.command("market")
@click.option("--metric", type=click.Choice([str(m) for m in Metric]), required=True)
@click.option("--region")
@click.option("--competitor")
@user_option
@json_option
@pass_opts
def market(opts: Options, metric: str, region: str | None, competitor: str | None,
           user_id: int | None, as_json: bool) -> None:  # fmt: skip
    """Imported market data of one metric. 查看市场数据。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        rows = await Market(ctx).series(await ctx.acting(user_id), brand, metric, region=region,
                                        competitor=competitor)  # fmt: skip
        if as_json:
            echo_json(rows)
            return
        for r in rows:
            click.echo(f"{r['date']}  {r['value']:>14} {r['unit']:<8} {r['region']:<10}"
                       f" {r['competitor']:<16} {r['source']}")  # fmt: skip

    with_context(opts, NAME, go)


@click.command("trends")
@click.option("--source", type=click.Choice(["sales", "scans"]), default="sales", show_default=True)
@click.option("--region", help="A province (CN-GD): only its figures. 省份。")
@click.option("--period", default="365d", show_default=True)
@user_option
@json_option
@pass_opts
def trends(opts: Options, source: str, region: str | None, period: str, user_id: int | None,
           as_json: bool) -> None:  # fmt: skip
    """Trend, weekly season, spikes and drops of daily sales or scans. 趋势与异常。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        got = await Market(ctx).trend(await ctx.acting(user_id), brand, source,  # type: ignore[arg-type]
                                      period_in(ctx, period), region)  # fmt: skip
        if as_json:
            echo_json(got)
            return
        click.echo(got["explanation_zh"] if zh(opts) else got["explanation_en"])
        for a in got["anomalies"]:
            click.echo(f"  {a['date']}  {a['kind']:<6} {a['value']:>12,.2f}"
                       f" (expected {a['expected']:,.2f}, score {a['score']:+.1f})")  # fmt: skip

    with_context(opts, NAME, go)


@click.command("management")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@period_option
@user_option
@pass_opts
def management_pdf(opts: Options, output: Path, period: str, user_id: int | None) -> None:
    """The management report of a period as PDF (charts and their numbers). 经营分析报告。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        pages = await management.write(ctx, await ctx.acting(user_id), brand,
                                       period_in(ctx, period), output,
                                       "zh" if zh(opts) else "en")  # fmt: skip
        click.echo(f"{pages} pages -> {output}")

    with_context(opts, NAME, go)

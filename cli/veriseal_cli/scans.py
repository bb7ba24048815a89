"""``veriseal scans``: list, show and export recorded scans."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from veriseal.codes.gtin import normalize_gtin
from veriseal.codes.layout import parse_serial
from veriseal.engine import Engine
from veriseal.models import Scan, ScanQuery
from veriseal.regions.china import province_key
from veriseal.scanning.records import COLUMNS, scan_record
from veriseal_cli.context import Options, echo_json, pass_opts, with_engine
from veriseal_cli.option_groups import gather
from veriseal_cli.output import is_stdout, open_output, output_option
from veriseal_cli.params import BATCH, COUNT, ID


def _filters(fn: Any) -> Any:
    """The filter options, handed to the command as one ``filters`` (a ScanFilters)."""
    fn = gather(ScanFilters, into="filters")(fn)
    for option in reversed(
        (
            click.option("--code", help="Only this serial (typed forms are normalised)."),
            click.option(
                "--batch", "batch_ref", type=BATCH, help="Only this batch (number or GTIN/LOT)."
            ),
            click.option("--since", type=click.DateTime(), help="From this UTC time (inclusive)."),
            click.option("--until", type=click.DateTime(), help="Before this UTC time."),
            click.option("--product", help="Only this product (GTIN)."),
            click.option("--fakes", is_flag=True, help="Scans of codes no brand issued."),
            click.option("--country", help="Only scans resolved to this ISO 3166-1 country."),
            click.option(
                "--province",
                help="Only scans in this province: ISO 3166-2 (CN-GD) or GB/T 2260 (440000).",
            ),
            click.option("--limit", type=COUNT, default=1000, show_default=True),
        )
    ):
        fn = option(fn)
    return fn


@dataclass(frozen=True)
class ScanFilters:
    """The scan filters every ``scans`` command shares, as the command line gave them."""

    code: str | None  # a serial in any typed form
    batch_ref: str | None  # a batch number or GTIN/LOT
    since: dt.datetime | None  # naive UTC, inclusive
    until: dt.datetime | None  # naive UTC, exclusive
    fakes: bool  # scans of codes no brand issued, instead of the brand's
    limit: int
    country: str | None = None  # ISO 3166-1
    province: str | None = None  # ISO 3166-2 or GB/T 2260
    product: str | None = None  # a GTIN


async def _query(engine: Engine, opts: Options, f: ScanFilters) -> list[Scan]:
    brand = await engine.brand(opts.brand)
    batch_id = (await engine.batches.get(brand, f.batch_ref)).id if f.batch_ref else None
    query = ScanQuery(
        code=parse_serial(f.code)[0] if f.code and not f.fakes else f.code,
        batch_id=batch_id,
        since=f.since.replace(tzinfo=dt.UTC) if f.since else None,
        until=f.until.replace(tzinfo=dt.UTC) if f.until else None,
        limit=f.limit,
        country=f.country.upper() if f.country else None,
        province=province_key(f.province) if f.province else None,
        gtin=normalize_gtin(f.product) if f.product else None,
    )
    return await engine.ledger.list_scans(None if f.fakes else brand.id, query)


@click.group()
def scans() -> None:
    """Recorded scans (the scan ledger)."""


@scans.command("list")
@_filters
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def list_(opts: Options, /, as_json: bool, filters: ScanFilters) -> None:
    """List scans, oldest first."""

    async def go(engine: Engine) -> None:
        rows = [scan_record(s) for s in await _query(engine, opts, filters)]
        if as_json:
            echo_json(rows)
            return
        for r in rows:
            where = f"{r['lat']:.4f},{r['lon']:.4f}" if r["lat"] is not None else "-"
            if r["province"]:
                where += f" {r['province']} {r['city']}"
            click.echo(
                f"{r['id']}\t{r['at']}\t{r['code']}\t{r['outcome']}\t{r['channel']}\t{where}"
            )

    with_engine(opts, go)


@scans.command("show")
@click.argument("scan_id", type=ID)
@pass_opts
def show(opts: Options, scan_id: int) -> None:
    """Show one scan as JSON."""

    async def go(engine: Engine) -> None:
        echo_json(scan_record(await engine.ledger.get_scan(scan_id)))

    with_engine(opts, go)


@scans.command("export")
@_filters
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True
)
@output_option
@pass_opts
def export(opts: Options, /, fmt: str, output: Path, filters: ScanFilters) -> None:
    """Export scans as CSV or JSON Lines."""

    async def go(engine: Engine) -> int:
        rows = [scan_record(s) for s in await _query(engine, opts, filters)]
        with open_output(output, private=True) as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            if fmt == "csv":
                writer = csv.DictWriter(out, fieldnames=COLUMNS)
                writer.writeheader()
                writer.writerows(rows)
            else:
                out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
            out.flush()
            out.detach()  # the bytes stream stays open_output's to close
        return len(rows)

    n = with_engine(opts, go)
    if not is_stdout(output):
        click.echo(f"Exported {n} scans to {output} / 已导出 {n} 条扫码记录", err=True)

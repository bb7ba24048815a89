"""``veriseal scans``: list, show and export recorded scans."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import click

from veriseal.codes.layout import parse_serial
from veriseal.engine import Engine
from veriseal.models import Scan
from veriseal.regions.china import PROVINCES
from veriseal_cli.context import Options, echo_json, pass_opts, with_engine
from veriseal_cli.output import is_stdout, open_output, output_option

COLUMNS = (
    "id",
    "at",
    "code",
    "gtin",
    "batch_id",
    "index",
    "outcome",
    "reason",
    "channel",
    "actor",
    "lat",
    "lon",
    "accuracy_m",
    "loc_source",
    "client_scan_id",
    "country",
    "province",
    "city",
    "gb2260",
)


def scan_row(s: Scan) -> dict[str, Any]:
    n, loc, reg = s.scan, s.scan.location, s.scan.region
    return {
        "id": s.id,
        "at": n.at.isoformat(),
        "code": n.code,
        "gtin": n.gtin,
        "batch_id": n.batch_id,
        "index": n.index,
        "outcome": n.outcome,
        "reason": n.reason,
        "channel": str(n.channel),
        "actor": n.actor,
        "lat": loc.lat if loc else None,
        "lon": loc.lon if loc else None,
        "accuracy_m": loc.accuracy_m if loc else None,
        "loc_source": str(loc.source) if loc else None,
        "client_scan_id": n.client_scan_id,
        "country": reg.country if reg else None,
        "province": reg.province if reg else None,
        "city": reg.city if reg else None,
        "gb2260": reg.gb2260 if reg else None,
    }


def _filters(fn: Any) -> Any:
    for option in reversed(
        (
            click.option("--code", help="Only this serial (typed forms are normalised)."),
            click.option("--batch", "batch_ref", help="Only this batch (number or GTIN/LOT)."),
            click.option("--since", type=click.DateTime(), help="From this UTC time (inclusive)."),
            click.option("--until", type=click.DateTime(), help="Before this UTC time."),
            click.option("--fakes", is_flag=True, help="Scans of codes no brand issued."),
            click.option("--country", help="Only scans resolved to this ISO 3166-1 country."),
            click.option(
                "--province",
                help="Only scans in this province: ISO 3166-2 (CN-GD) or GB/T 2260 (440000).",
            ),
            click.option("--limit", type=int, default=1000, show_default=True),
        )
    ):
        fn = option(fn)
    return fn


async def _query(
    engine: Engine,
    opts: Options,
    code: str | None,
    batch_ref: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    fakes: bool,
    limit: int,
    country: str | None = None,
    province: str | None = None,
) -> list[Scan]:
    brand = await engine.brand(opts.brand)
    batch_id = (await engine.batches.get(brand, batch_ref)).id if batch_ref else None
    return await engine.ledger.list_scans(
        None if fakes else brand.id,
        code=parse_serial(code)[0] if code and not fakes else code,
        batch_id=batch_id,
        since=since.replace(tzinfo=dt.UTC) if since else None,
        until=until.replace(tzinfo=dt.UTC) if until else None,
        limit=limit,
        country=country.upper() if country else None,
        province=_province_key(province) if province else None,
    )


def _province_key(text: str) -> str:
    """A province as stored with scans: GB/T 2260 codes are turned into ISO 3166-2."""
    text = text.strip()
    by_gb = {p.gb2260: p.iso for p in PROVINCES}
    return by_gb.get(text) or (text.upper() if ":" not in text else text)


@click.group()
def scans() -> None:
    """Recorded scans (the scan ledger)."""


@scans.command("list")
@_filters
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def list_(opts: Options, /, as_json: bool, **filters: Any) -> None:
    """List scans, oldest first."""

    async def go(engine: Engine) -> None:
        rows = [scan_row(s) for s in await _query(engine, opts, **filters)]
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
@click.argument("scan_id", type=int)
@pass_opts
def show(opts: Options, scan_id: int) -> None:
    """Show one scan as JSON."""

    async def go(engine: Engine) -> None:
        echo_json(scan_row(await engine.ledger.get_scan(scan_id)))

    with_engine(opts, go)


@scans.command("export")
@_filters
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True
)
@output_option
@pass_opts
def export(opts: Options, /, fmt: str, output: Path, **filters: Any) -> None:
    """Export scans as CSV or JSON Lines."""

    async def go(engine: Engine) -> int:
        rows = [scan_row(s) for s in await _query(engine, opts, **filters)]
        with open_output(output) as raw:
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


def register(cli: click.Group) -> None:
    cli.add_command(scans)

"""CLI of the dealer network, authorizations, shipments and diversion alerts.

::

    veriseal dealers import dealers.csv [--skip-bad]     # create / update dealers
    veriseal dealers tree | show CODE | status CODE suspended
    veriseal territory grant CODE --product category:Tea --region CN-GD [--from --until]
    veriseal territory revoke|suspend|reinstate GRANT_ID [--note]
    veriseal territory list [--dealer CODE] [--all]
    veriseal territory authorize CODE GTIN --region CN-GD/Guangzhou | --lat --lon
    veriseal shipments out --to CODE [ITEM ...] [--items FILE] [--from CODE] [--client-id X]
                           [--destination CN-ZJ | --destination LAT,LON]
    veriseal shipments policy [--check refuse|flag|off] [--warehouse-check refuse|flag|off]
    veriseal shipments in --at CODE [ITEM ...] [--items FILE] [--lat --lon --accuracy-m]
    veriseal shipments take-back --from CODE [ITEM ...] [--items FILE] [--reference RMA-1]
    veriseal shipments sync uploads.jsonl                # offline handheld batches
    veriseal shipments holder CODE | holdings CODE | list
    veriseal diversion alerts [--state open] | show ID | export -o alerts.csv
    veriseal diversion investigate|confirm|dismiss ID --note ... [--penalty 5000 --suspend]
    veriseal diversion scan --since 2026-01-01 [--top 20]
    veriseal diversion tolerance [--buffer-km 5 --suspect-score 2 --strong-score 4 ...]

Every command acts as the local operator (the CLI holds the ledger and its keys).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, TypeVar

import click

from veriseal import SYSTEM_PRINCIPAL, InvalidInput, VerisealError
from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_territories.service import of, sync_operations, when
from veriseal_territories.shipment_policy import CHECKS, Destination
from veriseal_territories.shipments import MoveOptions, Point

NAME = "territories"  # the plugin whose context the commands use
R = TypeVar("R")


def _items(args: tuple[str, ...], files: tuple[Path, ...]) -> list[str]:
    out = list(args)
    for f in files:
        try:
            out += f.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {f}: {exc}") from None
    return out


def _point(lat: float | None, lon: float | None, accuracy: float | None) -> Point | None:
    if lat is None and lon is None:
        return None
    return Point.parse({"lat": lat, "lon": lon, "accuracy_m": accuracy})


# -- dealers ------------------------------------------------------------------------------
@click.group()
def dealers() -> None:
    """The dealer network (territories plugin). 经销商网络。"""


@dealers.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-bad", is_flag=True, help="Import the good rows, report the bad ones.")
@pass_opts
def import_(opts: Options, csv_file: Path, skip_bad: bool) -> None:
    """Create or update dealers from CSV (code,name,kind,parent,contact,phone,regions,status)."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        try:
            text = csv_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {csv_file} as UTF-8: {exc}") from None
        try:
            report = await of(ctx).dealers.import_csv(SYSTEM_PRINCIPAL, brand.id, text, skip_bad)
        except VerisealError as exc:
            for e in exc.details.get("errors", []):
                click.echo(f"line {e['line']}: {e['reason']}", err=True)
            raise
        for e in report.errors:
            click.echo(f"line {e.line}: {e.reason} (skipped)", err=True)
        click.echo(
            f"created {report.created}, updated {report.updated}, unchanged {report.unchanged},"
            f" skipped {len(report.errors)}"
        )

    with_context(opts, NAME, go)


@dealers.command("tree")
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def tree(opts: Options, as_json: bool) -> None:
    """The brand's dealer tree with codes, regions and status."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        rows = await of(ctx).dealers.tree(SYSTEM_PRINCIPAL, brand.id)
        if as_json:
            echo_json(
                [
                    {
                        "depth": d,
                        "org_id": o.id,
                        "kind": str(o.kind),
                        "org_name": o.name,
                        "dealer": x.to_dict() if x else None,
                    }
                    for d, o, x in rows
                ]
            )
            return
        for depth, org, dealer in rows:
            label = f"{org.name} [{org.kind}]"
            if dealer is not None:
                regions = ",".join(dealer.regions) or "-"
                label = f"{dealer.code} {dealer.name} [{org.kind}] {regions} {dealer.status}"
            click.echo(f"{'  ' * depth}{label}")

    with_context(opts, NAME, go)


@dealers.command("show")
@click.argument("dealer")
@pass_opts
def show(opts: Options, dealer: str) -> None:
    """One dealer, its grants and what it holds."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        t = of(ctx)
        d = await t.dealers.find(brand.id, dealer)
        grants = await t.grants.list(SYSTEM_PRINCIPAL, brand.id, d.code, include_inactive=True)
        echo_json(
            {
                **d.to_dict(),
                "grants": [g.to_dict() for _, g in grants],
                "holdings": await t.shipments.holdings(brand.id, d.org_id),
            }
        )

    with_context(opts, NAME, go)


@dealers.command("status")
@click.argument("dealer")
@click.argument("status", type=click.Choice(["active", "suspended", "terminated"]))
@pass_opts
def status(opts: Options, dealer: str, status: str) -> None:
    """Change a dealer's status (a suspended dealer is authorized for nothing)."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        d = await of(ctx).dealers.set_status(SYSTEM_PRINCIPAL, brand.id, dealer, status)
        echo_json(d.to_dict())

    with_context(opts, NAME, go)


# -- authorizations -----------------------------------------------------------------------
def add_territory_commands(territory: click.Group) -> None:
    for command in (grant, revoke, suspend, reinstate, list_grants, authorize):
        territory.add_command(command)


@click.command("grant")
@click.argument("dealer")
@click.option(
    "--product",
    default="*",
    show_default=True,
    help="*, gtin:<GTIN> (or a bare GTIN), or category:<path>.",
)
@click.option("--region", required=True, help="CN, CN-GD, 440000, CN-GD/Guangzhou, custom:NAME.")
@click.option("--from", "valid_from", help="Start (date or ISO date-time; default now).")
@click.option("--until", "valid_until", help="End, exclusive (default: open-ended).")
@click.option("--note", default="")
@pass_opts
def grant(
    opts: Options,
    dealer: str,
    product: str,
    region: str,
    valid_from: str | None,
    valid_until: str | None,
    note: str,
) -> None:
    """Authorize DEALER to sell PRODUCT in REGION (needs its enterprise verification)."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        g = await of(ctx).grants.grant(
            SYSTEM_PRINCIPAL,
            brand.id,
            dealer,
            product,
            region,
            when(valid_from),
            when(valid_until),
            note,
        )
        echo_json(g.to_dict())

    with_context(opts, NAME, go)


def _change(action: str) -> click.Command:
    @click.command(action, help=f"{action.capitalize()} a grant (an appended event).")
    @click.argument("grant_id", type=int)
    @click.option("--note", default="")
    @pass_opts
    def command(opts: Options, grant_id: int, note: str) -> None:
        async def go(ctx: PluginContext) -> None:
            brand = await ctx.brand(opts.brand)
            g = await of(ctx).grants.change(SYSTEM_PRINCIPAL, brand.id, grant_id, action, note)
            echo_json(g.to_dict())

        with_context(opts, NAME, go)

    return command


revoke, suspend, reinstate = _change("revoke"), _change("suspend"), _change("reinstate")


@click.command("list")
@click.option("--dealer")
@click.option("--all", "include_inactive", is_flag=True, help="Also revoked grants.")
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def list_grants(opts: Options, dealer: str | None, include_inactive: bool, as_json: bool) -> None:
    """Grants of one dealer or of all."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        found = await of(ctx).grants.list(SYSTEM_PRINCIPAL, brand.id, dealer, include_inactive)
        if as_json:
            echo_json([{"dealer": d.code, **g.to_dict()} for d, g in found])
            return
        for d, g in found:
            until = g.valid_until.date().isoformat() if g.valid_until else "-"
            click.echo(
                f"{g.id}\t{d.code}\t{g.product}\t{g.region}\t"
                f"{g.valid_from.date().isoformat()}..{until}\t{g.state}"
            )

    with_context(opts, NAME, go)


@click.command("authorize")
@click.argument("dealer")
@click.argument("gtin")
@click.option("--region", help="Destination region code.")
@click.option("--lat", type=click.FloatRange(-90, 90))
@click.option("--lon", type=click.FloatRange(-180, 180))
@click.option("--at", "at_text", help="When (default now).")
@pass_opts
def authorize(
    opts: Options,
    dealer: str,
    gtin: str,
    region: str | None,
    lat: float | None,
    lon: float | None,
    at_text: str | None,
) -> None:
    """May DEALER sell GTIN there? Exit 0 if allowed, 1 if refused (reason printed)."""

    async def go(ctx: PluginContext) -> bool:
        brand = await ctx.brand(opts.brand)
        point = (lat, lon) if lat is not None and lon is not None else None
        d = await of(ctx).grants.authorize(brand.id, dealer, gtin, region, point, when(at_text))
        echo_json(d.to_dict())
        return d.allowed

    if not with_context(opts, NAME, go):
        raise SystemExit(1)


# -- shipments ----------------------------------------------------------------------------
@click.group()
def shipments() -> None:
    """Goods scanned out to dealers and in by them. 发货与收货扫描。"""


@dataclass(frozen=True)
class Scanned:
    """The options the shipment commands share: what was scanned and how."""

    item: tuple[str, ...]  # item codes and case / pallet SSCCs named on the command line
    files: tuple[Path, ...]  # files of more, one per line
    client_id: str | None  # the handheld's id for this upload (a retry replays)
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    note: str

    def entries(self) -> list[str]:
        """The arguments, then each file's lines; ``invalid_input`` for an unreadable file."""
        return _items(self.item, self.files)

    def options(self) -> MoveOptions:
        """How the movement was scanned (now, where the handheld said it was)."""
        location = _point(self.lat, self.lon, self.accuracy_m)
        return MoveOptions(client_id=self.client_id, location=location, note=self.note)


_item_options = [
    click.argument("item", nargs=-1),
    click.option(
        "--items",
        "files",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A file of scanned codes / SSCCs, one per line.",
    ),
    click.option("--client-id", help="The handheld's id for this upload (retries replay)."),
    click.option("--lat", type=click.FloatRange(-90, 90)),
    click.option("--lon", type=click.FloatRange(-180, 180)),
    click.option("--accuracy-m", type=click.FloatRange(0)),
    click.option("--note", default=""),
]


def _with_items(f: Callable[..., R]) -> Callable[..., R]:
    """Add the item options; the command receives them as one ``scanned`` (a Scanned).
    Goes above ``pass_opts``: it takes click's keyword arguments before ``opts`` is
    passed in."""
    names = [field.name for field in fields(Scanned)]

    @functools.wraps(f)
    def gathered(*args: Any, **kwargs: Any) -> R:
        kwargs["scanned"] = Scanned(**{name: kwargs.pop(name) for name in names})
        return f(*args, **kwargs)

    command: Callable[..., R] = gathered
    for option in reversed(_item_options):
        command = option(command)
    return command


@shipments.command("out")
@click.option("--to", "to", required=True, help="The receiving dealer's code.")
@click.option("--from", "from_", help="The shipping dealer (default: the brand's warehouse).")
@click.option(
    "--destination",
    help="Where the goods go (region code or LAT,LON; default: the receiver's home regions).",
)
@_with_items
@pass_opts
def ship_out(
    opts: Options, to: str, from_: str | None, destination: str | None, scanned: Scanned
) -> None:
    """Scan goods out to a dealer (item codes, case or pallet SSCCs); checked against
    the receiver's territory as `shipments policy` says."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        r = await of(ctx).ship(
            SYSTEM_PRINCIPAL,
            brand,
            to,
            scanned.entries(),
            from_ref=from_,
            options=scanned.options(),
            destination=Destination.parse(destination) if destination else None,
        )
        echo_json(r.to_dict())

    with_context(opts, NAME, go)


@shipments.command("policy")
@click.option("--check", type=click.Choice(CHECKS), help="Shipments from a dealer.")
@click.option("--warehouse-check", type=click.Choice(CHECKS), help="From the brand's warehouse.")
@click.option("--history", is_flag=True, help="Every setting, oldest first.")
@pass_opts
def policy(opts: Options, check: str | None, warehouse_check: str | None, history: bool) -> None:
    """Show or set what a shipment to a dealer not authorized for the goods where they
    go does: refuse it, flag it (a diversion alert for the shipper), or nothing (off).
    发货检查策略：拒绝、预警或关闭。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        checks = of(ctx).checks
        if history:
            echo_json(await checks.history(brand.id))
        elif check or warehouse_check:
            new = await checks.set_policy(SYSTEM_PRINCIPAL, brand.id, check, warehouse_check)
            echo_json(new.to_dict())
        else:
            echo_json((await checks.policy(brand.id)).to_dict())

    with_context(opts, NAME, go)


@shipments.command("in")
@click.option("--at", "at", required=True, help="The receiving dealer's code.")
@_with_items
@pass_opts
def ship_in(opts: Options, at: str, scanned: Scanned) -> None:
    """Scan goods in at a dealer."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        r = await of(ctx).receive(
            SYSTEM_PRINCIPAL, brand, scanned.entries(), at_ref=at, options=scanned.options()
        )
        echo_json(r.to_dict())

    with_context(opts, NAME, go)


@shipments.command("take-back")
@click.option("--from", "from_", required=True, help="The dealer the goods come back from.")
@click.option("--reference", default="", help="What it is for (a return number).")
@_with_items
@pass_opts
def take_back(opts: Options, from_: str, reference: str, scanned: Scanned) -> None:
    """The brand takes goods back from a dealer (a return): the dealer must hold them;
    afterwards the brand holds them as if never shipped. 品牌方从经销商收回货品（退货）。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        options = replace(scanned.options(), reference=reference, note=scanned.note or reference)
        r = await of(ctx).take_back(
            SYSTEM_PRINCIPAL, brand, from_, scanned.entries(), options=options
        )
        echo_json(r.to_dict())

    with_context(opts, NAME, go)


@shipments.command("sync")
@click.argument("upload", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_opts
def sync(opts: Options, upload: Path) -> None:
    """Apply a handheld's offline batch: JSON lines of {client_id, kind: out|in, to|at,
    items, location}. Re-running the same file changes nothing (replayed)."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        try:
            ops = [
                json.loads(line) for line in upload.read_text("utf-8").splitlines() if line.strip()
            ]
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInput(f"{upload}: not JSON lines: {exc}") from None
        for r in await sync_operations(ctx, SYSTEM_PRINCIPAL, brand, ops):
            click.echo(json.dumps(r, ensure_ascii=False))

    with_context(opts, NAME, go)


@shipments.command("holder")
@click.argument("code")
@pass_opts
def holder(opts: Options, code: str) -> None:
    """Who holds the unit with this code now."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        v = await ctx.verify(code)
        if v.info is None or v.info.batch_id is None or v.info.brand_id != brand.id:
            raise InvalidInput(f"{code[:60]!r} is not a code of {brand.slug}: {v.reason}")
        t = of(ctx)
        found = await t.shipments.holder(v.info.batch_id, v.info.index)
        if found is None:
            echo_json({"holder": None, "held_by": "brand"})
            return
        d = await t.dealers.get(brand.id, found[0])
        echo_json(
            {
                "holder": d.to_dict(),
                "movement_id": found[1],
                "state": "received" if found[2] == "in" else "in_transit",
            }
        )

    with_context(opts, NAME, go)


@shipments.command("holdings")
@click.argument("dealer")
@pass_opts
def holdings(opts: Options, dealer: str) -> None:
    """The ranges of units a dealer holds (received or in transit to it)."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        t = of(ctx)
        d = await t.dealers.find(brand.id, dealer)
        echo_json(await t.shipments.holdings(brand.id, d.org_id))

    with_context(opts, NAME, go)


@shipments.command("list")
@click.option("--since")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000)
@pass_opts
def list_movements(opts: Options, since: str | None, limit: int) -> None:
    """Movements (out / in), oldest first."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        echo_json(await of(ctx).shipments.movements(brand.id, when(since), limit))

    with_context(opts, NAME, go)


# -- diversion ----------------------------------------------------------------------------
@click.group()
def diversion() -> None:
    """Diversion (窜货) alerts, their workflow and history analysis."""


@diversion.command("alerts")
@click.option("--state", type=click.Choice(["open", "investigating", "confirmed", "dismissed"]))
@click.option("--dealer")
@click.option("--since")
@click.option("--level", type=click.Choice(["suspected", "strong"]),
              help="strong: strong alerts only; suspected: both levels.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def alerts(opts: Options, /, as_json: bool, **filters: str | None) -> None:
    """List diversion alerts."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        t = of(ctx)
        dealer = filters["dealer"]
        org = (await t.dealers.find(brand.id, dealer)).org_id if dealer else None
        found = await t.alerts.list(
            SYSTEM_PRINCIPAL, brand.id, state=filters["state"], org_id=org,
            since=when(filters["since"]), level=filters["level"],
        )  # fmt: skip
        if as_json:
            echo_json([a.to_dict() for a in found])
            return
        for a in found:
            seen = a.evidence.get("seen", {})
            place = seen.get("province") or ",".join(seen.get("home_regions", [])) or "?"
            click.echo(
                f"{a.id}\t{a.at:%Y-%m-%d %H:%M}\t{a.state}\t{a.level}\t{a.source}\t"
                f"{a.evidence['holder']['code']}\t{a.code}\t{place}\t{a.items}"
            )

    with_context(opts, NAME, go)


@diversion.command("show")
@click.argument("alert_id", type=int)
@pass_opts
def show_alert(opts: Options, alert_id: int) -> None:
    """One alert with its evidence and history."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        echo_json((await of(ctx).alerts.get(SYSTEM_PRINCIPAL, brand.id, alert_id)).to_dict())

    with_context(opts, NAME, go)


def _transition(name: str, state: str) -> click.Command:
    @click.command(name, help=f"Move an alert to {state}.")
    @click.argument("alert_id", type=int)
    @click.option("--note", default="")
    @pass_opts
    def command(opts: Options, /, alert_id: int, note: str, **extra: Any) -> None:
        async def go(ctx: PluginContext) -> None:
            brand = await ctx.brand(opts.brand)
            penalty = None
            if extra.get("penalty") is not None:
                penalty = {
                    "amount": extra["penalty"],
                    "currency": extra.get("currency"),
                    "reason": note,
                }
            action = (
                "revoke" if extra.get("revoke") else "suspend" if extra.get("suspend") else None
            )
            a = await of(ctx).alerts.transition(
                SYSTEM_PRINCIPAL, brand.id, alert_id, state, note, penalty, action
            )
            echo_json(a.to_dict())

        with_context(opts, NAME, go)

    if state == "confirmed":
        command = click.option("--penalty", type=click.FloatRange(0), help="Penalty amount.")(
            command
        )
        command = click.option("--currency", default="CNY", show_default=True)(command)
        command = click.option("--suspend", is_flag=True, help="Suspend the dealer's grants.")(
            command
        )
        command = click.option("--revoke", is_flag=True, help="Revoke the dealer's grants.")(
            command
        )
    return command


for _name, _state in (
    ("investigate", "investigating"),
    ("confirm", "confirmed"),
    ("dismiss", "dismissed"),
):
    diversion.add_command(_transition(_name, _state))


@diversion.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--state", type=click.Choice(["open", "investigating", "confirmed", "dismissed"]))
@click.option("--since")
@pass_opts
def export(opts: Options, fmt: str, output: Path, state: str | None, since: str | None) -> None:
    """Export alerts (CSV opens in Excel / WPS: UTF-8 with BOM)."""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        text = await of(ctx).alerts.export(
            SYSTEM_PRINCIPAL, brand.id, fmt, state=state, since=when(since)
        )
        output.write_text(("\ufeff" if fmt == "csv" else "") + text, encoding="utf-8")
        click.echo(f"{output}: {max(text.count(chr(10)) - (fmt == 'csv'), 0)} alerts")

    with_context(opts, NAME, go)


@diversion.command("scan")
@click.option("--since", required=True, help="Date, ISO date-time, or Nd / Nh ago.")
@click.option("--until")
@click.option("--top", type=click.IntRange(1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def scan_history(opts: Options, since: str, until: str | None, top: int, as_json: bool) -> None:
    """Rank dealers whose goods were scanned outside their territory (writes nothing)."""
    from rich.console import Console  # noqa: PLC0415

    from veriseal_territories.analysis import analyse  # noqa: PLC0415

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        start = when(since)
        assert start is not None
        console = Console(stderr=True)
        seen = [0]

        def advance(n: int) -> None:
            seen[0] += n
            if console.is_terminal:
                console.print(f"scans judged: {seen[0]}", end="\r")

        t = of(ctx)
        found = await analyse(
            ctx, t.diversion, SYSTEM_PRINCIPAL, brand.id, start, when(until), advance
        )
        if as_json:
            echo_json([f.to_dict() for f in found[:top]])
            return
        click.echo("rank\tdealer\tunits_outside\tscans_outside/scans\tregions")
        for rank, f in enumerate(found[:top], 1):
            regions = ", ".join(f"{p} {n}" for p, n in f.regions.most_common(5))
            click.echo(
                f"{rank}\t{f.code}\t{len(f.outside_units)}\t{f.outside_scans}/{f.scans}\t{regions}"
            )

    with_context(opts, NAME, go)


@diversion.command("tolerance")
@click.option("--buffer-km", type=float, help="Doubt added around every fix.")
@click.option("--max-gps-accuracy-m", type=float, help="Coarser GPS fixes are ignored.")
@click.option("--ip-weight", type=float, help="Weight of IP-derived positions (0: ignored).")
@click.option("--declared-weight", type=float, help="Weight of typed-in positions.")
@click.option(
    "--near-km", type=float, help="Units seen closer than this beyond the border count half."
)
@click.option(
    "--stale-days", type=float, help="Units seen longer than this after receipt count half."
)
@click.option("--suspect-score", type=float, help="Consignment score for a suspected alert.")
@click.option("--strong-score", type=float, help="Consignment score for a strong alert.")
@click.option("--min-devices", type=float, help="Distinct witnesses needed for any alert.")
@pass_opts
def tolerance(opts: Options, /, **changes: float | None) -> None:
    """Show the brand's diversion tolerances, or change some (docs/territories.md)."""
    from dataclasses import asdict  # noqa: PLC0415

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        d = of(ctx).diversion
        if any(v is not None for v in changes.values()):
            echo_json(asdict(await d.set_tolerances(SYSTEM_PRINCIPAL, brand.id, **changes)))
        else:
            echo_json(asdict(await d.tolerances(brand.id)))

    with_context(opts, NAME, go)

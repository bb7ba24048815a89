"""``veriseal waybills add|list|show|timeline|import``: waybills and their carrier events.

::

    veriseal waybills add CARRIER TRACKING_NO --from ORIGIN [--to DEST] [--promised DATE]
                          [--reference ORDER] [--via PLACE]... [--to-org ID] [--json]
    veriseal waybills list [--status S] [--reference R] [--alerted|--not-alerted]
                           [--limit N] [--json]
    veriseal waybills show ID [--json]
    veriseal waybills timeline ID [--json]
    veriseal waybills import EVENTS.csv [--json]

Places are what the API takes: a GB/T 2260 or ISO code, a city name, or ``lat,lon``.
Commands act as the local operator unless ``--user`` names a user."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from veriseal import InvalidInput
from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_logistics.api_waybills import promised
from veriseal_logistics.cli_common import NAME, acting, json_option, label, say, user_option
from veriseal_logistics.csv_import import MAX_BYTES, import_csv
from veriseal_logistics.intake_errors import CsvEventsInvalid
from veriseal_logistics.models import Checkpoint, Waybill
from veriseal_logistics.service import of
from veriseal_logistics.statuses import Status
from veriseal_logistics.waybills import NewWaybill

_STATUSES = click.Choice([s.value for s in Status])


@click.group("waybills")
def waybills() -> None:
    """Waybills and carrier events. 运单与物流轨迹。"""


def _line(opts: Options, w: Waybill) -> str:
    eta = f" ETA {w.eta.p50:%Y-%m-%d %H:%M}" if w.eta else ""
    ref = f" [{w.reference}]" if w.reference else ""
    where = f"{w.origin.name or '?'} -> {w.destination.name or '?'}"
    return f"#{w.id} {w.carrier} {w.tracking_no}{ref} {where}: {label(opts, w.status)}{eta}"


def _point(opts: Options, c: Checkpoint) -> str:
    place = f" @ {c.place.name}" if c.place.name else ""
    return f"{c.at:%Y-%m-%d %H:%M}Z {label(opts, c.status)}{place}  {c.description}"


@waybills.command("add")
@click.argument("carrier")
@click.argument("tracking_no")
@click.option("--from", "origin", required=True, help="Where it leaves from. 发货地。")
@click.option("--to", "destination", help="Where it goes. 目的地。")
@click.option("--promised", help="Promised by (YYYY-MM-DD or ISO time). 承诺送达时间。")
@click.option("--reference", default="", help="Order number. 订单号。")
@click.option("--via", "waypoints", multiple=True, help="A planned waypoint. 途经地。")
@click.option("--to-org", type=click.IntRange(1), help="Receiving organisation id. 收货机构。")
@click.option("--shipment", "movement_id", type=click.IntRange(1),
              help="The territories shipment it carries (its shipper, receiver, order)."
                   " 所属发货单。")  # fmt: skip
@user_option
@json_option
@pass_opts
def add(opts: Options, /, carrier: str, tracking_no: str, user_id: int | None, as_json: bool,
        **fields: Any) -> None:  # fmt: skip
    """Register a waybill. 登记运单。"""
    when = _promised(fields.pop("promised"))

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        new = NewWaybill(
            carrier=carrier.strip(), tracking_no=tracking_no.strip(), promised=when, **fields
        )
        w = await of(ctx).waybills.create(await acting(ctx, user_id), brand, new)
        if as_json:
            echo_json(w.to_dict())
        else:
            click.echo(say(opts, "registered: ", "已登记：") + _line(opts, w))

    with_context(opts, NAME, go)


def _promised(text: str | None) -> dt.date | dt.datetime | None:
    try:
        return promised(text)
    except InvalidInput as exc:
        raise click.BadParameter(exc.message, param_hint="--promised") from None


@waybills.command("list")
@click.option("--status", type=_STATUSES, help="Only this status. 仅此状态。")
@click.option("--reference", help="Only this order number. 仅此订单号。")
@click.option("--alerted/--not-alerted", default=None, help="With open alerts or not. 是否有预警。")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@user_option
@json_option
@pass_opts
def list_(opts: Options, /, status: str | None, reference: str | None, alerted: bool | None,
          limit: int, user_id: int | None, as_json: bool) -> None:  # fmt: skip
    """The brand's waybills. 运单列表。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        found = await of(ctx).waybills.listing(
            await acting(ctx, user_id), brand, status=None if status is None else Status(status),
            reference=reference, alerted=alerted, limit=limit,
        )  # fmt: skip
        if as_json:
            echo_json([w.to_dict() for w in found])
            return
        for w in found:
            click.echo(_line(opts, w))
        if not found:
            click.echo(say(opts, "no waybills", "没有运单"))

    with_context(opts, NAME, go)


@waybills.command("show")
@click.argument("waybill_id", type=click.IntRange(1))
@user_option
@json_option
@pass_opts
def show(opts: Options, waybill_id: int, user_id: int | None, as_json: bool) -> None:
    """A waybill. 运单详情。"""

    async def go(ctx: PluginContext) -> None:
        w = await of(ctx).waybills.get(await acting(ctx, user_id), waybill_id)
        if as_json:
            echo_json(w.to_dict())
            return
        click.echo(_line(opts, w))
        if w.promised_at:
            click.echo(say(opts, "promised: ", "承诺送达：") + f"{w.promised_at:%Y-%m-%d %H:%M}Z")
        if w.eta:
            click.echo(f"ETA p50 {w.eta.p50:%Y-%m-%d %H:%M}Z, p90 {w.eta.p90:%Y-%m-%d %H:%M}Z"
                       f" ({w.eta.basis}, {w.eta.samples})")  # fmt: skip

    with_context(opts, NAME, go)


@waybills.command("timeline")
@click.argument("waybill_id", type=click.IntRange(1))
@user_option
@json_option
@pass_opts
def timeline(opts: Options, waybill_id: int, user_id: int | None, as_json: bool) -> None:
    """A waybill's carrier events, in the order they happened. 物流轨迹。"""

    async def go(ctx: PluginContext) -> None:
        points = await of(ctx).waybills.timeline(await acting(ctx, user_id), waybill_id)
        if as_json:
            echo_json([c.to_dict() for c in points])
            return
        for c in points:
            click.echo(_point(opts, c))
        if not points:
            click.echo(say(opts, "no events yet", "暂无轨迹"))

    with_context(opts, NAME, go)


@waybills.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@user_option
@json_option
@pass_opts
def import_(opts: Options, path: Path, user_id: int | None, as_json: bool) -> None:
    """Import carrier events from CSV (all or nothing). 从 CSV 导入物流事件（全部或不导入）。"""
    if path.stat().st_size > MAX_BYTES:
        raise click.BadParameter(f"larger than {MAX_BYTES} bytes", param_hint="PATH")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise click.BadParameter(
            "the CSV must be UTF-8 / CSV 须为 UTF-8", param_hint="PATH"
        ) from None

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        try:
            done = await import_csv(of(ctx), await acting(ctx, user_id), brand, text)
        except CsvEventsInvalid as exc:
            for row in exc.details.get("rows", []):  # every bad row, not just the first
                click.echo(say(opts, "line", "第") + f" {row['line']}: {row['reason']}", err=True)
            raise
        if as_json:
            echo_json(done.to_dict())
        else:
            click.echo(say(opts, f"{done.rows} rows, {done.added} events added,"
                                 f" {done.duplicates} already known, {done.waybills} waybills",
                           f"{done.rows} 行，新增 {done.added} 条事件，{done.duplicates} 条已存在，"
                           f"涉及 {done.waybills} 个运单"))  # fmt: skip

    with_context(opts, NAME, go)

"""``veriseal logistics alerts|check|poll|settings|secret``: alerts, running the rules and
the pollers by hand, and a brand's settings.

::

    veriseal logistics alerts [--status open|closed|all] [--kind K] [--json]
    veriseal logistics alerts close ID [--note TEXT]
    veriseal logistics check [--json]          # run the rules now (the periodic task's job)
    veriseal logistics performance [--days 30] [--json]   # carriers and lanes: on time, transit
    veriseal logistics poll [--json]           # ask the configured pollers now
    veriseal logistics settings [--set NAME=VALUE]... [--json]
    veriseal logistics secret kuaidi100_salt|webhook_secret   # read from a hidden prompt
                                                               # or stdin; never printed

Commands act as the local operator unless ``--user`` names a user."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click

from veriseal import require_permission
from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_logistics import pollers
from veriseal_logistics.cli_common import NAME, acting, count, json_option, say, user_option
from veriseal_logistics.models import AlertKind, Rules
from veriseal_logistics.permissions import LOGISTICS_CONFIGURE
from veriseal_logistics.service import of


@click.group("logistics")
def logistics() -> None:
    """Logistics alerts, rules and secrets. 物流预警、规则与密钥。"""


@logistics.group("alerts", invoke_without_command=True)
@click.option("--status", type=click.Choice(["open", "closed", "all"]), default="open",
              show_default=True)  # fmt: skip
@click.option("--kind", type=click.Choice(list(AlertKind.ALL)))
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@user_option
@json_option
@click.pass_context
def alerts(click_ctx: click.Context, status: str, kind: str | None, limit: int,
           user_id: int | None, as_json: bool) -> None:  # fmt: skip
    """Logistics alerts (stalled, late, off route, wrong destination). 物流预警。"""
    if click_ctx.invoked_subcommand is not None:
        return
    opts = click_ctx.find_object(Options)
    assert opts is not None

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        found = await of(ctx).alerts.listing(await acting(ctx, user_id), brand,
                                             status=None if status == "all" else status,
                                             kind=kind, limit=limit)  # fmt: skip
        if as_json:
            echo_json([a.to_dict() for a in found])
            return
        for a in found:
            evidence = json.dumps(a.evidence, ensure_ascii=False, default=str)
            click.echo(f"#{a.id} {a.kind} waybill #{a.waybill_id} {a.status} since"
                       f" {a.opened_at:%Y-%m-%d %H:%M}Z {evidence}")  # fmt: skip
        if not found:
            click.echo(say(opts, "no alerts", "没有预警"))

    with_context(opts, NAME, go)


@alerts.command("close")
@click.argument("alert_id", type=click.IntRange(1))
@click.option("--note", default="", help="Why it is closed. 关闭原因。")
@user_option
@json_option
@pass_opts
def close(opts: Options, alert_id: int, note: str, user_id: int | None, as_json: bool) -> None:
    """Close an alert. 关闭预警。"""

    async def go(ctx: PluginContext) -> None:
        closed = await of(ctx).alerts.close(await acting(ctx, user_id), alert_id, note)
        if as_json:
            echo_json(closed.to_dict())
        else:
            click.echo(say(opts, f"alert #{alert_id} closed", f"预警 #{alert_id} 已关闭"))

    with_context(opts, NAME, go)


@logistics.command("check")
@json_option
@pass_opts
def check(opts: Options, as_json: bool) -> None:
    """Run the alert rules over the brand's waybills now. 立即检查运单预警。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        done = await of(ctx).alerts.check(brand.id)
        opened, closed = count(done.opened), count(done.closed)
        if as_json:
            echo_json({"opened": opened, "closed": closed})
        else:
            click.echo(say(opts, f"{opened} alerts opened, {closed} closed",
                           f"新开预警 {opened} 条，关闭 {closed} 条"))  # fmt: skip

    with_context(opts, NAME, go)


@logistics.command("performance")
@click.option("--days", type=click.IntRange(1, 3660), default=30, show_default=True,
              help="Parcels delivered in the last DAYS days. 统计最近天数。")  # fmt: skip
@user_option
@json_option
@pass_opts
def performance(opts: Options, days: int, user_id: int | None, as_json: bool) -> None:
    """How carriers and lanes perform: on time, transit hours, in flight, open alerts.
    承运商与线路表现：准时率、时效、在途与预警。"""

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        until = dt.datetime.now(dt.UTC)
        got = await of(ctx).performance.report(await acting(ctx, user_id), brand,
                                               until - dt.timedelta(days=days), until)  # fmt: skip
        if as_json:
            echo_json(got.to_dict())
            return
        click.echo(say(opts, "carrier  lane  delivered  on time  median h  p90 h",
                       "承运商  线路  已签收  准时率  中位时效(小时)  P90时效(小时)"))  # fmt: skip
        for x in got.lanes:
            click.echo(f"{x.carrier}  {x.lane}  {x.delivered}  {x.on_time_rate:.0%}"
                       f"  {x.median_hours}  {x.p90_hours}")  # fmt: skip
        click.echo(say(opts, "in flight: ", "在途：") + json.dumps(got.in_flight))
        click.echo(say(opts, "open alerts: ", "未关闭预警：") + json.dumps(got.open_alerts))

    with_context(opts, NAME, go)


@logistics.command("poll")
@json_option
@pass_opts
def poll(opts: Options, as_json: bool) -> None:
    """Ask the configured pollers (快递100 query) for the due waybills now. 立即查询到期运单。"""

    async def go(ctx: PluginContext) -> None:
        got = pollers.configured(ctx.config)
        minutes = pollers.interval_minutes(ctx.config)
        done = await pollers.poll_due(of(ctx), got, dt.datetime.now(dt.UTC), minutes=minutes)
        if as_json:
            echo_json(done.to_dict())
        elif not got:
            click.echo(
                say(
                    opts,
                    "no poller is configured ([plugins.logistics]"
                    " kuaidi100_customer, kuaidi100_key)",
                    "未配置查询（[plugins.logistics] kuaidi100_customer、kuaidi100_key）",
                )
            )
        else:
            click.echo(
                say(
                    opts,
                    f"{done.asked} asked, {done.added} events added, {done.failed} failed",
                    f"查询 {done.asked} 个，新增事件 {done.added} 条，失败 {done.failed} 个",
                )
            )

    with_context(opts, NAME, go)


def _assignment(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    name = name.strip()
    known = Rules.__dataclass_fields__
    if not sep or name not in known:
        raise click.BadParameter(f"{text!r}: NAME=VALUE with NAME one of {', '.join(known)}",
                                 param_hint="--set")  # fmt: skip
    default = getattr(Rules(), name)
    try:
        if isinstance(default, bool):
            if raw.strip().lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                raise ValueError(raw)
            return name, raw.strip().lower() in ("true", "1", "yes", "on")
        return name, type(default)(raw.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r}: not a {type(default).__name__}",
                                 param_hint="--set") from None  # fmt: skip


@logistics.command("settings")
@click.option("--set", "assignments", multiple=True, metavar="NAME=VALUE",
              help="Change a rule. 修改规则。")  # fmt: skip
@user_option
@json_option
@pass_opts
def settings(opts: Options, assignments: tuple[str, ...], user_id: int | None,
             as_json: bool) -> None:  # fmt: skip
    """Show (or change) the brand's alert rules; whether secrets are set. 预警规则。"""
    changes = dict(_assignment(a) for a in assignments)

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        who = await acting(ctx, user_id)
        lx = of(ctx)
        require_permission(who, LOGISTICS_CONFIGURE, brand_id=brand.id)
        rules = await (lx.settings.set_rules(who, brand, changes) if changes
                       else lx.settings.rules(brand.id))  # fmt: skip
        secrets = await lx.settings.secrets(brand.id)
        shown = {"rules": rules.to_dict(),
                 "secrets": {"kuaidi100_salt": bool(secrets.kuaidi100_salt),
                             "webhook_secret": bool(secrets.webhook_secret)}}  # fmt: skip
        if as_json:
            echo_json(shown)
            return
        for name, value in shown["rules"].items():
            click.echo(f"{name} = {value}")
        for name, is_set in shown["secrets"].items():
            click.echo(f"{name}: " + (say(opts, "set", "已设置") if is_set
                                      else say(opts, "not set", "未设置")))  # fmt: skip

    with_context(opts, NAME, go)


@logistics.command("secret")
@click.argument("which", type=click.Choice(["kuaidi100_salt", "webhook_secret"]))
@click.option("--clear", is_flag=True, help="Remove it. 清除。")
@user_option
@pass_opts
def secret(opts: Options, which: str, clear: bool, user_id: int | None) -> None:
    """Set the 快递100 salt or the webhook secret (read hidden; never printed). 设置密钥。"""
    value = "" if clear else click.prompt(which, hide_input=True, confirmation_prompt=False)
    value = value.strip()
    if not clear and not value:
        raise click.BadParameter("empty; use --clear to remove / 为空；清除请用 --clear")
    if any(not (0x21 <= ord(c) <= 0x7E) for c in value) or len(value) > 256:
        raise click.BadParameter("printable ASCII, at most 256 characters / 须为可打印 ASCII")

    async def go(ctx: PluginContext) -> None:
        brand = await ctx.brand(opts.brand)
        who = await acting(ctx, user_id)
        require_permission(who, LOGISTICS_CONFIGURE, brand_id=brand.id)
        await of(ctx).settings.set_secret(who, brand, which, value)
        click.echo(say(opts, f"{which} {'cleared' if clear else 'set'}",
                       f"{which} {'已清除' if clear else '已设置'}"))  # fmt: skip

    with_context(opts, NAME, go)

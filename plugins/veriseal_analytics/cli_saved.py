"""``veriseal report saved list|save|show|run|delete|deliver``: saved report definitions,
their sharing and their scheduled e-mail delivery, from the shell (see :mod:`.saved`).

::

    veriseal report saved save "华南周报" SPEC.json --schedule weekly --format xlsx \\
        --share-role brand_admin --recipient 42
    veriseal report saved list [--json]
    veriseal report saved run ID [--json]
    veriseal report saved deliver     # deliver what is due now (the server does it every 5 min)
"""

from __future__ import annotations

from pathlib import Path

import click

from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_analytics.cli_report import NAME, json_option, user_option, zh
from veriseal_analytics.cli_reports import show_rows
from veriseal_analytics.deliveries import deliver_due
from veriseal_analytics.saved import Saved, SavedInput, saved_reports
from veriseal_analytics.schedules import CADENCES
from veriseal_analytics.service import of, period_in


def register(group: click.Group) -> None:
    """Add ``saved`` to ``veriseal report``."""
    group.add_command(saved)


@click.group("saved")
def saved() -> None:
    """Saved, shared and scheduled reports. 已存、共享与定期发送的报表。"""


def _line(s: Saved) -> str:
    due = "" if s.next_run_at is None else f" next {s.next_run_at:%Y-%m-%d %H:%M}Z"
    error = f" ! {s.last_error}" if s.last_error else ""
    return f"{s.id}\t{s.name}\t{s.schedule or '-'}{due}\t{s.format}{error}"


@saved.command("list")
@user_option
@json_option
@pass_opts
def list_saved(opts: Options, user_id: int | None, as_json: bool) -> None:
    """The saved reports you see. 可见的已存报表。"""

    async def go(ctx: PluginContext) -> None:
        who, brand = await ctx.acting(user_id), await ctx.brand(opts.brand)
        found = await saved_reports(ctx).listing(who, brand)
        if as_json:
            echo_json({"reports": [s.to_dict() for s in found]})
            return
        for s in found:
            click.echo(_line(s))

    with_context(opts, NAME, go)


@saved.command("save")
@click.argument("name")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "report_id", type=int, help="Replace this report. 替换该报表。")
@click.option(
    "--schedule",
    type=click.Choice(["", *CADENCES]),
    default="",
    show_default=True,
    help="E-mail it daily, weekly (Mondays) or monthly (the 1st), 07:00. 定期发送。",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx", "pdf"]),
    default="xlsx",
    show_default=True,
    help="The delivered file. 发送的文件格式。",
)
@click.option("--share-role", multiple=True, help="Share with a role. 共享给角色。")
@click.option("--share-user", multiple=True, type=int, help="Share with a user id. 共享给用户。")
@click.option(
    "--recipient",
    multiple=True,
    type=int,
    help="Also deliver to this user (shared with). 同时发送给该用户。",
)
@user_option
@json_option
@pass_opts
def save(  # noqa: PLR0913 - one parameter per option
    opts: Options,
    name: str,
    spec: Path,
    report_id: int | None,
    schedule: str,
    fmt: str,
    share_role: tuple[str, ...],
    share_user: tuple[int, ...],
    recipient: tuple[int, ...],
    user_id: int | None,
    as_json: bool,
) -> None:
    """Save a report definition (JSON), shared and scheduled. 保存报表定义。"""
    import msgspec  # noqa: PLC0415

    data = msgspec.convert({
        "name": name, "spec": msgspec.json.decode(spec.read_bytes()), "schedule": schedule,
        "format": fmt, "lang": "zh" if zh(opts) else "en", "share_roles": share_role,
        "share_users": share_user, "recipients": recipient}, SavedInput)  # fmt: skip

    async def go(ctx: PluginContext) -> None:
        s = await saved_reports(ctx).save(await ctx.acting(user_id), await ctx.brand(opts.brand),
                                          data, report_id)  # fmt: skip
        echo_json(s.to_dict()) if as_json else click.echo(_line(s))

    with_context(opts, NAME, go)


@saved.command("run")
@click.argument("report_id", type=int)
@user_option
@json_option
@pass_opts
def run_saved(opts: Options, report_id: int, user_id: int | None, as_json: bool) -> None:
    """Run a saved report now. 立即运行已存报表。"""

    async def go(ctx: PluginContext) -> None:
        who, brand = await ctx.acting(user_id), await ctx.brand(opts.brand)
        s = await saved_reports(ctx).get(who, brand, report_id)
        period, lang = period_in(ctx, s.spec.period), "zh" if zh(opts) else "en"
        rows = await of(ctx).reports.run(who, brand, s.spec, period, lang, limit=s.spec.limit)
        show_rows(s.spec, period, rows, lang, as_json)

    with_context(opts, NAME, go)


@saved.command("delete")
@click.argument("report_id", type=int)
@user_option
@pass_opts
def delete(opts: Options, report_id: int, user_id: int | None) -> None:
    """Delete a saved report. 删除已存报表。"""

    async def go(ctx: PluginContext) -> None:
        await saved_reports(ctx).delete(await ctx.acting(user_id), await ctx.brand(opts.brand),
                                        report_id)  # fmt: skip
        click.echo(f"deleted {report_id} / 已删除")

    with_context(opts, NAME, go)


@saved.command("deliver")
@json_option
@pass_opts
def deliver(opts: Options, as_json: bool) -> None:
    """E-mail the reports that are due now. 立即发送到期的定期报表。"""

    async def go(ctx: PluginContext) -> None:
        done = await deliver_due(ctx)
        if as_json:
            echo_json({"delivered": [d.__dict__ for d in done]})
            return
        for d in done:
            state = d.error or ("attached / 附件" if d.attached else "link / 链接")
            click.echo(f"{d.report_id}\t{len(d.recipients)} recipients\t{state}")
        click.echo(f"{len(done)} delivered / 已发送")

    with_context(opts, NAME, go)

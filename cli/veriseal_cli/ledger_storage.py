"""``veriseal ledger partitions|maintain|archive``: the ledger's monthly partitions.

On PostgreSQL ``scans`` and ``stream_events`` are partitioned by month
(:mod:`veriseal.ledger.partition_store`); ``veriseal serve`` creates the coming months'
partitions every hour, ``maintain`` does the same once. ``archive`` is retention: it
writes the partitions that closed before the last N months to files and drops them
(:mod:`veriseal.ledger.archive`). A SQLite ledger has no partitions: the commands say
so and change nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from veriseal import i18n
from veriseal.engine import Engine
from veriseal.i18n import t
from veriseal.ledger import archive as archiving
from veriseal.ledger.partition_store import Partition, period_start
from veriseal_cli.context import Options, echo_json, pass_opts, with_engine
from veriseal_cli.progress import progress_bar

i18n.register(
    {
        "cli.ledger_unpartitioned": (
            "This ledger has no partitions (SQLite): back up its file instead.",
            "该账本没有分区（SQLite）：请直接备份其文件。",
        ),
        "cli.ledger_parts_head": (
            "partition                   month        rows       size  entered           closed",
            "分区                        月份         行数       大小  启用时间          关闭时间",
        ),
        "cli.ledger_created": ("Created {names}", "已创建 {names}"),
        "cli.ledger_nothing_created": (
            "Every partition for the coming months exists",
            "未来几个月的分区均已存在",
        ),
        "cli.ledger_none_due": (
            "No partition closed before {cutoff}: nothing to archive",
            "没有在 {cutoff} 之前关闭的分区：无需归档",
        ),
        "cli.ledger_would_archive": (
            "Would archive {name} (~{rows} rows)",
            "将归档 {name}（约 {rows} 行）",
        ),
        "cli.ledger_archived": (
            "Archived {name}: {rows} rows to {path}{dropped}",
            "已归档 {name}：{rows} 行写入 {path}{dropped}",
        ),
        "cli.ledger_dropped": (", partition dropped", "，分区已删除"),
    }
)


@click.group()
def ledger() -> None:
    """The ledger's storage: monthly partitions, retention and archives."""


def _month(part: Partition) -> str:
    return "legacy" if part.period is None else period_start(part.period).strftime("%Y-%m")


def _when(value: dt.datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M")


@ledger.command("partitions")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_opts
def partitions(opts: Options, as_json: bool) -> None:
    """List the partitions of scans and stream_events, with PostgreSQL's row estimate."""

    async def go(engine: Engine) -> list[Partition]:
        return await engine.ledger.partitions()

    found = with_engine(opts, go)
    if as_json:
        echo_json(
            [
                {
                    "table": p.table,
                    "partition": p.name,
                    "month": _month(p),
                    "ids": [p.lo, p.hi],
                    "rows_estimate": p.rows,
                    "bytes": p.bytes,
                    "entered_at": p.entered_at,
                    "closed_at": p.closed_at,
                }
                for p in found
            ]
        )
        return
    if not found:
        click.echo(t("cli.ledger_unpartitioned", opts.lang))
        return
    click.echo(t("cli.ledger_parts_head", opts.lang))
    for p in found:
        click.echo(
            f"{p.name:<27} {_month(p):<8} {p.rows:>11,} {p.bytes / 1e6:>8.1f}MB"
            f"  {_when(p.entered_at):<17} {_when(p.closed_at)}"
        )


@ledger.command("maintain")
@pass_opts
def maintain(opts: Options) -> None:
    """Create the coming months' partitions now (veriseal serve does it every hour)."""

    async def go(engine: Engine) -> list[str] | None:
        if not engine.ledger.dialect.partitioned:
            return None
        return await engine.ledger.maintain()

    created = with_engine(opts, go)
    if created is None:
        click.echo(t("cli.ledger_unpartitioned", opts.lang))
    elif created:
        click.echo(t("cli.ledger_created", opts.lang, names=", ".join(created)))
    else:
        click.echo(t("cli.ledger_nothing_created", opts.lang))


@ledger.command("archive")
@click.option(
    "--older-than",
    "months",
    type=click.IntRange(min=1),
    required=True,
    help="Archive partitions closed before the start of the month N months ago.",
)
@click.option(
    "--to",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the archive files (<partition>.jsonl.gz and .json).",
)
@click.option(
    "--table",
    type=click.Choice(["scans", "stream_events"]),
    help="Only this table (default both).",
)
@click.option("--keep", is_flag=True, help="Write the files but keep the partitions.")
@click.option("--dry-run", is_flag=True, help="Only say what would be archived.")
@pass_opts
def archive(
    opts: Options, months: int, directory: Path, table: str | None, keep: bool, dry_run: bool
) -> None:
    """Write old partitions to files, then drop them (retention)."""

    async def go(engine: Engine) -> None:
        if not engine.ledger.dialect.partitioned:
            click.echo(t("cli.ledger_unpartitioned", opts.lang))
            return
        now = dt.datetime.now(dt.UTC)
        found = [
            p
            for p in archiving.due(await engine.ledger.partitions(), now, months)
            if table is None or p.table == table
        ]
        if not found:
            before = archiving.cutoff(now, months).date().isoformat()
            click.echo(t("cli.ledger_none_due", opts.lang, cutoff=before))
            return
        for part in found:
            if dry_run:
                click.echo(t("cli.ledger_would_archive", opts.lang, name=part.name, rows=part.rows))
                continue
            with progress_bar(part.name, max(part.rows, 1)) as advance:
                done = await archiving.archive(
                    engine.ledger, part, directory, drop=not keep, advance=advance
                )
            dropped = t("cli.ledger_dropped", opts.lang) if done.dropped else ""
            click.echo(
                t(
                    "cli.ledger_archived",
                    opts.lang,
                    name=done.partition,
                    rows=done.rows,
                    path=done.path,
                    dropped=dropped,
                )
            )

    with_engine(opts, go)

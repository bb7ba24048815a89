"""``veriseal dashboard rebuild``: recount the brand dashboard's daily scan rollup."""

from __future__ import annotations

import click

from veriseal import i18n
from veriseal.accounts.models import SYSTEM
from veriseal.engine import Engine
from veriseal.i18n import t
from veriseal_cli.context import Options, pass_opts, with_engine

i18n.register(
    {
        "cli.dashboard_rebuilt": (
            "Dashboard rollup rebuilt: {n} scans counted; {pending} recorded since are left"
            " to the event consumer (veriseal serve, or veriseal events consume)",
            "看板汇总已重建：共统计 {n} 次扫码；此后记录的 {pending} 次由事件消费者统计"
            "（veriseal serve 或 veriseal events consume）",
        ),
    }
)


@click.group()
def dashboard() -> None:
    """The brand dashboard's figures (a daily rollup of the scans)."""


@dashboard.command("rebuild")
@pass_opts
def rebuild(opts: Options) -> None:
    """Recount the daily scan rollup of every brand from the scans.

    Needed only after a repair of the ledger: the event-stream consumer keeps the
    rollup up to date (veriseal serve runs it). Holds the ledger's write lock while it
    counts (about a second per million scans on SQLite).
    """

    async def go(engine: Engine) -> None:
        n, pending = await engine.ops.dashboard.rebuild(SYSTEM)
        click.echo(t("cli.dashboard_rebuilt", opts.lang, n=f"{n:,}", pending=f"{pending:,}"))

    with_engine(opts, go)

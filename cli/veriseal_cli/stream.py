"""The event stream's commands: ``veriseal events consume|lag|parked|retry``.

They join the ``events`` group (EPCIS export lives there too). ``consume`` runs the
enabled consumers until they have caught up (``--watch``: until stopped, as ``veriseal
serve`` does in the background); ``lag`` shows each consumer's position against the
head; ``parked`` lists the events a consumer gave up on and ``retry`` hands one back.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

import click

from veriseal import i18n
from veriseal.engine import Engine
from veriseal.extend.stream import (
    WorkerOptions,
    lag,
    list_parked,
    retry_parked,
    worker_for,
)
from veriseal.i18n import t
from veriseal_cli.context import Options, echo_json, pass_opts, with_engine

i18n.register(
    {
        "cli.stream_consumed": ("Delivered {n} events", "已投递 {n} 个事件"),
        "cli.stream_watching": (
            "Delivering events to {names} (Ctrl+C to stop)",
            "正在向 {names} 投递事件（按 Ctrl+C 停止）",
        ),
        "cli.stream_lag_head": (
            "consumer                       position       head      lag   parked",
            "消费者                             位置       最新     落后     搁置",
        ),
        "cli.stream_not_declared": ("(not enabled)", "（未启用）"),
        "cli.stream_no_parked": ("No parked events", "没有搁置的事件"),
        "cli.stream_retried": (
            "Event {position} handled by {consumer}",
            "事件 {position} 已由 {consumer} 处理",
        ),
    }
)


def _options(max_tries: int) -> WorkerOptions:
    return WorkerOptions(max_tries=max_tries)


@click.command("consume")
@click.option("--watch", is_flag=True, help="Keep delivering new events until stopped.")
@click.option(
    "--consumer", "names", multiple=True, help="Only this consumer (repeatable; default all)."
)
@click.option(
    "--max-tries",
    type=click.IntRange(1, 1000),
    default=5,
    show_default=True,
    help="Failures of one event before it is parked.",
)
@pass_opts
def consume(opts: Options, watch: bool, names: tuple[str, ...], max_tries: int) -> None:
    """Deliver the event stream to its consumers (in order, at least once)."""

    async def go(engine: Engine) -> None:
        worker = worker_for(engine, _options(max_tries))
        selected = list(names) or None
        chosen = [c.name for c in worker.selected(selected)]
        if not watch:
            n = await worker.drain(selected)
            click.echo(t("cli.stream_consumed", opts.lang, n=n))
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        click.echo(t("cli.stream_watching", opts.lang, names=", ".join(chosen) or "-"), err=True)
        try:
            await worker.run(stop, selected)
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(Exception):
                    loop.remove_signal_handler(sig)

    with_engine(opts, go)


@click.command("lag")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_opts
def lag_command(opts: Options, as_json: bool) -> None:
    """Each consumer's position, the stream's head and how far behind it is."""

    async def go(engine: Engine) -> None:
        declared = [c.name for _, c in engine.consumers()]
        found = await lag(engine.ledger, declared)
        if as_json:
            echo_json([x.to_dict() for x in found])
            return
        click.echo(t("cli.stream_lag_head", opts.lang))
        for x in found:
            note = "" if x.declared else "  " + t("cli.stream_not_declared", opts.lang)
            click.echo(
                f"{x.consumer:<28} {x.position:>10} {x.head:>10} {x.lag:>8} {x.parked:>8}{note}"
            )

    with_engine(opts, go)


@click.command("parked")
@click.option("--consumer", help="Only this consumer's parked events.")
@click.option("--all", "resolved", is_flag=True, help="Include those a retry has handled.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_opts
def parked(opts: Options, consumer: str | None, resolved: bool, as_json: bool) -> None:
    """Events consumers gave up on (retry one with ``veriseal events retry``)."""

    async def go(engine: Engine) -> None:
        found = await list_parked(engine.ledger, consumer, resolved)
        if as_json:
            echo_json(
                [
                    {
                        "consumer": p.consumer,
                        "position": p.position,
                        "kind": p.kind,
                        "tries": p.tries,
                        "error": p.error,
                        "parked_at": p.parked_at.isoformat(),
                        "resolved_at": p.resolved_at.isoformat() if p.resolved_at else None,
                    }
                    for p in found
                ]
            )
            return
        if not found:
            click.echo(t("cli.stream_no_parked", opts.lang))
        for p in found:
            done = f"  resolved {p.resolved_at.isoformat()}" if p.resolved_at else ""
            click.echo(f"{p.consumer}  #{p.position}  {p.kind}  tries={p.tries}  {p.error}{done}")

    with_engine(opts, go)


@click.command("retry")
@click.argument("consumer")
@click.argument("position", type=click.IntRange(1))
@pass_opts
def retry(opts: Options, consumer: str, position: int) -> None:
    """Hand one parked event to its consumer again (marked resolved if it succeeds)."""

    async def go(engine: Engine) -> None:
        await retry_parked(worker_for(engine), consumer, position)
        click.echo(t("cli.stream_retried", opts.lang, position=position, consumer=consumer))

    with_engine(opts, go)


def add_event_commands(events: click.Command) -> None:
    """Add the stream's commands (``consume``, ``lag``, ``parked``, ``retry``) to the
    ``events`` group of :mod:`veriseal_cli.lifecycle`."""
    assert isinstance(events, click.Group)
    for command in (consume, lag_command, parked, retry):
        events.add_command(command)

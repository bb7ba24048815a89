"""``veriseal notify``: send notices, read inboxes, set preferences, run the delivery worker.

Commands parse input, call :mod:`veriseal.notifications` and render the result; they
hold no SQL. They open the ledger only (no keyring needed), except ``deliver`` with
``[notifications.push]`` configured: Web Push signs with the installation's VAPID key,
derived from the keyring. Users are reached at the contacts set
with ``notify contacts set``, else at their account's own e-mail and phone (the same
contact book the engine uses).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import os
import signal
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from veriseal.accounts.notify_bridge import AccountContactBook
from veriseal.accounts.store import AccountStore
from veriseal.catalog.keys import Keyring
from veriseal.extend.manager import Plugins
from veriseal.extend.manager import load as load_plugins
from veriseal.i18n import t
from veriseal.ledger import Ledger, open_ledger
from veriseal.notifications import (
    Channel,
    Contacts,
    DeliveryStatus,
    DeliveryWorker,
    DndWindow,
    HistoryFilter,
    LedgerContactBook,
    Notifier,
    NotifyInputInvalid,
    NotifySettings,
    PushSubscriptions,
    Report,
)
from veriseal.notifications.message_types import parse_type
from veriseal.notifications.preferences import parse_channels
from veriseal_cli.context import Options, echo_json, pass_opts, run
from veriseal_cli.option_groups import gather
from veriseal_cli.params import ID
from veriseal_cli.progress import progress_bar

T = TypeVar("T")


def with_notifier(opts: Options, body: Callable[[Notifier, NotifySettings], Awaitable[T]]) -> T:
    """Open (and migrate) the configured ledger, run ``body`` with a notifier, close.
    The enabled plugins are loaded first: their message types are what ``--type``
    may name, and their migrations are applied like an engine's."""

    async def go() -> T:
        config = opts.load()
        plugins = Plugins(load_plugins(config.plugins))  # fills the message-type registry
        ledger: Ledger = await open_ledger(config.db_url)
        try:
            await ledger.migrate(plugins.migrations())
            settings = NotifySettings.load(config.path)
            book = AccountContactBook(AccountStore(ledger), LedgerContactBook(ledger))
            push = PushSubscriptions(ledger, settings.push_policy())
            return await body(Notifier(ledger, book, push=push), settings)
        finally:
            await ledger.close()

    return run(opts, go)


def _data(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotifyInputInvalid(f"--data is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise NotifyInputInvalid("--data must be a JSON object")
    return value


def _when(text: str | None) -> dt.datetime | None:
    """A date or date-time; naive values are UTC."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise NotifyInputInvalid(f"not a date or ISO date-time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@click.group()
def notify() -> None:
    """Notifications: inbox, e-mail, SMS and webhooks. 消息通知。"""


@notify.command("send")
@click.option(
    "--type",
    "mtype",
    required=True,
    help="a registered message type: system_notice, or one a plugin registers",
)
@click.option("--user", "users", type=ID, multiple=True, required=True, help="Repeatable.")
@click.option("--title", required=True)
@click.option("--body", default="")
@click.option("--data", help="A JSON object carried with the message.")
@pass_opts
def send(
    opts: Options, mtype: str, users: tuple[int, ...], title: str, body: str, data: str | None
) -> None:
    """Send a message (a system notice, a promotion, ...) to users, through each user's
    chosen channels. All users' messages are accepted together or not at all."""

    async def go(n: Notifier, _s: NotifySettings) -> None:
        accepted = await n.notify_many(list(users), parse_type(mtype), title, body, _data(data))
        for user, a in zip(dict.fromkeys(users), accepted, strict=True):
            click.echo(t("cli.notify.accepted", opts.lang, id=a.message_id, n=len(a.deliveries)))
            echo_json(
                {
                    "user": user,
                    "message_id": a.message_id,
                    "inbox": a.in_inbox,
                    "deliveries": [
                        {
                            "id": d.id,
                            "channel": str(d.channel),
                            "address": d.address,
                            "not_before": d.not_before.isoformat(),
                            "held_by_dnd": d.held_by_dnd,
                        }
                        for d in a.deliveries
                    ],
                }
            )

    with_notifier(opts, go)


@notify.command("send-to")
@click.option("--channel", type=click.Choice(["email", "sms"]), required=True)
@click.option("--address", required=True, help="An e-mail address or a phone number.")
@click.option("--title", required=True)
@click.option("--body", default="")
@pass_opts
def send_to(opts: Options, channel: str, address: str, title: str, body: str) -> None:
    """Send to an address that belongs to no user (its text is erased once sent)."""

    async def go(n: Notifier, _s: NotifySettings) -> None:
        a = await n.send_to_address(channel, address, title, body)
        click.echo(t("cli.notify.accepted", opts.lang, id=a.message_id, n=len(a.deliveries)))

    with_notifier(opts, go)


@dataclasses.dataclass(frozen=True)
class InboxQuery:
    """The filters of ``notify inbox``, as the command line gave them."""

    query: str | None  # full-text search
    mtype: str | None  # a message type name
    channel: str | None  # a Channel value
    since: str | None  # date or ISO date-time, inclusive
    until: str | None  # date or ISO date-time, exclusive
    read: bool | None  # None: read and unread
    limit: int

    def history_filter(self) -> HistoryFilter:
        """The inbox filter these options describe (bad dates raise NotifyInputInvalid)."""
        return HistoryFilter(
            query=self.query,
            type=parse_type(self.mtype) if self.mtype else None,
            channel=Channel(self.channel) if self.channel else None,
            since=_when(self.since),
            until=_when(self.until),
            read=self.read,
            limit=self.limit,
        )


@notify.command("inbox")
@click.option("--user", type=ID, required=True)
@click.option("--search", "query", help="Full-text search (Chinese works: 窜货).")
@click.option("--type", "mtype")
@click.option("--channel", type=click.Choice([c.value for c in Channel]))
@click.option("--since", help="Date or ISO date-time (inclusive).")
@click.option("--until", help="Date or ISO date-time (exclusive).")
@click.option("--unread", "read", flag_value=False, default=None, help="Only unread.")
@click.option("--read", "read", flag_value=True, help="Only read.")
@click.option("--limit", type=click.IntRange(1, 500), default=50)
@click.option("--json", "as_json", is_flag=True)
@gather(InboxQuery, into="q")
@pass_opts
def inbox(opts: Options, user: int, q: InboxQuery, as_json: bool) -> None:
    """A user's messages, newest first, with filters and search."""

    async def go(n: Notifier, _s: NotifySettings) -> None:
        f = q.history_filter()
        found = await n.inbox.history(user, f)
        if as_json:
            echo_json([m.to_dict() for m in found])
            return
        for m in found:
            mark = " " if m.read else "*"
            click.echo(f"{mark} {m.id}\t{m.created_at:%Y-%m-%d %H:%M}\t{m.type}\t{m.title}")
        click.echo(t("cli.notify.unread", opts.lang, n=await n.inbox.unread_count(user, f)))

    with_notifier(opts, go)


@notify.command("mark")
@click.option("--user", type=ID, required=True)
@click.option("--unread", is_flag=True, help="Mark unread instead of read.")
@click.option("--all", "all_", is_flag=True, help="Every unread message of the user.")
@click.argument("ids", type=ID, nargs=-1)
@pass_opts
def mark(opts: Options, user: int, unread: bool, all_: bool, ids: tuple[int, ...]) -> None:
    """Mark messages read (or unread)."""

    async def go(n: Notifier, _s: NotifySettings) -> None:
        if all_ and not unread:
            changed = await n.inbox.mark_all_read(user)
        else:
            changed = await n.inbox.mark(user, list(ids), read=not unread)
        click.echo(t("cli.notify.marked", opts.lang, n=changed))

    with_notifier(opts, go)


@notify.group("prefs")
def prefs() -> None:
    """Channels per message type."""


@prefs.command("show")
@click.option("--user", type=ID, required=True)
@pass_opts
def prefs_show(opts: Options, user: int) -> None:
    async def go(n: Notifier, _s: NotifySettings) -> None:
        out = []
        for p in await n.preferences.all(user):
            out.append(
                {
                    "type": str(p.type),
                    "channels": [str(c) for c in p.channels],
                    "dnd": None
                    if p.dnd is None
                    else {
                        "from": f"{p.dnd.start:%H:%M}",
                        "to": f"{p.dnd.end:%H:%M}",
                        "tz": p.dnd.tz,
                    },
                    "default": p.is_default,
                }
            )
        echo_json(out)

    with_notifier(opts, go)


@prefs.command("set")
@click.option("--user", type=ID, required=True)
@click.option("--type", "mtype", required=True)
@click.option("--channels", required=True, help="Comma-separated: inbox,email,sms,webhook.")
@pass_opts
def prefs_set(opts: Options, user: int, mtype: str, channels: str) -> None:
    async def go(n: Notifier, _s: NotifySettings) -> None:
        p = await n.preferences.set(user, parse_type(mtype), channels=parse_channels([channels]))
        echo_json({"type": str(p.type), "channels": [str(c) for c in p.channels]})

    with_notifier(opts, go)


@notify.group("dnd")
def dnd() -> None:
    """Do-not-disturb windows per message type (security notices are never held)."""


@dnd.command("set")
@click.option("--user", type=ID, required=True)
@click.option("--type", "mtype", required=True)
@click.option("--from", "start", required=True, help="HH:MM, local time.")
@click.option("--to", "end", required=True, help="HH:MM, local time.")
@click.option("--tz", default="Asia/Shanghai", show_default=True)
@pass_opts
def dnd_set(opts: Options, user: int, mtype: str, start: str, end: str, tz: str) -> None:
    async def go(n: Notifier, _s: NotifySettings) -> None:
        window = DndWindow.parse(start, end, tz)
        await n.preferences.set(user, parse_type(mtype), dnd=window)
        echo_json({"type": mtype, "from": start, "to": end, "tz": tz})

    with_notifier(opts, go)


@dnd.command("clear")
@click.option("--user", type=ID, required=True)
@click.option("--type", "mtype", required=True)
@pass_opts
def dnd_clear(opts: Options, user: int, mtype: str) -> None:
    async def go(n: Notifier, _s: NotifySettings) -> None:
        await n.preferences.set(user, parse_type(mtype), clear_dnd=True)
        echo_json({"type": mtype, "dnd": None})

    with_notifier(opts, go)


@notify.group("contacts")
def contacts() -> None:
    """The in-ledger contact book (until the accounts module supplies users' contacts)."""


@contacts.command("set")
@click.option("--user", type=ID, required=True)
@click.option("--email")
@click.option("--phone")
@click.option("--webhook-url")
@click.option(
    "--webhook-secret-env",
    help="Name of an environment variable holding the webhook secret (kept off the "
    "command line, where other users could read it).",
)
@pass_opts
def contacts_set(
    opts: Options,
    user: int,
    email: str | None,
    phone: str | None,
    webhook_url: str | None,
    webhook_secret_env: str | None,
) -> None:
    async def go(n: Notifier, _s: NotifySettings) -> None:
        secret = None
        if webhook_secret_env:
            value = os.environ.get(webhook_secret_env)
            if not value:
                raise NotifyInputInvalid(f"${webhook_secret_env} is not set")
            secret = value.encode()
        book = LedgerContactBook(n.ledger)
        c = await book.set(user, Contacts(email, phone, webhook_url, secret))
        echo_json({"user": user, "email": c.email, "phone": c.phone, "webhook_url": c.webhook_url})

    with_notifier(opts, go)


@notify.command("outbox")
@click.option("--status", type=click.Choice([s.value for s in DeliveryStatus]))
@click.option("--limit", type=click.IntRange(1, 10_000), default=50)
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def outbox(opts: Options, status: str | None, limit: int, as_json: bool) -> None:
    """Delivery status: counts, then the newest deliveries."""

    async def go(n: Notifier, _s: NotifySettings) -> None:
        summary = await n.outbox.summary()
        found = await n.outbox.deliveries(
            status=DeliveryStatus(status) if status else None, limit=limit
        )
        rows = [
            {
                "id": d.id,
                "message_id": d.message_id,
                "channel": str(d.channel),
                "address": d.address,
                "status": str(d.status),
                "attempts": d.attempts,
                "not_before": d.not_before.isoformat(),
                "held_by_dnd": d.held_by_dnd,
                "last_error": d.last_error,
                "key": d.idempotency_key,
            }
            for d in found
        ]
        if as_json:
            echo_json({"summary": dataclasses.asdict(summary), "deliveries": rows})
            return
        click.echo(json.dumps(dataclasses.asdict(summary)))
        for r in rows:
            click.echo(
                f"{r['id']}\t{r['status']}\t{r['channel']}\t{r['address']}\t"
                f"attempts={r['attempts']}\t{r['last_error'] or ''}"
            )

    with_notifier(opts, go)


@notify.command("attempts")
@click.argument("outbox_id", type=ID)
@pass_opts
def attempts(opts: Options, outbox_id: int) -> None:
    """Every recorded attempt of one delivery."""

    async def go(n: Notifier, _s: NotifySettings) -> None:
        d = await n.outbox.get(outbox_id)
        found = await n.outbox.attempts(outbox_id)
        echo_json(
            {
                "delivery": {"id": d.id, "status": str(d.status), "attempts": d.attempts},
                "attempts": [
                    {
                        "no": a.attempt_no,
                        "worker": a.worker,
                        "at": a.at.isoformat(),
                        "outcome": a.outcome,
                        "error": a.error,
                    }
                    for a in found
                ],
            }
        )

    with_notifier(opts, go)


@notify.command("deliver")
@click.option("--watch", is_flag=True, help="Keep running (until SIGINT / SIGTERM).")
@click.option("--poll", type=click.FloatRange(0.05), default=1.0, show_default=True)
@click.option("--lease-seconds", type=click.FloatRange(1))
@click.option("--max-attempts", type=click.IntRange(1))
@click.option("--backoff-base", type=click.FloatRange(0))
@click.option("--send-timeout", type=click.FloatRange(0.1))
@pass_opts
def deliver(
    opts: Options,
    watch: bool,
    poll: float,
    lease_seconds: float | None,
    max_attempts: int | None,
    backoff_base: float | None,
    send_timeout: float | None,
) -> None:
    """Run the delivery worker: send everything due now (or keep running with --watch)."""

    async def go(n: Notifier, s: NotifySettings) -> None:
        options = s.worker_options(
            lease_seconds=lease_seconds,
            max_attempts=max_attempts,
            backoff_base=backoff_base,
            send_timeout=send_timeout,
        )
        # the keyring only where push needs it: the other channels run without a secret
        keyring = Keyring(opts.load().key_source) if (s.push or {}).get("subject") else None
        senders = s.senders(n.contacts, push=n.push, keyring=keyring)
        if set(senders) == {Channel.WEBHOOK}:
            click.echo(t("cli.notify.no_senders", opts.lang), err=True)
        worker = DeliveryWorker(n.ledger, senders, options)
        try:
            if watch:
                await _watch(worker, poll, opts.lang)
            else:
                await _drain(worker, n, opts.lang)
        finally:
            for sender in senders.values():
                await sender.close()

    with_notifier(opts, go)


async def _drain(worker: DeliveryWorker, n: Notifier, lang: str | None) -> None:
    total = Report()
    due = (await n.outbox.summary()).pending
    with progress_bar(t("cli.notify.delivering", lang), due) as advance:
        while True:
            report = await worker.run_once()
            advance(report.claimed)
            total.add(report)
            if report.claimed < worker.options.batch_size:
                break
    _echo_report(total, lang)


async def _watch(worker: DeliveryWorker, poll: float, lang: str | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await worker.run(stop, poll_seconds=poll, on_report=lambda r: _echo_report(r, lang))


def _echo_report(r: Report, lang: str | None) -> None:
    click.echo(
        t(
            "cli.notify.delivered",
            lang,
            claimed=r.claimed,
            delivered=r.delivered,
            retried=r.retried,
            failed=r.failed,
        ),
        err=False,
    )
    for e in r.errors[:20]:
        click.echo(f"  {e}", err=True)

"""The plugin contract: every hook a plugin may implement, one docstring each.

A plugin is a module (or object) with functions marked ``@hookimpl`` whose names are
hook names below; it implements any subset, and may accept any subset of a hook's
arguments, by name. It is found through the ``veriseal.plugins`` entry-point group and
runs only when the config enables it (:mod:`veriseal.extend.manager`). A hookimpl whose
name is not a hook below stops the start-up with ``plugin_invalid``: a typo never goes
unnoticed.

``ctx`` is the plugin's own :class:`~veriseal.extend.context.PluginContext` (its
database, config, state, lookups, permission checks, services): hooks get it instead of
the engine, which no hook receives. A hookimpl asking for ``engine`` stops the start-up
with ``plugin_invalid``; what a plugin needs from the core is a method of the context.

Hooks marked *async-capable* may return an awaitable; the core awaits it. Hooks called
after a scan or event has committed MUST NOT be relied on for durability: the core logs a
plugin's exception there and goes on (the scan is acknowledged already). Hooks called
before the scan is stored (``verdict_contribution``) are awaited on the verify hot path:
keep them fast, and read from memory or your own tables only.

The ``register_*`` hooks fill open registries (permissions, message types, error
texts, console pages) when the plugins load, before any engine opens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterable, Awaitable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

from veriseal.extend.stream.consumer import Consumer
from veriseal.ledger.migrate import PluginMigrations
from veriseal.lifecycle.epcis import EpcisEvent
from veriseal.models import Brand, NewAlert, NewScan, Scan
from veriseal.scanning.hooks import LedgerEvent, VerdictContribution

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.accounts.permissions import Permission
    from veriseal.extend.console import ConsolePage, ConsoleView
    from veriseal.extend.context import PluginContext
    from veriseal.extend.periodic import PeriodicTask
    from veriseal.extend.services import Provided, ServiceKey
    from veriseal.notifications.message_types import MessageTypeSpec
    from veriseal.scanning.verification import Verification

__all__ = ["LedgerEvent", "VerdictContribution", "hookimpl", "hookspec"]

PROJECT = "veriseal"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def startup(ctx: PluginContext) -> Awaitable[None] | None:
    """Called once when an engine has opened (and migrated) its ledger; async-capable."""


@hookspec
def seed_demo(ctx: PluginContext, brand: Brand) -> Awaitable[None] | None:
    """``veriseal serve --demo``: add this plugin's demo data to the demo ``brand`` (whose
    dealer organisations and console users exist already); async-capable. Runs at every
    demo start, so it MUST be idempotent: find what an earlier run made before making it."""


@hookspec
def periodic_tasks() -> Sequence[PeriodicTask] | None:
    """Work to run every so often while ``veriseal serve`` runs (expiring what is due,
    polling an outside service): :class:`~veriseal.extend.periodic.PeriodicTask` s, run
    in the server's first process, one at a time; each must be idempotent."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add click command groups to the ``veriseal`` command: ``cli.add_command(group)``,
    or, so that start-up imports nothing of them, ``cli.add_lazy(name, "module:attr",
    summary)`` (:class:`~veriseal.extend.lazy_commands.LazyGroup`). A plugin may also
    list its groups in a ``GROUPS`` table in its package's ``commands`` module: then
    ``veriseal --help`` reads them without loading the plugin at all, and this hook is
    not called (docs/plugins.md, "register_commands")."""


@hookspec
def register_routes(app: web.Application, ctx: PluginContext) -> None:
    """Serve the plugin's ``veriseal.Endpoint`` s: ``mount_plugin(app, ctx, ROUTES)``."""


@hookspec
def ledger_migrations() -> PluginMigrations | None:
    """Name the plugin's own migrations folder; ``veriseal migrate`` applies them."""


@hookspec
def verdict_contribution(
    ctx: PluginContext, scan: NewScan, verification: Verification
) -> VerdictContribution | Awaitable[VerdictContribution | None] | None:
    """Before a scan is stored: add facts to its verdict, or raise its severity."""


@hookspec
def scan_recorded(
    ctx: PluginContext, scan: Scan, verification: Verification
) -> Awaitable[None] | None:
    """After a scan has committed (its region resolved): react to it; async-capable."""


@hookspec
def scan_alerts(
    ctx: PluginContext, scan: Scan, verification: Verification
) -> list[NewAlert] | Awaitable[list[NewAlert]] | None:
    """After a scan has committed: alerts it triggers, which the core stores and announces."""


@hookspec
def ledger_event(ctx: PluginContext, event: LedgerEvent) -> Awaitable[None] | None:
    """After an event was appended to the ledger (an alert, ...): react; async-capable."""


@hookspec
def epcis_events(
    ctx: PluginContext,
    brand: Brand,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> AsyncIterable[EpcisEvent] | Iterable[EpcisEvent] | None:
    """The plugin's :class:`EpcisEvent` s of ``brand`` whose event time is in
    ``[since, until)`` (``None``: unbounded), in event-time order, for the EPCIS export
    (``veriseal events export``). May be an async generator paging through the plugin's
    tables. The core merges every plugin's events with its own by event time. An
    exception aborts the export: a document silently missing events must not pass as
    complete."""


@hookspec
def register_permissions() -> Iterable[Permission] | None:
    """Actions the plugin checks and the roles that hold them (``Permission``)."""


@hookspec
def register_message_types() -> Iterable[MessageTypeSpec] | None:
    """Message types the plugin sends, with zh/en names and default channels."""


@hookspec
def register_error_codes() -> Mapping[str, tuple[str, str]] | None:
    """The plugin's error codes and their titles: ``{code: (English, 中文)}``."""


@hookspec
def register_console_pages() -> Iterable[ConsolePage | ConsoleView] | None:
    """Console menu entries (``ConsolePage``) and views (``ConsoleView``: method, path,
    handler, access) the plugin brings; templates in the plugin's ``pages/`` folder."""


@hookspec
def provide_services(ctx: PluginContext) -> Iterable[Provided[Any]] | None:
    """Services the plugin offers other plugins, each a ``Provided(key, implementation)``."""


@hookspec
def required_services() -> Sequence[ServiceKey[Any]] | None:
    """Services the plugin cannot run without; start-up fails if one is not provided."""


@hookspec
def event_consumers() -> Consumer | Sequence[Consumer] | None:
    """The plugin's consumers of the event stream (:class:`veriseal.extend.stream.Consumer`):
    each names the event kinds it wants and a ``handle(ctx, batch, tx)`` applying a batch's
    effects in ``tx``, the transaction in which its cursor moves past the batch. Delivery
    is in order and at least once, off the verify path (``veriseal serve`` runs the
    worker; so does ``veriseal events consume``). Names are unique across plugins."""

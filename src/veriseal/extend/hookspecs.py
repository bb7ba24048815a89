"""The plugin contract: every hook a plugin may implement, one docstring each.

A plugin is a module (or object) with functions marked ``@hookimpl`` whose names are
hook names below; it implements any subset, and may accept any subset of a hook's
arguments, by name. It is found through the ``veriseal.extend.manager`` entry-point group and
runs only when the config enables it (:mod:`veriseal.extend.manager`). A hookimpl whose name is
not a hook below stops the start-up with ``plugin_invalid``: a typo never goes unnoticed.

Hooks marked *async-capable* may return an awaitable; the core awaits it. Hooks called
after a scan or event has committed MUST NOT be relied on for durability: the core logs a
plugin's exception there and goes on (the scan is acknowledged already). Hooks called
before the scan is stored (``verdict_contribution``) are awaited on the verify hot path:
keep them fast, and read from memory or your own tables only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterable, Awaitable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pluggy

from veriseal.ledger.migrate import PluginMigrations
from veriseal.lifecycle.epcis import EpcisEvent
from veriseal.models import Brand, NewAlert, NewScan, Scan

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.engine import Engine
    from veriseal.scanning.verification import Outcome, Verification

PROJECT = "veriseal"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@dataclass(frozen=True)
class VerdictContribution:
    """What a plugin adds to a verdict: ``facts`` shown with it (JSON-ready values, under
    the plugin's name), and optionally a MORE severe ``outcome`` with its ``reason`` (a
    stable code) and English ``message``. A contribution can never make a verdict milder."""

    facts: dict[str, Any] = field(default_factory=dict)
    outcome: Outcome | None = None
    reason: str = ""
    message: str = ""


@dataclass(frozen=True)
class LedgerEvent:
    """Something appended to the ledger that plugins may react to. ``kind`` is stable
    (``"alert"`` for an alert raised; other modules add their own kinds), ``ref`` the id of
    the appended row, ``details`` its JSON-ready content."""

    kind: str
    brand_id: int | None
    ref: int
    details: dict[str, Any] = field(default_factory=dict)


@hookspec
def startup(engine: Engine) -> Awaitable[None] | None:
    """Called once when an engine has opened (and migrated) its ledger; async-capable."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add click command groups to the ``veriseal`` command: ``cli.add_command(group)``."""


@hookspec
def register_routes(app: web.Application, engine: Engine) -> None:
    """Add HTTP routes to the server's aiohttp app, e.g. ``app.router.add_get(...)``."""


@hookspec
def ledger_migrations() -> PluginMigrations | None:
    """Name the plugin's own migrations folder; ``veriseal migrate`` applies them."""


@hookspec
def verdict_contribution(
    engine: Engine, scan: NewScan, verification: Verification
) -> VerdictContribution | Awaitable[VerdictContribution | None] | None:
    """Before a scan is stored: add facts to its verdict, or raise its severity."""


@hookspec
def scan_recorded(engine: Engine, scan: Scan, verification: Verification) -> Awaitable[None] | None:
    """After a scan has committed (its region resolved): react to it; async-capable."""


@hookspec
def scan_alerts(
    engine: Engine, scan: Scan, verification: Verification
) -> list[NewAlert] | Awaitable[list[NewAlert]] | None:
    """After a scan has committed: alerts it triggers, which the core stores and announces."""


@hookspec
def ledger_event(engine: Engine, event: LedgerEvent) -> Awaitable[None] | None:
    """After an event was appended to the ledger (an alert, ...): react; async-capable."""


@hookspec
def epcis_events(
    engine: Engine, brand: Brand, since: dt.datetime | None, until: dt.datetime | None
) -> AsyncIterable[EpcisEvent] | Iterable[EpcisEvent] | None:
    """The plugin's :class:`EpcisEvent` s of ``brand`` whose event time is in
    ``[since, until)`` (``None``: unbounded), in event-time order, for the EPCIS export
    (``veriseal events export``). May be an async generator paging through the plugin's
    tables. The core merges every plugin's events with its own by event time. An
    exception aborts the export: a document silently missing events must not pass as
    complete."""

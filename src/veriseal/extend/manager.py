"""The plugin manager: bundled and enabled plugins from the ``veriseal.extend.manager`` group.

Rules (ARCHITECTURE.md rule 5):

- plugins are found through the entry-point group :data:`ENTRY_POINT_GROUP`; the entry
  point's name is the plugin's name and its object (a module) holds the hookimpls;
- installing a plugin does not enable it: only the names in the config's
  ``[plugins] enabled`` list are loaded (default: :data:`BUNDLED`);
- nothing is loaded at import time: :func:`load` runs when an engine opens or the CLI
  needs its command list;
- start-up fails with a coded error (never later, never silently) when an enabled plugin
  is not installed, cannot be imported, or implements a hook that does not exist
  (``check_pending``) or with arguments the hook does not have.

:class:`Plugins` is what the services call: it awaits async-capable hooks and keeps a
plugin's exception after a commit from failing a request that is already durable.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

import pluggy

from veriseal.errors import ConfigError
from veriseal.extend import hookspecs
from veriseal.extend.hookspecs import LedgerEvent, VerdictContribution
from veriseal.i18n import register
from veriseal.ledger.migrate import PluginMigrations
from veriseal.lifecycle.epcis import EpcisEvent
from veriseal.models import Brand, NewAlert, NewScan, Scan
from veriseal.scanning.verification import Outcome, Verification

if TYPE_CHECKING:
    from veriseal.engine import Engine

log = logging.getLogger("veriseal.plugins")

ENTRY_POINT_GROUP = "veriseal.plugins"
#: Plugins that ship with Veriseal and are enabled by the default config.
BUNDLED: tuple[str, ...] = ("territories",)

#: How bad a verdict is; a plugin's contribution may only move a verdict up this scale.
SEVERITY: dict[Outcome, int] = {
    Outcome.GENUINE: 0,
    Outcome.PIN_REQUIRED: 1,
    Outcome.EXPIRED: 2,
    Outcome.SUSPECTED_CLONE: 3,
    Outcome.PIN_WRONG: 3,
    Outcome.RECALLED: 4,
    Outcome.NOT_ACTIVATED: 4,  # authentic label that never went live: as bad as a recall
    Outcome.DECOMMISSIONED: 5,  # a voided label back in circulation
    Outcome.KEY_REVOKED: 5,
    Outcome.INVALID: 6,
    Outcome.NEEDS_ONLINE_CHECK: 1,  # offline checks only: no verdict yet, like a PIN to come
}


class PluginNotFound(ConfigError):
    """The config enables a plugin that is not installed."""

    code = "plugin_not_found"


class PluginInvalid(ConfigError):
    """A plugin fails to import, or implements hooks that do not exist."""

    code = "plugin_invalid"


register(
    {
        "error.plugin_not_found": ("Plugin not installed", "插件未安装"),
        "error.plugin_invalid": ("Plugin is invalid", "插件无效"),
    }
)


def installed() -> dict[str, EntryPoint]:
    """The plugins installed in this environment, by name (enabled or not)."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def load(enabled: Iterable[str], extra: Sequence[tuple[str, object]] = ()) -> pluggy.PluginManager:
    """A plugin manager with the ``enabled`` plugins registered and checked.

    ``extra`` registers (name, plugin object) pairs directly (tests, embedding apps).
    Raises :class:`PluginNotFound` / :class:`PluginInvalid` (see module docstring).
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    available = installed()
    todo: list[tuple[str, object]] = []
    for name in dict.fromkeys(enabled):  # in order, once each
        ep = available.get(name)
        if ep is None:
            known = ", ".join(sorted(available)) or "none"
            raise PluginNotFound(
                f"plugin {name!r} is enabled in the config but not installed (installed: {known})"
            )
        try:
            todo.append((name, ep.load()))
        except Exception as exc:
            raise PluginInvalid(
                f"plugin {name!r} ({ep.value}) failed to import: {type(exc).__name__}: {exc}"
            ) from exc
    for name, plugin in (*todo, *extra):
        try:
            pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise PluginInvalid(f"plugin {name!r}: {exc}") from exc
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginInvalid(f"{exc} (a misspelled hook name?)") from exc
    return pm


async def _settle(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class Plugins:
    """The services' view of the enabled plugins (see module docstring)."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self.hook = pm.hook
        self.engine: Engine | None = None  # bound by Engine.open once the engine exists
        # a hook nobody implements costs nothing on the hot path
        self._has = {
            name: bool(getattr(pm.hook, name).get_hookimpls())
            for name in ("verdict_contribution", "scan_recorded", "scan_alerts", "ledger_event")
        }

    @property
    def contributes(self) -> bool:
        """Whether some plugin implements ``verdict_contribution``."""
        return self._has["verdict_contribution"]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.pm.list_name_plugin() if name is not None]

    def migrations(self) -> list[PluginMigrations]:
        return [m for m in self.hook.ledger_migrations() if m is not None]

    async def startup(self, engine: Engine) -> None:
        self.engine = engine
        for result in self.hook.startup(engine=engine):
            await _settle(result)

    async def contribute(
        self, scan: NewScan, verification: Verification
    ) -> list[tuple[str, VerdictContribution]]:
        """Every plugin's :class:`VerdictContribution` for this scan (none when a plugin
        fails: a broken plugin must not block verification; it is logged)."""
        if not self._has["verdict_contribution"]:
            return []
        out: list[tuple[str, VerdictContribution]] = []
        for impl in self.hook.verdict_contribution.get_hookimpls():
            try:
                found = await _settle(
                    impl.function(
                        **_args(impl, engine=self.engine, scan=scan, verification=verification)
                    )
                )
            except Exception:
                log.exception("plugin %s failed in verdict_contribution", impl.plugin_name)
                continue
            if found is not None:
                out.append((impl.plugin_name, found))
        return out

    async def after_scan(self, scan: Scan, verification: Verification) -> list[NewAlert]:
        """Call ``scan_recorded`` and collect ``scan_alerts`` (exceptions are logged)."""
        alerts: list[NewAlert] = []
        if self._has["scan_alerts"]:
            for impl in self.hook.scan_alerts.get_hookimpls():
                try:
                    found = await _settle(
                        impl.function(
                            **_args(impl, engine=self.engine, scan=scan, verification=verification)
                        )
                    )
                except Exception:
                    log.exception("plugin %s failed in scan_alerts", impl.plugin_name)
                    continue
                alerts.extend(found or ())
        if self._has["scan_recorded"]:
            await self._each(
                "scan_recorded", engine=self.engine, scan=scan, verification=verification
            )
        return alerts

    async def event(self, event: LedgerEvent) -> None:
        if self._has["ledger_event"]:
            await self._each("ledger_event", engine=self.engine, event=event)

    def epcis_events(
        self, brand: Brand, since: dt.datetime | None, until: dt.datetime | None
    ) -> list[tuple[str, AsyncIterator[EpcisEvent]]]:
        """Every plugin's ``epcis_events`` as (plugin name, async iterator), each event
        checked (``plugin_invalid`` for a naive time or a key the core writes). Not
        guarded like the after-commit hooks: an export missing events must fail."""
        out: list[tuple[str, AsyncIterator[EpcisEvent]]] = []
        for impl in self.hook.epcis_events.get_hookimpls():
            found = impl.function(
                **_args(impl, engine=self.engine, brand=brand, since=since, until=until)
            )
            if found is not None:
                out.append((impl.plugin_name, _checked(impl.plugin_name, found)))
        return out

    async def _each(self, hook: str, **kwargs: Any) -> None:
        # Each implementation on its own, so one failing plugin does not silence the rest.
        for impl in getattr(self.hook, hook).get_hookimpls():
            try:
                await _settle(impl.function(**_args(impl, **kwargs)))
            except Exception:
                log.exception("plugin %s failed in %s", impl.plugin_name, hook)


#: EPCIS keys the core writes for a plugin's event (see :class:`EpcisEvent`).
EPCIS_CORE_KEYS = frozenset(
    {"type", "eventTime", "eventTimeZoneOffset", "recordTime", "eventID", "epcList", "@context"}
)


async def _checked(plugin: str, events: Any) -> AsyncIterator[EpcisEvent]:
    """``events`` (a sync or async iterable) as an async iterator, each event checked."""
    if hasattr(events, "__aiter__"):
        async for event in events:
            yield _check_event(plugin, event)
    else:
        for event in events:
            yield _check_event(plugin, event)


def _check_event(plugin: str, event: Any) -> EpcisEvent:
    if not isinstance(event, EpcisEvent):
        raise PluginInvalid(f"plugin {plugin!r}: epcis_events gave {type(event).__name__}")
    if event.event_time.utcoffset() is None:
        raise PluginInvalid(f"plugin {plugin!r}: EPCIS event {event.key} has a naive time")
    clash = sorted(EPCIS_CORE_KEYS & set(event.fields))
    if clash:
        raise PluginInvalid(
            f"plugin {plugin!r}: EPCIS event {event.key} sets {', '.join(clash)}"
            " (the core writes them)"
        )
    return event


def _args(impl: pluggy.HookImpl, **available: Any) -> dict[str, Any]:
    """The arguments this implementation asked for (pluggy's by-name convention)."""
    return {name: available[name] for name in impl.argnames}


def apply(
    verification: Verification, contributions: Sequence[tuple[str, VerdictContribution]]
) -> tuple[Verification, dict[str, Any]]:
    """The verdict after the plugins' contributions (only ever more severe), and their
    facts keyed by plugin name."""
    facts: dict[str, Any] = {}
    result = verification
    for name, c in contributions:
        if c.facts:
            facts[name] = c.facts
        if c.outcome is not None and SEVERITY[c.outcome] > SEVERITY[result.outcome]:
            result = Verification(c.outcome, c.reason or name, c.message, result.info)
    return result, facts

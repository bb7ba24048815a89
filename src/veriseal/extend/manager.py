"""The plugin manager: bundled and enabled plugins from the ``veriseal.plugins`` group.

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

:func:`load` also fills the open registries from the ``register_*`` hooks
(permissions, message types, error texts) so that a name is known before any engine
opens. :class:`Plugins` is what the services call (it implements the scan service's
:class:`~veriseal.scanning.hooks.ScanHooks`): it builds each plugin's
:class:`~veriseal.extend.context.PluginContext`, collects services and console pages,
awaits async-capable hooks, and keeps a plugin's exception after a commit from failing a
request that is already durable.

Hooks are called through pluggy's hook caller. Hooks that take ``ctx`` are called once
per plugin, through a caller pluggy builds for that plugin alone
(``PluginManager.subset_hook_caller``): each plugin must get its own context, and after a
commit one failing plugin must not silence the others.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from veriseal.accounts.permissions import register_action
from veriseal.errors import ConfigError
from veriseal.extend import hookspecs, lazy_commands
from veriseal.extend.console import ConsoleRegistry
from veriseal.extend.context import Core, PluginContext
from veriseal.extend.database import database_for
from veriseal.extend.periodic import PeriodicTask
from veriseal.extend.services import ServiceRegistry
from veriseal.extend.stream.consumer import Consumer
from veriseal.i18n import register
from veriseal.ledger.migrate import PluginMigrations
from veriseal.lifecycle.epcis import EpcisEvent
from veriseal.models import Brand, NewAlert, NewScan, Scan
from veriseal.notifications.message_types import register_message_type
from veriseal.scanning.hooks import LedgerEvent, VerdictContribution
from veriseal.scanning.verification import Verification

log = logging.getLogger("veriseal.plugins")

ENTRY_POINT_GROUP = lazy_commands.ENTRY_POINT_GROUP  # "veriseal.plugins"
#: Plugins that ship with Veriseal and are enabled by the default config.
BUNDLED: tuple[str, ...] = ("territories", "commerce", "inventory", "logistics", "analytics")


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
            hash(plugin)  # pluggy's per-plugin callers keep plugins in sets
        except TypeError:
            raise PluginInvalid(
                f"plugin {name!r} is a {type(plugin).__name__}, which is not hashable:"
                " register a module or a class instance"
            ) from None
        try:
            pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise PluginInvalid(f"plugin {name!r}: {exc}{_hint(exc)}") from exc
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginInvalid(f"{exc} (a misspelled hook name?)") from exc
    _fill_registries(pm)
    return pm


def _hint(exc: Exception) -> str:
    """What to do about a refused hookimpl, when it is the engine argument hooks no
    longer receive (plugins written before the SDK)."""
    if "'engine'" in str(exc):
        return " (hooks receive ctx, the plugin's PluginContext, never the engine)"
    return ""


def _fill_registries(pm: pluggy.PluginManager) -> None:
    """The ``register_*`` hooks into the core's open registries (``plugin_invalid`` for
    a clash with a name registered differently)."""
    try:
        for permissions in pm.hook.register_permissions():
            for permission in permissions or ():
                register_action(permission)
        for specs in pm.hook.register_message_types():
            for spec in specs or ():
                register_message_type(spec)
        for texts in pm.hook.register_error_codes():
            register({f"error.{code}": pair for code, pair in (texts or {}).items()})
    except ValueError as exc:
        raise PluginInvalid(str(exc)) from exc


async def _settle(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


#: Hooks whose implementations run once per plugin, each with that plugin's context.
_PER_PLUGIN = (
    "startup",
    "seed_demo",
    "periodic_tasks",
    "register_routes",
    "verdict_contribution",
    "scan_recorded",
    "scan_alerts",
    "ledger_event",
    "epcis_events",
    "provide_services",
    "required_services",
    "register_console_pages",
    "event_consumers",
)


class Plugins:
    """The services' view of the enabled plugins (see module docstring)."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self.hook = pm.hook
        self.services = ServiceRegistry()
        self.console = ConsoleRegistry()
        self._contexts: dict[str, PluginContext] = {}
        plugins = dict(pm.list_name_plugin())
        # per hook: (plugin name, pluggy's caller for that plugin alone), in call order
        self._callers: dict[str, list[tuple[str, Any]]] = {}
        for hook in _PER_PLUGIN:
            names = [impl.plugin_name for impl in getattr(pm.hook, hook).get_hookimpls()]
            self._callers[hook] = [
                (name, pm.subset_hook_caller(hook, [p for n, p in plugins.items() if n != name]))
                for name in reversed(names)  # pluggy calls the last registered first
            ]

    @property
    def contributes(self) -> bool:
        """Whether some plugin implements ``verdict_contribution``."""
        return bool(self._callers["verdict_contribution"])

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.pm.list_name_plugin() if name is not None]

    def migrations(self) -> list[PluginMigrations]:
        return [m for m in self.hook.ledger_migrations() if m is not None]

    def context(self, name: str) -> PluginContext:
        """The context of the enabled plugin ``name`` (after :meth:`startup`)."""
        found = self._contexts.get(name)
        if found is None:
            raise PluginNotFound(f"plugin {name!r} is not enabled in this engine")
        return found

    def bind(self, core: Core) -> None:
        """Build every plugin's context over ``core``, collect the services and console
        pages they provide, and check the services they require (``service_missing``)."""
        sections = core.config.plugin_settings
        for name in self.names:
            self._contexts[name] = PluginContext(
                name=name,
                db=database_for(core.ledger, name),
                config=dict(sections.get(name, {})),
                _core=core,
                _services=self.services,
                _announce=self.event,
            )
        for name, call in self._callers["provide_services"]:
            for provided in _one(call(ctx=self._contexts[name])) or ():
                self.services.add(name, provided)
        for name, call in self._callers["required_services"]:
            self.services.check_required(name, list(_one(call()) or ()), self.names)
        for name, call in self._callers["register_console_pages"]:
            for page in _one(call()) or ():
                try:
                    self.console.add(name, page)
                except ValueError as exc:
                    raise PluginInvalid(str(exc)) from exc

    async def startup(self, core: Core) -> None:
        """:meth:`bind`, then each plugin's ``startup`` (an exception aborts the start)."""
        self.bind(core)
        for name, call in self._callers["startup"]:
            await _settle(_one(call(ctx=self._contexts[name])))

    async def seed_demo(self, brand: Brand) -> None:
        """Each plugin's ``seed_demo`` with its own context, in pluggy's call order:
        ``tryfirst`` hookimpls, then the others (the last loaded first), then ``trylast``
        ones. A plugin whose demo data builds on others' marks its hookimpl ``trylast``
        (commerce's orders need territories' dealers and inventory's stock)."""
        for name, call in self._callers["seed_demo"]:
            await _settle(_one(call(ctx=self._contexts[name], brand=brand)))

    def periodic(self) -> list[tuple[PluginContext, PeriodicTask]]:
        """Every enabled plugin's periodic tasks with that plugin's context."""
        found: list[tuple[PluginContext, PeriodicTask]] = []
        for name, call in self._callers["periodic_tasks"]:
            for task in _one(call()) or ():
                if not isinstance(task, PeriodicTask):
                    raise PluginInvalid(
                        f"plugin {name!r}: periodic_tasks gave {type(task).__name__}"
                    )
                found.append((self._contexts[name], task))
        return found

    def register_routes(self, app: Any) -> None:
        """Each plugin's ``register_routes`` with its own context."""
        for name, call in self._callers["register_routes"]:
            call(app=app, ctx=self._contexts[name])

    def consumers(self) -> list[tuple[str, Consumer]]:
        """Every enabled plugin's event-stream consumers, with the plugin declaring each
        (whose context the consumer's handler gets). ``plugin_invalid`` for a declaration
        that is no :class:`Consumer` or a consumer name declared twice."""
        found: dict[str, tuple[str, Consumer]] = {}
        for name, call in self._callers["event_consumers"]:
            declared: Any = _one(call())
            if declared is None:
                continue
            for consumer in [declared] if isinstance(declared, Consumer) else list(declared):
                if not isinstance(consumer, Consumer):
                    raise PluginInvalid(
                        f"plugin {name!r}: event_consumers gave {type(consumer).__name__},"
                        " not a Consumer"
                    )
                if consumer.name in found:
                    raise PluginInvalid(
                        f"plugin {name!r}: consumer {consumer.name!r} is declared twice"
                    )
                found[consumer.name] = (name, consumer)
        return list(found.values())

    async def contribute(
        self, scan: NewScan, verification: Verification
    ) -> list[tuple[str, VerdictContribution]]:
        """Every plugin's :class:`VerdictContribution` for this scan (none when a plugin
        fails: a broken plugin must not block verification; it is logged)."""
        out: list[tuple[str, VerdictContribution]] = []
        for name, call in self._callers["verdict_contribution"]:
            try:
                found = await _settle(_one(call(**self._args(name, scan, verification))))
            except Exception:
                log.exception("plugin %s failed in verdict_contribution", name)
                continue
            if found is not None:
                out.append((name, found))
        return out

    async def after_scan(self, scan: Scan, verification: Verification) -> list[NewAlert]:
        """Call ``scan_recorded`` and collect ``scan_alerts`` (exceptions are logged)."""
        alerts: list[NewAlert] = []
        for name, call in self._callers["scan_alerts"]:
            try:
                found = await _settle(_one(call(**self._args(name, scan, verification))))
            except Exception:
                log.exception("plugin %s failed in scan_alerts", name)
                continue
            alerts.extend(found or ())
        for name, call in self._callers["scan_recorded"]:
            try:
                await _settle(_one(call(**self._args(name, scan, verification))))
            except Exception:
                log.exception("plugin %s failed in scan_recorded", name)
        return alerts

    async def event(self, event: LedgerEvent) -> None:
        """Every plugin's ``ledger_event`` (exceptions are logged: after the commit)."""
        for name, call in self._callers["ledger_event"]:
            try:
                await _settle(_one(call(ctx=self._ctx(name), event=event)))
            except Exception:
                log.exception("plugin %s failed in ledger_event", name)

    def epcis_events(
        self, brand: Brand, since: dt.datetime | None, until: dt.datetime | None
    ) -> list[tuple[str, AsyncIterator[EpcisEvent]]]:
        """Every plugin's ``epcis_events`` as (plugin name, async iterator), each event
        checked (``plugin_invalid`` for a naive time or a key the core writes). Not
        guarded like the after-commit hooks: an export missing events must fail."""
        out: list[tuple[str, AsyncIterator[EpcisEvent]]] = []
        for name, call in self._callers["epcis_events"]:
            found = _one(call(ctx=self._ctx(name), brand=brand, since=since, until=until))
            if found is not None:
                out.append((name, _checked(name, found)))
        return out

    def _ctx(self, name: str) -> PluginContext | None:
        # None before start-up (a scan service used without an engine, in tests)
        return self._contexts.get(name)

    def _args(self, name: str, scan: Any, verification: Verification) -> dict[str, Any]:
        return {"ctx": self._ctx(name), "scan": scan, "verification": verification}


def _one(results: list[Any]) -> Any:
    """The result of a caller for one plugin (pluggy drops a ``None`` result)."""
    return results[0] if results else None


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

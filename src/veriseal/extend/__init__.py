"""The plugin SDK: everything a plugin imports besides ``veriseal``'s public API.

The public names are exactly ``__all__`` (docs/plugins.md documents each one; a test
fails when one is not). Names resolve on first use (PEP 562), so importing the hook
markers does not load the server or the CLI.

- the context a plugin acts through: :class:`PluginContext`, :class:`Database`, :class:`Tx`;
- services between plugins: :class:`ServiceKey`, :class:`Provided`, :class:`Unavailable`,
  :class:`ServiceMissing`;
- open registries: :class:`Permission`, :class:`MessageTypeSpec`, :class:`ConsolePage`;
- console views: :class:`ConsoleView`, :class:`Page`, :class:`ConsoleCall`, and for lists
  :func:`page_size`, :func:`page_cursor`, :func:`export_format`, :class:`Column`,
  :func:`export_response`;
- the hooks: :data:`hookimpl`, :class:`LedgerEvent`, :class:`VerdictContribution`,
  :class:`PeriodicTask`;
- the event stream: :class:`Consumer`, :class:`Batch`, :class:`StreamEvent`, :func:`publish`,
  :func:`drain_events`;
- CLI helpers: :class:`Options`, :data:`pass_opts`, :func:`with_context`,
  :func:`with_engine`, :func:`run`, :func:`echo_json`;
- web helpers: :func:`mount_plugin`, :func:`plugin_context`, :func:`request_principal`,
  :func:`json_body`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from veriseal._lazy import lazy_exports

_EXPORTS: dict[str, tuple[str, str]] = {
    "Attachment": ("veriseal.notifications.models", "Attachment"),
    "Batch": ("veriseal.extend.stream", "Batch"),
    "Channel": ("veriseal.notifications.models", "Channel"),
    "Column": ("veriseal.console.listing", "Column"),
    "ConsoleCall": ("veriseal.console.call", "ConsoleCall"),
    "ConsolePage": ("veriseal.extend.console", "ConsolePage"),
    "ConsoleView": ("veriseal.extend.console", "ConsoleView"),
    "Consumer": ("veriseal.extend.stream", "Consumer"),
    "Database": ("veriseal.extend.database", "Database"),
    "LedgerEvent": ("veriseal.scanning.hooks", "LedgerEvent"),
    "MessageTypeSpec": ("veriseal.notifications.message_types", "MessageTypeSpec"),
    "Options": ("veriseal.extend.cli", "Options"),
    "Page": ("veriseal.extend.console", "Page"),
    "PeriodicTask": ("veriseal.extend.periodic", "PeriodicTask"),
    "Permission": ("veriseal.accounts.permissions", "Permission"),
    "PluginContext": ("veriseal.extend.context", "PluginContext"),
    "Provided": ("veriseal.extend.services", "Provided"),
    "ServiceKey": ("veriseal.extend.services", "ServiceKey"),
    "ServiceMissing": ("veriseal.extend.services", "ServiceMissing"),
    "StreamEvent": ("veriseal.extend.stream", "StreamEvent"),
    "Tx": ("veriseal.extend.database", "Tx"),
    "Unavailable": ("veriseal.extend.services", "Unavailable"),
    "VerdictContribution": ("veriseal.scanning.hooks", "VerdictContribution"),
    "drain_events": ("veriseal.extend.stream", "drain_events"),
    "echo_json": ("veriseal.extend.cli", "echo_json"),
    "export_format": ("veriseal.console.listing", "export_format"),
    "export_response": ("veriseal.console.listing", "export_response"),
    "hookimpl": ("veriseal.extend.hookspecs", "hookimpl"),
    "json_body": ("veriseal.extend.web", "json_body"),
    "mount_plugin": ("veriseal.extend.web", "mount_plugin"),
    "page_cursor": ("veriseal.console.listing", "page_cursor"),
    "page_size": ("veriseal.console.listing", "page_size"),
    "pass_opts": ("veriseal.extend.cli", "pass_opts"),
    "plugin_context": ("veriseal.extend.web", "plugin_context"),
    "publish": ("veriseal.extend.stream", "publish"),
    "request_principal": ("veriseal.extend.web", "request_principal"),
    "run": ("veriseal.extend.cli", "run"),
    "with_context": ("veriseal.extend.cli", "with_context"),
    "with_engine": ("veriseal.extend.cli", "with_engine"),
}

__all__ = [
    "Attachment",
    "Batch",
    "Channel",
    "Column",
    "ConsoleCall",
    "ConsolePage",
    "ConsoleView",
    "Consumer",
    "Database",
    "LedgerEvent",
    "MessageTypeSpec",
    "Options",
    "Page",
    "PeriodicTask",
    "Permission",
    "PluginContext",
    "Provided",
    "ServiceKey",
    "ServiceMissing",
    "StreamEvent",
    "Tx",
    "Unavailable",
    "VerdictContribution",
    "drain_events",
    "echo_json",
    "export_format",
    "export_response",
    "hookimpl",
    "json_body",
    "mount_plugin",
    "page_cursor",
    "page_size",
    "pass_opts",
    "plugin_context",
    "publish",
    "request_principal",
    "run",
    "with_context",
    "with_engine",
]


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS, __all__)


if TYPE_CHECKING:  # static checkers see the real names
    from veriseal.accounts.permissions import Permission
    from veriseal.console.call import ConsoleCall
    from veriseal.console.listing import (
        Column,
        export_format,
        export_response,
        page_cursor,
        page_size,
    )
    from veriseal.extend.cli import Options, echo_json, pass_opts, run, with_context, with_engine
    from veriseal.extend.console import ConsolePage, ConsoleView, Page
    from veriseal.extend.context import PluginContext
    from veriseal.extend.database import Database, Tx
    from veriseal.extend.hookspecs import hookimpl
    from veriseal.extend.periodic import PeriodicTask
    from veriseal.extend.services import Provided, ServiceKey, ServiceMissing, Unavailable
    from veriseal.extend.stream import Batch, Consumer, StreamEvent, drain_events, publish
    from veriseal.extend.web import json_body, mount_plugin, plugin_context, request_principal
    from veriseal.notifications.message_types import MessageTypeSpec
    from veriseal.notifications.models import Attachment, Channel
    from veriseal.scanning.hooks import LedgerEvent, VerdictContribution

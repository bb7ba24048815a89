"""Console pages, views and menu entries that plugins bring (``register_console_pages``).

- :class:`ConsolePage`: a menu entry. A page is reachable at ``path`` by a principal
  holding ``action``; its entry sits in ``menu_group`` at ``menu_order`` (lower first),
  titled in both languages.
- :class:`ConsoleView`: a route of the console (method, path, handler, who may open it);
  the handler gets a :class:`~veriseal.console.call.ConsoleCall` and returns a
  :class:`Page` (a template and its context) or any aiohttp response.

This module is the registry the web console (:mod:`veriseal.console`) reads; the
console checks sign-in, the role's permission and the CSRF token before a handler
runs, and the services the handler calls check the rest (brand, dealer subtree, owner).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from veriseal.accounts.models import Role
from veriseal.accounts.permissions import MATRIX, Action

_PATH = re.compile(r"/console/[a-z0-9_/-]+")

_VIEW_PATH = re.compile(r"/console(/[A-Za-z0-9_{}:\\+*.|()\[\]^$?-]*)*")
METHODS = frozenset({"GET", "POST"})


@dataclass(frozen=True)
class Page:
    """A template (``"base.html"``-extending, named ``"<package>/<file>.html"`` for a
    plugin's) rendered with ``context`` (the console adds its globals) and a status."""

    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    status: int = 200


#: ``async def handler(call: ConsoleCall) -> Page | web.StreamResponse`` (ConsoleCall
#: lives with the console itself, a layer above this registry)
ViewHandler = Callable[[Any], Awaitable[Any]]


@dataclass(frozen=True)
class ConsoleView:
    """A console route. ``action``: the permission whose roles may open it (None: any
    signed-in user); ``public``: no sign-in needed (sign-in and sign-up pages). A POST
    view's CSRF token is checked before ``handler`` runs."""

    method: str
    path: str
    handler: ViewHandler
    action: Action | None = None
    public: bool = False

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"console view method {self.method!r}: GET or POST")
        if not _VIEW_PATH.fullmatch(self.path):
            raise ValueError(f"console view path {self.path!r} must be /console/...")
        if self.public and self.action is not None:
            raise ValueError(f"console view {self.path}: a public view has no action")

    @property
    def package(self) -> str:
        """The top-level package of the handler: a plugin's templates live in its
        ``pages/`` folder, named ``"<package>/..."``."""
        return self.handler.__module__.split(".", 1)[0]


@dataclass(frozen=True)
class ConsolePage:
    """One console page of a plugin, and its menu entry (``menu_group`` empty: no entry,
    the page is linked from another one). ``unless``: the entry is not shown to roles
    that hold this action too (a dealer's own view of what such roles see whole)."""

    path: str
    title_en: str
    title_zh: str
    action: Action
    menu_group: str = ""
    menu_order: int = 100
    unless: Action | None = None

    def shown_to(self, role: Role) -> bool:
        """Whether ``role`` gets this menu entry."""
        if not self.menu_group or role not in MATRIX.get(self.action, frozenset()):
            return False
        return self.unless is None or role not in MATRIX.get(self.unless, frozenset())

    def __post_init__(self) -> None:
        if not _PATH.fullmatch(self.path):
            raise ValueError(f"console page path {self.path!r} must be /console/<name>")


class ConsoleRegistry:
    """The console pages of one engine's enabled plugins, by path."""

    def __init__(self) -> None:
        self._pages: dict[str, tuple[str, ConsolePage]] = {}
        self._views: dict[tuple[str, str], tuple[str, ConsoleView]] = {}

    def add(self, plugin: str, page: ConsolePage | ConsoleView) -> None:
        """Record ``page`` (an entry or a view) of ``plugin``; ``ValueError`` for a path
        (and method) another plugin holds."""
        if isinstance(page, ConsoleView):
            key = (page.method, page.path)
            owner = self._views.get(key)
            if owner is not None and owner[0] != plugin:
                raise ValueError(
                    f"console view {page.method} {page.path} is claimed by {owner[0]!r}"
                    f" and {plugin!r}"
                )
            self._views[key] = (plugin, page)
            return
        held = self._pages.get(page.path)
        if held is not None and held[0] != plugin:
            raise ValueError(f"console page {page.path} is claimed by {held[0]!r} and {plugin!r}")
        self._pages[page.path] = (plugin, page)

    def pages(self) -> list[ConsolePage]:
        return [page for _, page in self._pages.values()]

    def views(self) -> list[tuple[str, ConsoleView]]:
        """``(plugin, view)`` for every registered view."""
        return list(self._views.values())

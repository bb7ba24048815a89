"""Console pages and menu entries that plugins bring (``register_console_pages``).

Data only: the web console renders them (its own module); this registry is what it
reads. A page is reachable at ``path`` by a principal holding ``action``; its menu
entry sits in ``menu_group`` at ``menu_order`` (lower first), titled in both languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from veriseal.accounts.permissions import Action

_PATH = re.compile(r"/console/[a-z0-9_/-]+")


@dataclass(frozen=True)
class ConsolePage:
    """One console page of a plugin, and its menu entry (``menu_group`` empty: no entry,
    the page is linked from another one)."""

    path: str
    title_en: str
    title_zh: str
    action: Action
    menu_group: str = ""
    menu_order: int = 100

    def __post_init__(self) -> None:
        if not _PATH.fullmatch(self.path):
            raise ValueError(f"console page path {self.path!r} must be /console/<name>")


@dataclass(frozen=True)
class MenuEntry:
    """A menu line as the console shows it to one principal."""

    group: str
    order: int
    path: str
    title_en: str
    title_zh: str


class ConsoleRegistry:
    """The console pages of one engine's enabled plugins, by path."""

    def __init__(self) -> None:
        self._pages: dict[str, tuple[str, ConsolePage]] = {}

    def add(self, plugin: str, page: ConsolePage) -> None:
        """Record ``page`` of ``plugin``; ``ValueError`` for a path another plugin holds."""
        held = self._pages.get(page.path)
        if held is not None and held[0] != plugin:
            raise ValueError(f"console page {page.path} is claimed by {held[0]!r} and {plugin!r}")
        self._pages[page.path] = (plugin, page)

    def pages(self) -> list[ConsolePage]:
        return [page for _, page in self._pages.values()]

    def menu(self, allowed: set[Action]) -> list[MenuEntry]:
        """The menu entries whose action is in ``allowed``, by group then order."""
        entries = [
            MenuEntry(p.menu_group, p.menu_order, p.path, p.title_en, p.title_zh)
            for p in self.pages()
            if p.menu_group and p.action in allowed
        ]
        return sorted(entries, key=lambda e: (e.group, e.order, e.path))

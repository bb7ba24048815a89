"""The core's console views. Each module lists its ``VIEWS`` (routes) and ``PAGES``
(menu entries); :data:`MODULES` names them, and :func:`core_views` collects them."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from veriseal.extend.console import ConsolePage, ConsoleView

MODULES = (
    "veriseal.console.views.auth",
    "veriseal.console.views.home",
    "veriseal.console.views.consumer",
    "veriseal.console.views.people",
    "veriseal.console.views.push",
    "veriseal.console.views.external",
    "veriseal.console.views.dashboard",
    "veriseal.console.views.batches",
    "veriseal.console.views.scans",
    "veriseal.console.views.alerts",
    "veriseal.console.views.keys",
    "veriseal.console.views.catalogue",
)


@dataclass(frozen=True)
class CoreViews:
    views: list[ConsoleView]
    pages: list[ConsolePage]


def core_views() -> CoreViews:
    views: list[ConsoleView] = []
    pages: list[ConsolePage] = []
    for name in MODULES:
        module = importlib.import_module(name)
        views.extend(module.VIEWS)
        pages.extend(getattr(module, "PAGES", []))
    return CoreViews(views, pages)

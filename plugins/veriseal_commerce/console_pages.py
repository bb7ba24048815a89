"""``/console/commerce/...``: menu entries and views of the commerce plugin. Each
area's views live in its own ``console_*`` module; these lists join them."""

from __future__ import annotations

from veriseal.extend import ConsolePage, ConsoleView

BASE = "/console/commerce"

PAGES: list[ConsolePage] = []
VIEWS: list[ConsoleView] = []

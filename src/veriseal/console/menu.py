"""The console's menu for one reader: the entries whose action the reader's role holds,
grouped, in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from veriseal.console.call import ConsoleCall
from veriseal.extend.console import ConsolePage

#: menu groups in order, with their titles (a plugin's unknown group goes last)
GROUPS: dict[str, tuple[str, str]] = {
    "home": ("Home", "首页"),
    "codes": ("Codes", "码与批次"),
    "catalogue": ("Catalogue", "商品"),
    "channel": ("Channel", "渠道"),
    "stock": ("Stock", "库存"),
    "alerts": ("Alerts", "预警"),
    "people": ("People", "人员"),
    "messages": ("Messages", "消息"),
    "account": ("Account", "账户"),
}


@dataclass(frozen=True)
class MenuItem:
    path: str
    title: str


@dataclass(frozen=True)
class MenuGroup:
    key: str
    title: str
    items: tuple[MenuItem, ...]


def menu_for(call: ConsoleCall, pages: Iterable[ConsolePage]) -> list[MenuGroup]:
    """The menu of ``call``'s reader (empty when not signed in)."""
    who = call.principal
    if who is None:
        return []
    mine = [p for p in pages if p.shown_to(who.role)]
    order = list(GROUPS)
    mine.sort(key=lambda p: (order.index(p.menu_group) if p.menu_group in GROUPS else 99,
                             p.menu_group, p.menu_order, p.path))  # fmt: skip
    groups: list[MenuGroup] = []
    for page in mine:
        title = call.t(page.title_en, page.title_zh)
        if not groups or groups[-1].key != page.menu_group:
            names = GROUPS.get(page.menu_group, (page.menu_group, page.menu_group))
            groups.append(MenuGroup(page.menu_group, call.t(*names), ()))
        last = groups[-1]
        groups[-1] = MenuGroup(last.key, last.title, (*last.items, MenuItem(page.path, title)))
    return groups

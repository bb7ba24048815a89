"""The organisation tree of the reader's brand or subtree, and adding a dealer under
one of its nodes. The tree is read a page at a time in path order (parents before
children) and nested for display; a node whose parent is on an earlier page starts a
new top-level branch."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from veriseal.accounts.models import Org, OrgKind
from veriseal.accounts.permissions import Action
from veriseal.console.call import ConsoleCall, whole_number
from veriseal.console.listing import page_cursor
from veriseal.console.site import holds
from veriseal.console.views.people.labels import (
    KINDS,
    my_orgs,
    options,
    org_choices,
    text,
    who,
)
from veriseal.errors import InvalidInput
from veriseal.extend.console import Page

TREE_PAGE = 200  # nodes per page
#: kinds a dealer organisation may have (the service checks which fits under which)
DEALER_KINDS = [str(OrgKind.DISTRIBUTOR), str(OrgKind.RETAILER)]


@dataclass
class Node:
    org: Org
    kind: str
    children: list[Node] = field(default_factory=list)


def nest(orgs: list[Org], kinds: dict[str, str]) -> list[Node]:
    """The nodes of ``orgs`` (in path order) as a forest."""
    nodes: dict[int, Node] = {}
    roots: list[Node] = []
    for org in orgs:
        node = Node(org, kinds.get(str(org.kind), str(org.kind)))
        nodes[org.id] = node
        parent = nodes.get(org.parent_id) if org.parent_id is not None else None
        (parent.children if parent is not None else roots).append(node)
    return roots


async def tree_page(
    call: ConsoleCall, error: str = "", status: int = 200, values: dict[str, str] | None = None
) -> Page:
    principal = who(call)
    root_id = call.query_int("root")
    found: list[Org] = []
    if root_id is not None or principal.org is not None:
        found = await call.engine.accounts.org_tree(
            principal, root_id, after_id=page_cursor(call), limit=TREE_PAGE
        )
    kinds = dict(options(call, KINDS))
    return Page(
        "people/orgs.html",
        {
            "forest": nest(found, kinds),
            "count": len(found),
            "next_cursor": found[-1].id if len(found) == TREE_PAGE else None,
            "root": "" if root_id is None else str(root_id),
            "needs_root": principal.org is None and root_id is None,
            "can_add": holds(principal, Action.ORGS_MANAGE),
            "can_list_users": holds(principal, Action.USERS_VIEW),
            "parent_options": org_choices(await my_orgs(call)) if principal.org else [],
            "kind_options": options(call, KINDS, DEALER_KINDS),
            "values": values or {"parent": "", "kind": "", "name": ""},
            "error": error,
        },
        status,
    )


async def add_org(call: ConsoleCall) -> Page | web.StreamResponse:
    form = await call.form()
    values = {k: text(form.get(k), 200) for k in ("parent", "kind", "name")}
    try:
        parent = whole_number(values["parent"], "parent")
        if parent is None:
            raise InvalidInput("choose where the new organisation goes")
        if values["kind"] not in DEALER_KINDS:
            raise InvalidInput("choose distributor or retailer")
        org = await call.engine.accounts.create_org(
            who(call), parent, OrgKind(values["kind"]), values["name"]
        )
    except InvalidInput as exc:
        return await tree_page(call, _message(call, exc), exc.http_status, values)
    return call.redirect("/console/orgs", f"{org.name} added.", f"已添加 {org.name}。")


def _message(call: ConsoleCall, exc: InvalidInput) -> str:
    texts: dict[str, tuple[str, str]] = {
        "an organisation needs a name": ("Enter a name.", "请输入名称。"),
        "choose where the new organisation goes": (
            "Choose the parent organisation.",
            "请选择上级组织。",
        ),
        "choose distributor or retailer": (
            "Choose distributor or retailer.",
            "请选择经销商或零售商。",
        ),
    }
    en, zh = texts.get(exc.message, (exc.message, f"无法添加：{exc.message}"))
    return call.t(en, zh)

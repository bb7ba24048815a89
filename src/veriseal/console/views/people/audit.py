"""The brand's audit log: security events newest first, filtered by kind of event (an
exact action or a family such as ``kyc.``), actor, target and dates (in the reader's
time zone), a page at a time, exportable. The platform admin may name a brand
(``?brand=``) or see every brand's."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from veriseal.accounts.models import AuditEntry, AuditQuery
from veriseal.console.call import ConsoleCall
from veriseal.console.listing import (
    EXPORT_MAX,
    Column,
    export_format,
    export_response,
    page_cursor,
    page_size,
)
from veriseal.console.views.people.labels import Names, day_start, text, who
from veriseal.errors import InvalidInput
from veriseal.extend.console import Page

#: Families of events offered in the filter (any action name may be typed in the URL).
FAMILIES: dict[str, tuple[str, str]] = {
    "login.": ("Sign-ins", "登录"),
    "user.": ("Users", "用户"),
    "org.": ("Organisations", "组织"),
    "token.": ("API tokens", "API 令牌"),
    "kyc.": ("Real-name verification", "实名认证"),
    "kyc.document_read": ("Document views", "证件查看"),
    "notify.": ("Broadcasts", "群发通知"),
}
COLUMNS = [
    Column("id", "ID", "编号"),
    Column("at", "Time (UTC)", "时间（UTC）"),
    Column("actor", "Who", "操作人"),
    Column("action", "Event", "事件"),
    Column("target", "Target", "对象"),
    Column("client", "Client address", "客户端地址"),
    Column("details", "Details", "详情"),
]
_BATCH = 1000


def _filters(call: ConsoleCall) -> tuple[AuditQuery, int | None, dict[str, str]]:
    q = call.query
    action = text(q.get("action"), 64).strip() or None
    target = text(q.get("target"), 64).strip() or None
    since_text, until_text = text(q.get("since"), 10).strip(), text(q.get("until"), 10).strip()
    since = day_start(call, since_text, "since") if since_text else None
    until = day_start(call, until_text, "until", next_day=True) if until_text else None
    if since and until and until <= since:
        raise InvalidInput("the 'to' date is before the 'from' date")
    actor = call.query_int("actor")
    brand = call.query_int("brand")
    shown = {
        "action": action or "",
        "target": target or "",
        "since": since_text,
        "until": until_text,
        "actor": "" if actor is None else str(actor),
        "brand": "" if brand is None else str(brand),
    }
    return AuditQuery(actor, action, target, since, until), brand, shown


async def _row(entry: AuditEntry, names: Names) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "actor": await names.user(entry.actor_id),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "target": entry.target,
        "client": entry.client,
        "details": json.dumps(entry.details, ensure_ascii=False, sort_keys=True)
        if entry.details
        else "",
    }


async def audit_page(call: ConsoleCall) -> Page | web.StreamResponse:
    principal = who(call)
    accounts = call.engine.accounts
    query, brand, shown = _filters(call)
    names = Names(call)
    if export_format(call) is not None:
        rows: list[dict[str, Any]] = []
        after = None
        while len(rows) < EXPORT_MAX:
            batch = await accounts.audit_log(
                principal, query, brand_id=brand, limit=_BATCH, after_id=after, newest_first=True
            )
            rows += [await _row(e, names) for e in batch]
            if len(batch) < _BATCH:
                break
            after = batch[-1].id
        return await export_response(call, "audit", COLUMNS, rows)
    limit = page_size(call)
    found = await accounts.audit_log(
        principal, query, brand_id=brand, limit=limit, after_id=page_cursor(call), newest_first=True
    )
    return Page(
        "people/audit.html",
        {
            "rows": [await _row(e, names) for e in found],
            "filters": shown,
            "families": [(k, call.t(*v)) for k, v in FAMILIES.items()],
            "next_cursor": found[-1].id if len(found) == limit else None,
            "platform": principal.org is None,
        },
    )

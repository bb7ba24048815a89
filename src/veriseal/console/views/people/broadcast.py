"""Broadcast a notice to the users of an organisation subtree, written in both
languages. "Preview" counts the recipients (the same audience the sending reaches)
without sending; "Send" accepts one message per recipient in one transaction and
audits the broadcast (:class:`~veriseal.accounts.messages.UserMessages`)."""

from __future__ import annotations

from aiohttp import web

from veriseal.accounts.messages import UserMessages, bilingual_message
from veriseal.console.call import ConsoleCall, whole_number
from veriseal.console.views.people.labels import my_orgs, org_choices, text, who
from veriseal.errors import InvalidInput
from veriseal.extend.console import Page
from veriseal.notifications.message_types import broadcastable, known, parse_type, spec

FIELDS = ("org", "type", "title_en", "title_zh", "body_en", "body_zh")
LIMITS = {"title_en": 100, "title_zh": 100, "body_en": 9000, "body_zh": 9000}


def _messages(call: ConsoleCall) -> UserMessages:
    return UserMessages(call.engine.notifier, call.engine.accounts.store)


def _types(call: ConsoleCall) -> list[tuple[str, str]]:
    out = []
    for mtype in known():
        found = spec(mtype)
        if found is not None and broadcastable(mtype):
            out.append((str(mtype), call.t(found.name_en, found.name_zh)))
    return out


async def form_page(
    call: ConsoleCall,
    values: dict[str, str] | None = None,
    *,
    recipients: int | None = None,
    error: str = "",
    status: int = 200,
) -> Page:
    return Page(
        "people/broadcast.html",
        {
            "values": values or dict.fromkeys(FIELDS, ""),
            "org_options": org_choices(await my_orgs(call)),
            "type_options": _types(call),
            "recipients": recipients,
            "error": error,
        },
        status,
    )


async def send(call: ConsoleCall) -> Page | web.StreamResponse:
    form = await call.form()
    values = {k: text(form.get(k), LIMITS.get(k, 200)) for k in FIELDS}
    messages = _messages(call)
    try:
        org_id = whole_number(values["org"], "org")
        if org_id is None:
            raise InvalidInput(call.t("Choose the organisation.", "请选择组织。"))
        mtype = parse_type(values["type"] or "system_notice")
        title, body = bilingual_message(
            values["title_en"], values["title_zh"], values["body_en"], values["body_zh"]
        )
        if form.get("step") != "send":
            audience = await messages.audience(who(call), org_id, mtype)
            return await form_page(call, values, recipients=len(audience))
        sent = await messages.broadcast(who(call), org_id, mtype, title, body)
    except InvalidInput as exc:
        problem = exc.message
        if "title" in problem:
            problem = call.t(
                "Write a title in English, Chinese or both.", "请填写标题（英文、中文或两者）。"
            )
        return await form_page(call, values, error=problem, status=exc.http_status)
    return call.redirect(
        "/console/broadcast", f"Sent to {sent} users.", f"已发送给 {sent} 位用户。"
    )

"""Users: the list of one's reach with filters, paging and exports; creating a user
with only the roles the reader may grant; one user's page (role, enable / disable,
recent sign-ins).

Every read and change goes through :class:`~veriseal.accounts.service.AccountService`
with the signed-in principal: a distributor's list is its subtree because the service
says so, and a role the form does not offer is still refused when posted.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from veriseal.accounts.errors import Forbidden, IdentityInvalid, PasswordWeak
from veriseal.accounts.models import Role, User, UserQuery, UserStatus
from veriseal.accounts.permissions import Action
from veriseal.console.call import ConsoleCall, whole_number
from veriseal.console.listing import (
    EXPORT_MAX,
    Column,
    export_format,
    export_response,
    page_cursor,
    page_size,
)
from veriseal.console.site import holds
from veriseal.console.views.people.labels import (
    ROLES,
    STATUSES,
    Names,
    my_orgs,
    options,
    org_choices,
    text,
    who,
)
from veriseal.errors import Conflict, InvalidInput
from veriseal.extend.console import Page

COLUMNS = [
    Column("id", "ID", "编号"),
    Column("display_name", "Name", "姓名"),
    Column("email", "E-mail", "邮箱"),
    Column("phone", "Phone", "手机号"),
    Column("role_label", "Role", "角色"),
    Column("org", "Organisation", "组织"),
    Column("status_label", "Status", "状态"),
    Column("created_at", "Created (UTC)", "创建时间（UTC）"),
]
_BATCH = 1000  # users read per query while exporting


def _choice(call: ConsoleCall, name: str, allowed: dict[str, Any]) -> str | None:
    value = text(call.query.get(name), 32).strip()
    if not value:
        return None
    if value not in allowed:
        raise InvalidInput(f"unknown {name} {value!r}")
    return value


def _filters(call: ConsoleCall) -> tuple[int | None, UserQuery, dict[str, str]]:
    role = _choice(call, "role", ROLES)
    status = _choice(call, "status", STATUSES)
    words = text(call.query.get("q"), 100).strip()
    org = call.query_int("org")
    query = UserQuery(
        None if role is None else Role(role),
        None if status is None else UserStatus(status),
        words or None,
    )
    shown = {
        "role": role or "",
        "status": status or "",
        "q": words,
        "org": "" if org is None else str(org),
    }
    return org, query, shown


async def _row(call: ConsoleCall, user: User, names: Names) -> dict[str, Any]:
    return {
        "id": user.id,
        "display_name": user.display_name,
        "email": user.email or "",
        "phone": user.phone or "",
        "role": str(user.role),
        "role_label": call.role_name(user.role),
        "org": await names.org(user.org_id),
        "org_id": user.org_id,
        "status": str(user.status),
        "status_label": call.t(*STATUSES[user.status]),
        "created_at": user.created_at,
    }


async def users_list(call: ConsoleCall) -> Page | web.StreamResponse:
    principal = who(call)
    accounts = call.engine.accounts
    org_id, query, shown = _filters(call)
    orgs = await my_orgs(call)
    names = Names(call).seed(orgs)
    if export_format(call) is not None:
        rows: list[dict[str, Any]] = []
        after = None
        while len(rows) < EXPORT_MAX:
            batch = await accounts.list_users(
                principal, org_id, after_id=after, limit=_BATCH, query=query
            )
            rows += [await _row(call, u, names) for u in batch]
            if len(batch) < _BATCH:
                break
            after = batch[-1].id
        return await export_response(call, "users", COLUMNS, rows)
    limit = page_size(call)
    found = await accounts.list_users(
        principal, org_id, after_id=page_cursor(call), limit=limit, query=query
    )
    return Page(
        "people/users.html",
        {
            "rows": [await _row(call, u, names) for u in found],
            "filters": shown,
            "role_options": options(call, ROLES),
            "status_options": options(call, STATUSES),
            "org_options": org_choices(orgs),
            "next_cursor": found[-1].id if len(found) == limit else None,
            "can_create": bool(accounts.grantable_roles(principal))
            and holds(principal, Action.ORGS_MANAGE),
        },
    )


# -- creating a user ----------------------------------------------------------------------
async def new_user_form(
    call: ConsoleCall, values: dict[str, str] | None = None, error: str = "", status: int = 200
) -> Page:
    principal = who(call)
    roles = [str(r) for r in call.engine.accounts.grantable_roles(principal)]
    if not roles:
        raise Forbidden("your role may not create users")
    return Page(
        "people/user_new.html",
        {
            "values": values or {"contact": "", "display_name": "", "role": "", "org": ""},
            "role_options": options(call, ROLES, roles),
            "org_options": org_choices(await my_orgs(call)),
            "error": error,
        },
        status,
    )


async def create_user(call: ConsoleCall) -> Page | web.StreamResponse:
    form = await call.form()
    values = {k: text(form.get(k), 200) for k in ("contact", "display_name", "role", "org")}
    password = text(form.get("password"), 1000)
    if values["role"] not in ROLES:
        return await new_user_form(call, values, call.t("Choose a role.", "请选择角色。"), 400)
    try:
        user = await call.engine.accounts.create_user(
            who(call),
            contact=values["contact"],
            display_name=values["display_name"],
            role=Role(values["role"]),
            org_id=whole_number(values["org"], "org"),
            password=password or None,
        )
    except (IdentityInvalid, PasswordWeak, Conflict, InvalidInput) as exc:
        return await new_user_form(call, values, _problem(call, exc), exc.http_status)
    return call.redirect(
        f"/console/users/{user.id}",
        f"User {user.display_name} created.",
        f"已创建用户 {user.display_name}。",
    )


def _problem(call: ConsoleCall, exc: InvalidInput | Conflict) -> str:
    texts = {
        "identity_invalid": (
            "Enter a valid mobile number or e-mail address.",
            "请输入有效的手机号或邮箱。",
        ),
        "password_weak": (
            "The password is too weak: use a longer, less guessable one.",
            "密码太弱：请用更长、更难猜的密码。",
        ),
        "conflict": ("This phone or e-mail is already registered.", "该手机号或邮箱已注册。"),
    }
    en, zh = texts.get(exc.code, (exc.message, exc.message))
    return call.t(en, zh) if exc.code in texts else call.t(exc.message, f"无法完成：{exc.message}")


# -- one user -----------------------------------------------------------------------------
async def user_page(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    principal = who(call)
    accounts = call.engine.accounts
    user = await accounts.user(principal, call.int_param("id"))
    try:
        sign_ins = await accounts.sign_ins(principal, user.id)
    except Forbidden:
        sign_ins = None  # where a user signs in from is for its managers only
    mine = user.id == principal.user_id
    return Page(
        "people/user.html",
        {
            "user": await _row(call, user, Names(call)),
            "profile": user.profile,
            "kyc": str(await call.engine.kyc.status_of_user(user)),
            "sign_ins": sign_ins,
            "can_manage": holds(principal, Action.USERS_MANAGE) and not mine,
            "can_audit": holds(principal, Action.AUDIT_READ),
            "role_options": options(
                call, ROLES, [str(r) for r in accounts.grantable_roles(principal)]
            ),
            "error": error,
        },
        status,
    )


async def set_role(call: ConsoleCall) -> Page | web.StreamResponse:
    user_id = call.int_param("id")
    role = text((await call.form()).get("role"), 32)
    if role not in ROLES:
        return await user_page(call, call.t("Choose a role.", "请选择角色。"), 400)
    try:
        await call.engine.accounts.set_role(who(call), user_id, Role(role))
    except InvalidInput as exc:  # e.g. a brand role for a dealer's organisation
        return await user_page(call, _problem(call, exc), exc.http_status)
    return call.redirect(f"/console/users/{user_id}", "Role changed.", "角色已修改。")


async def set_status(call: ConsoleCall) -> Page | web.StreamResponse:
    user_id = call.int_param("id")
    status = text((await call.form()).get("status"), 32)
    if status not in (UserStatus.ACTIVE, UserStatus.DISABLED):
        return await user_page(call, call.t("Choose a status.", "请选择状态。"), 400)
    try:
        await call.engine.accounts.set_status(who(call), user_id, UserStatus(status))
    except InvalidInput as exc:  # e.g. one's own account
        return await user_page(call, _problem(call, exc), exc.http_status)
    if status == UserStatus.DISABLED:
        return call.redirect(f"/console/users/{user_id}", "User disabled.", "用户已停用。")
    return call.redirect(f"/console/users/{user_id}", "User enabled.", "用户已启用。")

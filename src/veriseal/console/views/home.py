"""The console's home (the reader's menu as cards) and the account page: profile and
preferences, password, passkeys, devices signed in, sign out everywhere."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from veriseal.accounts.errors import LoginFailed, PasswordWeak
from veriseal.accounts.permissions import Action
from veriseal.console import session
from veriseal.console.call import ConsoleCall
from veriseal.console.views.auth import _json, passkeys
from veriseal.errors import InvalidInput
from veriseal.extend.console import ConsolePage, ConsoleView, Page


async def home(call: ConsoleCall) -> Page:
    return Page("home.html", {})


#: Functions adding to the account page's context, for its ``account_extra.html``
#: sections (the linked accounts of veriseal.console.views.external append theirs).
ACCOUNT_SECTIONS: list[Callable[[ConsoleCall], Awaitable[dict[str, Any]]]] = []


async def account(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    who = call.principal
    assert who is not None and who.user is not None
    sessions = await call.engine.accounts.sessions(who)
    current = call.token.split("_")[1] if call.token else ""
    extra: dict[str, Any] = {}
    for section in ACCOUNT_SECTIONS:
        extra |= await section(call)
    return Page(
        "account.html",
        {
            **extra,
            "user": who.user,
            "org": who.org,
            "sessions": sessions,
            "current_session": int(current) if current.isdigit() else 0,
            "error": error,
            "zones": _ZONES,
        },
        status,
    )


_ZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Ho_Chi_Minh",
    "Asia/Bangkok",
    "Asia/Kuala_Lumpur",
    "Asia/Tokyo",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
)


async def save_profile(call: ConsoleCall) -> Page | web.StreamResponse:
    who = call.principal
    assert who is not None
    form = await call.form()
    name = str(form.get("display_name", "")).strip()
    fields = {"lang": str(form.get("lang", "")), "tz": str(form.get("tz", ""))}
    try:
        await call.engine.accounts.update_profile(who, display_name=name or None, fields=fields)
    except InvalidInput as exc:
        return await account(call, exc.message, exc.http_status)
    response = call.redirect("/console/account", "Saved.", "已保存。")
    if fields["lang"]:
        call.cookies.set(response, session.LANG, fields["lang"], 365 * 86400)
    return response


async def change_password(call: ConsoleCall) -> Page | web.StreamResponse:
    who = call.principal
    assert who is not None
    form = await call.form()
    try:
        await call.engine.accounts.change_password(
            who, str(form.get("old", ""))[:1000], str(form.get("new", ""))[:1000]
        )
    except (LoginFailed, PasswordWeak, InvalidInput) as exc:
        return await account(
            call, call.t(exc.message, _ZH.get(exc.code, exc.message)), exc.http_status
        )
    return call.redirect("/console/account", "Password changed.", "密码已修改。")


_ZH = {"login_failed": "当前密码错误。", "password_weak": "新密码太弱：请用更长、更难猜的密码。"}


async def passkey_register_begin(call: ConsoleCall) -> web.StreamResponse:
    assert call.principal is not None
    return web.json_response(await passkeys(call).begin_registration(call.principal))


async def passkey_register_finish(call: ConsoleCall) -> web.StreamResponse:
    assert call.principal is not None
    body = await _json(call)
    credential = body.get("credential")
    if not isinstance(credential, dict):
        raise InvalidInput("field 'credential' must be an object")
    name = str(body.get("name") or "passkey")[:100]
    passkey_id = await passkeys(call).finish_registration(call.principal, credential, name)
    return web.json_response({"id": passkey_id, "name": name}, status=201)


VIEWS = [
    ConsoleView("GET", "/console/", home),
    ConsoleView("GET", "/console/account", account, Action.PROFILE_OWN),
    ConsoleView("POST", "/console/account/profile", save_profile, Action.PROFILE_OWN),
    ConsoleView("POST", "/console/account/password", change_password, Action.PROFILE_OWN),
    ConsoleView(
        "POST", "/console/account/passkey/begin", passkey_register_begin, Action.PROFILE_OWN
    ),
    ConsoleView(
        "POST", "/console/account/passkey/finish", passkey_register_finish, Action.PROFILE_OWN
    ),
]
PAGES = [
    ConsolePage("/console/account", "My account", "我的账户", Action.PROFILE_OWN, "account", 10),
]

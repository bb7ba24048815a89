"""Signing in and out: password, passkey, sign-up by a code sent to a phone or e-mail,
log out here or everywhere.

Sign-in goes through the same :class:`~veriseal.accounts.service.AccountService` path
as the JSON API (lockout after repeated failures, per-address limits, new-device
notices); the console only sets the session cookie the service's token goes in.
A failed sign-in re-renders the form with the service's message and status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from veriseal.accounts.errors import (
    AccountLocked,
    IdentityInvalid,
    LoginFailed,
    OtpInvalid,
    PasswordWeak,
)
from veriseal.accounts.passkeys import Passkeys
from veriseal.console.call import ConsoleCall, local_path
from veriseal.errors import Conflict, InvalidInput, RateLimited, VerisealError
from veriseal.extend.console import ConsoleView, Page
from veriseal.server.accounts_routes import passkeys_for
from veriseal.server.auth import client

HOME = "/console/"


def _next(call: ConsoleCall, form: Any = None) -> str:
    value = (form.get("next") if form is not None else None) or call.query.get("next") or HOME
    return local_path(value if isinstance(value, str) else HOME)


def _device(call: ConsoleCall) -> str:
    return call.request.headers.get("User-Agent", "")[:200]


async def signin_form(call: ConsoleCall) -> Page | web.StreamResponse:
    if call.principal is not None:
        return web.Response(status=303, headers={"Location": _next(call)})
    return _signin_page(call, _next(call))


def _signin_page(
    call: ConsoleCall, to: str, error: str = "", status: int = 200, identifier: str = ""
) -> Page:
    return Page(
        "signin.html",
        {"next": to, "error": error, "identifier": identifier, "providers": _providers(call)},
        status,
    )


#: Functions giving the third-party sign-in buttons (``{"url", "title"}``) for a reader;
#: the external sign-in views append theirs when they are imported.
SIGNIN_BUTTONS: list[Callable[[ConsoleCall], Iterable[dict[str, str]]]] = []


def _providers(call: ConsoleCall) -> list[dict[str, str]]:
    return [button for source in SIGNIN_BUTTONS for button in source(call)]


async def signin(call: ConsoleCall) -> Page | web.StreamResponse:
    form = await call.form()
    to = _next(call, form)
    identifier = str(form.get("identifier", ""))[:200]
    password = str(form.get("password", ""))[:1000]
    try:
        token, _user = await call.engine.accounts.login(
            identifier, password, _client(call), _device(call)
        )
    except (LoginFailed, AccountLocked, RateLimited) as exc:
        return _signin_page(call, to, _message(call, exc), exc.http_status, identifier)
    return call.start_session(token, to)


def _client(call: ConsoleCall) -> str:
    return client(call.request)


def _message(call: ConsoleCall, exc: VerisealError) -> str:
    texts = {
        "login_failed": ("Wrong account or password.", "账号或密码错误。"),
        "account_locked": (
            "Too many failed sign-ins: this account is locked for a while.",
            "登录失败次数过多，账号暂时锁定。",
        ),
        "rate_limited": (
            "Too many attempts from your network: wait and try again.",
            "您的网络尝试次数过多，请稍后再试。",
        ),
        "otp_invalid": ("The code is wrong, used or expired.", "验证码错误、已使用或已过期。"),
        "conflict": (
            "This phone or e-mail is already registered: sign in.",
            "该手机号或邮箱已注册，请直接登录。",
        ),
    }
    en, zh = texts.get(exc.code, (exc.message, exc.message))
    retry = exc.details.get("retry_after")
    if retry:
        en, zh = f"{en} ({retry} s)", f"{zh}（{retry} 秒）"
    return call.t(en, zh)


async def signout(call: ConsoleCall) -> web.StreamResponse:
    assert call.principal is not None and call.token is not None
    await call.engine.accounts.logout(call.principal, call.token)
    return call.end_session()


async def signout_everywhere(call: ConsoleCall) -> web.StreamResponse:
    assert call.principal is not None
    await call.engine.accounts.logout_everywhere(call.principal)
    return call.end_session()


# -- sign-up by a one-time code ------------------------------------------------------
async def signup_form(call: ConsoleCall) -> Page:
    return Page("signup.html", {"step": "contact", "contact": "", "error": ""})


async def signup_send(call: ConsoleCall) -> Page:
    form = await call.form()
    contact = str(form.get("contact", ""))[:200]
    try:
        normal = await call.engine.accounts.register_start(contact)
    except (IdentityInvalid, InvalidInput, Conflict, RateLimited) as exc:
        return Page(
            "signup.html",
            {"step": "contact", "contact": contact, "error": _message(call, exc)},
            exc.http_status,
        )
    return Page("signup.html", {"step": "confirm", "contact": normal, "error": ""})


async def signup_confirm(call: ConsoleCall) -> Page | web.StreamResponse:
    form = await call.form()
    contact = str(form.get("contact", ""))[:200]
    password = str(form.get("password", ""))[:1000]
    accounts = call.engine.accounts
    try:
        await accounts.register_confirm(
            contact,
            str(form.get("code", ""))[:20],
            str(form.get("display_name", ""))[:100],
            password,
            _client(call),
        )
        token, _user = await accounts.login(contact, password, _client(call), _device(call))
    except (
        OtpInvalid,
        PasswordWeak,
        InvalidInput,
        IdentityInvalid,
        LoginFailed,
        RateLimited,
    ) as exc:
        return Page(
            "signup.html",
            {"step": "confirm", "contact": contact, "error": _message(call, exc)},
            exc.http_status,
        )
    return call.start_session(token, HOME)


# -- passkeys (WebAuthn; static/passkey.js drives the browser's side) -----------------
def passkeys(call: ConsoleCall) -> Passkeys:
    """Passkeys for this site's origin (``[server] public_origin`` behind a proxy)."""
    return passkeys_for(call.engine, call.request)


async def passkey_begin(call: ConsoleCall) -> web.StreamResponse:
    return web.json_response(await passkeys(call).begin_login())


async def passkey_finish(call: ConsoleCall) -> web.StreamResponse:
    body = await call.json()
    credential = body.get("credential")
    if not isinstance(credential, dict):
        raise InvalidInput("field 'credential' must be an object")
    token, _user = await passkeys(call).finish_login(credential, _client(call), _device(call))
    to = local_path(str(body.get("next") or HOME))
    response = web.json_response({"to": to})
    call.set_session(response, token)
    return response


VIEWS = [
    ConsoleView("GET", "/console/signin", signin_form, public=True),
    ConsoleView("POST", "/console/signin", signin, public=True),
    ConsoleView("POST", "/console/signin/passkey/begin", passkey_begin, public=True),
    ConsoleView("POST", "/console/signin/passkey/finish", passkey_finish, public=True),
    ConsoleView("GET", "/console/signup", signup_form, public=True),
    ConsoleView("POST", "/console/signup", signup_send, public=True),
    ConsoleView("POST", "/console/signup/confirm", signup_confirm, public=True),
    ConsoleView("POST", "/console/signout", signout),
    ConsoleView("POST", "/console/signout/everywhere", signout_everywhere),
]

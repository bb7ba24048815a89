"""Third-party sign-in in the console: OpenID Connect, WeChat, Alipay
(:mod:`veriseal.accounts.external`).

- ``GET /console/signin/ext/<provider>`` (public): starts a sign-in and sends the
  browser to the provider. A fresh random *binding* goes into an HttpOnly cookie and,
  hashed with the state, into the request's row: the callback must come back to the
  same browser, so a callback URL planted in someone else's browser signs nobody in.
- ``GET /console/signin/ext/<provider>/callback`` (public): the provider's redirect.
  A sign-in request ends in a new session (``call.start_session``); a link request
  (started from the account page) links the identity to the signed-in user. Both use
  this one callback URL, so a provider needs one registered redirect URI:
  ``<public origin>/console/signin/ext/<provider>/callback``.
- ``POST /console/account/ext/<provider>/link`` and ``.../unlink``: the account page's
  "linked accounts" section (``account_extra.html``).

The sign-in page's buttons come from :func:`buttons` (registered in
``auth.SIGNIN_BUTTONS``), the account section's data from :func:`account_section`
(registered in ``home.ACCOUNT_SECTIONS``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

import yarl
from aiohttp import web

from veriseal.accounts.errors import LoginFailed, Unauthenticated
from veriseal.accounts.external.errors import (
    ExternalAccountExists,
    ExternalAuthFailed,
    ExternalIdentityTaken,
    ExternalLastSignIn,
    ExternalProviderUnavailable,
    ExternalStateInvalid,
)
from veriseal.accounts.permissions import Action
from veriseal.console.call import ConsoleCall, local_path
from veriseal.console.views import auth, home
from veriseal.errors import InvalidInput, VerisealError
from veriseal.extend.console import ConsoleView, Page
from veriseal.i18n import t as message
from veriseal.server.accounts_routes import public_origin
from veriseal.server.auth import client

BINDING = "vs_ext"
BINDING_MAX_AGE = 600  # the state's own lifetime
ACCOUNT = "/console/account"
#: What a failed sign-in or link may tell the reader (each has a bilingual title).
_SHOWN = (
    ExternalStateInvalid,
    ExternalAuthFailed,
    ExternalProviderUnavailable,
    ExternalAccountExists,
    ExternalIdentityTaken,
    ExternalLastSignIn,
    LoginFailed,
    InvalidInput,
)


def buttons(call: ConsoleCall) -> Iterable[dict[str, str]]:
    """One sign-in button per configured provider (``{"url", "title"}``), keeping the
    sign-in page's ``next``."""
    after = call.query.get("next", "")
    for p in call.engine.external.providers():
        url = yarl.URL(f"/console/signin/ext/{p.name}")
        if after:
            url = url.with_query(next=local_path(after))
        title = call.t(f"Sign in with {p.title_en}", f"使用{p.title_zh}登录")
        yield {"url": str(url), "title": title, "provider": p.name}


async def account_section(call: ConsoleCall) -> dict[str, Any]:
    """The account page's "linked accounts": each configured provider with the
    reader's identity of it (or None), and identities of providers no longer
    configured (still unlinkable)."""
    assert call.principal is not None
    ext = call.engine.external
    mine = {i.provider: i for i in await ext.identities(call.principal)}
    rows = [
        {"name": p.name, "title": call.t(p.title_en, p.title_zh), "linked": mine.pop(p.name, None)}
        for p in ext.providers()
    ]
    rows += [{"name": n, "title": n, "linked": i} for n, i in sorted(mine.items())]
    return {"external_accounts": rows}


def _callback_url(call: ConsoleCall, provider: str) -> str:
    return f"{public_origin(call.engine, call.request)}/console/signin/ext/{provider}/callback"


def _to_provider(call: ConsoleCall, url: str, binding: str) -> web.Response:
    response = web.Response(status=303, headers={"Location": url})
    call.cookies.set(response, BINDING, binding, BINDING_MAX_AGE)
    return response


def _text(call: ConsoleCall, exc: VerisealError) -> str:
    title = message(f"error.{exc.code}", call.lang)
    return title if title != f"error.{exc.code}" else exc.message


async def begin(call: ConsoleCall) -> web.StreamResponse:
    provider = call.match["provider"]
    after = local_path(call.query.get("next", "") or auth.HOME)
    if call.principal is not None:
        return web.Response(status=303, headers={"Location": after})
    binding = secrets.token_urlsafe(32)
    url = await call.engine.external.begin(provider, _callback_url(call, provider), after, binding)
    return _to_provider(call, url, binding)


async def callback(call: ConsoleCall) -> Page | web.StreamResponse:
    provider = call.match["provider"]
    ext = call.engine.external
    binding = call.cookies.read(call.request, BINDING) or ""
    state = call.query.get("state", "")
    code = call.query.get(ext.provider(provider).code_param, "")
    try:
        purpose = await ext.pending_purpose(state, binding)
    except ExternalStateInvalid as exc:
        return auth._signin_page(call, auth.HOME, _text(call, exc), exc.http_status)
    if purpose == "link":
        return await _finish_link(call, provider, state, code, binding)
    if "error" in call.query or not code:  # the person cancelled at the provider
        return auth._signin_page(call, auth.HOME, call.t(
            "The sign-in was cancelled.", "登录已取消。"), 400)  # fmt: skip
    try:
        done = await ext.finish(provider, state, code, _callback_url(call, provider),
                                client(call.request), auth._device(call), binding)  # fmt: skip
    except _SHOWN as exc:
        return auth._signin_page(call, auth.HOME, _text(call, exc), exc.http_status)
    response = call.start_session(done.token, done.return_to or auth.HOME)
    call.cookies.clear(response, BINDING)
    return response


async def _finish_link(
    call: ConsoleCall, provider: str, state: str, code: str, binding: str
) -> web.StreamResponse:
    if call.principal is None:
        raise Unauthenticated("sign in again to link an account")
    if "error" in call.query or not code:
        return call.redirect(ACCOUNT, "Linking was cancelled.", "已取消绑定。")
    try:
        linked = await call.engine.external.finish_link(
            call.principal, provider, state, code, _callback_url(call, provider), binding
        )
    except _SHOWN as exc:
        return call.redirect(ACCOUNT, message(f"error.{exc.code}", "en"),
                             message(f"error.{exc.code}", "zh"))  # fmt: skip
    response = call.redirect(ACCOUNT, f"{linked.title_en} linked.", f"已绑定{linked.title_zh}。")
    call.cookies.clear(response, BINDING)
    return response


async def link(call: ConsoleCall) -> web.StreamResponse:
    assert call.principal is not None
    provider = call.match["provider"]
    binding = secrets.token_urlsafe(32)
    url = await call.engine.external.begin_link(
        call.principal, provider, _callback_url(call, provider), ACCOUNT, binding
    )
    return _to_provider(call, url, binding)


async def unlink(call: ConsoleCall) -> Page | web.StreamResponse:
    assert call.principal is not None
    try:
        await call.engine.external.unlink(call.principal, call.match["provider"])
    except (ExternalLastSignIn, InvalidInput) as exc:
        return await home.account(call, _text(call, exc), exc.http_status)
    return call.redirect(ACCOUNT, "Unlinked.", "已解除绑定。")


auth.SIGNIN_BUTTONS.append(buttons)
home.ACCOUNT_SECTIONS.append(account_section)

_NAME = "{provider}"  # the service knows which names are configured (else 404)
VIEWS = [
    ConsoleView("GET", f"/console/signin/ext/{_NAME}", begin, public=True),
    ConsoleView("GET", f"/console/signin/ext/{_NAME}/callback", callback, public=True),
    ConsoleView("POST", f"/console/account/ext/{_NAME}/link", link, Action.PROFILE_OWN),
    ConsoleView("POST", f"/console/account/ext/{_NAME}/unlink", unlink, Action.PROFILE_OWN),
]

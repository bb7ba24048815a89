"""Accounts JSON API (``/api/v1/auth/*``, ``/api/v1/me*``, ``/api/v1/users*``,
``/api/v1/orgs*``, ``/api/v1/kyc*``, ``/api/v1/audit``). See openapi.json.

Anonymous: register (send code, confirm), login, password reset. Everything else takes
``Authorization: Bearer <token>``; the services check what the caller may do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from veriseal.accounts.models import OrgKind, Principal, Role, UserStatus
from veriseal.accounts.passkeys import Passkeys, RelyingParty
from veriseal.engine import Engine
from veriseal.errors import InvalidInput
from veriseal.server.auth import (
    base64_field,
    bearer,
    client,
    field,
    int_param,
    json_object,
    optional_int_query,
    principal,
    time_query,
)

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]
AuthedHandler = Callable[[web.Request, Engine, Principal], Awaitable[Any]]
AnonHandler = Callable[[web.Request, Engine], Awaitable[Any]]


def _enum(kind: Any, value: str, name: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(v) for v in kind)
        raise InvalidInput(f"{name} must be one of: {allowed}") from None


# -- anonymous: registration, login, reset --------------------------------------------
async def register_start(request: web.Request, engine: Engine) -> dict[str, Any]:
    body = await json_object(request)
    contact = await engine.accounts.register_start(field(body, "contact", str))
    return {"sent_to": contact}


async def register_confirm(request: web.Request, engine: Engine) -> dict[str, Any]:
    body = await json_object(request)
    user = await engine.accounts.register_confirm(
        field(body, "contact", str),
        field(body, "code", str),
        field(body, "display_name", str),
        field(body, "password", str),
        client(request),
    )
    return user.to_dict()


async def login(request: web.Request, engine: Engine) -> dict[str, Any]:
    body = await json_object(request)
    token, user = await engine.accounts.login(
        field(body, "identifier", str),
        field(body, "password", str),
        client(request),
        request.headers.get("User-Agent", "")[:200],
    )
    return {"token": token, "user": user.to_dict()}


async def reset_start(request: web.Request, engine: Engine) -> dict[str, Any]:
    body = await json_object(request)
    contact = await engine.accounts.send_code(field(body, "contact", str), "reset")
    return {"sent_to": contact}


async def reset_confirm(request: web.Request, engine: Engine) -> dict[str, Any]:
    body = await json_object(request)
    await engine.accounts.reset_password(
        field(body, "contact", str),
        field(body, "code", str),
        field(body, "password", str),
        client(request),
    )
    return {"reset": True}


# -- me ----------------------------------------------------------------------------
async def me(_r: web.Request, engine: Engine, who: Principal) -> dict[str, Any]:
    if who.user is None:
        raise InvalidInput("this token has no user")
    return {**who.user.to_dict(), "kyc": await engine.kyc.status_of_user(who.user)}


async def me_update(request: web.Request, engine: Engine, who: Principal) -> dict[str, Any]:
    body = await json_object(request)
    fields = field(body, "profile", dict, required=False)
    if fields is not None and not all(isinstance(v, str) for v in fields.values()):
        raise InvalidInput("profile values must be strings")
    user = await engine.accounts.update_profile(
        who, display_name=field(body, "display_name", str, required=False), fields=fields
    )
    return user.to_dict()


async def me_password(request: web.Request, engine: Engine, who: Principal) -> dict[str, Any]:
    body = await json_object(request)
    await engine.accounts.change_password(
        who, field(body, "old_password", str), field(body, "new_password", str)
    )
    return {"changed": True}


async def avatar_put(request: web.Request, engine: Engine, who: Principal) -> dict[str, Any]:
    png = await engine.accounts.set_avatar(who, await request.read())
    return {"bytes": len(png), "type": "image/png"}


async def avatar_get(request: web.Request, engine: Engine, who: Principal) -> web.Response:
    user_id = int_param(request, "user")
    if user_id != who.user_id:
        await engine.accounts.user(who, user_id)  # permission to see that user
    data = await engine.accounts.avatar(user_id)
    if data is None:
        raise web.HTTPNotFound(reason="no avatar")
    return web.Response(body=data, content_type="image/png")


async def logout(request: web.Request, engine: Engine, who: Principal) -> dict[str, Any]:
    await engine.accounts.logout(who, bearer(request))
    return {"logged_out": True}


# -- tokens ------------------------------------------------------------------------
async def tokens_list(request: web.Request, engine: Engine, who: Principal) -> Any:
    user = optional_int_query(request, "user")
    return [t.to_dict() for t in await engine.accounts.list_tokens(who, user)]


async def tokens_create(request: web.Request, engine: Engine, who: Principal) -> Any:
    body = await json_object(request)
    scopes = field(body, "scopes", list, required=False) or ["*"]
    if not all(isinstance(s, str) for s in scopes):
        raise InvalidInput("scopes are strings")
    days = field(body, "days", int, required=False)
    if days is not None and days < 1:
        raise InvalidInput("days must be at least 1")
    text, record = await engine.accounts.create_token(
        who,
        field(body, "name", str),
        scopes,
        dt.timedelta(days=days) if days else None,
        field(body, "user_id", int, required=False),
    )
    return {"token": text, **record.to_dict()}


async def tokens_revoke(request: web.Request, engine: Engine, who: Principal) -> Any:
    await engine.accounts.revoke_token(who, int_param(request, "token"))
    return {"revoked": True}


# -- users and orgs ----------------------------------------------------------------
async def users_list(request: web.Request, engine: Engine, who: Principal) -> Any:
    found = await engine.accounts.list_users(who, optional_int_query(request, "org"))
    return [u.to_dict() for u in found]


async def users_create(request: web.Request, engine: Engine, who: Principal) -> Any:
    body = await json_object(request)
    user = await engine.accounts.create_user(
        who,
        contact=field(body, "contact", str),
        display_name=field(body, "display_name", str),
        role=_enum(Role, field(body, "role", str), "role"),
        org_id=field(body, "org_id", int, required=False),
        password=field(body, "password", str, required=False),
    )
    return user.to_dict()


async def users_get(request: web.Request, engine: Engine, who: Principal) -> Any:
    return (await engine.accounts.user(who, int_param(request, "user"))).to_dict()


async def users_status(request: web.Request, engine: Engine, who: Principal) -> Any:
    body = await json_object(request)
    status = _enum(UserStatus, field(body, "status", str), "status")
    user = await engine.accounts.set_status(who, int_param(request, "user"), status)
    return user.to_dict()


async def users_role(request: web.Request, engine: Engine, who: Principal) -> Any:
    body = await json_object(request)
    role = _enum(Role, field(body, "role", str), "role")
    return (await engine.accounts.set_role(who, int_param(request, "user"), role)).to_dict()


async def orgs_create(request: web.Request, engine: Engine, who: Principal) -> Any:
    body = await json_object(request)
    org = await engine.accounts.create_org(
        who,
        field(body, "parent_id", int),
        _enum(OrgKind, field(body, "kind", str), "kind"),
        field(body, "name", str),
    )
    return org.to_dict()


async def orgs_tree(request: web.Request, engine: Engine, who: Principal) -> Any:
    found = await engine.accounts.org_tree(who, int_param(request, "org"))
    return [o.to_dict() for o in found]


async def orgs_profile(request: web.Request, engine: Engine, who: Principal) -> Any:
    body = await json_object(request)
    if not all(isinstance(v, str) for v in body.values()):
        raise InvalidInput("profile values must be strings")
    org = await engine.accounts.update_org_profile(who, int_param(request, "org"), body)
    return org.to_dict()


# -- real-name verification ----------------------------------------------------------
async def kyc_submit(request: web.Request, engine: Engine, who: Principal) -> Any:
    body = await json_object(request)
    kind = field(body, "kind", str)
    image = base64_field(body, "document_base64")
    name, number = field(body, "legal_name", str), field(body, "number", str)
    if kind == "person":
        sub = await engine.kyc.submit_person(who, name, number, image)
    elif kind == "enterprise":
        sub = await engine.kyc.submit_enterprise(who, name, number, image)
    else:
        raise InvalidInput("kind must be person or enterprise")
    return sub.to_dict()


async def kyc_pending(_r: web.Request, engine: Engine, who: Principal) -> Any:
    return [s.to_dict() for s in await engine.kyc.pending(who)]


async def kyc_get(request: web.Request, engine: Engine, who: Principal) -> Any:
    return (await engine.kyc.get(who, int_param(request, "sub"))).to_dict()


async def kyc_review(request: web.Request, engine: Engine, who: Principal) -> Any:
    body = await json_object(request)
    decision = field(body, "decision", str)
    if decision not in ("approve", "reject"):
        raise InvalidInput("decision must be approve or reject")
    sub = await engine.kyc.review(
        who,
        int_param(request, "sub"),
        decision == "approve",
        field(body, "reason", str, required=False) or "",
    )
    return sub.to_dict()


async def kyc_document(request: web.Request, engine: Engine, who: Principal) -> Any:
    data, media = await engine.kyc.document(who, int_param(request, "sub"))
    return web.Response(body=data, content_type=media, headers={"Cache-Control": "no-store"})


async def audit(request: web.Request, engine: Engine, who: Principal) -> Any:
    since = time_query(request, "since")
    found = await engine.accounts.audit_log(
        who,
        brand_id=optional_int_query(request, "brand"),
        actor_id=optional_int_query(request, "actor"),
        action=request.query.get("action"),
        since=since,
    )
    return [e.to_dict() for e in found]


# -- passkeys ---------------------------------------------------------------------------
def _passkeys(request: web.Request, engine: Engine) -> Passkeys:
    """Passkeys for this site: ``[server] public_origin`` from the config when set (a
    deployment behind a proxy must set it), else the origin the request came to."""
    origin = str(engine.config.server.get("public_origin") or "")
    if not origin:
        origin = f"{request.scheme}://{request.host}"
    host = origin.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
    return Passkeys(engine.accounts, RelyingParty(host, "Veriseal", origin))


def _credential(body: dict[str, Any]) -> dict[str, Any]:
    credential = field(body, "credential", dict)
    return dict(credential)


async def passkey_register_begin(request: web.Request, engine: Engine, who: Principal) -> Any:
    return await _passkeys(request, engine).begin_registration(who)


async def passkey_register_finish(request: web.Request, engine: Engine, who: Principal) -> Any:
    body = await json_object(request)
    name = field(body, "name", str, required=False) or "passkey"
    passkey_id = await _passkeys(request, engine).finish_registration(who, _credential(body), name)
    return {"id": passkey_id, "name": name}


async def passkey_login_begin(request: web.Request, engine: Engine) -> Any:
    return await _passkeys(request, engine).begin_login()


async def passkey_login_finish(request: web.Request, engine: Engine) -> Any:
    body = await json_object(request)
    token, user = await _passkeys(request, engine).finish_login(
        _credential(body), client(request), request.headers.get("User-Agent", "")[:200]
    )
    return {"token": token, "user": user.to_dict()}


def register_routes(app: web.Application, engine_key: web.AppKey[Engine]) -> None:
    def authed(handler: AuthedHandler, status: int = 200) -> Route:
        async def route(request: web.Request) -> web.StreamResponse:
            engine = request.app[engine_key]
            result = await handler(request, engine, await principal(request, engine))
            if isinstance(result, web.StreamResponse):
                return result
            return web.json_response(result, status=status)

        return route

    def anon(handler: AnonHandler, status: int = 200) -> Route:
        async def route(request: web.Request) -> web.StreamResponse:
            return web.json_response(await handler(request, request.app[engine_key]), status=status)

        return route

    r = app.router
    r.add_post("/api/v1/auth/register", anon(register_start, 202))
    r.add_post("/api/v1/auth/register/confirm", anon(register_confirm, 201))
    r.add_post("/api/v1/auth/login", anon(login))
    r.add_post("/api/v1/auth/reset", anon(reset_start, 202))
    r.add_post("/api/v1/auth/reset/confirm", anon(reset_confirm))
    r.add_post("/api/v1/auth/logout", authed(logout))
    r.add_post("/api/v1/auth/passkey/begin", anon(passkey_login_begin))
    r.add_post("/api/v1/auth/passkey/finish", anon(passkey_login_finish))
    r.add_post("/api/v1/passkeys/register/begin", authed(passkey_register_begin))
    r.add_post("/api/v1/passkeys/register/finish", authed(passkey_register_finish, 201))
    r.add_get("/api/v1/me", authed(me))
    r.add_patch("/api/v1/me", authed(me_update))
    r.add_post("/api/v1/me/password", authed(me_password))
    r.add_put("/api/v1/me/avatar", authed(avatar_put))
    r.add_get("/api/v1/users/{user}/avatar", authed(avatar_get))
    r.add_get("/api/v1/tokens", authed(tokens_list))
    r.add_post("/api/v1/tokens", authed(tokens_create, 201))
    r.add_delete("/api/v1/tokens/{token}", authed(tokens_revoke))
    r.add_get("/api/v1/users", authed(users_list))
    r.add_post("/api/v1/users", authed(users_create, 201))
    r.add_get("/api/v1/users/{user}", authed(users_get))
    r.add_post("/api/v1/users/{user}/status", authed(users_status))
    r.add_post("/api/v1/users/{user}/role", authed(users_role))
    r.add_post("/api/v1/orgs", authed(orgs_create, 201))
    r.add_get("/api/v1/orgs/{org}/tree", authed(orgs_tree))
    r.add_patch("/api/v1/orgs/{org}", authed(orgs_profile))
    r.add_post("/api/v1/kyc", authed(kyc_submit, 201))
    r.add_get("/api/v1/kyc/pending", authed(kyc_pending))
    r.add_get("/api/v1/kyc/{sub}", authed(kyc_get))
    r.add_post("/api/v1/kyc/{sub}/review", authed(kyc_review))
    r.add_get("/api/v1/kyc/{sub}/document", authed(kyc_document))
    r.add_get("/api/v1/audit", authed(audit))

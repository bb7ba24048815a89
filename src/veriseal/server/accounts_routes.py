"""Accounts JSON API (``/api/v1/auth/*``, ``/api/v1/me*``, ``/api/v1/users*``,
``/api/v1/orgs*``, ``/api/v1/tokens*``, ``/api/v1/kyc*``, ``/api/v1/audit``,
``/api/v1/passkeys/*``). Declared as :class:`~veriseal.server.endpoints.Endpoint` s:
see ``/openapi.json`` for each route's input and access rule.

Anonymous: register (send code, confirm), login, password reset, passkey sign-in.
Credential management (password, passkeys, tokens) needs a full sign-in; everything
else a token whose scopes include the route's action. The services check the role and
the target.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web
from msgspec import Meta

from veriseal.accounts.models import AuditQuery, OrgKind, Role, UserQuery, UserStatus
from veriseal.accounts.passkeys import Passkeys, RelyingParty
from veriseal.accounts.permissions import Action
from veriseal.engine import Engine
from veriseal.errors import InvalidInput
from veriseal.server.auth import bearer, decode_base64
from veriseal.server.endpoints import Call, Endpoint, Gate
from veriseal.server.inputs import (
    Blob,
    Contact,
    Id,
    Line,
    Model,
    Name,
    Note,
    Page,
    Secret,
    Short,
    after_id,
)
from veriseal.server.listing import page_schema as _page_schema
from veriseal.server.listing import records

OtpCode = Annotated[str, Meta(min_length=1, max_length=16)]
Schema = dict[str, Any]
USER = {"$ref": "#/components/schemas/User"}


# -- anonymous: registration, login, reset --------------------------------------------
class ContactBody(Model):
    contact: Contact


class RegisterConfirm(Model):
    contact: Contact
    code: OtpCode
    display_name: Name
    password: Secret


class LoginBody(Model):
    identifier: Contact
    password: Secret


class ResetConfirm(Model):
    contact: Contact
    code: OtpCode
    password: Secret


async def register_start(call: Call, body: ContactBody) -> Schema:
    return {"sent_to": await call.engine.accounts.register_start(body.contact)}


async def register_confirm(call: Call, body: RegisterConfirm) -> Schema:
    user = await call.engine.accounts.register_confirm(
        body.contact, body.code, body.display_name, body.password, call.client
    )
    return user.to_dict()


async def login(call: Call, body: LoginBody) -> Schema:
    token, user = await call.engine.accounts.login(
        body.identifier, body.password, call.client, call.user_agent
    )
    return {"token": token, "user": user.to_dict()}


async def reset_start(call: Call, body: ContactBody) -> Schema:
    return {"sent_to": await call.engine.accounts.send_code(body.contact, "reset")}


async def reset_confirm(call: Call, body: ResetConfirm) -> Schema:
    await call.engine.accounts.reset_password(body.contact, body.code, body.password, call.client)
    return {"reset": True}


# -- me ----------------------------------------------------------------------------
Profile = Annotated[dict[Short, Line], Meta(max_length=50)]


class MeUpdate(Model):
    display_name: Name | None = None
    profile: Profile | None = None


class PasswordChange(Model):
    old_password: Secret
    new_password: Secret


class UserPath(Model):
    user: Id


async def me(call: Call) -> Schema:
    who = call.who
    if who.user is None:
        raise InvalidInput("this token has no user")
    return {**who.user.to_dict(), "kyc": await call.engine.kyc.status_of_user(who.user)}


async def me_update(call: Call, body: MeUpdate) -> Schema:
    user = await call.engine.accounts.update_profile(
        call.who, display_name=body.display_name, fields=body.profile
    )
    return user.to_dict()


async def me_password(call: Call, body: PasswordChange) -> Schema:
    await call.engine.accounts.change_password(call.who, body.old_password, body.new_password)
    return {"changed": True}


async def avatar_put(call: Call) -> Schema:
    png = await call.engine.accounts.set_avatar(call.who, await call.request.read())
    return {"bytes": len(png), "type": "image/png"}


async def avatar_get(call: Call, path: UserPath) -> web.Response:
    if path.user != call.who.user_id:
        await call.engine.accounts.user(call.who, path.user)  # permission to see that user
    data = await call.engine.accounts.avatar(path.user)
    if data is None:
        raise web.HTTPNotFound(reason="no avatar")
    return web.Response(body=data, content_type="image/png")


async def logout(call: Call) -> Schema:
    await call.engine.accounts.logout(call.who, bearer(call.request))
    return {"logged_out": True}


# -- tokens ------------------------------------------------------------------------
class TokenQuery(Page):
    user: Id | None = None


class TokenCreate(Model):
    name: Name
    scopes: Annotated[list[Short], Meta(min_length=1, max_length=64)] = msgspec.field(
        default_factory=lambda: ["*"]
    )
    days: Annotated[int, Meta(ge=1, le=3650, description="lifetime in days")] | None = None
    user_id: Id | None = None


class TokenPath(Model):
    token: Id


async def tokens_list(call: Call, query: TokenQuery) -> Schema:
    found = await call.engine.accounts.list_tokens(
        call.who, query.user, after_id=after_id(query), limit=query.limit
    )
    return records("tokens", found, query)


async def tokens_create(call: Call, body: TokenCreate) -> Schema:
    text_, record = await call.engine.accounts.create_token(
        call.who,
        body.name,
        body.scopes,
        dt.timedelta(days=body.days) if body.days else None,
        body.user_id,
    )
    return {"token": text_, **record.to_dict()}


async def tokens_revoke(call: Call, path: TokenPath) -> Schema:
    await call.engine.accounts.revoke_token(call.who, path.token)
    return {"revoked": True}


# -- users and orgs ----------------------------------------------------------------
class UsersQuery(Page):
    org: Id | None = None
    role: Role | None = None
    status: UserStatus | None = None
    #: a part of the display name, e-mail or phone number
    q: Line | None = None


class UserCreate(Model):
    contact: Contact
    display_name: Name
    role: Role
    org_id: Id | None = None
    password: Secret | None = None


class StatusBody(Model):
    status: UserStatus


class RoleBody(Model):
    role: Role


class OrgCreate(Model):
    parent_id: Id
    kind: OrgKind
    name: Name


class OrgPath(Model):
    org: Id


async def users_list(call: Call, query: UsersQuery) -> Schema:
    found = await call.engine.accounts.list_users(
        call.who,
        query.org,
        after_id=after_id(query),
        limit=query.limit,
        query=UserQuery(query.role, query.status, query.q),
    )
    return records("users", found, query)


async def users_create(call: Call, body: UserCreate) -> Schema:
    user = await call.engine.accounts.create_user(
        call.who,
        contact=body.contact,
        display_name=body.display_name,
        role=body.role,
        org_id=body.org_id,
        password=body.password,
    )
    return user.to_dict()


async def users_get(call: Call, path: UserPath) -> Schema:
    return (await call.engine.accounts.user(call.who, path.user)).to_dict()


async def users_status(call: Call, path: UserPath, body: StatusBody) -> Schema:
    return (await call.engine.accounts.set_status(call.who, path.user, body.status)).to_dict()


async def users_role(call: Call, path: UserPath, body: RoleBody) -> Schema:
    return (await call.engine.accounts.set_role(call.who, path.user, body.role)).to_dict()


async def orgs_create(call: Call, body: OrgCreate) -> Schema:
    org = await call.engine.accounts.create_org(call.who, body.parent_id, body.kind, body.name)
    return org.to_dict()


async def orgs_tree(call: Call, path: OrgPath, query: Page) -> Schema:
    found = await call.engine.accounts.org_tree(
        call.who, path.org, after_id=after_id(query), limit=query.limit
    )
    return records("orgs", found, query)


async def orgs_profile(call: Call, path: OrgPath, body: Profile) -> Schema:
    org = await call.engine.accounts.update_org_profile(call.who, path.org, body)
    return org.to_dict()


# -- real-name verification ----------------------------------------------------------
class KycSubmit(Model):
    kind: Literal["person", "enterprise"]
    legal_name: Name
    #: resident ID number, unified social credit code, or a foreign enterprise's
    #: registration number (1..64 of letters, digits, spaces and -./)
    number: Short
    document_base64: Blob  # the document image (ID card, business licence, registration)
    #: ISO 3166-1 alpha-2 of an enterprise; not CN: a foreign one, by registration number
    country: Annotated[str, Meta(pattern="^[A-Za-z]{2}$")] = "CN"


class KycPath(Model):
    sub: Id


class KycReview(Model):
    decision: Literal["approve", "reject"]
    reason: Note = ""


async def kyc_submit(call: Call, body: KycSubmit) -> Schema:
    image = decode_base64(body.document_base64, "document_base64")
    kyc = call.engine.kyc
    if body.kind == "enterprise":
        sub = await kyc.submit_enterprise(call.who, body.legal_name, body.number, image,
                                          body.country)  # fmt: skip
        return sub.to_dict()
    if body.country.upper() != "CN":
        raise InvalidInput("a person is verified by a Chinese resident ID (country CN)")
    return (await kyc.submit_person(call.who, body.legal_name, body.number, image)).to_dict()


async def kyc_pending(call: Call, query: Page) -> Schema:
    found = await call.engine.kyc.pending(call.who, after_id=after_id(query), limit=query.limit)
    return records("submissions", found, query)


async def kyc_get(call: Call, path: KycPath) -> Schema:
    return (await call.engine.kyc.get(call.who, path.sub)).to_dict()


async def kyc_review(call: Call, path: KycPath, body: KycReview) -> Schema:
    sub = await call.engine.kyc.review(call.who, path.sub, body.decision == "approve", body.reason)
    return sub.to_dict()


async def kyc_document(call: Call, path: KycPath) -> web.Response:
    data, media = await call.engine.kyc.document(call.who, path.sub)
    return web.Response(
        body=data,
        content_type=media,
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": "inline",
            "X-Content-Type-Options": "nosniff",
        },
    )


class AuditFilter(Page):
    brand: Id | None = None
    actor: Id | None = None
    #: an action name, or a prefix ending in "." (``kyc.``)
    action: Short | None = None
    #: e.g. ``kyc:12``, ``user:7``
    target: Short | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


async def audit(call: Call, query: AuditFilter) -> Schema:
    found = await call.engine.accounts.audit_log(
        call.who,
        AuditQuery(query.actor, query.action, query.target, query.since, query.until),
        brand_id=query.brand,
        limit=query.limit,
        after_id=after_id(query),
    )
    return records("entries", found, query)


# -- passkeys ---------------------------------------------------------------------------
class PasskeyFinish(Model):
    credential: Annotated[dict[Short, Any], Meta(max_length=32)]
    name: Name = "passkey"


class PasskeyLogin(Model):
    credential: Annotated[dict[Short, Any], Meta(max_length=32)]


def _passkeys(call: Call) -> Passkeys:
    return passkeys_for(call.engine, call.request)


def passkeys_for(engine: Engine, request: web.Request) -> Passkeys:
    """Passkeys for this site: ``[server] public_origin`` from the config when set (a
    deployment behind a proxy must set it), else the origin the request came to. The
    JSON API and the console both ask here."""
    origin = public_origin(engine, request)
    host = origin.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
    return Passkeys(engine.accounts, RelyingParty(host, "Veriseal", origin))


def public_origin(engine: Engine, request: web.Request) -> str:
    """The origin this deployment is reached at: ``[server] public_origin``, else the
    scheme and host the request came to when it is loopback (development)."""
    origin = str(engine.config.server.get("public_origin") or "")
    return origin or f"{request.scheme}://{request.host}"


async def passkey_register_begin(call: Call) -> Any:
    return await _passkeys(call).begin_registration(call.who)


async def passkey_register_finish(call: Call, body: PasskeyFinish) -> Schema:
    passkey_id = await _passkeys(call).finish_registration(
        call.who, dict(body.credential), body.name
    )
    return {"id": passkey_id, "name": body.name}


async def passkey_login_begin(call: Call) -> Any:
    return await _passkeys(call).begin_login()


async def passkey_login_finish(call: Call, body: PasskeyLogin) -> Schema:
    token, user = await _passkeys(call).finish_login(
        dict(body.credential), call.client, call.user_agent
    )
    return {"token": token, "user": user.to_dict()}


P, C = Gate.PUBLIC, Gate.CREDENTIALS
A = Action
_SIGNED_IN = {"type": "object", "properties": {"token": {"type": "string"}, "user": USER}}
ROUTES = [
    Endpoint("POST", "/api/v1/auth/register", register_start, P, "Send a sign-up code", 202),
    Endpoint("POST", "/api/v1/auth/register/confirm", register_confirm, P,
             "Confirm the code and create the account", 201, response=USER),
    Endpoint("POST", "/api/v1/auth/login", login, P, "Sign in with a password",
             response=_SIGNED_IN),
    Endpoint("POST", "/api/v1/auth/reset", reset_start, P, "Send a password-reset code", 202),
    Endpoint("POST", "/api/v1/auth/reset/confirm", reset_confirm, P, "Set a new password"),
    Endpoint("POST", "/api/v1/auth/logout", logout, Gate.CALLER, "Revoke this session"),
    Endpoint("POST", "/api/v1/auth/passkey/begin", passkey_login_begin, P,
             "Passkey sign-in: the WebAuthn options"),
    Endpoint("POST", "/api/v1/auth/passkey/finish", passkey_login_finish, P,
             "Passkey sign-in: verify the assertion", response=_SIGNED_IN),
    Endpoint("POST", "/api/v1/passkeys/register/begin", passkey_register_begin, C,
             "Register a passkey: the WebAuthn options"),
    Endpoint("POST", "/api/v1/passkeys/register/finish", passkey_register_finish, C,
             "Register a passkey: verify the attestation", 201),
    Endpoint("GET", "/api/v1/me", me, Gate.CALLER, "Who am I", response=USER),
    Endpoint("PATCH", "/api/v1/me", me_update, A.PROFILE_OWN, "Edit my profile",
             response=USER),
    Endpoint("POST", "/api/v1/me/password", me_password, C, "Change my password"),
    Endpoint("PUT", "/api/v1/me/avatar", avatar_put, A.PROFILE_OWN,
             "Upload my avatar (PNG, JPEG or WebP; stored as 256x256 PNG)",
             raw_body="application/octet-stream"),
    Endpoint("GET", "/api/v1/users/{user}/avatar", avatar_get, A.USERS_VIEW,
             "A user's avatar (PNG)"),
    Endpoint("GET", "/api/v1/tokens", tokens_list, C, "My API tokens (or a user's)"),
    Endpoint("POST", "/api/v1/tokens", tokens_create, C,
             "Create an API token (shown once)", 201),
    Endpoint("DELETE", "/api/v1/tokens/{token}", tokens_revoke, C, "Revoke an API token"),
    Endpoint("GET", "/api/v1/users", users_list, A.USERS_VIEW,
             "Users of an organisation's subtree", response=_page_schema("users", USER)),
    Endpoint("POST", "/api/v1/users", users_create, A.USERS_MANAGE, "Create a user", 201,
             response=USER),
    Endpoint("GET", "/api/v1/users/{user}", users_get, A.USERS_VIEW, "One user",
             response=USER),
    Endpoint("POST", "/api/v1/users/{user}/status", users_status, A.USERS_MANAGE,
             "Enable or disable a user", response=USER),
    Endpoint("POST", "/api/v1/users/{user}/role", users_role, A.USERS_MANAGE,
             "Change a user's role", response=USER),
    Endpoint("POST", "/api/v1/orgs", orgs_create, A.ORGS_MANAGE,
             "Add an organisation (dealer) under another", 201),
    Endpoint("GET", "/api/v1/orgs/{org}/tree", orgs_tree, A.ORGS_VIEW,
             "An organisation and its subtree, parents before children, a page at a time"),
    Endpoint("PATCH", "/api/v1/orgs/{org}", orgs_profile, A.ORGS_MANAGE,
             "Edit an organisation's profile fields"),
    Endpoint("POST", "/api/v1/kyc", kyc_submit, A.KYC_SUBMIT,
             "Submit a real-name verification", 201),
    Endpoint("GET", "/api/v1/kyc/pending", kyc_pending, A.KYC_REVIEW,
             "Verifications awaiting my review"),
    Endpoint("GET", "/api/v1/kyc/{sub}", kyc_get, A.KYC_REVIEW, "One verification"),
    Endpoint("POST", "/api/v1/kyc/{sub}/review", kyc_review, A.KYC_REVIEW,
             "Approve or reject a verification"),
    Endpoint("GET", "/api/v1/kyc/{sub}/document", kyc_document, A.KYC_REVIEW,
             "A verification's document image (audited)"),
    Endpoint("GET", "/api/v1/audit", audit, A.AUDIT_READ, "Security events of my brand"),
]  # fmt: skip

"""Who may do what: the permission matrix, checked inside the services.

The matrix is data (:data:`MATRIX`): an :class:`Action` maps to the roles allowed to
perform it. It is open: the core seeds it with its own actions, and plugins add theirs
through the ``register_permissions`` hook (:func:`register_action`).

Where the target belongs to a brand or an organisation, :func:`require`
also checks *scope*: a brand admin acts inside its own brand only, a dealer inside its
own subtree of the dealer tree (never a sibling's), everybody on their own records.
An API token may narrow a user's rights further to a list of scopes (action names).

The HTTP layer and the CLI call services with a :class:`Principal`; the services call
:func:`require` before they read or change anything, so a route that forgets a check
cannot leak data past the service (the permission-matrix test drives every role
through every protected action).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from veriseal.accounts.errors import Forbidden, OutOfScope
from veriseal.accounts.models import Org, Principal, Role

P, B, F, D, R, INS, C = (
    Role.PLATFORM_ADMIN,
    Role.BRAND_ADMIN,
    Role.FACTORY_OPERATOR,
    Role.DISTRIBUTOR,
    Role.RETAILER,
    Role.INSPECTOR,
    Role.CONSUMER,
)
EVERYONE = frozenset(Role)


class Action(str):
    """The name of something a principal may do, ``domain.verb`` (``users.manage``).

    An open set: the core's own actions are the class attributes below, and a plugin
    adds its own through the ``register_permissions`` hook (:func:`register_action`),
    e.g. the territories plugin's ``territory.grant``. ``Action(name)`` only checks the
    form of the name, so a name stored in a token's scopes always reads back; whether
    anybody holds it is :data:`MATRIX`'s business."""

    __slots__ = ()

    def __new__(cls, name: str) -> Action:
        if not _ACTION_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not an action name (lower-case 'domain.verb')")
        return super().__new__(cls, name)

    def __repr__(self) -> str:
        return f"Action({str(self)!r})"

    def __str__(self) -> str:
        return str.__str__(self)

    USERS_MANAGE: ClassVar[Action]  # create users, change roles, disable
    USERS_VIEW: ClassVar[Action]  # list users of a brand / subtree
    ORGS_MANAGE: ClassVar[Action]  # add dealers (orgs) under an org
    ORGS_VIEW: ClassVar[Action]  # see the dealer tree (own subtree)
    AUDIT_READ: ClassVar[Action]
    KYC_SUBMIT: ClassVar[Action]  # real-name submission for oneself / one's org
    KYC_REVIEW: ClassVar[Action]  # approve / reject; read uploaded documents
    TOKENS_OWN: ClassVar[Action]  # create, list, revoke one's own API tokens
    PROFILE_OWN: ClassVar[Action]  # edit one's own profile and avatar
    CATALOGUE_WRITE: ClassVar[Action]  # products and prices
    CATALOGUE_READ: ClassVar[Action]  # browse and search the brand's catalogue
    BATCHES_WRITE: ClassVar[Action]  # create, recall, reinstate batches
    KEYS_MANAGE: ClassVar[Action]  # rotate, revoke keys
    LINE_OPERATE: ClassVar[Action]  # print, activate, decommission, pack
    SCANS_RECORD: ClassVar[Action]  # authenticated (handheld) scan upload
    SCANS_READ: ClassVar[Action]  # the brand's scan ledger and exports
    ALERTS_READ: ClassVar[Action]  # clone / diversion alerts
    ALERTS_MANAGE: ClassVar[Action]  # move core alerts: investigate, confirm, dismiss
    NOTIFY_BROADCAST: ClassVar[Action]  # send notices to the users of an org subtree
    MESSAGES_OWN: ClassVar[Action]  # one's own inbox
    SCANS_OWN: ClassVar[Action]  # scan signed in (console) and list one's own verifications
    REPORTS_FILE: ClassVar[Action]  # report a suspected fake; read one's own reports


_ACTION_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")

_CORE: dict[str, tuple[str, frozenset[Role]]] = {
    "USERS_MANAGE": ("users.manage", frozenset({P, B})),
    "USERS_VIEW": ("users.view", frozenset({P, B, D})),
    "ORGS_MANAGE": ("orgs.manage", frozenset({P, B, D})),
    "ORGS_VIEW": ("orgs.view", frozenset({P, B, D, R})),
    "AUDIT_READ": ("audit.read", frozenset({P, B})),
    "KYC_SUBMIT": ("kyc.submit", EVERYONE),
    "KYC_REVIEW": ("kyc.review", frozenset({P, B})),
    "TOKENS_OWN": ("tokens.own", EVERYONE),
    "PROFILE_OWN": ("profile.own", EVERYONE),
    "CATALOGUE_WRITE": ("catalogue.write", frozenset({P, B})),
    "CATALOGUE_READ": ("catalogue.read", frozenset({P, B, D, R})),
    "BATCHES_WRITE": ("batches.write", frozenset({P, B})),
    "KEYS_MANAGE": ("keys.manage", frozenset({P, B})),
    "LINE_OPERATE": ("line.operate", frozenset({P, B, F})),
    "SCANS_RECORD": ("scans.record", frozenset({P, B, F, D, R, INS})),
    "SCANS_READ": ("scans.read", frozenset({P, B, INS})),
    "ALERTS_READ": ("alerts.read", frozenset({P, B, INS})),
    "ALERTS_MANAGE": ("alerts.manage", frozenset({P, B})),
    "NOTIFY_BROADCAST": ("notify.broadcast", frozenset({P, B})),
    "MESSAGES_OWN": ("messages.own", EVERYONE),
    "SCANS_OWN": ("scans.own", EVERYONE),
    "REPORTS_FILE": ("reports.file", EVERYONE),
}

#: action -> roles allowed: the core's actions, then those plugins register. Changing
#: the core's rows changes the security model: the permission-matrix test holds an
#: independent copy of the expectations on purpose.
MATRIX: dict[Action, frozenset[Role]] = {}

for _attr, (_name, _roles) in _CORE.items():
    setattr(Action, _attr, Action(_name))
    MATRIX[Action(_name)] = _roles


@dataclass(frozen=True)
class Permission:
    """An action a plugin brings and the roles that hold it (``register_permissions``).

    ``roles`` are the roles allowed before scope: :func:`require` still confines a
    brand admin to its brand and a dealer to its subtree. ``summary_en`` / ``summary_zh``
    say what it allows, for the console and ``veriseal users`` listings."""

    action: Action
    roles: frozenset[Role]
    summary_en: str = ""
    summary_zh: str = ""


def register_action(permission: Permission) -> None:
    """Add ``permission`` to :data:`MATRIX`. Registering the same action again with the
    same roles is a no-op (plugins load once per engine, tests open many); different
    roles raise ``ValueError``: two owners of one action name are a configuration
    error, never resolved silently."""
    action = Action(permission.action)
    held = MATRIX.get(action)
    if held is not None and held != permission.roles:
        raise ValueError(
            f"action {action} is registered already with other roles ({', '.join(sorted(held))})"
        )
    MATRIX[action] = frozenset(permission.roles)
    if permission.summary_en or permission.summary_zh:
        SUMMARIES[action] = (permission.summary_en, permission.summary_zh)


#: What each plugin action allows, in English and Chinese (see :class:`Permission`).
SUMMARIES: dict[Action, tuple[str, str]] = {}


def actions() -> list[Action]:
    """Every known action: the core's, then the plugins' in registration order."""
    return list(MATRIX)


#: Roles a given role may hand out (a brand admin cannot create platform admins).
GRANTABLE: dict[Role, frozenset[Role]] = {
    P: EVERYONE,
    B: frozenset({B, F, D, R, INS, C}),
    D: frozenset({D, R}),
}


def allowed(principal: Principal, action: Action) -> bool:
    """The role (and token scopes) permit ``action`` somewhere; scope is not checked.
    An action nobody registered is allowed to nobody (a plugin that is not enabled)."""
    if principal.role not in MATRIX.get(action, frozenset()):
        return False
    return principal.scopes is None or str(action) in principal.scopes


def require(
    principal: Principal,
    action: Action,
    *,
    brand_id: int | None = None,
    org: Org | None = None,
    owner_id: int | None = None,
) -> None:
    """Raise :class:`Forbidden` unless ``principal`` may do ``action`` on the target.

    - ``brand_id``: the target belongs to this brand; only the platform admin acts
      across brands.
    - ``org``: the target belongs to this organisation; a dealer must have it in its
      own subtree, a brand admin in its brand.
    - ``owner_id``: the target is a user's own record; others need ``USERS_MANAGE``.
    """
    if not allowed(principal, action):
        raise Forbidden(f"role {principal.role} may not {action}")
    if principal.role is Role.PLATFORM_ADMIN:
        return
    if owner_id is not None and owner_id == principal.user_id:
        return
    if owner_id is not None and action in _OWN_ONLY:
        raise Forbidden(f"{action} applies to your own records only")
    if brand_id is not None and brand_id != principal.brand_id:
        raise Forbidden("the target belongs to another brand")
    if org is not None:
        if org.brand_id != principal.brand_id:
            raise Forbidden("the target belongs to another brand")
        if principal.role in (D, R) and (principal.org is None or not principal.org.contains(org)):
            raise Forbidden("the target is outside your part of the dealer network")


def require_over(principal: Principal, action: Action, org: Org | None) -> None:
    """:func:`require` for a target that belongs to ``org`` or, with ``org`` None, to no
    organisation at all (a consumer, platform staff): only the platform admin acts on
    those, since no brand or dealer tree contains them."""
    require(principal, action, org=org)
    if org is None and principal.role is not Role.PLATFORM_ADMIN:
        raise Forbidden("only the platform admin acts on accounts outside any organisation")


_OWN_ONLY = frozenset(
    {
        Action.TOKENS_OWN,
        Action.PROFILE_OWN,
        Action.MESSAGES_OWN,
        Action.KYC_SUBMIT,
        Action.SCANS_OWN,
        Action.REPORTS_FILE,
    }
)


#: Credential management: never a token scope, only a full sign-in may do it.
CREDENTIAL_ACTIONS = frozenset({Action.TOKENS_OWN})


def require_full_sign_in(principal: Principal) -> None:
    """Raise :class:`OutOfScope` for a scoped token: passwords, passkeys and tokens are
    managed from a full sign-in only (a session, or a ``*`` token), so a handheld's
    token can never turn itself into a stronger credential."""
    if principal.scopes is not None:
        raise OutOfScope(
            "credential management needs a full sign-in, not a scoped token",
            needs_scope="(full sign-in)",
        )


def may_grant(principal: Principal, role: Role) -> bool:
    return principal.user is None or role in GRANTABLE.get(principal.role, frozenset())

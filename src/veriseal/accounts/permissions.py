"""Who may do what: the permission matrix, checked inside the services.

The matrix is data (:data:`MATRIX`): an :class:`Action` maps to the roles allowed to
perform it. Where the target belongs to a brand or an organisation, :func:`require`
also checks *scope*: a brand admin acts inside its own brand only, a dealer inside its
own subtree of the dealer tree (never a sibling's), everybody on their own records.
An API token may narrow a user's rights further to a list of scopes (action names).

The HTTP layer and the CLI call services with a :class:`Principal`; the services call
:func:`require` before they read or change anything, so a route that forgets a check
cannot leak data past the service (the permission-matrix test drives every role
through every protected action).
"""

from __future__ import annotations

from enum import StrEnum

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


class Action(StrEnum):
    USERS_MANAGE = "users.manage"  # create users, change roles, disable
    USERS_VIEW = "users.view"  # list users of a brand / subtree
    ORGS_MANAGE = "orgs.manage"  # add dealers (orgs) under an org
    ORGS_VIEW = "orgs.view"  # see the dealer tree (own subtree)
    AUDIT_READ = "audit.read"
    KYC_SUBMIT = "kyc.submit"  # real-name submission for oneself / one's org
    KYC_REVIEW = "kyc.review"  # approve / reject; read uploaded documents
    TOKENS_OWN = "tokens.own"  # create, list, revoke one's own API tokens
    PROFILE_OWN = "profile.own"  # edit one's own profile and avatar
    CATALOGUE_WRITE = "catalogue.write"  # products and prices
    BATCHES_WRITE = "batches.write"  # create, recall, reinstate batches
    KEYS_MANAGE = "keys.manage"  # rotate, revoke keys
    LINE_OPERATE = "line.operate"  # print, activate, decommission, pack
    SCANS_RECORD = "scans.record"  # authenticated (handheld) scan upload
    SCANS_READ = "scans.read"  # the brand's scan ledger and exports
    ALERTS_READ = "alerts.read"  # clone / diversion alerts
    NOTIFY_BROADCAST = "notify.broadcast"  # send notices / promotions to users
    MESSAGES_OWN = "messages.own"  # one's own inbox
    ORDERS_PLACE = "orders.place"  # (orders module) needs a verified dealer
    TERRITORY_GRANT = "territory.grant"  # (territories) needs a verified dealer


#: action -> roles allowed. Changing this table changes the security model: the
#: permission-matrix test holds an independent copy of the expectations on purpose.
MATRIX: dict[Action, frozenset[Role]] = {
    Action.USERS_MANAGE: frozenset({P, B}),
    Action.USERS_VIEW: frozenset({P, B, D}),
    Action.ORGS_MANAGE: frozenset({P, B, D}),
    Action.ORGS_VIEW: frozenset({P, B, D, R}),
    Action.AUDIT_READ: frozenset({P, B}),
    Action.KYC_SUBMIT: EVERYONE,
    Action.KYC_REVIEW: frozenset({P, B}),
    Action.TOKENS_OWN: EVERYONE,
    Action.PROFILE_OWN: EVERYONE,
    Action.CATALOGUE_WRITE: frozenset({P, B}),
    Action.BATCHES_WRITE: frozenset({P, B}),
    Action.KEYS_MANAGE: frozenset({P, B}),
    Action.LINE_OPERATE: frozenset({P, B, F}),
    Action.SCANS_RECORD: frozenset({P, B, F, D, R, INS}),
    Action.SCANS_READ: frozenset({P, B, INS}),
    Action.ALERTS_READ: frozenset({P, B, INS}),
    Action.NOTIFY_BROADCAST: frozenset({P, B}),
    Action.MESSAGES_OWN: EVERYONE,
    Action.ORDERS_PLACE: frozenset({D, R}),
    Action.TERRITORY_GRANT: frozenset({P, B}),
}

#: Roles a given role may hand out (a brand admin cannot create platform admins).
GRANTABLE: dict[Role, frozenset[Role]] = {
    P: EVERYONE,
    B: frozenset({B, F, D, R, INS, C}),
    D: frozenset({D, R}),
}


def allowed(principal: Principal, action: Action) -> bool:
    """The role (and token scopes) permit ``action`` somewhere; scope is not checked."""
    if principal.role not in MATRIX[action]:
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
    {Action.TOKENS_OWN, Action.PROFILE_OWN, Action.MESSAGES_OWN, Action.KYC_SUBMIT}
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

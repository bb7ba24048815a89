"""Records of the accounts module: roles, organisations, users, tokens, principals,
real-name (KYC) submissions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """What a user is. A role's permissions are in :mod:`veriseal.accounts.permissions`."""

    PLATFORM_ADMIN = "platform_admin"  # runs the installation; every brand
    BRAND_ADMIN = "brand_admin"  # the enterprise admin: the whole brand
    FACTORY_OPERATOR = "factory_operator"  # prints, activates, packs on a line
    DISTRIBUTOR = "distributor"  # a dealer with a subtree of sub-dealers
    RETAILER = "retailer"  # sub-distributor or shop: a leaf (or small subtree)
    INSPECTOR = "inspector"  # market inspector: scans anywhere in the brand's market
    CONSUMER = "consumer"  # a member of the public: own verifications and messages


#: Roles that act for an organisation of the dealer tree (visibility follows the tree).
DEALER_ROLES = frozenset({Role.DISTRIBUTOR, Role.RETAILER})


class OrgKind(StrEnum):
    PLATFORM = "platform"
    BRAND = "brand"
    DISTRIBUTOR = "distributor"
    RETAILER = "retailer"


class TokenKind(StrEnum):
    SESSION = "session"  # made by a login: all the user's permissions, expires
    API = "api"  # made by the user for a program: limited to its scopes


class UserStatus(StrEnum):
    PENDING = "pending"  # registered, contact not yet confirmed
    ACTIVE = "active"
    DISABLED = "disabled"


@dataclass(frozen=True)
class Org:
    """A node of a brand's organisation tree: the brand itself at the root, then
    distributors, sub-distributors and retailers. ``path`` is ``/root/.../id/``."""

    id: int
    brand_id: int | None
    kind: OrgKind
    name: str
    parent_id: int | None
    path: str
    profile: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": str(self.kind),
            "parent_id": self.parent_id,
            "path": self.path,
            "profile": self.profile,
        }

    def contains(self, other: Org) -> bool:
        """True if ``other`` is this org or below it in the tree."""
        return other.path.startswith(self.path)


@dataclass(frozen=True)
class User:
    id: int
    email: str | None
    phone: str | None
    display_name: str
    role: Role
    org_id: int | None
    status: UserStatus
    created_at: dt.datetime
    profile: dict[str, str] = field(default_factory=dict)
    has_password: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "email": self.email,
            "phone": self.phone,
            "display_name": self.display_name,
            "role": str(self.role),
            "org_id": self.org_id,
            "status": str(self.status),
            "created_at": self.created_at.isoformat(),
            "profile": self.profile,
        }


@dataclass(frozen=True)
class UserQuery:
    """Filters of a user listing; None (or empty text) leaves a filter out. ``text``
    is a substring of the display name, e-mail or phone number. (Which organisation's
    subtree is listed is the listing's own argument.)"""

    role: Role | None = None
    status: UserStatus | None = None
    text: str | None = None


@dataclass(frozen=True)
class AuditQuery:
    """Filters of the audit log; None leaves a filter out. ``action`` is an exact name
    (``kyc.document_read``) or a prefix ending in a dot (``kyc.``); ``target`` is exact
    (``kyc:12``, ``user:7``); ``since`` is inclusive, ``until`` exclusive."""

    actor_id: int | None = None
    action: str | None = None
    target: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user with the organisation it acts for (resolved once per
    request or command), or the local operator of the CLI (``system``)."""

    user: User | None
    org: Org | None = None
    scopes: frozenset[str] | None = None  # None: every scope of the role
    client: str = "local"

    @property
    def role(self) -> Role:
        return Role.PLATFORM_ADMIN if self.user is None else self.user.role

    @property
    def user_id(self) -> int | None:
        return None if self.user is None else self.user.id

    @property
    def brand_id(self) -> int | None:
        return None if self.org is None else self.org.brand_id


#: The CLI run by whoever holds the ledger and its keys: the installation's owner.
SYSTEM = Principal(user=None, client="cli")


@dataclass(frozen=True)
class ApiToken:
    id: int
    user_id: int
    name: str
    scopes: tuple[str, ...]
    kind: TokenKind
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used: dt.datetime | None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "name": self.name,
            "scopes": list(self.scopes),
            "kind": str(self.kind),
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor_id: int | None
    brand_id: int | None
    action: str
    target: str
    client: str
    details: dict[str, object]

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor_id": self.actor_id,
            "brand_id": self.brand_id,
            "action": self.action,
            "target": self.target,
            "client": self.client,
            "details": self.details,
        }


class KycKind(StrEnum):
    PERSON = "person"  # a resident ID (GB 11643)
    ENTERPRISE = "enterprise"  # a unified social credit code (GB 32100)


class KycStatus(StrEnum):
    """A submission's status: its latest review's decision, or pending."""

    NONE = "none"  # no submission (what status_of_user says for a user without one)
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Submission:
    id: int
    user_id: int
    kind: KycKind
    legal_name: str
    number_masked: str
    submitted_at: dt.datetime
    status: KycStatus
    reason: str
    org_id: int | None
    #: ISO 3166-1 alpha-2: "CN" for persons and Chinese enterprises (their number is a
    #: resident ID / credit code), another for a foreign enterprise (a registration number)
    country: str = "CN"

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "kind": str(self.kind),
            "country": self.country,
            "legal_name": self.legal_name,
            "number": self.number_masked,
            "submitted_at": self.submitted_at.isoformat(),
            "status": str(self.status),
            "reason": self.reason,
            "org_id": self.org_id,
        }

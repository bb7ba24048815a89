"""Accounts: organisations, users, registration, login, API tokens, audit.

Every public method takes the acting :class:`Principal` (or, for the anonymous steps
of registration and login, the client's address) and checks permissions itself
(:func:`veriseal.accounts.permissions.require`). Security-relevant changes append an
audit row in the same transaction as the change.

Login security, all derived from the append-only ``login_attempts`` log:

- ``max_failures`` consecutive failures within ``window`` lock the account for
  ``lock_for`` after the last one; the owner gets a security notice when it locks.
- ``client_failures`` failures from one client address within ``window`` make that
  address wait (``rate_limited``), whatever accounts it tries.
- a successful login from a device or network region never seen for the user sends a
  "new sign-in" notice. Region here is the client's network (/24 for IPv4, /48 for
  IPv6): no geo-IP database ships with Veriseal, and this coarse proxy still tells a
  home network from a foreign one.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from veriseal.accounts import credentials, images
from veriseal.accounts.credentials import Passwords
from veriseal.accounts.errors import (
    AccountLocked,
    Forbidden,
    IdentityInvalid,
    LoginFailed,
    OtpInvalid,
    Unauthenticated,
)
from veriseal.accounts.identity import is_email, normalize_contact
from veriseal.accounts.models import (
    DEALER_ROLES,
    SYSTEM,
    ApiToken,
    AuditEntry,
    AuditQuery,
    Org,
    OrgKind,
    Principal,
    Role,
    TokenKind,
    User,
    UserQuery,
    UserStatus,
)
from veriseal.accounts.notices import AccountNotifier
from veriseal.accounts.permissions import (
    CREDENTIAL_ACTIONS,
    Action,
    actions,
    may_grant,
    require,
    require_full_sign_in,
    require_over,
)
from veriseal.accounts.store import AccountStore, Audit, LoginAttempt, now
from veriseal.errors import Conflict, InvalidInput, RateLimited
from veriseal.ledger import Ledger
from veriseal.models import Brand


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    window: dt.timedelta = dt.timedelta(minutes=15)
    lock_for: dt.timedelta = dt.timedelta(minutes=15)
    client_failures: int = 20
    session_ttl: dt.timedelta = dt.timedelta(hours=12)
    otp_ttl: dt.timedelta = dt.timedelta(minutes=10)
    otp_attempts: int = 5
    otp_min_interval: dt.timedelta = dt.timedelta(seconds=60)
    otp_per_hour: int = 5


#: Free-form profile fields a user may set on itself.
PROFILE_FIELDS = frozenset(
    {"contact_email", "contact_phone", "wechat", "address", "company", "title", "lang", "tz"}
)

#: Org kinds a dealer role belongs to, and the kind a child of each kind may have.
_CHILD_KINDS = {
    OrgKind.PLATFORM: {OrgKind.BRAND},
    OrgKind.BRAND: {OrgKind.DISTRIBUTOR, OrgKind.RETAILER},
    OrgKind.DISTRIBUTOR: {OrgKind.DISTRIBUTOR, OrgKind.RETAILER},
    OrgKind.RETAILER: {OrgKind.RETAILER},
}


def network_region(client: str) -> str:
    """The client's network (/24 or /48) as a coarse region; the text itself if it is
    not an IP address (e.g. ``cli``)."""
    try:
        ip = ipaddress.ip_address(client)
    except ValueError:
        return client
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


class AccountService:
    def __init__(
        self,
        ledger: Ledger,
        notifier: AccountNotifier,
        pepper: Callable[[], bytes],
        passwords: Passwords | None = None,
        policy: LoginPolicy | None = None,
    ) -> None:
        self.store = AccountStore(ledger)
        self.notifier = notifier
        self.passwords = passwords or Passwords()
        self.policy = policy or LoginPolicy()
        self._pepper = pepper

    # -- principals --------------------------------------------------------------------
    async def principal(
        self, user: User, scopes: Sequence[str] | None = None, client: str = "local"
    ) -> Principal:
        org = None if user.org_id is None else await self.store.get_org(user.org_id)
        return Principal(user, org, None if scopes is None else frozenset(scopes), client)

    async def authenticate(self, token_text: str, client: str = "api") -> Principal:
        """The principal a bearer token stands for. ``Unauthenticated`` for a malformed,
        unknown, revoked or expired token, or a disabled user (one message for all, so a
        probe learns nothing)."""
        token_id, secret = credentials.parse_token(token_text)
        found = await self.store.token_with_hash(token_id)
        if found is None or not credentials.secret_matches(secret, found[1]):
            raise Unauthenticated("unknown or revoked token")
        token = found[0]
        if token.revoked_at is not None or (token.expires_at and token.expires_at <= now()):
            raise Unauthenticated("unknown or revoked token")
        user = await self.store.get_user(token.user_id)
        if user.status is not UserStatus.ACTIVE:
            raise Unauthenticated("unknown or revoked token")
        scopes = None if token.kind is TokenKind.SESSION or "*" in token.scopes else token.scopes
        return await self.principal(user, scopes, client)

    # -- organisations -----------------------------------------------------------------
    async def brand_org(self, brand: Brand) -> Org:
        """The root organisation of ``brand``, created on first use."""
        org = await self.store.brand_org(brand.id)
        if org is None:
            org = await self.store.add_org(
                brand.id,
                OrgKind.BRAND,
                brand.name,
                None,
                {},
                Audit(None, brand.id, "org.create", f"brand:{brand.slug}", "system", {}),
            )
        return org

    async def create_org(
        self,
        principal: Principal,
        parent_id: int,
        kind: OrgKind,
        name: str,
        profile: dict[str, str] | None = None,
    ) -> Org:
        """Add a dealer (distributor or retailer) under ``parent_id``."""
        parent = await self.store.get_org(parent_id)
        require(principal, Action.ORGS_MANAGE, org=parent)
        if kind not in _CHILD_KINDS[parent.kind]:
            raise InvalidInput(f"a {kind} cannot be placed under a {parent.kind}")
        if not name.strip():
            raise InvalidInput("an organisation needs a name")
        return await self.store.add_org(
            parent.brand_id,
            kind,
            name.strip(),
            parent,
            profile or {},
            self._audit(
                principal,
                parent.brand_id,
                "org.create",
                f"org-parent:{parent.id}",
                {"name": name, "kind": str(kind)},
            ),
        )

    async def org(self, principal: Principal, org_id: int) -> Org:
        org = await self.store.get_org(org_id)
        require(principal, Action.ORGS_VIEW, org=org)
        return org

    async def org_tree(
        self,
        principal: Principal,
        root_id: int | None = None,
        *,
        after_id: int | None = None,
        limit: int | None = None,
    ) -> list[Org]:
        """The subtree under ``root_id`` (default: the principal's own org), in path
        order; a dealer never sees above or beside its own node. A page of ``limit``
        nodes after the node ``after_id`` (a node of this subtree)."""
        if root_id is None:
            if principal.org is None:
                raise InvalidInput("name the organisation whose tree to show")
            root_id = principal.org.id
        root = await self.org(principal, root_id)
        after_path = None
        if after_id is not None:
            after = await self.store.get_org(after_id)
            if not root.contains(after):
                raise InvalidInput("cursor is not one this server gave out")
            after_path = after.path
        return await self.store.subtree(root, after_path, limit)

    async def update_org_profile(
        self, principal: Principal, org_id: int, profile: dict[str, str]
    ) -> Org:
        org = await self.store.get_org(org_id)
        require(principal, Action.ORGS_MANAGE, org=org)
        merged = {**org.profile, **{k: v for k, v in profile.items() if v is not None}}
        return await self.store.update_org_profile(
            org,
            merged,
            self._audit(
                principal, org.brand_id, "org.profile", f"org:{org.id}", {"fields": sorted(profile)}
            ),
        )

    # -- users -------------------------------------------------------------------------
    async def create_user(
        self,
        principal: Principal,
        *,
        contact: str,
        display_name: str,
        role: Role,
        org_id: int | None,
        password: str | None = None,
    ) -> User:
        """An admin (or a distributor, for its own subtree) creates an active user."""
        org = None if org_id is None else await self.store.get_org(org_id)
        require(
            principal,
            Action.USERS_MANAGE
            if role not in DEALER_ROLES or principal.role not in DEALER_ROLES
            else Action.ORGS_MANAGE,
            org=org,
        )
        if not may_grant(principal, role):
            raise Forbidden(f"role {principal.role} cannot create a {role}")
        self._check_role_org(role, org)
        contact = normalize_contact(contact)
        pw_hash = None
        if password is not None:
            self.passwords.check_policy(password, contact, display_name)
            pw_hash = await self.passwords.hash(password)
        return await self._add_user(
            contact,
            display_name,
            role,
            org,
            UserStatus.ACTIVE,
            pw_hash,
            self._audit(
                principal,
                org.brand_id if org else None,
                "user.create",
                "user",
                {"role": str(role), "org_id": org_id},
            ),
        )

    @staticmethod
    def _check_role_org(role: Role, org: Org | None) -> None:
        if role in (Role.CONSUMER, Role.PLATFORM_ADMIN):
            if org is not None and role is Role.CONSUMER:
                raise InvalidInput("a consumer does not belong to an organisation")
            return
        if org is None:
            raise InvalidInput(f"a {role} belongs to an organisation: give --org")
        if role in DEALER_ROLES and org.kind not in (OrgKind.DISTRIBUTOR, OrgKind.RETAILER):
            raise InvalidInput(f"a {role} belongs to a distributor or retailer organisation")
        if role not in DEALER_ROLES and org.kind is not OrgKind.BRAND:
            raise InvalidInput(f"a {role} belongs to the brand's own organisation")

    async def _add_user(
        self,
        contact: str,
        display_name: str,
        role: Role,
        org: Org | None,
        status: UserStatus,
        pw_hash: str | None,
        audit: Audit,
    ) -> User:
        if not display_name.strip():
            raise InvalidInput("a user needs a display name")
        email, phone = (contact, None) if is_email(contact) else (None, contact)
        try:
            return await self.store.add_user(
                email=email,
                phone=phone,
                display_name=display_name.strip(),
                role=role,
                org_id=None if org is None else org.id,
                status=status,
                password_hash=pw_hash,
                audit=audit,
            )
        except Conflict:
            raise Conflict(f"{contact} is already registered") from None

    async def user(self, principal: Principal, user_id: int) -> User:
        user = await self.store.get_user(user_id)
        await self._require_over(principal, Action.USERS_VIEW, user)
        return user

    @staticmethod
    def grantable_roles(principal: Principal) -> list[Role]:
        """The roles ``principal`` may give a user it creates or changes (the forms
        offer these only; :meth:`create_user` and :meth:`set_role` check again)."""
        return [role for role in Role if may_grant(principal, role)]

    async def _require_over(self, principal: Principal, action: Action, user: User) -> None:
        if user.id == principal.user_id:
            # seeing oneself is always allowed; changing oneself still needs the role
            if action is not Action.USERS_VIEW:
                require(principal, action)
            return
        org = None if user.org_id is None else await self.store.get_org(user.org_id)
        require_over(principal, action, org)

    async def list_users(
        self,
        principal: Principal,
        org_id: int | None = None,
        *,
        after_id: int | None = None,
        limit: int = 1000,
        query: UserQuery | None = None,
    ) -> list[User]:
        """Users of ``org_id``'s subtree (default: the principal's org; the platform admin
        without an org sees everyone) that match ``query`` (role, status, text), by id,
        ``limit`` of them after ``after_id``."""
        query = query or UserQuery()
        if org_id is None:
            if principal.org is None:
                require_over(principal, Action.USERS_VIEW, None)
                return await self.store.search_users(None, query, after_id=after_id, limit=limit)
            org_id = principal.org.id
        root = await self.store.get_org(org_id)
        require(principal, Action.USERS_VIEW, org=root)
        return await self.store.search_users(root, query, after_id=after_id, limit=limit)

    async def sign_ins(
        self, principal: Principal, user_id: int, limit: int = 20
    ) -> list[LoginAttempt]:
        """The user's ``limit`` newest sign-in attempts (successes and failures, with
        client address, device and network region), newest first. One's own, or a user
        the principal manages (``users.manage`` over the user's organisation): where
        somebody signs in from is not for every viewer of the user list."""
        user = await self.store.get_user(user_id)
        if user.id != principal.user_id:
            await self._require_over(principal, Action.USERS_MANAGE, user)
        return await self.store.attempts_of_user(user.id, max(1, min(limit, 200)))

    async def set_status(self, principal: Principal, user_id: int, status: UserStatus) -> User:
        user = await self.store.get_user(user_id)
        await self._require_over(principal, Action.USERS_MANAGE, user)
        if user.id == principal.user_id:
            raise InvalidInput("you cannot change your own status")
        return await self.store.update_user(
            user.id,
            self._audit(
                principal, await self._brand_of(user), f"user.{status}", f"user:{user.id}", {}
            ),
            status=status,
        )

    async def set_role(self, principal: Principal, user_id: int, role: Role) -> User:
        user = await self.store.get_user(user_id)
        await self._require_over(principal, Action.USERS_MANAGE, user)
        if not may_grant(principal, role):
            raise Forbidden(f"role {principal.role} cannot grant {role}")
        org = None if user.org_id is None else await self.store.get_org(user.org_id)
        self._check_role_org(role, org)
        return await self.store.update_user(
            user.id,
            self._audit(
                principal,
                await self._brand_of(user),
                "user.role",
                f"user:{user.id}",
                {"from": str(user.role), "to": str(role)},
            ),
            role=role,
        )

    async def _brand_of(self, user: User) -> int | None:
        if user.org_id is None:
            return None
        return (await self.store.get_org(user.org_id)).brand_id

    # -- registration by one-time code -------------------------------------------------
    async def send_code(self, contact: str, purpose: str) -> str:
        """Send a one-time code to ``contact``; returns the normalised contact.
        Rate-limited per destination (``rate_limited`` with ``retry_after``)."""
        contact = normalize_contact(contact)
        at = now()
        recent = await self.store.otps_since(contact, at - dt.timedelta(hours=1))
        pol = self.policy
        if recent and at - recent[-1] < pol.otp_min_interval:
            wait = pol.otp_min_interval - (at - recent[-1])
            raise RateLimited(
                "a code was just sent: wait before asking again",
                retry_after=max(1, int(wait.total_seconds()) + 1),
            )
        if len(recent) >= pol.otp_per_hour:
            wait = recent[0] + dt.timedelta(hours=1) - at
            raise RateLimited(
                "too many codes for this destination this hour",
                retry_after=max(1, int(wait.total_seconds()) + 1),
            )
        code = credentials.new_otp()
        await self.store.add_otp(
            contact,
            purpose,
            credentials.otp_hash(self._pepper(), contact, purpose, code),
            pol.otp_ttl,
        )
        await self.notifier.send_code(
            contact, purpose, code, int(pol.otp_ttl.total_seconds() // 60)
        )
        return contact

    async def _use_code(self, contact: str, purpose: str, code: str) -> None:
        want = credentials.otp_hash(self._pepper(), contact, purpose, code.strip())
        ok = await self.store.use_otp(
            contact, purpose, lambda stored: stored == want, self.policy.otp_attempts
        )
        if not ok:
            raise OtpInvalid("the code is wrong, used or expired: ask for a new one")

    async def register_start(self, contact: str) -> str:
        """Step 1 of self-registration: send a code (``Conflict`` if taken)."""
        normal = normalize_contact(contact)
        if await self.store.find_user(normal) is not None:
            raise Conflict(f"{normal} is already registered: sign in instead")
        return await self.send_code(normal, "register")

    async def register_confirm(
        self, contact: str, code: str, display_name: str, password: str, client: str
    ) -> User:
        """Step 2: the code proves the contact; creates an active consumer account."""
        contact = normalize_contact(contact)
        self.passwords.check_policy(password, contact, display_name)
        await self._use_code(contact, "register", code)
        pw_hash = await self.passwords.hash(password)
        return await self._add_user(
            contact,
            display_name,
            Role.CONSUMER,
            None,
            UserStatus.ACTIVE,
            pw_hash,
            Audit(None, None, "user.register", "user", client, {"contact": _redact(contact)}),
        )

    async def reset_password(self, contact: str, code: str, password: str, client: str) -> None:
        """Set a new password with a code sent by ``send_code(contact, "reset")``; every
        session and API token of the user stays valid except sessions, which end."""
        contact = normalize_contact(contact)
        found = await self.store.find_user(contact)
        await self._use_code(contact, "reset", code)
        if found is None:
            raise OtpInvalid("the code is wrong, used or expired: ask for a new one")
        user = found[0]
        self.passwords.check_policy(password, contact, user.display_name)
        await self.store.update_user(
            user.id,
            Audit(
                user.id,
                await self._brand_of(user),
                "user.password_reset",
                f"user:{user.id}",
                client,
                {},
            ),
            password_hash=await self.passwords.hash(password),
        )
        await self.notifier.security_notice(user, "account.password_changed")

    async def change_password(self, principal: Principal, old: str, new: str) -> None:
        require_full_sign_in(principal)
        if principal.user is None:
            raise InvalidInput("the local operator has no password")
        found = await self.store.find_user(principal.user.email or principal.user.phone or "")
        if found is None or not await self.passwords.verify(found[1], old):
            raise LoginFailed("the current password is wrong")
        user = principal.user
        self.passwords.check_policy(new, user.email, user.phone, user.display_name)
        await self.store.update_user(
            user.id,
            self._audit(principal, principal.brand_id, "user.password", f"user:{user.id}", {}),
            password_hash=await self.passwords.hash(new),
        )
        await self.notifier.security_notice(user, "account.password_changed")

    # -- login -------------------------------------------------------------------------
    async def login(
        self, identifier: str, password: str, client: str, device: str = ""
    ) -> tuple[str, User]:
        """Password login. Returns a session token (shown once) and the user.

        ``LoginFailed`` for any wrong identifier/password, ``AccountLocked`` while
        locked, ``RateLimited`` when the client address failed too often.
        """
        at = now()
        pol = self.policy
        if await self.store.client_failures(client, at - pol.window) >= pol.client_failures:
            raise RateLimited(
                "too many failed sign-ins from your address",
                retry_after=int(pol.window.total_seconds()),
            )
        try:
            contact = normalize_contact(identifier)
        except IdentityInvalid:
            contact = identifier.strip()
        found = await self.store.find_user(contact)
        user, stored = found if found else (None, None)
        if user is not None:
            self._raise_if_locked(await self._failures(user.id, at), at)
        ok = await self.passwords.verify(stored, password)
        region = network_region(client)
        if not ok or user is None or user.status is not UserStatus.ACTIVE:
            reason = "bad_password" if user else "unknown_user"
            if user is not None and user.status is not UserStatus.ACTIVE:
                reason = f"user_{user.status}"
            await self.store.add_attempt(
                LoginAttempt(
                    at,
                    user.id if user else None,
                    contact,
                    client,
                    device,
                    region,
                    "password",
                    False,
                    reason,
                ),
                Audit(
                    user.id if user else None,
                    None,
                    "login.failed",
                    f"user:{user.id}" if user else "unknown",
                    client,
                    {"reason": reason},
                ),
            )
            if user is not None:
                failures = await self._failures(user.id, at)
                if len(failures) == pol.max_failures:
                    await self.notifier.security_notice(
                        user,
                        "account.locked",
                        n=pol.max_failures,
                        minutes=int(pol.lock_for.total_seconds() // 60),
                    )
                    await self.store.audit(
                        Audit(
                            None,
                            await self._brand_of(user),
                            "login.locked",
                            f"user:{user.id}",
                            client,
                            {},
                        )
                    )
            raise LoginFailed("wrong account or password")
        token = await self._session(user, client, device, region, at, "password")
        return token, user

    async def passkey_session(self, user: User, client: str, device: str, region: str) -> str:
        """A session after a verified passkey assertion (the same notices and log as a
        password login). ``LoginFailed`` for a disabled account."""
        if user.status is not UserStatus.ACTIVE:
            raise LoginFailed("this account cannot sign in")
        return await self._session(user, client, device, region, now(), "passkey")

    async def external_session(self, user: User, client: str, device: str, method: str) -> str:
        """A session after a verified third-party sign-in (``method``: the provider's
        name), with the same notices and log as a password login. ``LoginFailed`` for a
        disabled account."""
        if user.status is not UserStatus.ACTIVE:
            raise LoginFailed("this account cannot sign in")
        return await self._session(user, client, device, network_region(client), now(), method)

    async def _session(
        self, user: User, client: str, device: str, region: str, at: dt.datetime, method: str
    ) -> str:
        first_ever = not await self.store.has_logged_in(user.id)
        known_device, known_region = await self.store.seen_before(user.id, device, region)
        await self.store.add_attempt(
            LoginAttempt(
                at,
                user.id,
                user.email or user.phone or "",
                client,
                device,
                region,
                method,
                True,
                "ok",
            ),
            Audit(
                user.id,
                await self._brand_of(user),
                "login.ok",
                f"user:{user.id}",
                client,
                {"method": method},
            ),
        )
        if not first_ever and not (known_device and known_region):
            what, what_zh = ("device", "设备") if not known_device else ("network", "网络")
            await self.notifier.security_notice(
                user,
                "account.new_login",
                what=what,
                what_zh=what_zh,
                client=client,
                at=at.strftime("%Y-%m-%d %H:%M UTC"),
            )
        secret, digest = credentials.new_token_secret()
        token_id = await self.store.add_token(
            user.id,
            f"session {method}",
            digest,
            ["*"],
            TokenKind.SESSION,
            at + self.policy.session_ttl,
            None,
        )
        return credentials.format_token(token_id, secret)

    async def _failures(self, user_id: int, at: dt.datetime) -> list[LoginAttempt]:
        """Consecutive failures (newest first) within the window, up to the last success."""
        out = []
        for attempt in await self.store.recent_attempts(user_id, at - self.policy.window):
            if attempt.success:
                break
            out.append(attempt)
        return out

    def _raise_if_locked(self, failures: list[LoginAttempt], at: dt.datetime) -> None:
        if len(failures) < self.policy.max_failures:
            return
        until = failures[0].at + self.policy.lock_for
        if until > at:
            raise AccountLocked(
                "too many failed sign-ins: try again later",
                retry_after=max(1, int((until - at).total_seconds()) + 1),
            )

    async def logout(self, principal: Principal, token_text: str) -> None:
        token_id, _ = credentials.parse_token(token_text)
        await self.store.revoke_token(
            token_id, self._audit(principal, principal.brand_id, "logout", f"token:{token_id}", {})
        )

    async def sessions(self, principal: Principal) -> list[ApiToken]:
        """The principal's own live sign-in sessions (devices signed in), newest first."""
        user = self._own(principal)
        return await self.store.list_sessions(user.id, now())

    async def logout_everywhere(self, principal: Principal) -> int:
        """End every sign-in session of the principal's user, this one included (a lost
        phone, a shared computer). API tokens are credentials of programs and stay:
        they are revoked one by one. Returns how many sessions ended."""
        user = self._own(principal)
        return await self.store.revoke_sessions(
            user.id, self._audit(principal, principal.brand_id, "logout.all", f"user:{user.id}", {})
        )

    # -- API tokens --------------------------------------------------------------------
    async def create_token(
        self,
        principal: Principal,
        name: str,
        scopes: Sequence[str],
        ttl: dt.timedelta | None = None,
        for_user: int | None = None,
    ) -> tuple[str, ApiToken]:
        """A long-lived token for the CLI, a line controller or a handheld. ``scopes``
        are action names (``*`` for all of the role's). Returns the token text, which is
        never shown again, and its record. Needs a full sign-in, and credential
        management is never a grantable scope: a token cannot mint a stronger one."""
        require_full_sign_in(principal)
        target = principal.user if for_user is None else await self.store.get_user(for_user)
        if target is None:
            raise InvalidInput("name the user the token is for (--user)")
        if target.id == principal.user_id:
            require(principal, Action.TOKENS_OWN, owner_id=target.id)
        else:
            await self._require_over(principal, Action.USERS_MANAGE, target)
        known = {str(a) for a in actions() if a not in CREDENTIAL_ACTIONS} | {"*"}
        bad = sorted(set(scopes) - known)
        if bad or not scopes:
            raise InvalidInput(
                f"unknown scopes {bad}; choose from: * {' '.join(sorted(known - {'*'}))}"
            )
        secret, digest = credentials.new_token_secret()
        expires = None if ttl is None else now() + ttl
        token_id = await self.store.add_token(
            target.id,
            name,
            digest,
            list(scopes),
            TokenKind.API,
            expires,
            self._audit(
                principal,
                await self._brand_of(target),
                "token.create",
                f"user:{target.id}",
                {"name": name, "scopes": list(scopes)},
            ),
        )
        record = await self.store.token_with_hash(token_id)
        assert record is not None
        return credentials.format_token(token_id, secret), record[0]

    async def list_tokens(
        self,
        principal: Principal,
        user_id: int | None = None,
        *,
        after_id: int | None = None,
        limit: int = 1000,
    ) -> list[ApiToken]:
        """API tokens of ``user_id`` (default: the principal's own), by id. Needs a full
        sign-in: a scoped token never manages credentials."""
        require_full_sign_in(principal)
        target = user_id if user_id is not None else principal.user_id
        if target is None:
            raise InvalidInput("name the user whose tokens to list (--user)")
        if target != principal.user_id:
            await self._require_over(
                principal, Action.USERS_MANAGE, await self.store.get_user(target)
            )
        return await self.store.list_tokens(target, after_id, limit)

    async def revoke_token(self, principal: Principal, token_id: int) -> None:
        require_full_sign_in(principal)
        found = await self.store.token_with_hash(token_id)
        if found is None:
            raise InvalidInput(f"no token {token_id}")
        token = found[0]
        if token.user_id != principal.user_id:
            await self._require_over(
                principal, Action.USERS_MANAGE, await self.store.get_user(token.user_id)
            )
        await self.store.revoke_token(
            token_id,
            self._audit(principal, principal.brand_id, "token.revoke", f"token:{token_id}", {}),
        )

    # -- profile -----------------------------------------------------------------------
    async def update_profile(
        self,
        principal: Principal,
        *,
        display_name: str | None = None,
        fields: dict[str, str] | None = None,
    ) -> User:
        """Change one's own display name and profile fields (contacts, address, ...).
        Login identifiers (e-mail, phone) change only through a confirmed code."""
        user = self._own(principal)
        require(principal, Action.PROFILE_OWN, owner_id=user.id)
        columns: dict[str, object] = {}
        if display_name is not None:
            if not display_name.strip() or len(display_name) > 100:
                raise InvalidInput("a display name has 1 to 100 characters")
            columns["display_name"] = display_name.strip()
        if fields:
            bad = sorted(k for k in fields if k not in PROFILE_FIELDS)
            if bad:
                raise InvalidInput(f"unknown profile fields {bad}; use {sorted(PROFILE_FIELDS)}")
            _check_preferences(fields)
            columns["profile"] = {**user.profile, **fields}
        if not columns:
            return user
        return await self.store.update_user(
            user.id,
            self._audit(
                principal,
                principal.brand_id,
                "user.profile",
                f"user:{user.id}",
                {"fields": sorted(columns)},
            ),
            **columns,
        )

    async def set_avatar(self, principal: Principal, data: bytes) -> bytes:
        """Validate and re-encode an avatar (square PNG); returns the stored bytes."""
        user = self._own(principal)
        require(principal, Action.PROFILE_OWN, owner_id=user.id)
        png = images.avatar(data)
        await self.store.update_user(
            user.id,
            self._audit(principal, principal.brand_id, "user.avatar", f"user:{user.id}", {}),
            avatar=png,
        )
        return png

    async def avatar(self, user_id: int) -> bytes | None:
        return await self.store.avatar(user_id)

    @staticmethod
    def _own(principal: Principal) -> User:
        if principal.user is None:
            raise InvalidInput("the local operator has no profile: act as a user")
        return principal.user

    # -- audit -------------------------------------------------------------------------
    async def audit_log(
        self,
        principal: Principal,
        query: AuditQuery | None = None,
        *,
        brand_id: int | None = None,
        limit: int = 1000,
        after_id: int | None = None,
        newest_first: bool = False,
    ) -> list[AuditEntry]:
        """Security events of the principal's brand (the platform admin: any brand, or
        all with ``brand_id=None``) that match ``query``. Oldest first by default;
        ``newest_first`` pages downwards (``after_id`` is then the last id of the
        previous page)."""
        require(principal, Action.AUDIT_READ, brand_id=brand_id)
        if principal.role is not Role.PLATFORM_ADMIN:
            brand_id = principal.brand_id
        return await self.store.list_audit(
            brand_id,
            query or AuditQuery(),
            limit=limit,
            after_id=after_id,
            newest_first=newest_first,
        )

    @staticmethod
    def _audit(
        principal: Principal,
        brand_id: int | None,
        action: str,
        target: str,
        details: dict[str, object],
    ) -> Audit:
        return Audit(principal.user_id, brand_id, action, target, principal.client, details)


def _check_preferences(fields: dict[str, str]) -> None:
    """The console's preferences: ``lang`` (zh, en or empty: the browser's) and ``tz``
    (an IANA time zone name or empty: the browser's)."""
    if fields.get("lang", "") not in ("", "zh", "en"):
        raise InvalidInput("lang is zh or en")
    zone = fields.get("tz", "")
    if zone:
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"{zone[:64]!r} is not a time zone name (Asia/Shanghai)") from None


def _redact(contact: str) -> str:
    if is_email(contact):
        local, domain = contact.split("@", 1)
        return f"{local[:1]}***@{domain}"
    return contact[:-4] + "****" if len(contact) > 4 else "****"


__all__ = ["SYSTEM", "AccountService", "LoginPolicy", "network_region"]

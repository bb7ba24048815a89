"""Third-party sign-in: which account an outside identity opens, and linking.

Flow (the console's ``/console/signin/ext/<provider>`` and its callback):

1. :meth:`ExternalSignIn.begin` makes a state, a nonce and a PKCE verifier, keeps them
   server-side (``external_auth_states``: single use, 10 minutes; of the state only its
   SHA-256 together with the caller's browser binding) and returns the provider's
   authorization URL.
2. The provider sends the browser back with a code and the state.
   :meth:`ExternalSignIn.finish` consumes the state (it must exist, be unused, fresh,
   for this provider, purpose and redirect URI, and come with the same browser binding,
   so a callback URL replayed into another browser signs nobody in), has the provider
   redeem the code and verify its answer, then:

   - a linked identity signs in to its account;
   - else, when an account already has the identity's *verified* e-mail or phone, the
     sign-in is refused (``external_account_exists``): linking it silently would give
     the account to whoever controls the outside identity. The owner signs in and links
     the provider from the account page (:meth:`begin_link` / :meth:`finish_link`);
   - else a new active consumer account is created and linked, with the verified
     e-mail / phone as its contacts when free (WeChat and Alipay give none: such an
     account signs in through its linked identity alone).

   The session comes from :meth:`AccountService.external_session`: the same
   ``login_attempts`` row, ``login.ok`` audit (method = provider name) and new-sign-in
   notice as a password login.

Linking and unlinking are credential management: a full sign-in is needed, they are
audited (``external.link`` / ``external.unlink``) and the owner gets a security notice.
Unlinking the last way to sign in (no password, passkey, contact to reset a password
with, or other identity) is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from veriseal.accounts.errors import IdentityInvalid
from veriseal.accounts.external import store
from veriseal.accounts.external.base import ExternalIdentity, ExternalProvider
from veriseal.accounts.external.errors import (
    ExternalAccountExists,
    ExternalIdentityTaken,
    ExternalLastSignIn,
    ExternalProviderUnknown,
    ExternalStateInvalid,
)
from veriseal.accounts.external.settings import Configured, ProviderInfo
from veriseal.accounts.identity import normalize_email, normalize_phone
from veriseal.accounts.models import Principal, Role, User, UserStatus
from veriseal.accounts.permissions import Action, require, require_full_sign_in
from veriseal.accounts.service import AccountService
from veriseal.accounts.store import AccountStore, Audit, NewUser, now
from veriseal.errors import Conflict, InvalidInput
from veriseal.i18n import register
from veriseal.ledger.base import Tx

log = logging.getLogger("veriseal.accounts.external")

STATE_TTL = dt.timedelta(minutes=10)
#: State rows older than this are deleted when a new request starts.
STATE_KEEP = dt.timedelta(days=1)

register(
    {
        "account.external_linked": (
            "{provider} was linked to your account: it can now sign you in. If this was"
            " not you, unlink it and change your password.",
            "您的账号已绑定{provider_zh}，可用其登录。如非本人操作，请解除绑定并修改密码。",
        ),
        "account.external_unlinked": (
            "{provider} was unlinked from your account.",
            "您的账号已解除绑定{provider_zh}。",
        ),
    }
)


@dataclass(frozen=True)
class SignedIn:
    """The outcome of :meth:`ExternalSignIn.finish`."""

    token: str  # the session token (shown once)
    user: User
    created: bool  # a new account was made for this identity
    return_to: str  # what the caller asked to come back to (begin's ``return_to``)


@dataclass(frozen=True)
class LinkedIdentity:
    """An identity linked to the user, as the account page shows it."""

    provider: str
    title_en: str
    title_zh: str
    display_name: str
    email: str | None
    linked_at: dt.datetime
    last_used_at: dt.datetime | None

    def to_dict(self) -> dict[str, object]:
        return {
            "provider": self.provider,
            "title_en": self.title_en,
            "title_zh": self.title_zh,
            "display_name": self.display_name,
            "email": self.email,
            "linked_at": self.linked_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
        }


def state_hash(state: str, binding: str) -> bytes:
    """What is stored of a state: SHA-256 over it and the caller's browser binding."""
    return hashlib.sha256(f"{state}\0{binding}".encode()).digest()


class ExternalSignIn:
    def __init__(self, accounts: AccountService, providers: Sequence[Configured]) -> None:
        self.accounts = accounts
        self.ledger = accounts.store.ledger
        self._providers = {c.info.name: c for c in providers}

    # -- providers ---------------------------------------------------------------------
    def providers(self) -> list[ProviderInfo]:
        """The configured providers, in config order (the sign-in page's buttons)."""
        return [c.info for c in self._providers.values()]

    def _configured(self, name: str) -> Configured:
        found = self._providers.get(name)
        if found is None:
            raise ExternalProviderUnknown(f"no sign-in provider {name!r} is configured")
        return found

    def provider(self, name: str) -> ExternalProvider:
        return self._configured(name).provider

    # -- state -------------------------------------------------------------------------
    async def _begin(
        self,
        name: str,
        redirect_uri: str,
        purpose: str,
        user_id: int | None,
        return_to: str,
        binding: str,
    ) -> str:
        provider = self.provider(name)
        # hex: WeChat accepts letters and digits only in a state
        state, nonce = secrets.token_hex(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # RFC 7636: 43..128 unreserved characters
        url = await provider.authorize_url(
            state, nonce, create_s256_code_challenge(verifier), redirect_uri
        )
        at = now()
        async with self.ledger.write() as tx:
            await store.purge_states(tx, at - STATE_KEEP)
            await store.insert_state(
                tx,
                store.AuthState(
                    0,
                    state_hash(state, binding),
                    name,
                    purpose,
                    user_id,
                    nonce,
                    verifier,
                    redirect_uri,
                    return_to,
                    at,
                ),
            )
        return url

    async def pending_purpose(self, state: str, binding: str = "") -> str:
        """``"signin"`` or ``"link"``: what the request of ``state`` is for, without
        using it (the callback picks :meth:`finish` or :meth:`finish_link` by it).
        ``ExternalStateInvalid`` if it is unknown or used."""
        async with self.ledger.read() as tx:
            found = await store.unused_state(tx, state_hash(state, binding))
        if found is None:
            raise ExternalStateInvalid("this sign-in request is unknown or used: start again")
        return found.purpose

    async def _consume(
        self,
        name: str,
        state: str,
        binding: str,
        purpose: str,
        user_id: int | None,
        redirect_uri: str,
    ) -> store.AuthState:
        """Use the state (whatever follows: each answers once) and check it is the one
        this callback needs."""
        at = now()
        async with self.ledger.write() as tx:
            found = await store.unused_state(tx, state_hash(state, binding))
            if found is not None:
                await store.mark_state_used(tx, found.id, at)
        if (
            found is None
            or found.created_at <= at - STATE_TTL
            or found.provider != name
            or found.purpose != purpose
            or found.user_id != user_id
            or found.redirect_uri != redirect_uri
        ):
            raise ExternalStateInvalid("this sign-in request is unknown, used or expired")
        return found

    async def _identity(
        self, name: str, code: str, redirect_uri: str, request: store.AuthState
    ) -> ExternalIdentity:
        if not code:
            raise InvalidInput("the provider sent no authorization code")
        identity = await self.provider(name).exchange(
            code, redirect_uri, request.code_verifier, request.nonce
        )
        if identity.provider != name or not identity.subject:
            raise AssertionError(f"provider {name} answered for {identity.provider!r}")
        return identity

    # -- sign-in -----------------------------------------------------------------------
    async def begin(
        self, provider_name: str, redirect_uri: str, return_to: str = "", binding: str = ""
    ) -> str:
        """The provider's authorization URL for a sign-in. ``redirect_uri``: the callback
        as registered with the provider; ``return_to``: handed back by :meth:`finish`;
        ``binding``: a secret the caller keeps with the browser (a cookie) and passes to
        :meth:`finish` again."""
        return await self._begin(provider_name, redirect_uri, "signin", None, return_to,
                                 binding)  # fmt: skip

    async def finish(
        self,
        provider_name: str,
        state: str,
        code: str,
        redirect_uri: str,
        client: str,
        device: str = "",
        binding: str = "",
    ) -> SignedIn:
        """The callback of a sign-in: see the module docstring."""
        request = await self._consume(provider_name, state, binding, "signin", None,
                                      redirect_uri)  # fmt: skip
        identity = await self._identity(provider_name, code, redirect_uri, request)
        async with self.ledger.read() as tx:
            linked = await store.identity_by_subject(tx, identity.provider, identity.subject)
        created = False
        if linked is None:
            user, created = await self._create(identity, client)
        else:
            async with self.ledger.write() as tx:
                # what the provider says now; a profile it withheld this time keeps the old
                await store.touch_identity(tx, linked.id, now(),
                                           identity.display_name or linked.display_name,
                                           identity.claims or linked.claims)  # fmt: skip
            user = await self.accounts.store.get_user(linked.user_id)
        token = await self.accounts.external_session(user, client, device, provider_name)
        return SignedIn(token, user, created, request.return_to)

    async def _create(self, identity: ExternalIdentity, client: str) -> tuple[User, bool]:
        """A new consumer linked to ``identity``; ``(user, True)``. If a concurrent
        callback linked the identity first: that account, ``(user, False)``."""
        email = _verified(normalize_email, identity.email, identity.email_verified)
        phone = _verified(normalize_phone, identity.phone, identity.phone_verified)
        for contact in filter(None, (email, phone)):
            if await self.accounts.store.find_user(contact) is not None:
                raise ExternalAccountExists(
                    "an account with this e-mail or phone exists: sign in to it and link"
                    f" {identity.provider} from the account page"
                )
        info = self._configured(identity.provider).info
        at = now()
        try:
            async with self.ledger.write() as tx:
                user_id = await AccountStore.insert_user(
                    tx,
                    NewUser(
                        email,
                        phone,
                        identity.display_name or f"{info.title_en} user",
                        Role.CONSUMER,
                        None,
                        UserStatus.ACTIVE,
                        None,
                    ),
                    Audit(
                        None, None, "user.register", "user", client, {"provider": identity.provider}
                    ),
                )
                await self._link(tx, identity, user_id, email, at, client, None)
        except Conflict:
            async with self.ledger.read() as tx:
                linked = await store.identity_by_subject(tx, identity.provider, identity.subject)
            if linked is None:  # the contact was taken meanwhile
                raise ExternalAccountExists(
                    "an account with this e-mail or phone exists: sign in to it and link"
                    f" {identity.provider} from the account page"
                ) from None
            return await self.accounts.store.get_user(linked.user_id), False
        return await self.accounts.store.get_user(user_id), True

    async def _link(
        self,
        tx: Tx,
        identity: ExternalIdentity,
        user_id: int,
        email: str | None,
        at: dt.datetime,
        client: str,
        brand_id: int | None,
    ) -> None:
        await store.insert_identity(
            tx,
            store.StoredIdentity(
                0,
                identity.provider,
                identity.subject,
                user_id,
                email,
                identity.display_name,
                identity.claims,
                at,
                at,
            ),
        )
        await AccountStore.append_audit(
            tx,
            Audit(
                user_id,
                brand_id,
                "external.link",
                f"user:{user_id}",
                client,
                {"provider": identity.provider},
            ),
        )

    # -- linking (signed in) -----------------------------------------------------------
    async def begin_link(
        self,
        principal: Principal,
        provider_name: str,
        redirect_uri: str,
        return_to: str = "",
        binding: str = "",
    ) -> str:
        """The authorization URL to link ``provider_name`` to the signed-in user."""
        user = _user(principal)
        require_full_sign_in(principal)
        require(principal, Action.PROFILE_OWN, owner_id=user.id)
        return await self._begin(provider_name, redirect_uri, "link", user.id, return_to,
                                 binding)  # fmt: skip

    async def finish_link(
        self,
        principal: Principal,
        provider_name: str,
        state: str,
        code: str,
        redirect_uri: str,
        binding: str = "",
    ) -> LinkedIdentity:
        """The callback of a link: the identity now signs in to the principal's account.
        ``ExternalIdentityTaken`` if it is another account's, or the account has another
        identity of this provider."""
        user = _user(principal)
        require_full_sign_in(principal)
        require(principal, Action.PROFILE_OWN, owner_id=user.id)
        request = await self._consume(provider_name, state, binding, "link", user.id,
                                      redirect_uri)  # fmt: skip
        identity = await self._identity(provider_name, code, redirect_uri, request)
        email = _verified(normalize_email, identity.email, identity.email_verified)
        async with self.ledger.read() as tx:
            linked = await store.identity_by_subject(tx, identity.provider, identity.subject)
        if linked is not None and linked.user_id != user.id:
            raise ExternalIdentityTaken(
                f"this {provider_name} account is linked to another account"
            )
        if linked is None:
            try:
                async with self.ledger.write() as tx:
                    await self._link(tx, identity, user.id, email, now(), principal.client,
                                     principal.brand_id)  # fmt: skip
            except Conflict:
                raise ExternalIdentityTaken(
                    f"another {provider_name} account is linked already: unlink it first"
                ) from None
            info = self._configured(provider_name).info
            await self.accounts.notifier.security_notice(
                user, "account.external_linked", provider=info.title_en, provider_zh=info.title_zh
            )
        return next(i for i in await self.identities(principal) if i.provider == provider_name)

    async def unlink(self, principal: Principal, provider_name: str) -> None:
        """Remove the principal's identity of ``provider_name``. ``ExternalLastSignIn``
        if the account would have no way left to sign in."""
        require_full_sign_in(principal)
        user = await self.accounts.store.get_user(_user(principal).id)  # fresh: has_password
        require(principal, Action.PROFILE_OWN, owner_id=user.id)
        async with self.ledger.write() as tx:
            mine = await store.identities_of(tx, user.id)
            found = next((i for i in mine if i.provider == provider_name), None)
            if found is None:
                raise InvalidInput(f"no {provider_name} account is linked to yours")
            others = len(mine) > 1
            if not (user.has_password or user.email or user.phone or others
                    or await store.passkey_count(tx, user.id)):  # fmt: skip
                raise ExternalLastSignIn(
                    f"{provider_name} is your only way to sign in: set a password or link"
                    " another first"
                )
            await store.delete_identity(tx, found.id)
            await AccountStore.append_audit(
                tx,
                Audit(
                    user.id,
                    principal.brand_id,
                    "external.unlink",
                    f"user:{user.id}",
                    principal.client,
                    {"provider": provider_name},
                ),
            )
        title_en, title_zh = self._titles(provider_name)
        await self.accounts.notifier.security_notice(
            user, "account.external_unlinked", provider=title_en, provider_zh=title_zh
        )

    async def identities(self, principal: Principal) -> list[LinkedIdentity]:
        """The principal's linked identities, by provider name (a provider removed from
        the config still shows, so it can be unlinked)."""
        user = _user(principal)
        require(principal, Action.PROFILE_OWN, owner_id=user.id)
        async with self.ledger.read() as tx:
            found = await store.identities_of(tx, user.id)
        out = []
        for i in found:
            en, zh = self._titles(i.provider)
            out.append(LinkedIdentity(i.provider, en, zh, i.display_name, i.email,
                                      i.created_at, i.last_used_at))  # fmt: skip
        return out

    def _titles(self, name: str) -> tuple[str, str]:
        found = self._providers.get(name)
        return (found.info.title_en, found.info.title_zh) if found else (name, name)


def _user(principal: Principal) -> User:
    if principal.user is None:
        raise InvalidInput("sign in as a user to manage linked accounts")
    return principal.user


def _verified(normalize: Callable[[str], str], value: str | None, verified: bool) -> str | None:
    """The normalised contact if the provider verified it and it is well formed."""
    if not value or not verified:
        return None
    try:
        return normalize(value)
    except IdentityInvalid:
        return None

"""Passkeys (WebAuthn): the web's form of a phone's fingerprint / face sign-in.

py_webauthn (Duo Labs) verifies the authenticator's responses: challenge, origin,
relying-party id hash, flags, COSE public key, signature and signature counter. This
module keeps the state: single-use challenges (5 minutes) and the registered
credentials with their counters. A counter that does not grow signals a cloned
authenticator and is refused (synced passkeys that always report 0 are accepted).

Flow: ``begin_registration`` (signed-in user) -> browser ``navigator.credentials.create``
-> ``finish_registration``; ``begin_login`` -> ``navigator.credentials.get`` ->
``finish_login``, which returns a session token like a password login.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

import webauthn
from webauthn.helpers import exceptions as wa_errors
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from veriseal.accounts import passkey_store
from veriseal.accounts.errors import PasskeyInvalid
from veriseal.accounts.models import Principal, User
from veriseal.accounts.permissions import require_full_sign_in
from veriseal.accounts.service import AccountService, network_region
from veriseal.accounts.store import Audit, now
from veriseal.errors import Conflict, InvalidInput

log = logging.getLogger("veriseal.accounts")

CHALLENGE_TTL = dt.timedelta(minutes=5)
_ERRORS = (wa_errors.WebAuthnException, ValueError, KeyError, TypeError)


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys are for: ``id`` is the registrable domain (``veriseal.example``),
    ``origin`` the exact web origin the browser reports (``https://veriseal.example``)."""

    id: str
    name: str
    origin: str


class Passkeys:
    def __init__(self, accounts: AccountService, rp: RelyingParty) -> None:
        self.accounts = accounts
        self.ledger = accounts.store.ledger
        self.rp = rp

    async def _new_challenge(self, user_id: int | None, purpose: str) -> bytes:
        challenge = secrets.token_bytes(32)
        async with self.ledger.write() as tx:
            await passkey_store.insert_challenge(tx, user_id, purpose, challenge, now())
        return challenge

    async def _use_challenge(self, challenge: bytes, purpose: str) -> int | None:
        """Consume a live challenge; returns its user id. ``PasskeyInvalid`` if unknown,
        used or expired (each challenge answers exactly one ceremony)."""
        async with self.ledger.write() as tx:
            found = await passkey_store.unused_challenge(
                tx, challenge, purpose, now() - CHALLENGE_TTL
            )
            if found is None:
                raise PasskeyInvalid("the challenge is unknown, used or expired: start again")
            await passkey_store.mark_challenge_used(tx, found.id, now())
        return found.user_id

    async def begin_registration(self, principal: Principal) -> dict[str, Any]:
        """Options for ``navigator.credentials.create`` (JSON-ready). Needs a full
        sign-in: a passkey signs in with every scope, so a scoped token may not add one."""
        require_full_sign_in(principal)
        user = _user(principal)
        existing = await self._credentials(user.id)
        options = webauthn.generate_registration_options(
            rp_id=self.rp.id,
            rp_name=self.rp.name,
            user_id=str(user.id).encode(),
            user_name=user.email or user.phone or str(user.id),
            user_display_name=user.display_name,
            challenge=await self._new_challenge(user.id, "register"),
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.PREFERRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=[
                PublicKeyCredentialDescriptor(id=k.credential_id) for k in existing
            ],
        )
        return dict(json.loads(webauthn.options_to_json(options)))

    async def finish_registration(
        self, principal: Principal, credential: dict[str, Any], name: str
    ) -> int:
        """Verify the authenticator's answer and store the credential; returns its id."""
        require_full_sign_in(principal)
        user = _user(principal)
        challenge = _challenge_of(credential)
        owner = await self._use_challenge(challenge, "register")
        if owner != user.id:
            raise PasskeyInvalid("this challenge was issued to another account")
        try:
            verified = webauthn.verify_registration_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self.rp.id,
                expected_origin=self.rp.origin,
                require_user_verification=True,
            )
        except _ERRORS as exc:
            log.info("passkey registration refused: %s", exc)  # the library's words stay here
            raise PasskeyInvalid("the passkey registration does not verify") from None
        try:
            key = passkey_store.StoredPasskey(
                id=0,
                user_id=user.id,
                credential_id=verified.credential_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                name=name.strip() or "passkey",
            )
            async with self.ledger.write() as tx:
                passkey_id = await passkey_store.insert_passkey(tx, key, now())
                await self.accounts.store.append_audit(
                    tx,
                    Audit(
                        user.id,
                        principal.brand_id,
                        "passkey.add",
                        f"user:{user.id}",
                        principal.client,
                        {"name": name},
                    ),
                )
        except Conflict:
            raise Conflict("this passkey is registered already") from None
        return passkey_id

    async def begin_login(self) -> dict[str, Any]:
        """Options for ``navigator.credentials.get``: discoverable credentials, so the
        user picks the account on the device (no user name typed)."""
        options = webauthn.generate_authentication_options(
            rp_id=self.rp.id,
            challenge=await self._new_challenge(None, "login"),
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        return dict(json.loads(webauthn.options_to_json(options)))

    async def finish_login(
        self, credential: dict[str, Any], client: str, device: str = ""
    ) -> tuple[str, User]:
        """Verify an assertion; returns a session token and the user."""
        challenge = _challenge_of(credential)
        await self._use_challenge(challenge, "login")
        try:
            raw_id = webauthn.base64url_to_bytes(str(credential["rawId"]))
        except _ERRORS:
            raise PasskeyInvalid("the answer has no credential id") from None
        async with self.ledger.read() as tx:
            key = await passkey_store.passkey_by_credential(tx, raw_id)
        if key is None:
            raise PasskeyInvalid("unknown passkey")
        try:
            verified = webauthn.verify_authentication_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self.rp.id,
                expected_origin=self.rp.origin,
                credential_public_key=key.public_key,
                credential_current_sign_count=key.sign_count,
                require_user_verification=True,
            )
        except _ERRORS as exc:
            log.info("passkey sign-in refused: %s", exc)
            raise PasskeyInvalid("the passkey sign-in does not verify") from None
        async with self.ledger.write() as tx:
            await passkey_store.set_sign_count(tx, key.id, verified.new_sign_count)
        user = await self.accounts.store.get_user(key.user_id)
        token = await self.accounts.passkey_session(user, client, device, network_region(client))
        return token, user

    async def _credentials(self, user_id: int) -> list[passkey_store.StoredPasskey]:
        async with self.ledger.read() as tx:
            return await passkey_store.passkeys_of(tx, user_id)


def _user(principal: Principal) -> User:
    if principal.user is None:
        raise InvalidInput("sign in as a user to manage passkeys")
    return principal.user


def _challenge_of(credential: dict[str, Any]) -> bytes:
    """The challenge the browser signed, from clientDataJSON (verified again by
    py_webauthn against the stored one)."""
    try:
        client_data = json.loads(
            webauthn.base64url_to_bytes(str(credential["response"]["clientDataJSON"]))
        )
        return webauthn.base64url_to_bytes(str(client_data["challenge"]))
    except (*_ERRORS, json.JSONDecodeError):
        raise PasskeyInvalid("the answer's clientDataJSON is malformed") from None

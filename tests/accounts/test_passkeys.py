"""Passkey registration and sign-in, verified by py_webauthn, on both backends."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.accounts.soft_authenticator import SoftAuthenticator
from veriseal.accounts.errors import PasskeyInvalid
from veriseal.accounts.models import SYSTEM, Role
from veriseal.accounts.passkeys import Passkeys, RelyingParty
from veriseal.accounts.service import AccountService

RP = RelyingParty("veriseal.example", "Veriseal", "https://veriseal.example")


async def _signed_in(accounts: AccountService):  # type: ignore[no-untyped-def]
    user = await accounts.create_user(
        SYSTEM, contact="pk@example.com", display_name="PK", role=Role.CONSUMER, org_id=None
    )
    return await accounts.principal(user)


async def test_register_then_sign_in(accounts: AccountService) -> None:
    passkeys = Passkeys(accounts, RP)
    me = await _signed_in(accounts)
    device = SoftAuthenticator(RP.id, RP.origin)
    options = await passkeys.begin_registration(me)
    assert options["rp"]["id"] == RP.id
    await passkeys.finish_registration(me, device.create(options), "my phone")
    token, user = await passkeys.finish_login(device.get(await passkeys.begin_login()), "c")
    assert user.id == me.user_id
    assert (await accounts.authenticate(token)).user_id == me.user_id
    # the counter moves on; a second sign-in works too
    await passkeys.finish_login(device.get(await passkeys.begin_login()), "c")


async def test_refusals(accounts: AccountService) -> None:
    passkeys = Passkeys(accounts, RP)
    me = await _signed_in(accounts)
    device = SoftAuthenticator(RP.id, RP.origin)
    options = await passkeys.begin_registration(me)
    answer = device.create(options)
    await passkeys.finish_registration(me, answer, "phone")
    with pytest.raises(PasskeyInvalid, match="challenge"):  # a challenge answers once
        await passkeys.finish_registration(me, answer, "phone")

    login = await passkeys.begin_login()
    forged = device.get(login, key=ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(PasskeyInvalid):  # signed by another key
        await passkeys.finish_login(forged, "c")

    phishing = SoftAuthenticator(RP.id, "https://veriseal.example.evil")
    phishing.key, phishing.credential_id = device.key, device.credential_id
    with pytest.raises(PasskeyInvalid):  # the origin is not ours
        await passkeys.finish_login(phishing.get(await passkeys.begin_login()), "c")

    stranger = SoftAuthenticator(RP.id, RP.origin)
    with pytest.raises(PasskeyInvalid, match="unknown"):
        await passkeys.finish_login(stranger.get(await passkeys.begin_login()), "c")

    replay = device.get(await passkeys.begin_login())
    await passkeys.finish_login(replay, "c")
    with pytest.raises(PasskeyInvalid):
        await passkeys.finish_login(replay, "c")

    clone = SoftAuthenticator(RP.id, RP.origin)  # a copy of the key with an old counter
    clone.key, clone.credential_id, clone.counter = device.key, device.credential_id, 0
    with pytest.raises(PasskeyInvalid):
        await passkeys.finish_login(clone.get(await passkeys.begin_login()), "c")

    with pytest.raises(PasskeyInvalid):
        await passkeys.finish_login({"response": {"clientDataJSON": "!!"}}, "c")

"""The JWKS export and the offline check: revoked keys are named, never trusted."""

from __future__ import annotations

import copy

from veriseal.catalog.keys import public_keys_from_jwks, revoked_keys_from_jwks
from veriseal.engine import Engine
from veriseal.models import Brand, Profile
from veriseal.scanning.verification import Outcome, verify_offline

from .test_lifecycle import first_codes, make_batch


async def test_revoked_keys_are_listed_apart_and_named_offline(
    engine: Engine, brand: Brand
) -> None:
    batch = await make_batch(engine, brand, profile=Profile.SIGNED)
    uri = (await first_codes(engine, brand, batch, 1))[0]
    await engine.keys.rotate(brand)
    await engine.keys.revoke(brand, 0)
    doc = await engine.keys.jwks(brand)
    good, revoked = public_keys_from_jwks(doc), revoked_keys_from_jwks(doc)
    assert list(good) == ["acme.1"] and list(revoked) == ["acme.0"]
    assert verify_offline(uri, good).reason == "unknown_key"  # without the list: can't tell
    result = verify_offline(uri, good, revoked=revoked)
    assert (result.outcome, result.reason) == (Outcome.KEY_REVOKED, "key_revoked")
    assert result.info is not None and result.info.kid == "acme.0"
    online = await engine.verifier.verify(uri)
    assert (online.outcome, online.reason) == (result.outcome, result.reason)


async def test_a_key_marked_revoked_inside_keys_is_not_trusted(
    engine: Engine, brand: Brand
) -> None:
    batch = await make_batch(engine, brand, profile=Profile.SIGNED)
    uri = (await first_codes(engine, brand, batch, 1))[0]
    await engine.keys.rotate(brand)
    doc = await engine.keys.jwks(brand)
    assert verify_offline(uri, public_keys_from_jwks(doc)).genuine  # acme.0 is retired
    for marker in ({"veriseal_status": "revoked"}, {"revoked_at": "2026-01-01T00:00:00+00:00"}):
        edited = copy.deepcopy(doc)
        edited["keys"][0].update(marker)
        assert edited["keys"][0]["kid"] == "acme.0"
        good, revoked = public_keys_from_jwks(edited), revoked_keys_from_jwks(edited)
        assert list(good) == ["acme.1"] and list(revoked) == ["acme.0"]
        assert verify_offline(uri, good, revoked=revoked).outcome is Outcome.KEY_REVOKED


def test_odd_jwks_members_are_ignored_not_tracebacks() -> None:
    x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    ok = {"kty": "OKP", "crv": "Ed25519", "kid": "acme.0", "x": x}
    doc = {
        "keys": [ok, {**ok, "kid": "acme.2", "veriseal_slot": [1]}, "junk", {"kty": "RSA"}],
        "veriseal_revoked_keys": {"not": "a list"},
    }
    assert list(public_keys_from_jwks(doc)) == ["acme.0"]
    assert revoked_keys_from_jwks(doc) == {}
    assert revoked_keys_from_jwks({"keys": "nope"}) == {}

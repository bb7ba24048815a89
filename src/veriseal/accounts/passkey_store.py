"""SQL of passkeys (WebAuthn): single-use ``webauthn_challenges`` and registered
``passkeys`` with their signature counters.

No rules live here: :mod:`veriseal.accounts.passkeys` decides how long a challenge
lives, verifies the authenticator's answers, and holds the transactions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from veriseal.ledger.base import Row, Tx


@dataclass(frozen=True)
class Challenge:
    id: int
    user_id: int | None  # None: a sign-in challenge, issued before anyone is known


@dataclass(frozen=True)
class StoredPasskey:
    id: int
    user_id: int
    credential_id: bytes
    public_key: bytes
    sign_count: int
    name: str


async def insert_challenge(
    tx: Tx, user_id: int | None, purpose: str, challenge: bytes, at: dt.datetime
) -> None:
    await tx.execute(
        "INSERT INTO webauthn_challenges (user_id, purpose, challenge, created_at)"
        " VALUES (?, ?, ?, ?)",
        user_id,
        purpose,
        challenge,
        at,
    )


async def unused_challenge(
    tx: Tx, challenge: bytes, purpose: str, created_after: dt.datetime
) -> Challenge | None:
    """The challenge if it was issued for ``purpose`` after ``created_after`` and is
    not used yet."""
    row = await tx.fetchrow(
        "SELECT id, user_id FROM webauthn_challenges WHERE challenge = ?"
        " AND purpose = ? AND used_at IS NULL AND created_at > ?",
        challenge,
        purpose,
        created_after,
    )
    if row is None:
        return None
    return Challenge(int(row["id"]), None if row["user_id"] is None else int(row["user_id"]))


async def mark_challenge_used(tx: Tx, challenge_id: int, at: dt.datetime) -> None:
    await tx.execute("UPDATE webauthn_challenges SET used_at = ? WHERE id = ?", at, challenge_id)


async def insert_passkey(tx: Tx, key: StoredPasskey, at: dt.datetime) -> int:
    """Store a verified credential (``key.id`` is ignored); returns its id.
    ``Conflict`` if the credential id is registered already."""
    return await tx.insert_returning_id(
        "passkeys",
        {
            "user_id": key.user_id,
            "credential_id": key.credential_id,
            "public_key": key.public_key,
            "sign_count": key.sign_count,
            "name": key.name,
            "created_at": at,
        },
    )


def _passkey(row: Row) -> StoredPasskey:
    return StoredPasskey(
        int(row["id"]),
        int(row["user_id"]),
        bytes(row["credential_id"]),
        bytes(row["public_key"]),
        int(row["sign_count"]),
        str(row["name"]),
    )


_COLS = "id, user_id, credential_id, public_key, sign_count, name"


async def passkey_by_credential(tx: Tx, credential_id: bytes) -> StoredPasskey | None:
    row = await tx.fetchrow(f"SELECT {_COLS} FROM passkeys WHERE credential_id = ?", credential_id)
    return None if row is None else _passkey(row)


async def passkeys_of(tx: Tx, user_id: int) -> list[StoredPasskey]:
    found = await tx.fetch(f"SELECT {_COLS} FROM passkeys WHERE user_id = ?", user_id)
    return [_passkey(r) for r in found]


async def set_sign_count(tx: Tx, passkey_id: int, sign_count: int) -> None:
    await tx.execute("UPDATE passkeys SET sign_count = ? WHERE id = ?", sign_count, passkey_id)

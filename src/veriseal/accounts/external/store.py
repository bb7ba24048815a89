"""SQL of third-party sign-in (migration 0015): ``external_identities`` (provider,
subject) -> user, and the single-use ``external_auth_states``.

No rules live here: :mod:`veriseal.accounts.external.service` decides, holds the
transactions and appends the audit rows.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from veriseal.ledger.base import Row, Tx
from veriseal.ledger.rows import ts


@dataclass(frozen=True)
class AuthState:
    """An authorization request in flight (``id`` 0 before it is stored)."""

    id: int
    state_hash: bytes
    provider: str
    purpose: str  # "signin" | "link"
    user_id: int | None  # who asked to link (purpose "link")
    nonce: str
    code_verifier: str
    redirect_uri: str
    return_to: str
    created_at: dt.datetime


@dataclass(frozen=True)
class StoredIdentity:
    id: int
    provider: str
    subject: str
    user_id: int
    email: str | None
    display_name: str
    claims: dict[str, str]
    created_at: dt.datetime
    last_used_at: dt.datetime | None


async def insert_state(tx: Tx, state: AuthState) -> None:
    await tx.execute(
        "INSERT INTO external_auth_states (state_hash, provider, purpose, user_id, nonce,"
        " code_verifier, redirect_uri, return_to, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        state.state_hash,
        state.provider,
        state.purpose,
        state.user_id,
        state.nonce,
        state.code_verifier,
        state.redirect_uri,
        state.return_to,
        state.created_at,
    )


async def unused_state(tx: Tx, state_hash: bytes) -> AuthState | None:
    row = await tx.fetchrow(
        "SELECT * FROM external_auth_states WHERE state_hash = ? AND used_at IS NULL",
        state_hash,
    )
    return None if row is None else _state(row)


async def mark_state_used(tx: Tx, state_id: int, at: dt.datetime) -> None:
    await tx.execute("UPDATE external_auth_states SET used_at = ? WHERE id = ?", at, state_id)


async def purge_states(tx: Tx, created_before: dt.datetime) -> None:
    """Forget requests too old to be answered (used or not)."""
    await tx.execute("DELETE FROM external_auth_states WHERE created_at < ?", created_before)


def _state(row: Row) -> AuthState:
    return AuthState(
        id=int(row["id"]),
        state_hash=bytes(row["state_hash"]),
        provider=row["provider"],
        purpose=row["purpose"],
        user_id=None if row["user_id"] is None else int(row["user_id"]),
        nonce=row["nonce"],
        code_verifier=row["code_verifier"],
        redirect_uri=row["redirect_uri"],
        return_to=row["return_to"],
        created_at=ts(row["created_at"]),
    )


async def insert_identity(tx: Tx, identity: StoredIdentity) -> int:
    """Link (``identity.id`` is ignored); returns the new id. ``Conflict`` if the
    (provider, subject) is linked already, or the user has an identity of the provider."""
    return await tx.insert_returning_id(
        "external_identities",
        {
            "provider": identity.provider,
            "subject": identity.subject,
            "user_id": identity.user_id,
            "email": identity.email,
            "display_name": identity.display_name,
            "claims": json.dumps(identity.claims, ensure_ascii=False, sort_keys=True),
            "created_at": identity.created_at,
            "last_used_at": identity.last_used_at,
        },
    )


_COLS = "id, provider, subject, user_id, email, display_name, claims, created_at, last_used_at"


def _identity(row: Row) -> StoredIdentity:
    return StoredIdentity(
        id=int(row["id"]),
        provider=row["provider"],
        subject=row["subject"],
        user_id=int(row["user_id"]),
        email=row["email"],
        display_name=row["display_name"],
        claims=json.loads(row["claims"]),
        created_at=ts(row["created_at"]),
        last_used_at=None if row["last_used_at"] is None else ts(row["last_used_at"]),
    )


async def identity_by_subject(tx: Tx, provider: str, subject: str) -> StoredIdentity | None:
    row = await tx.fetchrow(
        f"SELECT {_COLS} FROM external_identities WHERE provider = ? AND subject = ?",
        provider,
        subject,
    )
    return None if row is None else _identity(row)


async def identities_of(tx: Tx, user_id: int) -> list[StoredIdentity]:
    found = await tx.fetch(
        f"SELECT {_COLS} FROM external_identities WHERE user_id = ? ORDER BY provider",
        user_id,
    )
    return [_identity(r) for r in found]


async def touch_identity(
    tx: Tx, identity_id: int, at: dt.datetime, display_name: str, claims: dict[str, str]
) -> None:
    """Record a sign-in with the identity and what the provider says now."""
    await tx.execute(
        "UPDATE external_identities SET last_used_at = ?, display_name = ?, claims = ?"
        " WHERE id = ?",
        at,
        display_name,
        json.dumps(claims, ensure_ascii=False, sort_keys=True),
        identity_id,
    )


async def delete_identity(tx: Tx, identity_id: int) -> None:
    await tx.execute("DELETE FROM external_identities WHERE id = ?", identity_id)


async def passkey_count(tx: Tx, user_id: int) -> int:
    row = await tx.fetchrow("SELECT COUNT(*) AS n FROM passkeys WHERE user_id = ?", user_id)
    return 0 if row is None else int(row["n"])

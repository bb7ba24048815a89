"""SQL of per-user notification settings, both append-only (the newest row of a user,
or of a user and type, is in force): ``notify_contacts`` (the ledger's own contact
book) and ``notify_prefs`` (channel choices and quiet hours).

No rules live here: :mod:`~veriseal.notifications.contacts` and
:mod:`~veriseal.notifications.preferences` validate what they store and apply the
defaults when nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from veriseal.ledger.base import Tx
from veriseal.notifications.models import Contacts, MessageType


async def contacts(tx: Tx, user_id: int) -> Contacts | None:
    """The user's newest contacts, or None if none were ever set."""
    row = await tx.fetchrow(
        "SELECT email, phone, webhook_url, webhook_secret FROM notify_contacts"
        " WHERE user_id = ? ORDER BY id DESC LIMIT 1",
        user_id,
    )
    if row is None:
        return None
    secret = row["webhook_secret"]
    return Contacts(
        row["email"], row["phone"], row["webhook_url"], None if secret is None else bytes(secret)
    )


async def append_contacts(tx: Tx, user_id: int, contacts: Contacts, at: dt.datetime) -> None:
    await tx.execute(
        "INSERT INTO notify_contacts (user_id, email, phone, webhook_url, webhook_secret,"
        " set_at) VALUES (?, ?, ?, ?, ?, ?)",
        user_id,
        contacts.email,
        contacts.phone,
        contacts.webhook_url,
        contacts.webhook_secret,
        at,
    )


@dataclass(frozen=True)
class StoredPreference:
    """One ``notify_prefs`` row as stored: channels comma-separated, a quiet-hours
    window as ``HH:MM`` texts and a zone (all three None without one)."""

    channels: str
    dnd_start: str | None
    dnd_end: str | None
    tz: str | None


async def preference(tx: Tx, user_id: int, mtype: MessageType) -> StoredPreference | None:
    """The newest setting of (user, type), or None if none was ever set."""
    row = await tx.fetchrow(
        "SELECT channels, dnd_start, dnd_end, tz FROM notify_prefs"
        " WHERE user_id = ? AND mtype = ? ORDER BY id DESC LIMIT 1",
        user_id,
        str(mtype),
    )
    if row is None:
        return None
    return StoredPreference(row["channels"], row["dnd_start"], row["dnd_end"], row["tz"])


async def append_preference(
    tx: Tx, user_id: int, mtype: MessageType, pref: StoredPreference, at: dt.datetime
) -> None:
    await tx.execute(
        "INSERT INTO notify_prefs (user_id, mtype, channels, dnd_start, dnd_end, tz,"
        " set_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        user_id,
        str(mtype),
        pref.channels,
        pref.dnd_start,
        pref.dnd_end,
        pref.tz,
        at,
    )

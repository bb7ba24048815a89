"""Per-user, per-type channel choices and do-not-disturb windows.

Stored append-only in ``notify_prefs``: each row is the full setting of one
(user, type); the newest row wins. A type with no row uses its registered default channels
(:mod:`veriseal.notifications.message_types`).

Rules the service enforces whatever is stored:

- security notices always reach the inbox and are NEVER held by a window;
- a type goes only where the user has allowed it (default: its registered channels).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from veriseal.ledger.base import Ledger
from veriseal.notifications import preferences_store
from veriseal.notifications.dnd import DndWindow, parse_hhmm
from veriseal.notifications.errors import NotifyInputInvalid
from veriseal.notifications.message_types import default_channels, never_held
from veriseal.notifications.message_types import known as known_types
from veriseal.notifications.models import Channel, MessageType


@dataclass(frozen=True)
class Preference:
    type: MessageType
    channels: tuple[Channel, ...]
    dnd: DndWindow | None = None
    is_default: bool = True


def parse_channels(texts: list[str] | tuple[str, ...]) -> tuple[Channel, ...]:
    out: list[Channel] = []
    for text in texts:
        for part in text.split(","):
            name = part.strip()
            if not name:
                continue
            try:
                ch = Channel(name)
            except ValueError:
                known = ", ".join(c.value for c in Channel)
                raise NotifyInputInvalid(f"unknown channel {name!r} (one of: {known})") from None
            if ch not in out:
                out.append(ch)
    return tuple(out)


def effective(pref: Preference) -> Preference:
    """``pref`` with the service's fixed rules applied (see the module docstring)."""
    if never_held(pref.type):
        channels = (
            pref.channels if Channel.INBOX in pref.channels else (Channel.INBOX, *pref.channels)
        )
        return replace(pref, channels=channels, dnd=None)
    return pref


class PreferenceStore:
    """Reads and appends ``notify_prefs`` rows."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    async def get(self, user_id: int, mtype: MessageType) -> Preference:
        async with self._ledger.read() as tx:
            row = await preferences_store.preference(tx, user_id, mtype)
        if row is None:
            return Preference(mtype, default_channels(mtype))
        dnd = None
        if row.dnd_start is not None and row.dnd_end is not None and row.tz is not None:
            dnd = DndWindow(parse_hhmm(row.dnd_start), parse_hhmm(row.dnd_end), row.tz)
        channels = parse_channels([row.channels])
        return Preference(mtype, channels, dnd, is_default=False)

    async def all(self, user_id: int) -> list[Preference]:
        return [await self.get(user_id, t) for t in known_types()]

    async def set(
        self,
        user_id: int,
        mtype: MessageType,
        *,
        channels: tuple[Channel, ...] | None = None,
        dnd: DndWindow | None = None,
        clear_dnd: bool = False,
    ) -> Preference:
        """Record a new setting; what is not given keeps its current value.

        ``NotifyInputInvalid`` for a window on a type that is never held."""
        if dnd is not None and never_held(mtype):
            raise NotifyInputInvalid(f"{mtype} messages are never held: no quiet hours for them")
        now = await self.get(user_id, mtype)
        new = Preference(
            mtype,
            now.channels if channels is None else channels,
            None if clear_dnd else (dnd or now.dnd),
            is_default=False,
        )
        async with self._ledger.write() as tx:
            stored = preferences_store.StoredPreference(
                ",".join(c.value for c in new.channels),
                new.dnd.start.strftime("%H:%M") if new.dnd else None,
                new.dnd.end.strftime("%H:%M") if new.dnd else None,
                new.dnd.tz if new.dnd else None,
            )
            await preferences_store.append_preference(
                tx, user_id, mtype, stored, dt.datetime.now(dt.UTC)
            )
        return new

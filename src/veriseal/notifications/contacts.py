"""A small :class:`ContactBook` kept in the ledger (``notify_contacts``, append-only:
the newest row of a user is in force).

For development, tests and deployments without the accounts module; the accounts
module provides the real book over its ``users`` table.
"""

from __future__ import annotations

import datetime as dt

from veriseal.ledger.base import Ledger
from veriseal.notifications import preferences_store
from veriseal.notifications.addresses import normalise_email, normalise_phone, normalise_url
from veriseal.notifications.errors import AddressInvalid
from veriseal.notifications.models import Contacts


class LedgerContactBook:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    async def contacts(self, user_id: int) -> Contacts:
        async with self._ledger.read() as tx:
            found = await preferences_store.contacts(tx, user_id)
        return Contacts() if found is None else found

    async def set(self, user_id: int, contacts: Contacts) -> Contacts:
        """Validate, normalise and record ``contacts`` (``AddressInvalid`` changes nothing)."""
        if (contacts.webhook_url is None) != (contacts.webhook_secret is None):
            raise AddressInvalid("a webhook needs both its URL and its secret")
        clean = Contacts(
            normalise_email(contacts.email) if contacts.email else None,
            normalise_phone(contacts.phone) if contacts.phone else None,
            normalise_url(contacts.webhook_url) if contacts.webhook_url else None,
            contacts.webhook_secret,
        )
        async with self._ledger.write() as tx:
            await preferences_store.append_contacts(tx, user_id, clean, dt.datetime.now(dt.UTC))
        return clean

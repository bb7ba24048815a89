"""Users' Web Push subscriptions: one row per browser (device) that asked for them.

Rules:

- input is checked by :mod:`.push_input` (https endpoint of an allowed push service,
  keys of the right size and curve) before anything is stored;
- an endpoint belongs to ONE user, the last to register it: a shared device that
  another user signs in on and subscribes stops showing the first user's messages. The
  same user registering it again keeps the row (and its id) with the new keys;
- a user has at most :data:`MAX_PER_USER` subscriptions; registering one more forgets
  the oldest (a browser that was reinstalled never says goodbye);
- each subscription is one push address: :meth:`PushSubscriptions.addresses` gives the
  ids the notifier plans one delivery for each.

Who may act on whose rows is the caller's business (the accounts module checks that a
user manages only their own): these methods take the user id they act for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from veriseal.ledger.base import Ledger
from veriseal.notifications import push_store
from veriseal.notifications.errors import PushSubscriptionInvalid, PushSubscriptionNotFound
from veriseal.notifications.push_input import EndpointPolicy, parse_subscription
from veriseal.notifications.push_store import PushSubscription

MAX_PER_USER = 20
MAX_USER_AGENT = 200
LANGUAGES = ("zh", "en")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PushSubscriptions:
    def __init__(
        self,
        ledger: Ledger,
        policy: EndpointPolicy | None = None,
        *,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self._ledger = ledger
        self.policy = policy or EndpointPolicy()
        self._clock = clock

    async def add(
        self,
        user_id: int,
        endpoint: str,
        p256dh: str,
        auth: str,
        *,
        user_agent: str = "",
        lang: str = "zh",
    ) -> PushSubscription:
        """Store (or renew) a browser's subscription for ``user_id``; see the module
        docstring. ``PushSubscriptionInvalid`` changes nothing."""
        clean = parse_subscription(endpoint, p256dh, auth, self.policy)
        if lang not in LANGUAGES:
            raise PushSubscriptionInvalid(f"lang must be one of {LANGUAGES}")
        new = push_store.NewSubscription(
            user_id,
            clean.endpoint,
            clean.p256dh,
            clean.auth,
            user_agent[:MAX_USER_AGENT],
            lang,
            self._clock(),
        )
        async with self._ledger.write() as tx:
            held = await push_store.by_endpoint(tx, clean.endpoint)
            if held is not None and held.user_id == user_id:
                await push_store.refresh(tx, held.id, new)
                sub_id = held.id
            else:
                if held is not None:
                    await push_store.delete(tx, held.id)
                sub_id = await push_store.insert(tx, new)
                mine = await push_store.ids_of_user(tx, user_id)
                for old in mine[: max(0, len(mine) - MAX_PER_USER)]:
                    await push_store.delete(tx, old)
            found = await push_store.get(tx, sub_id)
        assert found is not None
        return found

    async def of_user(self, user_id: int) -> list[PushSubscription]:
        async with self._ledger.read() as tx:
            return await push_store.of_user(tx, user_id)

    async def remove(self, user_id: int, sub_id: int) -> None:
        """Delete one of ``user_id``'s subscriptions; another user's is "not found"
        (its existence is not told)."""
        async with self._ledger.write() as tx:
            if not await push_store.delete(tx, sub_id, user_id):
                raise PushSubscriptionNotFound(f"no push subscription {sub_id}")

    async def remove_endpoint(self, user_id: int, endpoint: str) -> bool:
        """Forget ``user_id``'s subscription at ``endpoint`` (a browser that stopped
        notifications knows its endpoint, not our id); whether there was one. Another
        user's is left alone."""
        async with self._ledger.write() as tx:
            return await push_store.delete_endpoint(tx, endpoint, user_id)

    async def addresses(self, user_id: int) -> tuple[str, ...]:
        """The push addresses of ``user_id``: their subscriptions' ids, as text."""
        async with self._ledger.read() as tx:
            return tuple(str(i) for i in await push_store.ids_of_user(tx, user_id))

    # -- the sender's side ---------------------------------------------------------------
    async def get(self, sub_id: int) -> PushSubscription | None:
        async with self._ledger.read() as tx:
            return await push_store.get(tx, sub_id)

    async def gone(self, sub_id: int) -> None:
        """The push service said the subscription no longer exists (404/410)."""
        async with self._ledger.write() as tx:
            await push_store.delete(tx, sub_id)

    async def succeeded(self, sub_id: int) -> None:
        async with self._ledger.write() as tx:
            await push_store.succeeded(tx, sub_id, self._clock())

    async def failed(self, sub_id: int) -> None:
        async with self._ledger.write() as tx:
            await push_store.failed(tx, sub_id)

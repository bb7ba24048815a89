"""Asking carriers for news: for waybills whose carrier pushes nothing (or whose pushes
were lost). A :class:`Poller` answers a carrier's events for one tracking number; the
periodic task (:func:`run`) polls the waybills that are due, at most once per waybill
every ``[plugins.logistics] poll_minutes`` (default 30; never below a poller's own
minimum: 快递100 allows one query per waybill per 30 minutes).

Pollers: :data:`REGISTRY` (per carrier code, for code that adds its own), and the
快递100 query API (实时查询) for every carrier when ``kuaidi100_customer`` and
``kuaidi100_key`` are configured (``kuaidi100_url`` overrides its base URL: a test
stand-in).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from veriseal import VerisealError
from veriseal_logistics import kuaidi100
from veriseal_logistics.intake_errors import PollFailed
from veriseal_logistics.models import EventIn, Waybill

log = logging.getLogger("veriseal.logistics.poll")

KUAIDI100_URL = "https://poll.kuaidi100.com"
DEFAULT_MINUTES = 30
_TIMEOUT = aiohttp.ClientTimeout(total=15)
_NO_POLLER_HOURS = 24  # a waybill no poller can ask is looked at again a day later


class Poller(Protocol):
    """Asks one carrier (or an aggregator) for a waybill's events."""

    @property
    def min_minutes(self) -> int:
        """The least time between two queries of one waybill the carrier allows."""
        ...

    async def poll(self, carrier: str, tracking_no: str) -> Sequence[EventIn]:
        """Every event the carrier knows (the store keeps each once); ``[]`` when it
        knows nothing yet. :class:`PollFailed` when the query fails."""
        ...


class Pollers:
    """Pollers by carrier code, and one for any other carrier (an aggregator)."""

    def __init__(self, by_carrier: Mapping[str, Poller] | None = None,
                 fallback: Poller | None = None) -> None:  # fmt: skip
        self._by_carrier = dict(by_carrier or {})
        self.fallback = fallback

    def register(self, carrier: str, poller: Poller) -> None:
        self._by_carrier[carrier.lower()] = poller

    def get(self, carrier: str) -> Poller | None:
        return self._by_carrier.get(carrier.lower(), self.fallback)

    def __bool__(self) -> bool:
        return bool(self._by_carrier) or self.fallback is not None

    def with_fallback(self, fallback: Poller | None) -> Pollers:
        return Pollers(self._by_carrier, fallback or self.fallback)


#: carrier pollers registered by code (a deployment's own carrier integrations)
REGISTRY = Pollers()


# -- 快递100 -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Kuaidi100Poller:
    """快递100's query API: ``POST <base>/poll/query.do`` with form fields ``customer``,
    ``param`` (JSON: ``com``, ``num``, ``resultv2``) and ``sign`` = upper-case hex MD5 of
    ``param + key + customer``. Its answer has ``lastResult``'s shape; an answer with
    ``result`` false is an error (``returnCode`` 500 with "查询无结果" is no news yet)."""

    customer: str
    key: str
    base_url: str = KUAIDI100_URL
    min_minutes: int = 30

    def signed(self, carrier: str, tracking_no: str) -> dict[str, str]:
        """The form of a query (what 快递100 checks)."""
        param = json.dumps({"com": carrier, "num": tracking_no, "resultv2": "4"},
                           ensure_ascii=False, separators=(",", ":"))  # fmt: skip
        sign = hashlib.md5((param + self.key + self.customer).encode("utf-8"))
        return {"customer": self.customer, "sign": sign.hexdigest().upper(), "param": param}

    async def poll(self, carrier: str, tracking_no: str) -> Sequence[EventIn]:
        url = self.base_url.rstrip("/") + "/poll/query.do"
        try:
            async with (
                aiohttp.ClientSession(timeout=_TIMEOUT) as http,
                http.post(url, data=self.signed(carrier, tracking_no)) as reply,
            ):
                status, text = reply.status, await reply.text()
        except (aiohttp.ClientError, TimeoutError, UnicodeDecodeError) as exc:
            raise PollFailed(f"快递100 unreachable: {type(exc).__name__}") from None
        if status != 200:
            raise PollFailed(f"快递100 answered HTTP {status}", http=status)
        return answer_events(text)


def answer_events(text: str) -> list[EventIn]:
    """The events of a query answer; ``[]`` for "no result yet"; :class:`PollFailed`
    for an error answer or anything unreadable."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise PollFailed("快递100's answer is not JSON") from None
    if not isinstance(data, dict):
        raise PollFailed("快递100's answer is not an object")
    if data.get("result") is False or str(data.get("status", "200")) != "200":
        code, message = str(data.get("returnCode", "")), str(data.get("message", ""))[:200]
        if code == "500" and "无结果" in message:
            return []
        raise PollFailed(f"快递100: {code} {message}", return_code=code)
    try:
        return kuaidi100.events_of(data)
    except VerisealError as exc:
        raise PollFailed(f"快递100's answer is malformed: {exc.message}") from None


def configured(config: Mapping[str, Any], base: Pollers = REGISTRY) -> Pollers:
    """The pollers of a ``[plugins.logistics]`` table: ``base`` plus 快递100 for any
    other carrier when its customer and key are set."""
    customer = str(config.get("kuaidi100_customer") or "")
    key = str(config.get("kuaidi100_key") or "")
    if not (customer and key):
        return base
    url = str(config.get("kuaidi100_url") or KUAIDI100_URL)
    return base.with_fallback(Kuaidi100Poller(customer, key, url))


def interval_minutes(config: Mapping[str, Any]) -> int:
    """``poll_minutes`` (default 30), at least 1."""
    try:
        return max(1, int(config.get("poll_minutes", DEFAULT_MINUTES)))
    except (TypeError, ValueError):
        return DEFAULT_MINUTES


# -- the periodic task ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Polled:
    """One round: waybills asked, events added, queries failed, waybills no poller
    serves."""

    asked: int = 0
    added: int = 0
    failed: int = 0
    unserved: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"asked": self.asked, "added": self.added, "failed": self.failed,
                "unserved": self.unserved}  # fmt: skip


async def poll_due(lx: Any, pollers: Pollers, now: dt.datetime, *, minutes: int,
                   limit: int = 100) -> Polled:  # fmt: skip
    """Ask for the news of every waybill due at ``now`` (``lx.waybills.due_for_poll``),
    store it (source ``poll``) and set each one's next poll: ``minutes`` later (at least
    its poller's minimum), also after a failure (a carrier that is down is not hammered).
    ``lx``: the plugin's :class:`~veriseal_logistics.service.Logistics`."""
    asked = added = failed = unserved = 0
    if not pollers:
        return Polled()
    waybills: list[Waybill] = await lx.waybills.due_for_poll(now, limit)
    for w in waybills:
        poller = pollers.get(w.carrier)
        if poller is None:
            unserved += 1
            await lx.waybills.polled(w.id, now + dt.timedelta(hours=_NO_POLLER_HOURS))
            continue
        next_at = now + dt.timedelta(minutes=max(minutes, poller.min_minutes))
        asked += 1
        try:
            events = await poller.poll(w.carrier, w.tracking_no)
            if events:
                done = await lx.waybills.ingest(w.brand_id, w.carrier, w.tracking_no,
                                                events, "poll")  # fmt: skip
                added += done.added
        except VerisealError as exc:
            failed += 1
            log.warning("polling %s %s failed: %s", w.carrier, w.tracking_no, exc.message)
        await lx.waybills.polled(w.id, next_at)
    return Polled(asked, added, failed, unserved)


async def run(ctx: Any) -> Polled:
    """The body of the periodic task ``logistics.poll`` (``ctx``: the plugin's context)."""
    from veriseal_logistics.service import of  # noqa: PLC0415

    pollers = configured(ctx.config)
    if not pollers:
        return Polled()
    now = dt.datetime.now(dt.UTC)
    return await poll_due(of(ctx), pollers, now, minutes=interval_minutes(ctx.config))

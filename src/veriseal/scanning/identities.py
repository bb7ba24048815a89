"""The distinct-devices clone rule: one code scanned by more consumers than one item has.

A genuine unit is scanned by one to three people (the buyer, family, a shop assistant;
one of them on two phones); copies of its label sold in one market are scanned by each
buyer, in one place, at a pace and count the travel, regions and count rules never see.

Who scanned (an *identity*) is read from what a scan records:

- a web/API scan whose device presented its cookie is that device (``device:<cookie>``);
- a scan on the console's scan page is the signed-in consumer (``user:<id>``);
- a scan whose device presented none (a first visit, a cookie-less client) got a fresh
  cookie and also keeps a digest of its client network (``NewScan.client``). Such a
  cookie is one identity with the same cookie seen presented later (the same phone's next
  scan); the fresh cookies never seen again count as one identity per network, so a
  cookie-less client repeating a scan is one identity, not one per request.

Counting this way can only grow as scans are added (a scan either adds an identity,
moves a cookie out of its network's group, or changes nothing), so judging each scan as
it comes finds every window that ever holds too many identities.

Staff do not count: handheld and CLI scans (dealers, inspectors, the line) are left out
by their channel; staff using the console's scan page are recorded as handheld scans
(``ScanService.scan_as``). A web scan made in a browser holding a console session
records the user too (``NewScan.user_id``, for the user's own list), but the rule still
counts its device: the verdict is the same signed in or not.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from veriseal.models import AlertKind, ClonePolicy, ScanChannel
from veriseal.scanning.clones import Finding

#: The channels consumers scan through; the others are staff (handheld, CLI).
CONSUMER_CHANNELS = frozenset({ScanChannel.WEB, ScanChannel.API, ScanChannel.CONSOLE})
MAX_SPAN = 1000  # scans of one code read for one judgement, newest first
_EVIDENCE_PER_IDENTITY = 3
_LISTED = 20  # identities, and scans of each, named in an alert's details


@dataclass(frozen=True, slots=True)
class ConsumerScan:
    """A consumer's verification of the code, as the rule reads it."""

    id: int | None  # None: the scan being judged (not stored yet)
    at: dt.datetime
    actor: str  # "device:<cookie>"
    client: str | None  # set when the device presented no cookie (NewScan.client)
    province: str | None = None


#: client addresses whose digest is kept (see :func:`client_key`)
CLIENT_KEYS_KEPT = 4096


# Memoised: every scan from a device without a cookie asks, a client that has none
# (an app, a script, a browser refusing cookies) asks again with every scan, and parsing
# the address and hashing it cost a few microseconds of the verify request each time
# (issue 20). A pure function of its argument, so a kept answer is the answer; the
# bound keeps a flood of distinct addresses from holding memory.
@functools.lru_cache(maxsize=CLIENT_KEYS_KEPT)
def client_key(address: str | None) -> str | None:
    """The digest kept for a cookie-less scan: its client's network (an IPv4 address, an
    IPv6 /64, which one household or phone keeps while its low bits rotate), hashed so
    the ledger holds no address. ``None`` when there is no address. The last
    :data:`CLIENT_KEYS_KEPT` addresses' digests are kept (thread-safe)."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
        net = str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)
    except ValueError:
        net = address  # a unix socket, a proxy's label: one network of its own
    return hashlib.blake2b(net.encode(), digest_size=8, person=b"vs-client").hexdigest()


def _short(text: str) -> str:
    # a device cookie is the device's credential for its own history: never shown whole
    return hashlib.blake2b(text.encode(), digest_size=5).hexdigest()


def count(scans: Sequence[ConsumerScan]) -> int:
    """How many identities :func:`identities` finds in ``scans`` (without naming them)."""
    presented = {s.actor for s in scans if s.client is None}
    return len(presented) + len({s.client for s in scans if s.actor not in presented})


def bound(scans: Iterable[ConsumerScan]) -> int:
    """An upper bound of :func:`count` over ``scans`` that a span can keep up to date
    scan by scan (:class:`Tally`): the distinct presented cookies plus the distinct
    networks of the other scans (every identity is one or the other). When ``bound(span)
    + 1 <= limit`` no window of the span holding one more scan can be over ``limit``: the
    devices rule is settled without a window. (Distinct cookies alone bound it only
    while no cookie is ever fresh on two networks, which the data does not promise.)"""
    return Tally.of(scans).bound()


class Tally:
    """The counts behind :func:`bound`, kept under additions and removals (a span that
    takes its newest scan and drops its oldest costs two updates, not a pass)."""

    __slots__ = ("clients", "presented")

    def __init__(self) -> None:
        self.presented: dict[str, int] = {}
        self.clients: dict[str, int] = {}

    @classmethod
    def of(cls, scans: Iterable[ConsumerScan]) -> Tally:
        """The tally of ``scans``."""
        tally = cls()
        for s in scans:
            tally.add(s)
        return tally

    @staticmethod
    def _move(counts: dict[str, int], key: str, by: int) -> None:
        n = counts.get(key, 0) + by
        if n:
            counts[key] = n
        else:
            del counts[key]

    def add(self, scan: ConsumerScan, by: int = 1) -> None:
        if scan.client is None:
            self._move(self.presented, scan.actor, by)
        else:
            self._move(self.clients, scan.client, by)

    def remove(self, scan: ConsumerScan) -> None:
        self.add(scan, -1)

    def bound(self) -> int:
        return len(self.presented) + len(self.clients)


def identities(scans: Iterable[ConsumerScan]) -> dict[str, list[ConsumerScan]]:
    """The distinct identities among ``scans`` (see the module docstring), each with its
    scans in the order given. Labels are digests: ``device:…`` or ``net:…``."""
    scans = list(scans)
    presented = {s.actor for s in scans if s.client is None}
    out: dict[str, list[ConsumerScan]] = {}
    for s in scans:
        # a scan with client None presented its cookie: every other one has a network
        fresh = s.client if s.actor not in presented else None
        label = f"device:{_short(s.actor)}" if fresh is None else f"net:{fresh[:10]}"
        out.setdefault(label, []).append(s)
    return out


def _windows(
    span: Sequence[ConsumerScan], current: ConsumerScan, window: dt.timedelta
) -> list[list[ConsumerScan]]:
    """Every distinct set of scans a window of length ``window`` holding ``current`` can
    cover: one per start at a scan time (a window starting between two scans holds a
    subset of the one starting at the next)."""
    ordered = sorted([*span, current], key=lambda s: s.at)
    starts = sorted({s.at for s in ordered if current.at - window <= s.at <= current.at})
    return [[s for s in ordered if start <= s.at <= start + window] for start in starts]


def local_copies(
    policy: ClonePolicy, span: Sequence[ConsumerScan], current: ConsumerScan
) -> Finding | None:
    """The finding when a window of ``policy.devices_window_days`` holding ``current``
    has more identities than ``policy.max_devices``; None otherwise or when the rule is
    off. ``span`` is the code's other consumer verifications within a window's length of
    ``current`` on either side. The alert is raised by the scan that brings the windows
    holding it over the limit when none of them was over it before (so a busy code
    raises one alert, and another only after a quiet spell); every scan in a window over
    the limit is a suspected clone. Its evidence is each identity's first scans."""
    limit = policy.max_devices
    # No more identities in the whole span than the limit: no window of it has more (the
    # count only grows with the set), so the usual case costs one pass, no windows.
    if limit is None or count([*span, current]) <= limit:
        return None
    window = dt.timedelta(days=policy.devices_window_days)
    widest: list[ConsumerScan] = []
    most = before = 0  # the most identities these windows hold, with and without this scan
    for inside in _windows(span, current, window):
        n = count(inside)
        if n > most:
            most, widest = n, inside
        before = max(before, count([s for s in inside if s is not current]))
    if most <= limit:
        return None
    best = identities(widest)
    crossed = before <= limit
    evidence = sorted(
        s.id for group in best.values() for s in group[:_EVIDENCE_PER_IDENTITY] if s.id is not None
    )
    details: dict[str, object] = {
        "devices": len(best),
        "limit": limit,
        "window_days": policy.devices_window_days,
        "provinces": sorted({s.province for g in best.values() for s in g if s.province}),
        # each identity's scans (the first few: this scan's id is added when stored)
        "identities": {
            label: [s.id for s in group[:_LISTED] if s.id is not None]
            for label, group in list(best.items())[:_LISTED]
        },
    }
    return Finding(AlertKind.LOCAL_COPIES, details, tuple(evidence), raise_alert=crossed)

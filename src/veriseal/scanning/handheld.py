"""Handheld uploads: authenticated scans posted one by one or as an offline batch.

Each scan carries an id the device generated (``client_scan_id``). The contract a
device relies on when it retries an upload whose answer it never received:

- a scan already stored under (this user, that id) is NOT verified or recorded again,
  and raises no alert again: the answer repeats the stored verdict with
  ``"replayed": true``;
- a new scan is verified and recorded like any other (clone rules, plugins, alerts),
  and acknowledged only once committed.

A scan saved offline carries the device's time of the scan (``scanned_at``). It becomes
the scan's ``at`` (the server's receive time goes to ``received_at``), and the clone
rules judge the scan at that time: two scans of one code made hours apart and uploaded
together are not "simultaneous". The device's clock is trusted only within bounds
(:func:`parse_scan_time`): no more than :data:`MAX_CLOCK_AHEAD` ahead of the server's,
no older than :data:`MAX_SCAN_AGE`. A time outside them is refused, never corrected:
the device must learn that its clock is wrong.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

from veriseal.accounts.models import Principal
from veriseal.accounts.permissions import Action, require
from veriseal.ledger import Ledger
from veriseal.models import Location, ScanChannel
from veriseal.scanning import store
from veriseal.scanning.errors import ScanTimeInvalid
from veriseal.scanning.records import scan_record
from veriseal.scanning.service import ScanContext, ScanService

#: How far a device's scan time may be ahead of the server's clock (clock skew).
MAX_CLOCK_AHEAD = dt.timedelta(minutes=5)
#: How old a device's scan time may be: bounds back-dating (and what an offline device
#: may hold back before it must sync).
MAX_SCAN_AGE = dt.timedelta(days=30)
_SCAN_TIME_MAX_LEN = 64  # longer than any ISO 8601 date-time with offset


def parse_scan_time(value: object, now: dt.datetime) -> dt.datetime:
    """The device-reported scan time ``value`` as an aware datetime in UTC.

    ``value`` must be an ISO 8601 date-time string with a UTC offset (``Z`` or
    ``+08:00``): a time without one is ambiguous, as the device's zone is unknown. It
    must lie within ``[now - MAX_SCAN_AGE, now + MAX_CLOCK_AHEAD]``, ``now`` being the
    server's clock (aware). Raises :class:`ScanTimeInvalid` otherwise, its
    ``details["problem"]`` naming the reason.
    """

    def refuse(problem: str, message: str) -> ScanTimeInvalid:
        return ScanTimeInvalid(message, problem=problem, server_time=now.isoformat())

    if not isinstance(value, str):
        raise refuse("not_string", "scanned_at must be an ISO 8601 string")
    try:
        if len(value) > _SCAN_TIME_MAX_LEN:
            raise ValueError(value)
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise refuse("not_iso8601", "scanned_at is not an ISO 8601 date-time") from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise refuse("no_offset", "scanned_at needs a UTC offset, e.g. 2026-11-25T09:00:00+08:00")
    # Compared before converting: an aware time near year 1 or 9999 compares fine but
    # overflows when moved to UTC.
    if when > now + MAX_CLOCK_AHEAD:
        raise refuse(
            "future",
            f"scanned_at is more than {_minutes(MAX_CLOCK_AHEAD)} minutes ahead of the"
            " server's clock: set the device's clock",
        )
    if when < now - MAX_SCAN_AGE:
        raise refuse("too_old", f"scanned_at is more than {MAX_SCAN_AGE.days} days in the past")
    return when.astimezone(dt.UTC)


def _minutes(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 60)


@dataclass(frozen=True)
class HandheldScan:
    code: str
    client_scan_id: str
    location: Location | None = None
    pin: str | None = None
    scanned_at: dt.datetime | None = None  # the device's time of the scan (aware), if sent


class HandheldUploads:
    def __init__(self, ledger: Ledger, scans: ScanService) -> None:
        self.ledger = ledger
        self.scans = scans

    @staticmethod
    def actor(principal: Principal) -> str:
        return f"user:{principal.user_id}" if principal.user_id is not None else "user:system"

    async def _stored(self, actor: str, client_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The scans already stored under these client ids, by client id (one query)."""
        if not client_ids:
            return {}
        async with self.ledger.read() as tx:
            found = await store.scan_ids_by_client_id(tx, actor, client_ids)
        return {
            client_id: scan_record(await self.ledger.get_scan(scan_id))
            for client_id, scan_id in found.items()
        }

    async def upload(self, principal: Principal, items: list[HandheldScan]) -> list[dict[str, Any]]:
        """Record ``items``; one result per item, in order (see the module docstring).

        New scans are recorded in *waves* of concurrent scans that share group commits
        (an offline batch of 500 is a few transactions, not 500). A wave holds at most
        one scan of each code, so scans of one code are judged in upload order (each
        sees the ones before it in its history): the scan service's turns
        (:mod:`veriseal.scanning.code_turns`) would judge them in the order their
        verdicts arrived, which need not be the upload's.
        """
        require(principal, Action.SCANS_RECORD)
        actor = self.actor(principal)
        stored = await self._stored(actor, [i.client_scan_id for i in items])
        results: list[dict[str, Any] | None] = [None] * len(items)
        waves: list[dict[str, int]] = []  # per wave: code text -> item position
        for pos, item in enumerate(items):
            old = stored.get(item.client_scan_id)
            if old is not None:
                results[pos] = {
                    "client_scan_id": item.client_scan_id,
                    "replayed": True,
                    "outcome": old["outcome"],
                    "reason": old["reason"],
                    "scan": {"id": old["id"], "at": old["at"]},
                }
                continue
            code = item.code.strip()
            wave = next((w for w in waves if code not in w), None)
            if wave is None:
                wave = {}
                waves.append(wave)
            wave[code] = pos

        async def record(pos: int) -> None:
            item = items[pos]
            ctx = ScanContext(
                ScanChannel.HANDHELD,
                actor,
                location=item.location,
                client_scan_id=item.client_scan_id,
                observed_at=item.scanned_at,
                user_id=principal.user_id,
            )
            result = await self.scans.scan(item.code, ctx, pin=item.pin)
            results[pos] = {
                "client_scan_id": item.client_scan_id,
                "replayed": False,
                **result.to_dict(),
            }

        for wave in waves:
            await asyncio.gather(*(record(pos) for pos in wave.values()))
        return [r for r in results if r is not None]

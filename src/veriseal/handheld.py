"""Handheld uploads: authenticated scans posted one by one or as an offline batch.

Each scan carries an id the device generated (``client_scan_id``). The contract a
device relies on when it retries an upload whose answer it never received:

- a scan already stored under (this user, that id) is NOT verified or recorded again,
  and raises no alert again: the answer repeats the stored verdict with
  ``"replayed": true``;
- a new scan is verified and recorded like any other (clone rules, plugins, alerts),
  and acknowledged only once committed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from veriseal.accounts.models import Principal
from veriseal.accounts.permissions import Action, require
from veriseal.ledger import Ledger
from veriseal.models import Location, ScanChannel
from veriseal.scan_records import scan_record
from veriseal.scans import ScanContext, ScanService


@dataclass(frozen=True)
class HandheldScan:
    code: str
    client_scan_id: str
    location: Location | None = None
    pin: str | None = None


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
        marks = ", ".join("?" * len(client_ids))
        async with self.ledger.read() as tx:
            found = await tx.fetch(
                f"SELECT id, client_scan_id FROM scans WHERE actor = ?"
                f" AND client_scan_id IN ({marks})",
                actor,
                *client_ids,
            )
        return {
            str(r["client_scan_id"]): scan_record(await self.ledger.get_scan(int(r["id"])))
            for r in found
        }

    async def upload(self, principal: Principal, items: list[HandheldScan]) -> list[dict[str, Any]]:
        """Record ``items``; one result per item, in order (see the module docstring).

        New scans are recorded in *waves* of concurrent scans that share group commits
        (an offline batch of 500 is a few transactions, not 500). A wave holds at most
        one scan of each code, so scans of one code are still judged in upload order
        (each sees the ones before it in its history).
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
            ctx = ScanContext(ScanChannel.HANDHELD, actor, item.location, item.client_scan_id)
            result = await self.scans.scan(item.code, ctx, pin=item.pin)
            results[pos] = {
                "client_scan_id": item.client_scan_id,
                "replayed": False,
                **result.to_dict(),
            }

        for wave in waves:
            await asyncio.gather(*(record(pos) for pos in wave.values()))
        return [r for r in results if r is not None]

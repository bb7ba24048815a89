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

    async def _stored(self, actor: str, client_scan_id: str) -> dict[str, Any] | None:
        async with self.ledger.read() as tx:
            row = await tx.fetchrow(
                "SELECT id FROM scans WHERE actor = ? AND client_scan_id = ?",
                actor,
                client_scan_id,
            )
        if row is None:
            return None
        return scan_record(await self.ledger.get_scan(int(row["id"])))

    async def upload(self, principal: Principal, items: list[HandheldScan]) -> list[dict[str, Any]]:
        """Record ``items`` in order; one result per item (see the module docstring)."""
        require(principal, Action.SCANS_RECORD)
        actor = self.actor(principal)
        results: list[dict[str, Any]] = []
        for item in items:
            stored = await self._stored(actor, item.client_scan_id)
            if stored is not None:
                results.append(
                    {
                        "client_scan_id": item.client_scan_id,
                        "replayed": True,
                        "outcome": stored["outcome"],
                        "reason": stored["reason"],
                        "scan": {"id": stored["id"], "at": stored["at"]},
                    }
                )
                continue
            ctx = ScanContext(ScanChannel.HANDHELD, actor, item.location, item.client_scan_id)
            result = await self.scans.scan(item.code, ctx, pin=item.pin)
            results.append(
                {"client_scan_id": item.client_scan_id, "replayed": False, **result.to_dict()}
            )
        return results

"""Clone policies and alerts, shared by both SQL backends (mixed into ``SqlLedger``)."""

from __future__ import annotations

import abc
import datetime as dt
import json
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from veriseal.ledger import rows, stream_store
from veriseal.models import Alert, AlertKind, ClonePolicy, NewAlert

if TYPE_CHECKING:
    from veriseal.ledger.base import Tx


def alert_event(alert_id: int, alert: NewAlert) -> stream_store.NewStreamEvent:
    """The stream event announcing a stored alert; its evidence stays in the alert row
    (an invalid-code flood names hundreds of scans)."""
    payload = {"kind": str(alert.kind), "code": alert.code}
    return stream_store.NewStreamEvent("alert", alert.brand_id, alert_id, payload)


async def insert_alert(tx: Tx, alert: NewAlert, group_key: str | None = None) -> int:
    """Store ``alert`` in ``tx`` and announce it on the stream (same transaction); return
    its id. ``group_key``: the group an alert updated in place stands for (see migration
    0013); such an alert starts with ``updated_at`` = ``at``."""
    row = await tx.fetchrow(
        "INSERT INTO alerts (at, brand_id, kind, code, evidence, details, group_key, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        alert.at,
        alert.brand_id,
        str(alert.kind),
        alert.code,
        json.dumps(list(alert.evidence)),
        alert.details,
        group_key,
        None if group_key is None else alert.at,
    )
    assert row is not None
    alert_id = int(row["id"])
    await stream_store.append(tx, [alert_event(alert_id, alert)])
    return alert_id


class AlertStore(abc.ABC):
    metadata_version: int

    @abc.abstractmethod
    def write(self) -> AbstractAsyncContextManager[Tx]: ...

    @abc.abstractmethod
    def read(self) -> AbstractAsyncContextManager[Tx]: ...

    @abc.abstractmethod
    def hot_write(self) -> AbstractAsyncContextManager[Tx]: ...

    async def set_clone_policy(self, brand_id: int, gtin: str | None, policy: ClonePolicy) -> None:
        async with self.write() as tx:
            await tx.execute(
                "INSERT INTO clone_policies (brand_id, gtin, max_verifications, max_speed_kmh,"
                " max_regions, max_devices, devices_window_days, max_unactivated_scans, set_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                brand_id,
                gtin or "",
                policy.max_verifications,
                policy.max_speed_kmh,
                policy.max_regions,
                policy.max_devices,
                policy.devices_window_days,
                policy.max_unactivated_scans,
                dt.datetime.now(dt.UTC),
            )
        self.metadata_version += 1

    async def clone_policy(self, brand_id: int, gtin: str | None) -> ClonePolicy | None:
        scopes = [gtin, ""] if gtin else [""]
        async with self.read() as tx:
            for scope in scopes:
                row = await tx.fetchrow(
                    "SELECT max_verifications, max_speed_kmh, max_regions, max_devices,"
                    " devices_window_days, max_unactivated_scans FROM clone_policies"
                    " WHERE brand_id = ? AND gtin = ? ORDER BY id DESC LIMIT 1",
                    brand_id,
                    scope,
                )
                if row is not None:
                    speed = row["max_speed_kmh"]
                    return ClonePolicy(
                        row["max_verifications"],
                        None if speed is None else float(speed),
                        row["max_regions"],
                        row["max_devices"],
                        int(row["devices_window_days"]),
                        row["max_unactivated_scans"],
                    )
        return None

    async def append_alert(self, alert: NewAlert) -> int:
        # Alerts are raised by scans, and their scan waits for them: on the scan path's
        # priority (SQLite's write lock lets it past waiting consumers). As an ordinary
        # write, a burst of codes crossing the count rule waited 50-70 ms each behind the
        # groups of scans, the verify endpoint's p99 (issue 20).
        async with self.hot_write() as tx:
            return await insert_alert(tx, alert)

    async def list_alerts(
        self,
        brand_id: int | None,
        *,
        kind: AlertKind | None = None,
        code: str | None = None,
        limit: int = 1000,
        after_id: int | None = None,
    ) -> list[Alert]:
        clauses = ["brand_id IS NULL" if brand_id is None else "brand_id = ?"]
        args: list[object] = [] if brand_id is None else [brand_id]
        if kind is not None:
            clauses.append("kind = ?")
            args.append(str(kind))
        if code is not None:
            clauses.append("code = ?")
            args.append(code)
        if after_id is not None:
            clauses.append("id > ?")
            args.append(after_id)
        async with self.read() as tx:
            found = await tx.fetch(
                f"SELECT * FROM alerts WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?",
                *args,
                limit,
            )
        return [
            Alert(
                int(r["id"]),
                NewAlert(
                    rows.ts(r["at"]),
                    r["brand_id"],
                    AlertKind(r["kind"]),
                    r["code"],
                    tuple(json.loads(r["evidence"])),
                    r["details"],
                ),
            )
            for r in found
        ]

"""Code alerts: recording them and telling the keepers of the warehouses they name.

Who keeps a warehouse (:meth:`WarehouseService.keepers`) is a lookup through the core
on pooled connections of its own, so it is made BEFORE the write transaction that
records the alert opens (:meth:`CodeAlerts.keepers_of`): a lookup inside an open write
transaction could wait, under load on PostgreSQL, for a connection every other writer
holds. The messages themselves are accepted inside that transaction (``ctx.notify`` with
``tx``), so an alert and its ``stock_alert`` messages commit together."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from veriseal.extend import PluginContext, Tx
from veriseal_inventory import unit_ranges as ur
from veriseal_inventory import units_store as store
from veriseal_inventory import warehouse_store as wstore
from veriseal_inventory.models import Warehouse
from veriseal_inventory.permissions import STOCK_ALERT
from veriseal_inventory.warehouses import WarehouseService

#: warehouse id -> (its code, the user ids who keep it)
Keepers = dict[int, tuple[str, list[int]]]

_TEXT = {
    "duplicate_code": (
        "疑似重复码（已在他处入库）",
        "Suspected duplicate codes (in stock elsewhere)",
    ),
    "untracked_outbound": ("出库的码不在库存中", "Codes shipped that were not in stock"),
}


class CodeAlerts:
    def __init__(self, ctx: PluginContext, warehouses: WarehouseService) -> None:
        self.ctx = ctx
        self.warehouses = warehouses

    async def keepers_of(self, warehouse_ids: Iterable[int | None]) -> Keepers:
        """Code and keepers of each warehouse (outside any write transaction)."""
        out: Keepers = {}
        for wid in sorted({w for w in warehouse_ids if w is not None}):
            async with self.ctx.db.read() as tx:
                w = await wstore.get(tx, wid)
            if w is not None:
                out[wid] = (w.code, await self.warehouses.keepers(w))
        return out

    async def duplicates(self, brand_id: int, warehouse: Warehouse,
                         taken: Sequence[store.Held], document: str,
                         evidence: dict[str, Any]) -> list[int]:  # fmt: skip
        """Record, in a transaction of its own, a ``duplicate_code`` alert per range of
        ``taken`` (units in stock elsewhere) scanned into ``warehouse``."""
        keepers = await self.keepers_of([warehouse.id, *(h.place.warehouse_id for h in taken)])
        async with self.ctx.db.write() as tx:
            return await self.record(tx, brand_id, duplicates(warehouse, taken, document,
                                                              evidence), keepers)  # fmt: skip

    async def record(self, tx: Tx, brand_id: int, new: Sequence[store.NewAlert],
                     keepers: Keepers) -> list[int]:  # fmt: skip
        """Store ``new`` (repeats of open alerts skipped) and send one ``stock_alert``
        message per kind to the keepers of the warehouses they name (a brand admin
        keeping both hears once). Warehouses missing from ``keepers`` are named by id
        and their keepers not told (the alert is listed all the same)."""
        ids: dict[str, list[int]] = {}
        stored: dict[str, list[store.NewAlert]] = {}
        for a in new:
            alert_id = await store.add_alert(tx, brand_id, a)
            if alert_id is not None:
                ids.setdefault(a.kind, []).append(alert_id)
                stored.setdefault(a.kind, []).append(a)
        for kind, alerts in sorted(stored.items()):
            await self._notify(tx, kind, alerts, ids[kind], keepers)
        return [i for kind in sorted(ids) for i in ids[kind]]

    async def _notify(self, tx: Tx, kind: str, alerts: Sequence[store.NewAlert],
                      ids: Sequence[int], keepers: Keepers) -> None:  # fmt: skip
        named = sorted({wid for a in alerts for wid in (a.warehouse_id, a.held_warehouse_id)
                        if wid is not None})  # fmt: skip
        codes = [keepers[wid][0] if wid in keepers else str(wid) for wid in named]
        users = list(dict.fromkeys(u for wid in named for u in keepers.get(wid, ("", []))[1]))
        if not users:
            return
        units = ur.describe(ur.of_pairs((a.batch_id, a.span) for a in alerts))
        zh, en = _TEXT[kind]
        where = ", ".join(codes)
        title = f"{zh} / {en}: {where}"
        body = f"{zh}（{where}）：{units}\n{en} ({where}): {units}"
        data = {"warehouses": codes, "kind": kind, "units": units, "alerts": list(ids)}
        await self.ctx.notify(users, STOCK_ALERT, title, body, data, tx=tx)


def duplicates(warehouse: Warehouse, taken: Sequence[store.Held], document: str,
               evidence: dict[str, Any]) -> list[store.NewAlert]:  # fmt: skip
    """A ``duplicate_code`` alert per range of ``taken`` scanned into ``warehouse``."""
    return [store.NewAlert("duplicate_code", h.batch_id, h.span, warehouse.id,
                           h.place.warehouse_id, document, evidence) for h in taken]  # fmt: skip

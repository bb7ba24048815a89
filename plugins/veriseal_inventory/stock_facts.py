"""The stock ledger's posts as plain facts for other plugins (service
``inventory.stock_facts``; analytics books its stock rollups from them and checks the
rollups against them), and the ``inventory.posted`` event every such post publishes.

Contracts:

- a **stock post** is a post that changed some on-hand quantity (reservation-only
  posts, ``reserve`` / ``release`` / ``consume`` without goods, are not); each is
  published once, as ``inventory.posted``, in the transaction that writes it;
- :attr:`PostFact.lines` are the post's on-hand changes summed per (warehouse,
  location kind, GTIN), lots added together, zero sums dropped: a transfer from
  quarantine to stock is two lines (``-q`` quarantine, ``+q`` stock); a move between
  two locations of the same kind nets to no line at all;
- listings are in post id order from ``after_id`` (exclusive), at most ``limit``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from veriseal.extend import PluginContext, Provided, ServiceKey, Tx
from veriseal_inventory.ledger import Posted

POSTED = "inventory.posted"
#: lines an event carries at most (the stream's payload limit); the facts have them all
EVENT_LINES = 30


@dataclass(frozen=True, slots=True)
class MoveFact:
    """A post's on-hand change of a product in one kind of location of a warehouse."""

    warehouse_id: int
    location_kind: str  # stock | quarantine | rejected
    gtin: str
    quantity: int  # + in, - out

    def to_dict(self) -> dict[str, Any]:
        return {"warehouse": self.warehouse_id, "location_kind": self.location_kind,
                "gtin": self.gtin, "quantity": self.quantity}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PostFact:
    id: int
    brand_id: int
    kind: str  # inventory's movement kind: inbound, outbound, transfer, adjustment, ...
    at: dt.datetime  # effective time
    document: str
    lines: tuple[MoveFact, ...]

    def payload(self) -> dict[str, Any]:
        """The ``inventory.posted`` payload: the post and its lines (the first
        :data:`EVENT_LINES`; ``complete`` tells whether they are all there)."""
        return {"post_id": self.id, "kind": self.kind, "at": self.at.isoformat(),
                "document": self.document[:64],
                "warehouses": sorted({x.warehouse_id for x in self.lines}),
                "lines": [x.to_dict() for x in self.lines[:EVENT_LINES]],
                "line_count": len(self.lines),
                "complete": len(self.lines) <= EVENT_LINES}  # fmt: skip


def lines_of(changes: Iterable[tuple[int, str, str, int]]) -> tuple[MoveFact, ...]:
    """``(warehouse, location kind, gtin, quantity)`` changes summed into lines (see the
    module), sorted by warehouse, GTIN and location kind."""
    sums: dict[tuple[int, str, str], int] = {}
    for warehouse, kind, gtin, qty in changes:
        key = (warehouse, gtin, kind)
        sums[key] = sums.get(key, 0) + qty
    return tuple(MoveFact(w, k, g, q) for (w, g, k), q in sorted(sums.items()) if q)


_POSTS = (
    "SELECT p.id, p.brand_id, p.kind, p.at, p.document FROM inventory_posts p WHERE {where}"
    " AND EXISTS (SELECT 1 FROM inventory_movements m WHERE m.post_id = p.id"
    " AND m.quantity <> 0) ORDER BY p.id LIMIT ?"
)
_CHANGES = (
    "SELECT m.post_id, m.warehouse_id, l.kind, m.gtin, m.quantity FROM inventory_movements m"
    " JOIN inventory_locations l ON l.id = m.location_id"
    " WHERE m.post_id IN ({marks}) AND m.quantity <> 0"
)


async def _posts(tx: Tx, where: str, args: Sequence[Any], limit: int) -> list[PostFact]:
    rows = await tx.fetch(_POSTS.format(where=where), *args, limit)
    if not rows:
        return []
    ids = [int(r["id"]) for r in rows]
    changes: dict[int, list[tuple[int, str, str, int]]] = {i: [] for i in ids}
    for m in await tx.fetch(_CHANGES.format(marks=", ".join("?" * len(ids))), *ids):
        change = (int(m["warehouse_id"]), str(m["kind"]), str(m["gtin"]), int(m["quantity"]))
        changes[int(m["post_id"])].append(change)
    return [PostFact(int(r["id"]), int(r["brand_id"]), str(r["kind"]),
                     tx.dialect.timestamp(r["at"]), str(r["document"]),
                     lines_of(changes[int(r["id"])])) for r in rows]  # fmt: skip


class StockFacts:
    """The service object (``inventory.stock_facts``)."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    async def posts(self, brand_id: int, after_id: int = 0, limit: int = 1000) -> list[PostFact]:
        """The brand's stock posts after ``after_id``, by id (see the module)."""
        async with self.ctx.db.read() as tx:
            return await _posts(tx, "p.brand_id = ? AND p.id > ?", (brand_id, after_id),
                                max(1, min(limit, 5000)))  # fmt: skip

    async def by_ids(self, brand_id: int, ids: Sequence[int]) -> list[PostFact]:
        """Those of the brand's stock posts ``ids`` that exist, by id."""
        wanted = sorted({int(i) for i in ids})
        out: list[PostFact] = []
        async with self.ctx.db.read() as tx:
            for at in range(0, len(wanted), 500):
                part = wanted[at : at + 500]
                where = f"p.brand_id = ? AND p.id IN ({', '.join('?' * len(part))})"
                out.extend(await _posts(tx, where, (brand_id, *part), len(part)))
        return out

    async def warehouses(self, brand_id: int) -> dict[int, str]:
        """The brand's warehouses: id -> ``"CODE name"`` (labels for a reader's tables)."""
        async with self.ctx.db.read() as tx:
            rows = await tx.fetch("SELECT id, code, name FROM inventory_warehouses"
                                  " WHERE brand_id = ? ORDER BY id", brand_id)  # fmt: skip
        return {int(r["id"]): f"{r['code']} {r['name']}".strip() for r in rows}


async def publish_posted(ctx: PluginContext, tx: Tx, posted: Posted) -> None:
    """Publish ``inventory.posted`` for a new post that changed on-hand stock;
    reservation-only posts publish nothing."""
    kinds = posted.location_kinds
    changes = [(p.warehouse_id, kinds[p.location_id], p.gtin, p.quantity)
               for p in posted.postings if p.quantity]  # fmt: skip
    if not changes:
        return
    fact = PostFact(posted.post_id, posted.brand_id, str(posted.meta.kind), posted.at,
                    posted.meta.document, lines_of(changes))  # fmt: skip
    await ctx.publish(tx, POSTED, posted.brand_id, posted.post_id, fact.payload())


STOCK_FACTS: ServiceKey[StockFacts] = ServiceKey("inventory.stock_facts")


def provided(ctx: PluginContext) -> Provided[StockFacts]:
    return Provided(STOCK_FACTS, StockFacts(ctx))

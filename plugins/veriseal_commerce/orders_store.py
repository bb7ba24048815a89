"""SQL of the orders (tables ``commerce_orders``, ``commerce_order_lines``,
``commerce_order_events``, ``commerce_order_messages``): rows in, records out.

Events and messages are only ever inserted (the timeline is append-only); an order's
row changes under its ``version`` (optimistic: an update that finds another version
raises ``order_changed``), after the caller locked it with :func:`lock`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from veriseal import Conflict, NotFound, register_messages
from veriseal.extend import Tx

register_messages(
    {
        "error.order_not_found": ("No such order", "订单不存在"),
        "error.order_changed": (
            "The order changed meanwhile: try again",
            "订单已被他人修改，请重试",
        ),
    }
)


class OrderNotFound(NotFound):
    code = "order_not_found"


class OrderChanged(Conflict):
    code = "order_changed"


@dataclass(frozen=True)
class OrderLine:
    """One priced line: every price fact copied as a plain value."""

    line_no: int
    gtin: str
    name: str
    quantity: int
    unit_price: int
    price_note: str  # the price row's explanation
    discounts: tuple[dict[str, Any], ...]  # {rule_id, name, amount, reason}
    gift: bool
    amount: int  # what the line costs after its discounts
    shipped: int = 0
    delivered: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "line_no": self.line_no,
            "gtin": self.gtin,
            "name": self.name,
            "quantity": self.quantity,
            "unit_price": self.unit_price,
            "price_note": self.price_note,
            "discounts": list(self.discounts),
            "gift": self.gift,
            "amount": self.amount,
            "shipped": self.shipped,
            "delivered": self.delivered,
        }


@dataclass(frozen=True)
class OrderEvent:
    seq: int
    action: str
    from_status: str
    to_status: str
    actor: str
    note: str
    data: dict[str, Any]
    at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "action": self.action,
            "from": self.from_status,
            "to": self.to_status,
            "actor": self.actor,
            "note": self.note,
            "data": self.data,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class OrderMessage:
    side: str  # dealer | brand
    author: str
    body: str
    at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {"side": self.side, "author": self.author, "body": self.body,
                "at": self.at.isoformat()}  # fmt: skip


@dataclass(frozen=True)
class Order:
    id: int
    brand_id: int
    org_id: int
    order_no: str
    status: str
    payment_status: str
    fulfilment_status: str
    currency: str
    total: int
    paid: int
    region: str
    address: str
    territory_check: str  # passed | not_checked
    availability_check: str  # reserved | not_checked
    pay_by: dt.datetime | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int
    lines: tuple[OrderLine, ...] = field(default=())
    #: a replacement order (an exchange of returned goods): the order it replaces and
    #: the return that approved it (None on ordinary orders)
    replaces_order_id: int | None = None
    return_no: str | None = None
    #: the replaced order's number (:func:`get` unlocked and :func:`listing`), and this
    #: order's own replacements (order number, return number), oldest first (:func:`get`
    #: unlocked only)
    replaces: str | None = None
    replacements: tuple[tuple[str, str], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "order_no": self.order_no,
            "org_id": self.org_id,
            "status": self.status,
            "payment_status": self.payment_status,
            "fulfilment_status": self.fulfilment_status,
            "currency": self.currency,
            "total": self.total,
            "paid": self.paid,
            "region": self.region,
            "address": self.address,
            "territory_check": self.territory_check,
            "availability_check": self.availability_check,
            "pay_by": self.pay_by.isoformat() if self.pay_by else None,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "lines": [line.to_dict() for line in self.lines],
            "replaces": (None if self.replaces is None
                         else {"order_no": self.replaces, "return_no": self.return_no}),
            "replacements": [{"order_no": no, "return_no": r} for no, r in self.replacements],
        }  # fmt: skip


@dataclass(frozen=True)
class NewOrder:
    brand_id: int
    org_id: int
    order_no: str
    currency: str
    total: int
    region: str
    address: str
    created_by: str
    at: dt.datetime


_COLUMNS = (
    "id, brand_id, org_id, order_no, status, payment_status, fulfilment_status, currency,"
    " total, paid, region, address, territory_check, availability_check, pay_by,"
    " created_by, created_at, updated_at, version, replaces_order_id, return_no"
)
_LINE_COLUMNS = (
    "line_no, gtin, name, quantity, unit_price, price_note, discounts, gift, amount,"
    " shipped, delivered"
)


def _time(tx: Tx, value: Any) -> dt.datetime:
    return tx.dialect.timestamp(value)


def _order(tx: Tx, row: Any, lines: tuple[OrderLine, ...]) -> Order:
    return Order(
        id=int(row["id"]), brand_id=int(row["brand_id"]), org_id=int(row["org_id"]),
        order_no=row["order_no"], status=row["status"],
        payment_status=row["payment_status"], fulfilment_status=row["fulfilment_status"],
        currency=row["currency"], total=int(row["total"]), paid=int(row["paid"]),
        region=row["region"], address=row["address"],
        territory_check=row["territory_check"],
        availability_check=row["availability_check"],
        pay_by=_time(tx, row["pay_by"]) if row["pay_by"] is not None else None,
        created_by=row["created_by"], created_at=_time(tx, row["created_at"]),
        updated_at=_time(tx, row["updated_at"]), version=int(row["version"]), lines=lines,
        replaces_order_id=(None if row["replaces_order_id"] is None
                           else int(row["replaces_order_id"])),
        return_no=row["return_no"],
    )  # fmt: skip


def _line(tx: Tx, row: Any) -> OrderLine:
    return OrderLine(
        line_no=int(row["line_no"]), gtin=row["gtin"], name=row["name"],
        quantity=int(row["quantity"]), unit_price=int(row["unit_price"]),
        price_note=row["price_note"],
        discounts=tuple(tx.dialect.decode_json(row["discounts"])), gift=bool(row["gift"]),
        amount=int(row["amount"]), shipped=int(row["shipped"]),
        delivered=int(row["delivered"]),
    )  # fmt: skip


async def insert(tx: Tx, new: NewOrder, state: dict[str, Any] | None = None) -> int:
    """A draft order's row (its lines: :func:`replace_lines`); ``state``: other initial
    values of its columns (a replacement order starts approved and linked)."""
    return await tx.insert_returning_id(
        "commerce_orders",
        {
            "brand_id": new.brand_id, "org_id": new.org_id, "order_no": new.order_no,
            "status": "draft", "payment_status": "unpaid",
            "fulfilment_status": "unfulfilled", "currency": new.currency,
            "total": new.total, "paid": 0, "region": new.region, "address": new.address,
            "territory_check": "not_checked", "availability_check": "not_checked",
            "pay_by": None, "created_by": new.created_by, "created_at": new.at,
            "updated_at": new.at, "version": 0, **(state or {}),
        },
    )  # fmt: skip


async def replace_lines(tx: Tx, order_id: int, lines: Sequence[OrderLine]) -> None:
    """The order's lines become ``lines`` (a draft's lines are re-priced at submission)."""
    await tx.execute("DELETE FROM commerce_order_lines WHERE order_id = ?", order_id)
    await tx.executemany(
        f"INSERT INTO commerce_order_lines (order_id, {_LINE_COLUMNS})"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (order_id, ln.line_no, ln.gtin, ln.name, ln.quantity, ln.unit_price,
             ln.price_note, tx.dialect.encode_json(list(ln.discounts)), ln.gift, ln.amount,
             ln.shipped, ln.delivered)
            for ln in lines
        ],
    )  # fmt: skip


async def lines_of(tx: Tx, order_id: int) -> tuple[OrderLine, ...]:
    rows = await tx.fetch(
        f"SELECT {_LINE_COLUMNS} FROM commerce_order_lines WHERE order_id = ? ORDER BY line_no",
        order_id,
    )
    return tuple(_line(tx, r) for r in rows)


async def get(tx: Tx, order_id: int, *, lock: bool = False) -> Order:
    """The order with its lines and (unless ``lock``) its replacement links; ``lock``:
    hold its row until ``tx`` ends (PostgreSQL; SQLite's writer already holds the
    database)."""
    suffix = f" {tx.dialect.for_update}" if lock else ""
    row = await tx.fetchrow(
        f"SELECT {_COLUMNS} FROM commerce_orders WHERE id = ?{suffix}", order_id
    )
    if row is None:
        raise OrderNotFound(f"order {order_id}")
    order = _order(tx, row, await lines_of(tx, order_id))
    # the links are for people (pages, API, CLI): a locked read is a write path, which
    # keeps its lock as short as it can
    return order if lock else await _linked(tx, order)


async def _linked(tx: Tx, order: Order) -> Order:
    """``order`` with the numbers of the order it replaces and of its replacements."""
    replaces = None
    if order.replaces_order_id is not None:
        found = await tx.fetchrow("SELECT order_no FROM commerce_orders WHERE id = ?",
                                  order.replaces_order_id)  # fmt: skip
        replaces = None if found is None else str(found["order_no"])
    rows = await tx.fetch(
        "SELECT order_no, return_no FROM commerce_orders WHERE replaces_order_id = ? ORDER BY id",
        order.id,
    )
    links = tuple((str(r["order_no"]), str(r["return_no"])) for r in rows)
    return replace(order, replaces=replaces, replacements=links)


async def by_return(tx: Tx, brand_id: int, return_no: str) -> Order | None:
    """The brand's replacement order made for the return ``return_no``, if any."""
    row = await tx.fetchrow(
        "SELECT id FROM commerce_orders WHERE brand_id = ? AND return_no = ?",
        brand_id, return_no,
    )  # fmt: skip
    return None if row is None else await get(tx, int(row["id"]))


async def exchanged(tx: Tx, order_id: int) -> dict[str, int]:
    """Units per GTIN that the replacements of ``order_id`` exchanged so far."""
    rows = await tx.fetch(
        "SELECT l.gtin, SUM(l.quantity) AS n FROM commerce_order_lines l"
        " JOIN commerce_orders o ON o.id = l.order_id"
        " WHERE o.replaces_order_id = ? GROUP BY l.gtin",
        order_id,
    )
    return {str(r["gtin"]): int(r["n"]) for r in rows}


async def id_of(tx: Tx, order_no: str) -> int:
    row = await tx.fetchrow("SELECT id FROM commerce_orders WHERE order_no = ?", order_no)
    if row is None:
        raise OrderNotFound(f"order {order_no!r}")
    return int(row["id"])


@dataclass(frozen=True)
class Change:
    """New values of an order's row (None: unchanged)."""

    status: str | None = None
    payment_status: str | None = None
    paid: int | None = None
    fulfilment_status: str | None = None
    territory_check: str | None = None
    availability_check: str | None = None
    pay_by: dt.datetime | None = None
    total: int | None = None
    currency: str | None = None


async def update(tx: Tx, order: Order, change: Change, at: dt.datetime) -> None:
    """Apply ``change`` if the row is still at ``order.version`` (``order_changed``)."""
    values = {k: v for k, v in vars(change).items() if v is not None}
    sets = ", ".join(f"{k} = ?" for k in values)
    sets = f"{sets}, " if sets else ""
    rows = await tx.fetch(
        f"UPDATE commerce_orders SET {sets}updated_at = ?, version = version + 1"
        " WHERE id = ? AND version = ? RETURNING id",
        *values.values(), at, order.id, order.version,
    )  # fmt: skip
    if not rows:
        raise OrderChanged(order.order_no)


async def append_event(tx: Tx, order_id: int, event: OrderEvent) -> None:
    """One more entry of the order's timeline (its ``seq`` is the next one)."""
    row = await tx.fetchrow(
        "SELECT COALESCE(MAX(seq), 0) AS n FROM commerce_order_events WHERE order_id = ?",
        order_id,
    )
    seq = int(row["n"]) + 1 if row else 1
    await tx.execute(
        "INSERT INTO commerce_order_events (order_id, seq, action, from_status, to_status,"
        " actor, note, data, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        order_id, seq, event.action, event.from_status, event.to_status, event.actor,
        event.note, tx.dialect.encode_json(event.data), event.at,
    )  # fmt: skip


async def events(tx: Tx, order_id: int) -> list[OrderEvent]:
    rows = await tx.fetch(
        "SELECT seq, action, from_status, to_status, actor, note, data, at"
        " FROM commerce_order_events WHERE order_id = ? ORDER BY seq",
        order_id,
    )
    return [
        OrderEvent(int(r["seq"]), r["action"], r["from_status"], r["to_status"], r["actor"],
                   r["note"], tx.dialect.decode_json(r["data"]), _time(tx, r["at"]))
        for r in rows
    ]  # fmt: skip


async def add_message(tx: Tx, order_id: int, message: OrderMessage) -> None:
    await tx.execute(
        "INSERT INTO commerce_order_messages (order_id, side, author, body, at)"
        " VALUES (?, ?, ?, ?, ?)",
        order_id, message.side, message.author, message.body, message.at,
    )  # fmt: skip


async def messages(tx: Tx, order_id: int) -> list[OrderMessage]:
    rows = await tx.fetch(
        "SELECT side, author, body, at FROM commerce_order_messages WHERE order_id = ? ORDER BY id",
        order_id,
    )
    return [OrderMessage(r["side"], r["author"], r["body"], _time(tx, r["at"])) for r in rows]


@dataclass(frozen=True)
class Filter:
    """Which orders a listing shows: always one brand; ``org_ids`` None = every org."""

    brand_id: int
    org_ids: tuple[int, ...] | None = None
    status: str | None = None
    after_id: int | None = None
    limit: int = 100
    since: dt.datetime | None = None  # created at or after
    until: dt.datetime | None = None  # created before


async def listing(tx: Tx, f: Filter) -> list[Order]:
    """Orders (without lines, with the number of the order each replaces) newest first."""
    where, args = ["brand_id = ?"], [f.brand_id]
    if f.org_ids is not None:
        if not f.org_ids:
            return []
        where.append(f"org_id IN ({', '.join('?' for _ in f.org_ids)})")
        args.extend(f.org_ids)
    if f.status:
        where.append("status = ?")
        args.append(f.status)  # type: ignore[arg-type]
    if f.after_id is not None:
        where.append("id < ?")
        args.append(f.after_id)
    for clause, value in (("created_at >= ?", f.since), ("created_at < ?", f.until)):
        if value is not None:
            where.append(clause)
            args.append(value)  # type: ignore[arg-type]
    rows = await tx.fetch(
        f"SELECT {_COLUMNS}, (SELECT r.order_no FROM commerce_orders r"
        " WHERE r.id = commerce_orders.replaces_order_id) AS replaces_no"
        f" FROM commerce_orders WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
        *args, f.limit,
    )  # fmt: skip
    return [replace(_order(tx, r, ()), replaces=r["replaces_no"]) for r in rows]


async def due_to_expire(tx: Tx, now: dt.datetime) -> list[int]:
    """Submitted orders whose payment deadline passed."""
    rows = await tx.fetch(
        "SELECT id FROM commerce_orders WHERE status = 'submitted' AND pay_by < ? ORDER BY id",
        now,
    )
    return [int(r["id"]) for r in rows]


async def add_fulfilment(tx: Tx, order_id: int, movement_id: int, units: dict[str, int],
                         actor: str, at: dt.datetime) -> None:  # fmt: skip
    """The shipment ``movement_id`` (territories') fulfils ``order_id`` with ``units``."""
    await tx.execute(
        "INSERT INTO commerce_fulfilments (order_id, movement_id, units, status, actor,"
        " shipped_at) VALUES (?, ?, ?, 'shipped', ?, ?)",
        order_id, movement_id, tx.dialect.encode_json(units), actor, at,
    )  # fmt: skip


async def mark_delivered(tx: Tx, order_id: int, at: dt.datetime) -> None:
    """Every shipment of the order arrived."""
    await tx.execute(
        "UPDATE commerce_fulfilments SET status = 'delivered', delivered_at = ?"
        " WHERE order_id = ? AND status = 'shipped'",
        at, order_id,
    )  # fmt: skip


async def fulfilments(tx: Tx, order_id: int) -> list[dict[str, Any]]:
    rows = await tx.fetch(
        "SELECT movement_id, units, status, shipped_at, delivered_at FROM commerce_fulfilments"
        " WHERE order_id = ? ORDER BY id",
        order_id,
    )
    return [
        {"movement_id": int(r["movement_id"]), "units": tx.dialect.decode_json(r["units"]),
         "status": r["status"]}
        for r in rows
    ]  # fmt: skip


async def add_units(tx: Tx, order_id: int, spread: Sequence[tuple[int, int]],
                    column: str) -> tuple[OrderLine, ...]:  # fmt: skip
    """Add units to the lines' ``shipped`` or ``delivered``; the lines after."""
    if column not in ("shipped", "delivered"):
        raise ValueError(column)
    await tx.executemany(
        f"UPDATE commerce_order_lines SET {column} = {column} + ?"
        " WHERE order_id = ? AND line_no = ?",
        [(n, order_id, line_no) for line_no, n in spread],
    )
    return await lines_of(tx, order_id)


async def placed(tx: Tx, brand_id: int, org_id: int) -> int:
    row = await tx.fetchrow(
        "SELECT COUNT(*) AS n FROM commerce_orders WHERE brand_id = ? AND org_id = ?"
        " AND status NOT IN ('draft', 'cancelled', 'rejected', 'expired')"
        " AND replaces_order_id IS NULL",  # an exchange is not an order the dealer placed
        brand_id, org_id,
    )  # fmt: skip
    return 0 if row is None else int(row["n"])

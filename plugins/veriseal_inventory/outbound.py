"""Outbound sheets (出库单): goods leave a warehouse for a consignee with a sheet.

Life of a sheet (``status``): ``picking`` (created with its lines; the picking list
is computed from the warehouse's balances whenever it is shown, see
:mod:`.picking`) -> ``issued`` (the picks are posted as one ``outbound`` of the ledger,
document = the sheet's number, and recorded on the sheet with the handler; the PDF is
then available) or ``cancelled`` (only before issuing).

- **Numbers** ``OUT<yyyymmdd>-NNNN``: the brand's sheets of the (UTC) day counted on
  from 0001; unique per brand.
- **Issuing** happens in one transaction under the sheet's row lock: the picks, the
  ledger post (which refuses, ``stock_insufficient``, to take any balance below zero or
  the warehouse's available stock below zero) and the status change commit together,
  or nothing is written. Issuing an issued sheet again returns it unchanged.
- **Check-in.** When the consignee is an organisation of the brand, its user (holding
  ``stock.move`` over the organisation: its own staff, or the brand's) checks the sheet
  in, typically by scanning the sheet's QR code: exactly what was issued is posted as
  an ``inbound`` into the organisation's default warehouse (main stock location),
  document = the sheet's number. A second check-in changes nothing (idempotent).
- **Who.** The role is checked before a sheet is looked up (a role without the action
  learns nothing, not even whether a number exists). Creating, issuing, cancelling:
  ``stock.move`` over the sending warehouse.
  Seeing a sheet, its picking list and its PDF: ``stock.view`` over the sending
  warehouse, or over the consignee organisation.
- **Notices.** Issuing a sheet to an organisation sends ``stock_review`` to the keepers
  of its warehouse (in the issuing transaction: no notice for a sheet not issued)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from veriseal import (
    Brand,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Principal,
    Role,
    register_messages,
)
from veriseal.extend import PluginContext, Tx
from veriseal_inventory import outbound_store as store
from veriseal_inventory import sheet_pdf, stock_store
from veriseal_inventory import warehouse_store as wstore
from veriseal_inventory.errors import StockInsufficient
from veriseal_inventory.models import Meta, MovementKind, Posting, StockLine, Warehouse
from veriseal_inventory.outbound_store import Consignee, OutboundLine, OutboundSheet
from veriseal_inventory.permissions import STOCK_MOVE, STOCK_REVIEW, STOCK_VIEW
from veriseal_inventory.picking import Plan
from veriseal_inventory.picking import plan as plan_picks
from veriseal_inventory.stock import StockService, actor_of
from veriseal_inventory.warehouses import WarehouseService, location_in

register_messages(
    {
        "error.outbound_invalid": ("Invalid outbound sheet", "出库单无效"),
        "error.outbound_not_found": ("No such outbound sheet", "出库单不存在"),
        "error.outbound_state": (
            "The outbound sheet is not in a state that allows this",
            "出库单当前状态不允许此操作",
        ),
        "error.outbound_not_receivable": (
            "This outbound sheet's consignee is not an organisation: nothing to check in",
            "该出库单的收货方不是系统内组织，无法扫码收货",
        ),
    }
)


class OutboundInvalid(InvalidInput):
    code = "outbound_invalid"


class OutboundNotFound(NotFound):
    code = "outbound_not_found"


class OutboundState(Conflict):
    """The sheet's status forbids the step (issue a cancelled sheet, cancel an issued
    one, check in one not issued). ``details``: number, status."""

    code = "outbound_state"


class OutboundNotReceivable(Conflict):
    code = "outbound_not_receivable"


MAX_LINES = 500
_DEALERS = frozenset({Role.DISTRIBUTOR, Role.RETAILER})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class NewLine:
    """A line asked for: ``quantity`` of ``gtin`` (of ``lot`` when given); ``codes``
    the codes shipped as compact text, printed on the sheet."""

    gtin: str
    quantity: int
    lot: str = ""
    codes: str = ""


def _text(value: str, name: str, limit: int) -> str:
    text = value.strip()
    if len(text) > limit or _CONTROL.search(text):
        raise OutboundInvalid(f"{name}: at most {limit} characters, no control characters")
    return text


def sheet_day_prefix(now: dt.datetime) -> str:
    return f"OUT{now.astimezone(dt.UTC):%Y%m%d}-"


class OutboundService:
    def __init__(self, ctx: PluginContext, warehouses: WarehouseService,
                 stock: StockService) -> None:  # fmt: skip
        self.ctx = ctx
        self.warehouses = warehouses
        self.stock = stock

    # -- creating ----------------------------------------------------------------------
    async def create(self, principal: Principal, brand: Brand, warehouse: Warehouse,
                     consignee: Consignee, lines: Sequence[NewLine],
                     note: str = "") -> OutboundSheet:  # fmt: skip
        """A sheet in ``picking`` for ``lines`` out of ``warehouse`` to ``consignee``
        (an organisation's name, address and contact default from the organisation)."""
        await self.warehouses.require(principal, STOCK_MOVE, warehouse)
        if warehouse.brand_id != brand.id:
            raise OutboundInvalid("the warehouse belongs to another brand")
        checked = await self._lines(brand, lines)
        who = await self._consignee(brand, consignee)
        note = _text(note, "note", 500)
        now = dt.datetime.now(dt.UTC)
        async with self.ctx.db.write() as tx:
            sheet_id, number = await store.insert(tx, brand.id, sheet_day_prefix(now),
                                                  warehouse.id, who, note,
                                                  actor_of(principal), now)  # fmt: skip
            await store.insert_lines(tx, sheet_id, checked)
        return await self._get(brand, number)

    async def _lines(self, brand: Brand, lines: Sequence[NewLine]) -> list[OutboundLine]:
        if not lines or len(lines) > MAX_LINES:
            raise OutboundInvalid(f"a sheet has 1 to {MAX_LINES} lines")
        out = []
        for n, line in enumerate(lines, 1):
            if not (line.gtin.isdigit() and len(line.gtin) == 14):
                raise OutboundInvalid(f"{line.gtin!r} is not a 14-digit GTIN", line=n)
            if not 1 <= line.quantity <= 1_000_000_000:
                raise OutboundInvalid("a quantity is a whole number from 1", line=n)
            await self.ctx.product(brand, line.gtin)  # product_not_found
            out.append(OutboundLine(n, line.gtin, line.quantity, _text(line.lot, "lot", 40),
                                    _text(line.codes, "codes", 2000)))  # fmt: skip
        return out

    async def _consignee(self, brand: Brand, c: Consignee) -> Consignee:
        name = _text(c.name, "consignee name", 200)
        address = _text(c.address, "consignee address", 500)
        contact = _text(c.contact, "consignee contact", 200)
        if c.org_id is None:
            if not name:
                raise OutboundInvalid("a consignee has a name or an organisation")
            return Consignee(name, address, contact)
        org = await self.ctx.org(c.org_id)  # org_not_found
        if org.brand_id != brand.id:
            raise OutboundInvalid("the consignee organisation belongs to another brand")
        profile = org.profile
        default_contact = " ".join(filter(None, (profile.get("contact", ""),
                                                 profile.get("phone", ""))))  # fmt: skip
        return Consignee(name or org.name, address or profile.get("address", ""),
                         contact or default_contact, org.id)  # fmt: skip

    # -- reading -----------------------------------------------------------------------
    async def _get(self, brand: Brand, number: str) -> OutboundSheet:
        async with self.ctx.db.read() as tx:
            found = await store.get(tx, brand.id, number.strip().upper())
        if found is None:
            raise OutboundNotFound(f"no outbound sheet {number!r}", number=number[:40])
        return found

    async def _may_view(self, principal: Principal, sheet: OutboundSheet) -> Warehouse:
        """The sending warehouse; ``forbidden`` unless ``principal`` sees the sender's
        stock or the consignee organisation's."""
        warehouse = await self.warehouses.get(sheet.warehouse_id)
        try:
            await self.warehouses.require(principal, STOCK_VIEW, warehouse)
        except Forbidden:
            if sheet.consignee.org_id is None:
                raise
            org = await self.ctx.org(sheet.consignee.org_id)
            self.ctx.require(principal, STOCK_VIEW, brand_id=sheet.brand_id, org=org)
        return warehouse

    async def get(self, principal: Principal, brand: Brand, number: str) -> OutboundSheet:
        self.ctx.require(principal, STOCK_VIEW, brand_id=brand.id)  # the role first
        sheet = await self._get(brand, number)
        await self._may_view(principal, sheet)
        return sheet

    async def picking(self, principal: Principal, brand: Brand, number: str
                      ) -> tuple[OutboundSheet, Plan]:  # fmt: skip
        """The sheet and its picking list: computed from the current balances while
        ``picking``; what was taken once issued; empty when cancelled."""
        sheet = await self.get(principal, brand, number)
        if sheet.status == "issued":
            return sheet, Plan(list(sheet.picks), [])
        if sheet.status == "cancelled":
            return sheet, Plan([], [])
        async with self.ctx.db.read() as tx:
            return sheet, await self._plan(tx, sheet)

    async def _plan(self, tx: Tx, sheet: OutboundSheet) -> Plan:
        balances = await stock_store.balances(tx, sheet.warehouse_id)
        locations = {loc.id: loc for loc in await wstore.locations(tx, sheet.warehouse_id)}
        wanted = [StockLine(ln.gtin, ln.quantity, ln.lot) for ln in sheet.lines]
        return plan_picks(wanted, balances, locations)

    async def sheets(self, principal: Principal, brand: Brand, *, status: str | None = None,
                   limit: int = 100) -> list[OutboundSheet]:  # fmt: skip
        """Sheets newest first: from the warehouses ``principal`` sees, or addressed to
        its organisation's subtree (dealers); every sheet of the brand for its staff."""
        visible = await self.warehouses.in_scope(principal, brand)  # stock.view
        warehouse_ids: list[int] | None = None
        org_ids: list[int] | None = None
        if principal.role in _DEALERS:
            warehouse_ids = [w.id for w in visible]
            org = principal.org
            tree = [] if org is None else await self.ctx.org_tree(principal, org.id)
            org_ids = [o.id for o in tree]
        async with self.ctx.db.read() as tx:
            return await store.listing(tx, brand.id, warehouse_ids, org_ids, status,
                                       max(1, min(limit, 500)))  # fmt: skip

    # -- issuing and cancelling ---------------------------------------------------------
    async def _for_move(self, principal: Principal, brand: Brand, number: str
                        ) -> tuple[OutboundSheet, Warehouse]:  # fmt: skip
        self.ctx.require(principal, STOCK_MOVE, brand_id=brand.id)  # the role first
        sheet = await self._get(brand, number)
        warehouse = await self.warehouses.get(sheet.warehouse_id)
        await self.warehouses.require(principal, STOCK_MOVE, warehouse)
        return sheet, warehouse

    async def issue(self, principal: Principal, brand: Brand, number: str,
                    handler: str | None = None) -> OutboundSheet:  # fmt: skip
        """Post the picking list (see the module docstring); ``handler``: who hands the
        goods over (default: the acting user's name)."""
        sheet, warehouse = await self._for_move(principal, brand, number)
        name = _text(handler if handler is not None else self._name(principal), "handler", 100)
        # who hears of it, looked up before the write transaction: core lookups inside
        # one would hold a pooled connection while waiting for another
        recipients = await self._recipients(brand, sheet)
        now = dt.datetime.now(dt.UTC)
        async with self.ctx.db.write() as tx:
            locked = await store.get(tx, brand.id, sheet.number, lock=True)
            assert locked is not None
            if locked.status == "issued":
                return locked
            if locked.status != "picking":
                raise OutboundState(f"sheet {sheet.number} is {locked.status}",
                                    number=sheet.number, status=locked.status)  # fmt: skip
            plan = await self._plan(tx, locked)
            if plan.shortages:
                s = plan.shortages[0]
                raise StockInsufficient(
                    f"line {s.line_no}: only {s.found} of {s.gtin} lot {s.lot or '-'} in"
                    f" {warehouse.code}, {s.wanted} asked / 第 {s.line_no} 行库存不足："
                    f"现有 {s.found}，需要 {s.wanted}",
                    gtin=s.gtin, lot=s.lot, warehouse=warehouse.code, have=s.found,
                    need=s.wanted, line=s.line_no,
                )  # fmt: skip
            postings = [Posting(warehouse.id, p.location_id, p.gtin, p.lot, -p.quantity)
                        for p in plan.picks]  # fmt: skip
            meta = Meta(MovementKind.OUTBOUND, actor_of(principal), locked.number,
                        "outbound sheet 出库单")  # fmt: skip
            await self.stock.post(tx, brand.id, postings, meta)
            await store.insert_picks(tx, locked.id, plan.picks)
            await store.issued(tx, locked.id, name, actor_of(principal), now)
            await self._announce(tx, locked, warehouse, recipients)
        return await self._get(brand, sheet.number)

    @staticmethod
    def _name(principal: Principal) -> str:
        user = principal.user
        if user is None:
            return "system"
        return user.display_name or user.email or user.phone or f"user {user.id}"

    async def _recipients(self, brand: Brand, sheet: OutboundSheet) -> list[int]:
        """The keepers of the consignee organisation's warehouse (none for a consignee
        outside the system)."""
        if sheet.consignee.org_id is None:
            return []
        target = await self.warehouses.of_org(brand.id, sheet.consignee.org_id)
        return await self.warehouses.keepers(target)

    async def _announce(self, tx: Tx, sheet: OutboundSheet, source: Warehouse,
                        keepers: list[int]) -> None:  # fmt: skip
        if not keepers:
            return
        units = sum(ln.quantity for ln in sheet.lines)
        await self.ctx.notify(
            keepers, STOCK_REVIEW,
            f"出库单 {sheet.number} 已发出 / Outbound sheet {sheet.number} issued",
            f"{source.name} → {sheet.consignee.name}: {len(sheet.lines)} 行 lines,"
            f" {units} 件 units. 到货后请扫描出库单二维码收货 / Scan the sheet's QR code"
            " to check the goods in.",
            {"kind": "outbound_issued", "number": sheet.number}, tx=tx,
        )  # fmt: skip

    async def cancel(self, principal: Principal, brand: Brand, number: str,
                     reason: str = "") -> OutboundSheet:  # fmt: skip
        sheet, _ = await self._for_move(principal, brand, number)
        reason = _text(reason, "reason", 500)
        async with self.ctx.db.write() as tx:
            locked = await store.get(tx, brand.id, sheet.number, lock=True)
            assert locked is not None
            if locked.status != "picking":
                raise OutboundState(f"sheet {sheet.number} is {locked.status}",
                                    number=sheet.number, status=locked.status)  # fmt: skip
            await store.cancelled(tx, locked.id, reason)
        return await self._get(brand, sheet.number)

    # -- the consignee's check-in -------------------------------------------------------
    async def receive(self, principal: Principal, brand: Brand, number: str) -> OutboundSheet:
        """Post what was issued into the consignee organisation's default warehouse,
        once (see the module docstring)."""
        parsed = sheet_pdf.number_of(number)
        self.ctx.require(principal, STOCK_MOVE, brand_id=brand.id)  # the role first
        sheet = await self._get(brand, parsed or number)
        if sheet.consignee.org_id is None:
            raise OutboundNotReceivable(f"sheet {sheet.number} goes to {sheet.consignee.name}",
                                        number=sheet.number)  # fmt: skip
        target = await self.warehouses.of_org(brand.id, sheet.consignee.org_id)
        await self.warehouses.require(principal, STOCK_MOVE, target)
        now = dt.datetime.now(dt.UTC)
        async with self.ctx.db.write() as tx:
            locked = await store.get(tx, brand.id, sheet.number, lock=True)
            assert locked is not None
            if locked.status != "issued":
                raise OutboundState(f"sheet {sheet.number} is {locked.status}, not issued",
                                    number=sheet.number, status=locked.status)  # fmt: skip
            if locked.received_at is not None:
                return locked
            loc = await location_in(tx, target, None)
            shipped: dict[tuple[str, str], int] = {}
            for p in locked.picks:
                shipped[(p.gtin, p.lot)] = shipped.get((p.gtin, p.lot), 0) + p.quantity
            postings = [Posting(target.id, loc.id, g, lot, q) for (g, lot), q in shipped.items()]
            meta = Meta(MovementKind.INBOUND, actor_of(principal), locked.number,
                        "outbound sheet check-in 出库单收货")  # fmt: skip
            await self.stock.post(tx, brand.id, postings, meta)
            await store.received(tx, locked.id, actor_of(principal), target.id, now)
        return await self._get(brand, sheet.number)

    # -- the PDF -----------------------------------------------------------------------
    async def pdf(self, principal: Principal, brand: Brand, number: str) -> bytes:
        """The issued sheet as PDF (``outbound_state`` before it is issued)."""
        self.ctx.require(principal, STOCK_VIEW, brand_id=brand.id)  # the role first
        sheet = await self._get(brand, number)
        warehouse = await self._may_view(principal, sheet)
        if sheet.status != "issued" or sheet.issued_at is None:
            raise OutboundState(f"sheet {sheet.number} is {sheet.status}: issue it first",
                                number=sheet.number, status=sheet.status)  # fmt: skip
        names = {p.gtin: p.name for p in await self.ctx.products(brand)}
        document = sheet_pdf.Sheet(
            sheet.number, sheet.issued_at.astimezone(dt.UTC).date(),
            f"{warehouse.code} {warehouse.name}",
            sheet_pdf.Party(sheet.consignee.name, sheet.consignee.address,
                            sheet.consignee.contact),
            sheet.handler, sheet_lines(sheet, names), sheet.note,
        )  # fmt: skip
        # reportlab is CPU work: a long sheet must not stall the event loop
        return await asyncio.to_thread(sheet_pdf.render, document)


def sheet_lines(sheet: OutboundSheet, names: dict[str, str]) -> list[sheet_pdf.SheetLine]:
    """The printed lines of an issued sheet: each line's picks by lot (what shipped),
    the line's code text on its first row."""
    out: list[sheet_pdf.SheetLine] = []
    for line in sheet.lines:
        lots: dict[str, int] = {}
        for p in sheet.picks:
            if p.line_no == line.line_no:
                lots[p.lot] = lots.get(p.lot, 0) + p.quantity
        for i, (lot, qty) in enumerate(sorted(lots.items())):
            out.append(sheet_pdf.SheetLine(names.get(line.gtin, line.gtin), line.gtin, qty,
                                           lot, line.codes if i == 0 else ""))  # fmt: skip
    return out

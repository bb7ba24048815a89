"""Inbound receipts (入库单) with inspection of the goods (ISO 2859-1).

- :meth:`InboundService.receive` (``stock.move``): a receipt numbered
  ``IN<yyyymmdd>-NNNN`` for a warehouse; its lines (product, lot, quantity) arrive in
  the warehouse's QUARANTINE location in one ``inbound`` post whose document is the
  receipt number. Each line remembers whether its product requires inspection before
  sale (:meth:`set_setting`, ``stock.manage`` of the brand). The warehouse's keepers are
  told (``stock_review``) when goods await inspection.
- :meth:`InboundService.inspect` (``stock.inspect``): one decision per line, against
  the plan of :mod:`.sampling` for the lot (lot size = the line's quantity, AQL / level
  from the product's setting unless given): ``accept_all`` (only when the sample
  accepts: defects <= Ac), ``reject_all`` or ``accept_part`` (accepted + rejected =
  the quantity); a reject needs a reason. Accepted goods move quarantine -> STOCK,
  rejected quarantine -> REJECTED, in one ``transfer`` post (document: the receipt
  number, reason: the inspector's).
- :meth:`InboundService.release` (``stock.move``): the lines whose product needs no
  inspection move quarantine -> stock in one post without sampling, recorded as a
  ``release`` decision; ``receive(..., release=True)`` does it in the receipt's own
  transaction.

Every decision (inspection or release) publishes ``inventory.inspected`` as the last
statement of its transaction (:func:`publish_inspected`; payload: ``receipt_no``,
``reference``, ``warehouse`` (code), ``decisions`` (one per line decided: ``line_no``,
``gtin``, ``lot``, ``accepted``, ``rejected``, ``reason``, ``accepted_units`` /
``rejected_units`` (batch id as text -> ``[[first, last], ...]``; empty for goods
received by quantity)), ``actor``). A return receipt (:mod:`.returns`) is decided unit
by unit there, never by :meth:`InboundService.inspect` (``inbound_state``).

Every refusal (``inbound_invalid``, ``inbound_state``, ``stock_insufficient``,
``forbidden``...) happens before anything is written or rolls the transaction back:
nothing changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from veriseal import Brand, Principal
from veriseal.extend import PluginContext, Tx
from veriseal_inventory import inbound_store as store
from veriseal_inventory import sampling
from veriseal_inventory.inbound_errors import InboundInvalid, InboundNotFound, InboundState
from veriseal_inventory.inbound_models import (
    DEFAULT_AQL,
    DEFAULT_LEVEL,
    DecisionKind,
    Inspection,
    InspectionSetting,
    InspectRequest,
    LineStatus,
    Receipt,
    ReceiptLine,
    ReceiptView,
)
from veriseal_inventory.models import (
    LocationKind,
    Meta,
    MovementKind,
    Posting,
    StockLine,
    Warehouse,
)
from veriseal_inventory.permissions import (
    STOCK_INSPECT,
    STOCK_MANAGE,
    STOCK_MOVE,
    STOCK_REVIEW,
    STOCK_VIEW,
)
from veriseal_inventory.stock import StockService, actor_of, checked_lines
from veriseal_inventory.warehouses import WarehouseService, location_in

MAX_TEXT = 500
INSPECTED = "inventory.inspected"


def decision_of(line: ReceiptLine, accepted: int, rejected: int, reason: str,
                accepted_units: dict[str, list[list[int]]] | None = None,
                rejected_units: dict[str, list[list[int]]] | None = None
                ) -> dict[str, Any]:  # fmt: skip
    """One entry of ``inventory.inspected``'s ``decisions``."""
    return {"line_no": line.line_no, "gtin": line.gtin, "lot": line.lot,
            "accepted": accepted, "rejected": rejected, "reason": reason,
            "accepted_units": accepted_units or {},
            "rejected_units": rejected_units or {}}  # fmt: skip


async def publish_inspected(ctx: PluginContext, tx: Tx, receipt: Receipt, warehouse: str,
                            decisions: list[dict[str, Any]], actor: str) -> None:  # fmt: skip
    """Publish ``inventory.inspected`` (call it as the last statement of ``tx``)."""
    payload = {"receipt_no": receipt.receipt_no, "reference": receipt.reference,
               "warehouse": warehouse, "decisions": decisions, "actor": actor}  # fmt: skip
    await ctx.publish(tx, INSPECTED, receipt.brand_id, receipt.id, payload)


def _text(value: str, name: str, limit: int = MAX_TEXT) -> str:
    if len(value) > limit or "\x00" in value:
        raise InboundInvalid(f"{name}: at most {limit} characters / {name} 过长")
    return value.strip()


class InboundService:
    def __init__(self, ctx: PluginContext, warehouses: WarehouseService,
                 stock: StockService) -> None:  # fmt: skip
        self.ctx = ctx
        self.warehouses = warehouses
        self.stock = stock

    # -- per-product settings ------------------------------------------------------------
    async def setting(self, brand_id: int, gtin: str) -> InspectionSetting:
        """The product's setting; without one: no inspection required, AQL 2.5, level II."""
        async with self.ctx.db.read() as tx:
            found = await store.setting(tx, brand_id, gtin)
        return found or InspectionSetting(brand_id, gtin, False, DEFAULT_AQL, DEFAULT_LEVEL)

    async def settings(self, principal: Principal, brand: Brand) -> list[InspectionSetting]:
        self.ctx.require(principal, STOCK_VIEW, brand_id=brand.id)
        async with self.ctx.db.read() as tx:
            return await store.settings(tx, brand.id)

    async def set_setting(self, principal: Principal, brand: Brand, gtin: str, *,
                          required: bool, aql: str | None = None,
                          level: str | None = None) -> InspectionSetting:  # fmt: skip
        """Whether ``gtin`` needs inspection before sale, and its default plan. Brand
        staff with ``stock.manage`` only (the setting holds in every warehouse)."""
        root = await self.ctx.brand_org(brand)
        self.ctx.require(principal, STOCK_MANAGE, brand_id=brand.id, org=root)
        await self.ctx.product(brand, gtin)  # product_not_found for another brand's
        old = await self.setting(brand.id, gtin)
        the_aql = str(sampling.parse_aql(aql if aql is not None else old.aql))
        the_level = sampling.parse_level(level if level is not None else old.level)
        new = InspectionSetting(brand.id, gtin, required, the_aql, the_level,
                                actor_of(principal))  # fmt: skip
        now = dt.datetime.now(dt.UTC)
        async with self.ctx.db.write() as tx:
            await store.put_setting(tx, new, now)
        return InspectionSetting(brand.id, gtin, required, the_aql, the_level,
                                 actor_of(principal), now)  # fmt: skip

    # -- receiving -----------------------------------------------------------------------
    async def receive(self, principal: Principal, brand: Brand, warehouse_ref: str | int,
                      lines: Sequence[StockLine], *, supplier: str = "", note: str = "",
                      client_id: str | None = None,
                      release: bool = False) -> ReceiptView:  # fmt: skip
        """A new receipt, its goods in quarantine (see the module docstring). A
        ``client_id`` used before returns that receipt instead (a retried form)."""
        warehouse = await self.warehouses.find(brand, warehouse_ref)
        await self.warehouses.require(principal, STOCK_MOVE, warehouse)
        lines = checked_lines(lines)
        supplier, note = _text(supplier, "supplier", 200), _text(note, "note")
        if client_id is not None:
            client_id = _text(client_id, "client_id", 64) or None
            async with self.ctx.db.read() as tx:
                seen = await store.by_client_id(tx, brand.id, client_id) if client_id else None
            if seen is not None:
                return await self._view_by_id(seen)
        required = []
        for line in lines:
            gtin_ok = line.gtin.isascii() and line.gtin.isdigit() and len(line.gtin) == 14
            if not gtin_ok or len(line.lot) > 40:
                raise InboundInvalid(
                    f"{line.gtin[:20]!r}: a line has a 14-digit GTIN and a lot of at most 40"
                    " characters / 商品条码或批号无效", gtin=line.gtin[:20],
                )  # fmt: skip
            await self.ctx.product(brand, line.gtin)  # product_not_found
            required.append((await self.setting(brand.id, line.gtin)).required)
        keepers = await self.warehouses.keepers(warehouse)
        now = dt.datetime.now(dt.UTC)
        actor = actor_of(principal)
        async with self.ctx.db.write() as tx:
            made = await store.insert_receipt(tx, brand.id, warehouse.id, f"IN{now:%Y%m%d}",
                                              store.ReceiptTexts(supplier, note, actor),
                                              client_id, now)  # fmt: skip
            if made is None:  # the same client id committed meanwhile
                assert client_id is not None
                rid = await store.by_client_id(tx, brand.id, client_id)
                assert rid is not None
                return await self._view(tx, rid)
            rid, number = made
            await store.insert_lines(tx, rid, lines, required)
            quarantine = await location_in(tx, warehouse, None, LocationKind.QUARANTINE)
            postings = [Posting(warehouse.id, quarantine.id, x.gtin, x.lot, x.quantity)
                        for x in lines]  # fmt: skip
            await self.stock.post(tx, brand.id, postings,
                                  Meta(MovementKind.INBOUND, actor, number, note))  # fmt: skip
            released = await self._release(tx, warehouse, rid, principal, now) if release else []
            view = await self._view(tx, rid)
            waiting = [x for x in view.lines if x.status is LineStatus.AWAITING]
            if waiting:
                n = len(waiting)
                await self._notify(tx, keepers, warehouse, view.receipt, "awaits inspection",
                                   "待质检", f"{n} line(s) / {n} 行")  # fmt: skip
            if released:
                await self._released(tx, warehouse, view.receipt, released, actor)
        return view

    async def release(self, principal: Principal, brand: Brand, receipt_no: str) -> ReceiptView:
        """Every awaiting line whose product needs no inspection: quarantine -> stock
        without sampling. ``inbound_state`` when there is none."""
        self.ctx.require(principal, STOCK_MOVE, brand_id=brand.id)  # the role, first
        view = await self.get(principal, brand, receipt_no)
        warehouse = await self.warehouses.get(view.receipt.warehouse_id)
        await self.warehouses.require(principal, STOCK_MOVE, warehouse)
        async with self.ctx.db.write() as tx:
            now = dt.datetime.now(dt.UTC)
            released = await self._release(tx, warehouse, view.receipt.id, principal, now)
            if not released:
                raise InboundState(
                    f"{receipt_no}: no line may be accepted without inspection"
                    f" / {receipt_no} 无可免检入库的行", receipt=receipt_no,
                )  # fmt: skip
            after = await self._view(tx, view.receipt.id)
            await self._released(tx, warehouse, after.receipt, released, actor_of(principal))
            return after

    async def _released(self, tx: Tx, warehouse: Warehouse, receipt: Receipt,
                        lines: list[ReceiptLine], actor: str) -> None:  # fmt: skip
        """``inventory.inspected`` for released lines (last statement of ``tx``)."""
        decisions = [decision_of(x, x.quantity, 0, "") for x in lines]
        await publish_inspected(self.ctx, tx, receipt, warehouse.code, decisions, actor)

    async def _release(self, tx: Tx, warehouse: Warehouse, rid: int, principal: Principal,
                       now: dt.datetime) -> list[ReceiptLine]:  # fmt: skip
        receipt = await store.receipt(tx, rid)
        assert receipt is not None
        free = [x for x in await store.lines(tx, rid)
                if x.status is LineStatus.AWAITING and not x.required]  # fmt: skip
        if not free:
            return []
        actor = actor_of(principal)
        for line in free:
            done = Inspection(line.id, DecisionKind.RELEASE, None, None, None, None, None, None,
                              None, None, line.quantity, 0, "", actor, now)  # fmt: skip
            if not await store.insert_inspection(tx, rid, done):
                raise InboundState(f"line {line.line_no} was decided already",
                                   line=line.line_no)  # fmt: skip
            await store.set_line_status(tx, line.id, LineStatus.RELEASED)
        await self._move(tx, warehouse, receipt, [(x, x.quantity, 0) for x in free], actor,
                         "no inspection required / 免检入库")  # fmt: skip
        await store.close_if_done(tx, rid, now)
        return free

    # -- inspection --------------------------------------------------------------------
    async def plan(self, principal: Principal, brand: Brand, receipt_no: str, line_no: int,
                   aql: str | None = None, level: str | None = None) -> sampling.Plan:  # fmt: skip
        """The sampling plan of a line (lot size = its quantity) for an AQL / level,
        by default the product's."""
        view = await self.get(principal, brand, receipt_no)
        line = _line(view, line_no)
        return await self._plan(brand.id, line, aql, level)

    async def _plan(self, brand_id: int, line: ReceiptLine, aql: str | None,
                    level: str | None) -> sampling.Plan:  # fmt: skip
        s = await self.setting(brand_id, line.gtin)
        return sampling.plan(line.quantity, aql or s.aql, level or s.level)

    async def inspect(self, principal: Principal, brand: Brand, receipt_no: str, line_no: int,
                      req: InspectRequest) -> ReceiptView:  # fmt: skip
        """Decide one awaiting line (see the module docstring)."""
        self.ctx.require(principal, STOCK_INSPECT, brand_id=brand.id)  # the role, first
        view = await self.get(principal, brand, receipt_no)
        warehouse = await self.warehouses.get(view.receipt.warehouse_id)
        await self.warehouses.require(principal, STOCK_INSPECT, warehouse)
        line = _line(view, line_no)
        if view.receipt.kind == "return":  # its units are decided one by one
            raise InboundState(f"{receipt_no} holds returned goods: decide them by unit"
                               f" / 退货入库单须按单品判定", receipt=receipt_no)  # fmt: skip
        if line.status is not LineStatus.AWAITING:
            raise InboundState(f"line {line_no} of {receipt_no} is {line.status} already"
                               f" / 该行已处理", line=line_no, status=str(line.status))  # fmt: skip
        p = await self._plan(brand.id, line, req.aql, req.level)
        outcome = sampling.decide(p, req.defects)
        accepted, rejected = _split(req, line, outcome)
        reason = _text(req.reason, "reason")
        if rejected and not reason:
            raise InboundInvalid("a reject needs a reason / 拒收须填写原因")
        keepers = await self.warehouses.keepers(warehouse)
        now = dt.datetime.now(dt.UTC)
        actor = actor_of(principal)
        done = Inspection(line.id, req.decision, str(p.aql), p.level, p.code_letter,
                          p.sample_size, p.accept, p.reject, req.defects, str(outcome),
                          accepted, rejected, reason, actor, now)  # fmt: skip
        status = (LineStatus.ACCEPTED if not rejected else
                  LineStatus.REJECTED if not accepted else LineStatus.PARTIAL)  # fmt: skip
        async with self.ctx.db.write() as tx:
            if not await store.insert_inspection(tx, view.receipt.id, done):
                raise InboundState(f"line {line_no} of {receipt_no} was decided already"
                                   f" / 该行已处理", line=line_no)  # fmt: skip
            await store.set_line_status(tx, line.id, status)
            await self._move(tx, warehouse, view.receipt, [(line, accepted, rejected)], actor,
                             reason or f"inspection {outcome} / 质检")  # fmt: skip
            await store.close_if_done(tx, view.receipt.id, now)
            await self._notify(
                tx, keepers, warehouse, view.receipt, f"line {line_no} {req.decision}",
                f"第 {line_no} 行 {_ZH[req.decision]}",
                f"{line.gtin} {line.lot or '-'}: +{accepted} stock / 合格入库, {rejected}"
                f" rejected / 不合格 ({reason or '-'})",
            )  # fmt: skip
            after = await self._view(tx, view.receipt.id)
            await publish_inspected(self.ctx, tx, after.receipt, warehouse.code,
                                    [decision_of(line, accepted, rejected, reason)],
                                    actor)  # fmt: skip
            return after

    async def _move(self, tx: Tx, warehouse: Warehouse, receipt: Receipt,
                    moves: list[tuple[ReceiptLine, int, int]], actor: str,
                    reason: str) -> None:  # fmt: skip
        """Quarantine -> stock (accepted) and -> rejected, one transfer post."""
        quarantine = await location_in(tx, warehouse, None, LocationKind.QUARANTINE)
        good = await location_in(tx, warehouse, None, LocationKind.STOCK)
        bad = await location_in(tx, warehouse, None, LocationKind.REJECTED)
        postings = []
        for line, accepted, rejected in moves:
            w, g, lot = warehouse.id, line.gtin, line.lot
            postings.append(Posting(w, quarantine.id, g, lot, -(accepted + rejected)))
            if accepted:
                postings.append(Posting(w, good.id, g, lot, accepted))
            if rejected:
                postings.append(Posting(w, bad.id, g, lot, rejected))
        await self.stock.post(tx, receipt.brand_id, postings,
                              Meta(MovementKind.TRANSFER, actor, receipt.receipt_no,
                                   reason[:MAX_TEXT]))  # fmt: skip

    async def _notify(self, tx: Tx, keepers: list[int], warehouse: Warehouse, receipt: Receipt,
                      en: str, zh: str, body: str) -> None:  # fmt: skip
        """A ``stock_review`` message to the warehouse's keepers, in ``tx``."""
        if keepers:
            await self.ctx.notify(
                keepers, STOCK_REVIEW,
                f"入库单 {receipt.receipt_no} {zh} / Receipt {receipt.receipt_no} {en}", body,
                {"receipt_no": receipt.receipt_no, "warehouse": warehouse.code}, tx=tx,
            )  # fmt: skip

    # -- reading -------------------------------------------------------------------------
    async def get(self, principal: Principal, brand: Brand, receipt_no: str) -> ReceiptView:
        """A receipt of the brand that ``principal`` may see (``inbound_not_found``)."""
        self.ctx.require(principal, STOCK_VIEW, brand_id=brand.id)  # the role, first
        async with self.ctx.db.read() as tx:
            rid = await store.receipt_id(tx, brand.id, receipt_no.strip()[:64])
        if rid is None:
            raise InboundNotFound(f"no receipt {receipt_no[:64]!r}", receipt=receipt_no[:64])
        view = await self._view_by_id(rid)
        warehouse = await self.warehouses.get(view.receipt.warehouse_id)
        await self.warehouses.require(principal, STOCK_VIEW, warehouse)
        return view

    async def list(self, principal: Principal, brand: Brand, *, status: str | None = None,
                   warehouse_ref: str | None = None, before_id: int | None = None,
                   limit: int = 50) -> list[Receipt]:  # fmt: skip
        """Receipts newest first in the warehouses ``principal`` may see."""
        if status not in (None, "open", "done"):
            raise InboundInvalid("status is open or done / 状态须为 open 或 done")
        visible = [w.id for w in await self.warehouses.in_scope(principal, brand)]
        if warehouse_ref:
            wanted = (await self.warehouses.find(brand, warehouse_ref)).id
            visible = [i for i in visible if i == wanted]
        async with self.ctx.db.read() as tx:
            return await store.receipts(tx, brand.id, visible, status, before_id,
                                        max(1, min(limit, 500)))  # fmt: skip

    async def _view_by_id(self, rid: int) -> ReceiptView:
        async with self.ctx.db.read() as tx:
            return await self._view(tx, rid)

    async def _view(self, tx: Tx, rid: int) -> ReceiptView:
        receipt = await store.receipt(tx, rid)
        assert receipt is not None
        return ReceiptView(receipt, await store.lines(tx, rid), await store.inspections(tx, rid))


_ZH = {DecisionKind.ACCEPT_ALL: "全部合格", DecisionKind.REJECT_ALL: "全部拒收",
       DecisionKind.ACCEPT_PART: "部分合格", DecisionKind.RELEASE: "免检入库"}  # fmt: skip


def _line(view: ReceiptView, line_no: int) -> ReceiptLine:
    for line in view.lines:
        if line.line_no == line_no:
            return line
    raise InboundNotFound(f"no line {line_no} on {view.receipt.receipt_no}", line=line_no)


def _split(req: InspectRequest, line: ReceiptLine,
           outcome: sampling.Decision) -> tuple[int, int]:  # fmt: skip
    """(accepted, rejected) of a decision; ``inbound_invalid`` when they do not fit."""
    q = line.quantity
    if req.decision is DecisionKind.ACCEPT_ALL:
        if outcome is not sampling.Decision.ACCEPT:
            raise InboundInvalid(
                f"{req.defects} defects reject the lot under this plan: reject all or"
                f" accept part / 不合格数已达拒收数，只能全部拒收或部分接收",
                defects=req.defects,
            )  # fmt: skip
        return q, 0
    if req.decision is DecisionKind.REJECT_ALL:
        return 0, q
    if req.decision is DecisionKind.ACCEPT_PART:
        a, r = req.accepted, req.rejected
        if a is None or r is None or a < 1 or r < 1 or a + r != q:
            raise InboundInvalid(
                f"accept part: accepted and rejected are >= 1 and add up to {q}"
                f" / 部分接收：合格数与不合格数均须 >= 1 且合计为 {q}",
                quantity=q, accepted=a, rejected=r,
            )  # fmt: skip
        return a, r
    raise InboundInvalid("decide accept_all, reject_all or accept_part"
                         " / 决定须为 accept_all、reject_all 或 accept_part")  # fmt: skip

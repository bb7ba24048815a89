"""Return and exchange requests: the dealer asks, the brand reviews.

Contracts (who: ``orders.place`` for the ordering dealer's own users, ``orders.review``
for the brand's reviewers; every refusal is coded and changes nothing):

- :meth:`ReturnService.open`: a request on one of the dealer's orders, every unit named
  by its code. Checked in this order: the reason is one of the brand's; the order was
  delivered and the return window is open; each code is a genuine code of the brand
  (``return_unit_fake``), was shipped on this order to this dealer
  (``return_unit_not_on_order``) and is not in another request on this order
  (``return_unit_returned``); each product may be returned (opened or not); per product
  the units asked <= delivered - already in requests (``return_too_many``). Refused
  units are kept as alerts with their evidence and the brand's reviewers are told
  (``return_alert``). Requests on one order are serialised by a lock, so two at once can
  never return more than was delivered. ``client_id`` makes a retried form a replay;
- review: :meth:`approve` (all units, or only the named ones: the others are declined
  and may be asked again), :meth:`reject` with a reason, :meth:`ask` a question
  (``info_requested`` until the dealer :meth:`answer` s); :meth:`post` adds to the
  thread without a change of status; the dealer may :meth:`cancel` until goods come
  back;
- every change appends an event (the request's timeline), tells the dealer's users and
  the brand's reviewers (``return_status``) and publishes ``commerce.return`` on the
  event stream, in the transaction of the change (publishing last).

The goods' way back is :mod:`.returns_goods`; refunds and exchanges
:mod:`.returns_resolve`; the statistics :mod:`.returns_stats`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from veriseal import SYSTEM_PRINCIPAL, Brand, Forbidden, Principal, Role
from veriseal.extend import PluginContext, Tx
from veriseal_commerce import returns_store as store
from veriseal_commerce import returns_units as units_mod
from veriseal_commerce.orders import OrderService, actor_of
from veriseal_commerce.orders_store import Order
from veriseal_commerce.permissions import (
    ORDERS_FULFIL,
    ORDERS_PLACE,
    ORDERS_REVIEW,
    RETURN_ALERT,
    RETURN_STATUS,
)
from veriseal_commerce.returns_errors import ReturnInvalid, ReturnNotEligible
from veriseal_commerce.returns_policy import (
    ReturnSettings,
    check_products,
    check_quantities,
    check_window,
    checked_reasons,
)
from veriseal_commerce.returns_states import ReturnAction, ReturnStatus, UnitStatus, next_status
from veriseal_commerce.returns_store import (
    NewReturn,
    ReturnEvent,
    ReturnLine,
    ReturnMessage,
    ReturnRequest,
    ReturnUnit,
)
from veriseal_commerce.returns_units import Finding, Where

_DEALERS = frozenset({Role.DISTRIBUTOR, Role.RETAILER})
KINDS = frozenset({"return", "exchange"})
MAX_TEXT = 1000
PHOTO_TYPES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
MAX_PHOTO = 5 * 1024 * 1024
MAX_PHOTOS = 9


@dataclass(frozen=True)
class ReturnAsk:
    """What a dealer asks: ``codes`` of the units, ``opened`` the GTINs whose units were
    opened, ``reason`` one of the brand's reason codes (``other`` needs ``detail``)."""

    order_no: str
    kind: str
    reason: str
    codes: Sequence[str]
    detail: str = ""
    opened: Sequence[str] = ()
    client_id: str | None = None


@dataclass(frozen=True)
class ReturnView:
    request: ReturnRequest
    events: list[ReturnEvent]
    messages: list[ReturnMessage]
    photos: list[tuple[int, str, str]]

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.request.to_dict(),
            "events": [e.to_dict() for e in self.events],
            "messages": [m.to_dict() for m in self.messages],
            "photos": [{"id": i, "content_type": c, "filename": f} for i, c, f in self.photos],
        }


@dataclass(frozen=True)
class Step:
    """One change of a request: the action, who, a note, event data, and what else
    changes on the row (``refunded``, ``replacement_no``)."""

    action: ReturnAction
    actor: str
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    row: dict[str, Any] = field(default_factory=dict)


def text(value: str, name: str, limit: int = MAX_TEXT, *, required: bool = False) -> str:
    """``value`` stripped, at most ``limit`` characters (``return_invalid``)."""
    out = str(value).strip()
    if len(out) > limit or (required and not out):
        raise ReturnInvalid(
            f"{name}: {'1' if required else '0'} to {limit} characters / {name} 长度无效",
            field=name,
        )
    return out


class ReturnService:
    """Return and exchange requests (see the module docstring)."""

    def __init__(self, ctx: PluginContext, orders: OrderService) -> None:
        self.ctx = ctx
        self.orders = orders

    # -- access --------------------------------------------------------------------------
    async def readable(self, principal: Principal, request: ReturnRequest) -> None:
        """Brand staff of the request's brand (reviewers, and the warehouse's people who
        receive and inspect the goods), or a dealer over the request's org."""
        if principal.role not in _DEALERS:
            action = ORDERS_REVIEW if self.ctx.allowed(principal, ORDERS_REVIEW) else ORDERS_FULFIL
            self.ctx.require(principal, action, brand_id=request.brand_id)
            return
        self.ctx.require(principal, ORDERS_PLACE, org=await self.ctx.org(request.org_id))

    def own(self, principal: Principal, org_id: int) -> None:
        """The requesting dealer's own users (never a parent's)."""
        self.ctx.require(principal, ORDERS_PLACE)
        if principal.org is None or principal.org.id != org_id:
            raise Forbidden("only the dealer's own users may do this / 仅限该经销商本身的用户")

    async def load(self, principal: Principal, return_no: str) -> ReturnRequest:
        """The request if ``principal`` may read it (``return_not_found`` / ``forbidden``)."""
        async with self.ctx.db.read() as tx:
            request = await store.get(tx, await store.id_of(tx, text(return_no, "return_no", 40)))
        await self.readable(principal, request)
        return request

    async def reviewable(self, principal: Principal, return_no: str) -> ReturnRequest:
        self.ctx.require(principal, ORDERS_REVIEW)  # the role first: a 403 whatever the input
        request = await self.load(principal, return_no)
        self.ctx.require(principal, ORDERS_REVIEW, brand_id=request.brand_id)
        return request

    async def view(self, principal: Principal, return_no: str) -> ReturnView:
        request = await self.load(principal, return_no)
        async with self.ctx.db.read() as tx:
            return ReturnView(
                request,
                await store.events(tx, request.id),
                await store.messages(tx, request.id),
                await store.photos(tx, request.id),
            )

    async def listing(
        self, principal: Principal, brand: Brand, status: str | None = None, limit: int = 100
    ) -> list[ReturnRequest]:
        """The brand's requests (reviewers) or the dealer's subtree's, newest first."""
        org_ids: list[int] | None = None
        if principal.role in _DEALERS:
            self.ctx.require(principal, ORDERS_PLACE, brand_id=brand.id)
            root = principal.org.id if principal.org is not None else None
            org_ids = [o.id for o in await self.ctx.org_tree(principal, root)]
        else:
            self.ctx.require(principal, ORDERS_REVIEW, brand_id=brand.id)
        if status is not None and status not in {str(s) for s in ReturnStatus}:
            raise ReturnInvalid(f"unknown status {status[:30]!r} / 状态无效")
        async with self.ctx.db.read() as tx:
            ids = await store.list_returns(tx, brand.id, org_ids, status, min(max(limit, 1), 500))
            return [await store.get(tx, i) for i in ids]

    # -- settings ------------------------------------------------------------------------
    async def settings(self, principal: Principal, brand: Brand) -> ReturnSettings:
        """The brand's rules: its dealers and reviewers may read them."""
        if principal.role in _DEALERS:
            self.ctx.require(principal, ORDERS_PLACE, brand_id=brand.id)
        else:
            self.ctx.require(principal, ORDERS_REVIEW, brand_id=brand.id)
        async with self.ctx.db.read() as tx:
            return await store.settings(tx, brand.id)

    async def set_settings(
        self,
        principal: Principal,
        brand: Brand,
        *,
        window_days: int | None = None,
        no_return: Sequence[str] | None = None,
        sealed_only: Sequence[str] | None = None,
        reasons: Sequence[dict[str, Any]] | None = None,
    ) -> ReturnSettings:
        """Change the brand's rules (``orders.review``); what is not given stays."""
        self.ctx.require(principal, ORDERS_REVIEW, brand_id=brand.id)
        async with self.ctx.db.read() as tx:
            was = await store.settings(tx, brand.id)
        if window_days is not None and (
            isinstance(window_days, bool)
            or not isinstance(window_days, int)
            or not 0 <= window_days <= 3650
        ):
            raise ReturnInvalid("window_days: 0 to 3650 / 退换货期限无效")
        for gtin in [*(no_return or ()), *(sealed_only or ())]:
            await self.ctx.product(brand, str(gtin))  # product_not_found
        new = ReturnSettings(
            brand.id,
            was.window_days if window_days is None else window_days,
            was.no_return if no_return is None else frozenset(map(str, no_return)),
            was.sealed_only if sealed_only is None else frozenset(map(str, sealed_only)),
            was.reasons if reasons is None else checked_reasons(reasons),
            actor_of(principal),
            dt.datetime.now(dt.UTC),
        )
        async with self.ctx.db.write() as tx:
            await store.save_settings(tx, new)
        return new

    # -- the dealer's side ---------------------------------------------------------------
    async def open(self, principal: Principal, ask: ReturnAsk) -> ReturnRequest:
        """A new request (see the module docstring)."""
        self.ctx.require(principal, ORDERS_PLACE)  # the role first
        order = await self.orders.load(principal, text(ask.order_no, "order_no", 40, required=True))
        self.own(principal, order.org_id)
        if ask.kind not in KINDS:
            raise ReturnInvalid("kind is return or exchange / 类型须为退货或换货")
        async with self.ctx.db.read() as tx:
            rules = await store.settings(tx, order.brand_id)
            shipments = await store.order_fulfilments(tx, order.id)
        reason = rules.reason(text(ask.reason, "reason", 40, required=True))
        detail = text(ask.detail, "detail", required=reason.code == "other")
        client_id = text(ask.client_id, "client_id", 64) or None if ask.client_id else None
        codes = units_mod.read_codes(ask.codes)
        delivered = [at for _, status, at in shipments if status == "delivered" and at]
        check_window(max(delivered, default=None), dt.datetime.now(dt.UTC), rules.window_days)
        if client_id is not None:  # a retried form: the request it made, if any
            async with self.ctx.db.read() as tx:
                probe = NewReturn(
                    order.brand_id,
                    0,
                    0,
                    "",
                    "",
                    "",
                    "",
                    actor_of(principal),
                    client_id,
                    dt.datetime.now(dt.UTC),
                )
                seen = await store.by_client_id(tx, probe)
                if seen is not None:
                    return await store.get(tx, seen)
        found = await self._units_for(principal, order, codes, [m for m, _, _ in shipments])
        asked: dict[str, int] = {}
        for u in found:
            asked[u.gtin] = asked.get(u.gtin, 0) + 1
        opened = {str(g) for g in ask.opened}
        check_products(rules, [(g, g in opened) for g in sorted(asked)])
        names = {ln.gtin: ln.name for ln in order.lines}
        lines = [
            ReturnLine(n, g, names.get(g, g), k, None, g in opened)
            for n, (g, k) in enumerate(sorted(asked.items()), 1)
        ]
        now = dt.datetime.now(dt.UTC)
        new = NewReturn(
            order.brand_id,
            order.org_id,
            order.id,
            _return_no(now),
            ask.kind,
            reason.code,
            detail,
            actor_of(principal),
            client_id,
            now,
        )
        recipients = await self.recipients(order.org_id, order.brand_id)
        async with self.ctx.db.write() as tx:
            await tx.advisory_lock(f"commerce:returns:order:{order.id}")
            return_id = await store.insert(tx, new)
            if return_id is None:  # a retried form: the first request
                found_id = await store.by_client_id(tx, new)
                assert found_id is not None
                return await store.get(tx, found_id)
            late = await self._returned(tx, order.id, found)
            if late:  # another request took them meanwhile: nothing is written
                raise units_mod.refusal(late)
            delivered_n: dict[str, int] = {}
            for ln in order.lines:
                delivered_n[ln.gtin] = delivered_n.get(ln.gtin, 0) + ln.delivered
            check_quantities(delivered_n, await store.returned_of_order(tx, order.id), asked)
            await store.insert_lines(tx, return_id, lines)
            await store.claim_units(
                tx,
                return_id,
                order.id,
                [
                    ReturnUnit(u.batch_id, u.index, u.gtin, u.code, UnitStatus.REQUESTED, None)
                    for u in found
                ],
            )
            request = await store.get(tx, return_id)
            data = {
                "kind": ask.kind,
                "units": asked,
                "reason": reason.code,
                "verdicts": sorted({u.verdict for u in found}),
            }
            await self.record(
                tx,
                request,
                Step(ReturnAction.ASK, new.created_by, detail, data),
                recipients,
                status=str(ReturnStatus.REQUESTED),
                opened=True,
            )
            return await store.get(tx, return_id)

    async def _units_for(
        self, principal: Principal, order: Order, codes: Sequence[str], movements: list[int]
    ) -> list[units_mod.Unit]:
        """The genuine units ``codes`` name, each shipped on ``order`` to its dealer and
        in no other request on it; else the findings are kept as alerts and refused."""
        brand = await self.ctx.brand_by_id(order.brand_id)
        found, findings = await units_mod.identify(self.ctx, brand, codes)
        shipped = await units_mod.shipped_on(self.ctx, brand.id, movements)
        if shipped is None:
            raise ReturnNotEligible("returns by code need the territories plugin / 需启用渠道插件")
        findings += units_mod.not_on_order(found, shipped, order.order_no)
        bad = {f.code for f in findings}
        found = [u for u in found if u.code not in bad]
        async with self.ctx.db.read() as tx:
            findings += await self._returned(tx, order.id, found)
        if findings:
            where = Where(
                order.brand_id, order.org_id, order.id, order.order_no, actor_of(principal)
            )
            await self.alert(where, findings)
            raise units_mod.refusal(findings)
        return found

    async def _returned(
        self, tx: Tx, order_id: int, found: Sequence[units_mod.Unit]
    ) -> list[Finding]:
        """``already_returned`` findings for the units another request on the order
        holds (one query for the order's requested units, however many are scanned)."""
        holders = await store.holders(tx, order_id)
        out = []
        for u in found:
            held = holders.get(u.key)
            if held is not None:
                out.append(
                    Finding(
                        "already_returned",
                        u.code,
                        {"return_no": held[0], "unit_status": held[1], "verdict": u.verdict},
                    )
                )
        return out

    async def cancel(self, principal: Principal, return_no: str, reason: str = "") -> ReturnRequest:
        """The dealer withdraws its request before any unit came back."""
        request = await self.load(principal, return_no)
        self.own(principal, request.org_id)
        return await self.act(
            request,
            Step(ReturnAction.CANCEL, actor_of(principal), text(reason, "reason")),
            drop=True,
        )

    async def answer(self, principal: Principal, return_no: str, body: str) -> ReturnRequest:
        """The dealer answers the brand's question: back to review."""
        request = await self.load(principal, return_no)
        self.own(principal, request.org_id)
        body = text(body, "body", required=True)
        return await self.act(
            request, Step(ReturnAction.ANSWER, actor_of(principal), body), message=("dealer", body)
        )

    async def post(self, principal: Principal, return_no: str, body: str) -> ReturnMessage:
        """A message on the request's thread (either side), its status unchanged."""
        request = await self.load(principal, return_no)
        side = "dealer" if principal.role in _DEALERS else "brand"
        if side == "dealer":
            self.own(principal, request.org_id)
        msg = ReturnMessage(
            side, actor_of(principal), text(body, "body", required=True), dt.datetime.now(dt.UTC)
        )
        recipients = await self.recipients(request.org_id, request.brand_id)
        async with self.ctx.db.write() as tx:
            await store.add_message(tx, request.id, msg)
            await self.ctx.notify(
                recipients,
                RETURN_STATUS,
                f"退换货 {request.return_no} 新留言 / New message on {request.return_no}",
                msg.body,
                {"return_no": request.return_no},
                tx=tx,
            )
        return msg

    async def add_photo(
        self, principal: Principal, return_no: str, content_type: str, filename: str, data: bytes
    ) -> int:
        """A photo of the goods (PNG or JPEG, at most 5 MB, 9 per request), by the dealer
        while the request is under review."""
        request = await self.load(principal, return_no)
        self.own(principal, request.org_id)
        magic = PHOTO_TYPES.get(content_type)
        if magic is None or not data.startswith(magic) or len(data) > MAX_PHOTO:
            raise ReturnInvalid(
                "a photo is a PNG or JPEG of at most 5 MB / 照片须为 5 MB 以内的 PNG 或 JPEG"
            )
        if request.status not in (ReturnStatus.REQUESTED, ReturnStatus.INFO_REQUESTED):
            raise ReturnInvalid(
                "photos are added while the request is reviewed / 审核期间才可上传照片"
            )
        name = text(filename, "filename", 200) or "photo"
        async with self.ctx.db.write() as tx:
            await store.get(tx, request.id, lock=True)
            if len(await store.photos(tx, request.id)) >= MAX_PHOTOS:
                raise ReturnInvalid(f"at most {MAX_PHOTOS} photos / 最多 {MAX_PHOTOS} 张照片")
            return await store.add_photo(
                tx, request.id, content_type, name, data, dt.datetime.now(dt.UTC)
            )

    async def photo(self, principal: Principal, photo_id: int) -> tuple[str, str, bytes]:
        """(content type, filename, bytes) of a photo, for the dealer's org and the brand."""
        async with self.ctx.db.read() as tx:
            found = await store.photo(tx, photo_id)
            request = None if found is None else await store.get(tx, found[0])
        if found is None or request is None:
            from veriseal_commerce.returns_errors import ReturnNotFound  # noqa: PLC0415

            raise ReturnNotFound(f"no photo {photo_id}")
        await self.readable(principal, request)
        return found[1], found[2], found[3]

    # -- the brand's review ----------------------------------------------------------------
    async def approve(
        self,
        principal: Principal,
        return_no: str,
        codes: Sequence[str] | None = None,
        note: str = "",
    ) -> ReturnRequest:
        """Approve every unit, or only ``codes`` (the others are declined)."""
        request = await self.reviewable(principal, return_no)
        next_status(ReturnStatus(request.status), ReturnAction.APPROVE)  # fail early
        keep = {(u.batch_id, u.index) for u in request.units}
        if codes is not None:
            wanted = set(units_mod.read_codes(codes))
            keep = {(u.batch_id, u.index) for u in request.units if u.code in wanted}
            unknown = wanted - {u.code for u in request.units}
            if unknown:
                raise ReturnInvalid(
                    f"{sorted(unknown)[0]}: not on this request / 不在此申请中",
                    code=sorted(unknown)[0],
                )
        if not keep:
            raise ReturnInvalid("approve at least one unit, or reject / 至少批准一件，或驳回")
        per_line: dict[str, int] = {}
        for u in request.units:
            if (u.batch_id, u.index) in keep:
                per_line[u.gtin] = per_line.get(u.gtin, 0) + 1
        approved = {ln.line_no: per_line.get(ln.gtin, 0) for ln in request.lines}
        declined = [
            (u.batch_id, u.index) for u in request.units if (u.batch_id, u.index) not in keep
        ]
        data = {
            "approved": {ln.gtin: approved[ln.line_no] for ln in request.lines},
            "declined": len(declined),
        }
        return await self.act(
            request,
            Step(ReturnAction.APPROVE, actor_of(principal), text(note, "note"), data),
            approve=(approved, sorted(keep), declined),
        )

    async def reject(self, principal: Principal, return_no: str, reason: str) -> ReturnRequest:
        request = await self.reviewable(principal, return_no)
        why = text(reason, "reason", required=True)
        return await self.act(
            request, Step(ReturnAction.REJECT, actor_of(principal), why), drop=True
        )

    async def ask(self, principal: Principal, return_no: str, question: str) -> ReturnRequest:
        request = await self.reviewable(principal, return_no)
        body = text(question, "question", required=True)
        return await self.act(
            request, Step(ReturnAction.ASK, actor_of(principal), body), message=("brand", body)
        )

    # -- the one way a request changes -------------------------------------------------------
    async def act(
        self,
        request: ReturnRequest,
        step: Step,
        *,
        drop: bool = False,
        message: tuple[str, str] | None = None,
        approve: tuple[dict[int, int], list[tuple[int, int]], list[tuple[int, int]]] | None = None,
    ) -> ReturnRequest:
        """Apply one transition under the request's lock (fails before writing when the
        machine has no such move). ``drop``: give every unit back (reject, cancel)."""
        next_status(ReturnStatus(request.status), step.action)
        recipients = await self.recipients(request.org_id, request.brand_id)
        async with self.ctx.db.write() as tx:
            current = await store.get(tx, request.id, lock=True)
            if drop:  # never while goods are back, or on their way in (a pending intake)
                if current.count(*_BACK_AT_BRAND) or await store.pending_units(tx, current.id):
                    raise ReturnInvalid(
                        "units are back already: cancel is no longer possible"
                        " / 已有商品退回，不能撤销"
                    )
                await store.drop_units(
                    tx, current.id, [(u.batch_id, u.index) for u in current.units]
                )
            if message is not None:
                await store.add_message(
                    tx,
                    current.id,
                    ReturnMessage(message[0], step.actor, message[1], dt.datetime.now(dt.UTC)),
                )
            if approve is not None:
                await store.set_approved(tx, current.id, approve[0])
                await store.set_units(tx, current.id, approve[1], UnitStatus.APPROVED)
                await store.drop_units(tx, current.id, approve[2])
            await self.move(tx, current, step, recipients)
            return await store.get(tx, current.id)

    async def move(
        self, tx: Tx, request: ReturnRequest, step: Step, recipients: Sequence[int]
    ) -> str:
        """One transition of the machine in ``tx`` (``return_transition`` if none)."""
        to = next_status(ReturnStatus(request.status), step.action)
        await self.record(tx, request, step, recipients, status=str(to))
        return str(to)

    async def record(
        self,
        tx: Tx,
        request: ReturnRequest,
        step: Step,
        recipients: Sequence[int],
        *,
        status: str,
        opened: bool = False,
        label: str | None = None,
    ) -> None:
        """The row's change, its timeline event, the messages and the stream event (last);
        ``label`` names the event when it is not the step's action (a unit's fate)."""
        now = dt.datetime.now(dt.UTC)
        before = "new" if opened else request.status
        await store.set_status(tx, request.id, status, now, **step.row)
        action = "open" if opened else label or str(step.action)
        await store.append_event(
            tx,
            request.id,
            ReturnEvent(0, action, before, status, step.actor, step.note, step.data, now),
        )
        title = (
            f"退换货 {request.return_no}：{_ZH.get(status, status)}"
            f" / Return {request.return_no}: {status}"
        )
        await self.ctx.notify(
            recipients,
            RETURN_STATUS,
            title,
            step.note or title,
            {
                "return_no": request.return_no,
                "order_no": request.order_no,
                "status": status,
                "action": action,
            },
            tx=tx,
        )
        await self.ctx.publish(
            tx,
            "commerce.return",
            request.brand_id,
            request.id,
            {
                "return_no": request.return_no,
                "order_no": request.order_no,
                "action": action,
                "from": before,
                "to": status,
                "kind": request.kind,
            },
        )

    async def recipients(self, org_id: int, brand_id: int) -> list[int]:
        """The dealer organisation's users and the brand's reviewers: the orders' own
        recipients (looked up before any transaction opens)."""
        return await self.orders.recipients(org_id, brand_id)

    async def alert(self, where: Where, findings: Sequence[Finding]) -> None:
        """Keep the findings as alerts and tell the brand's reviewers (``return_alert``)."""
        await units_mod.record(self.ctx, where, findings)
        kinds = sorted({f.kind for f in findings})
        body = "; ".join(f"{f.kind}: {f.code}" for f in findings[:20])
        await self.ctx.notify(
            await self.orders.reviewers(where.brand_id),
            RETURN_ALERT,
            f"退货异常 / Suspicious return on {where.order_no}: {', '.join(kinds)}",
            body,
            {"order_no": where.order_no, "kinds": kinds},
        )

    async def alerts(
        self, principal: Principal, brand: Brand, limit: int = 100
    ) -> list[store.ReturnAlert]:
        """The brand's return alerts (reviewers)."""
        self.ctx.require(principal, ORDERS_REVIEW, brand_id=brand.id)
        async with self.ctx.db.read() as tx:
            return await store.alerts(tx, brand.id, None, min(max(limit, 1), 500))

    async def order_of(self, request: ReturnRequest) -> Order:
        return await self.orders.load(SYSTEM_PRINCIPAL, request.order_no)


#: Unit statuses of goods that are (or were) back at the brand.
_BACK_AT_BRAND = (
    UnitStatus.RECEIVED,
    UnitStatus.RESTOCKED,
    UnitStatus.REJECTED,
    UnitStatus.SCRAPPED,
    UnitStatus.SENT_BACK,
)

_ZH = {
    "requested": "待审核",
    "info_requested": "待补充信息",
    "approved": "已批准",
    "receiving": "退回中",
    "received": "已收货",
    "inspected": "已质检",
    "refund_pending": "退款处理中",
    "completed": "已完成",
    "rejected": "已驳回",
    "cancelled": "已撤销",
}


def _return_no(now: dt.datetime) -> str:
    """``RT<yyyymmdd><8 random hex>``: unguessable, sortable by day, a valid refund number."""
    return f"RT{now:%Y%m%d}{secrets.token_hex(4).upper()}"

"""The goods' way back: received into quarantine, inspected, restocked, scrapped or
sent back.

Contracts (brand staff with ``orders.fulfil`` for the warehouse steps, ``orders.review``
for scrapping; the other plugins check their own permissions too: territories'
``scans.record``, inventory's ``stock.move`` / ``stock.inspect``):

- :meth:`ReturnGoods.receive`: the brand scans returned units in at a warehouse. Each
  code must be genuine (a fake one is refused with ``return_unit_fake`` and kept as an
  alert: a fake sent back in place of a genuine unit) and an approved unit of this
  request not received yet (``return_unit_state``); the warehouse must exist and be one
  ``principal`` may receive at (``inventory.receiving_at``: ``warehouse_not_found`` /
  ``forbidden``). All is checked before anything starts. The call is written down first (an
  *intake*, ``pending``), then territories takes the units back from the dealer
  (``territories.take_back``), then inventory takes them out of the dealer's stock and
  puts exactly those units in the warehouse's quarantine on a receipt that must be
  inspected (``inventory.receive_return``), then the intake is ``done`` and the units
  ``received`` in one transaction. Both calls carry the intake's client id, so a call
  cut short (a crash, a SIGKILL) is finished by its retry with the same ``client_id``
  or by the ``commerce.returns_resume`` task, with nothing done twice and nothing lost;
- :meth:`inspect` decides received units (accepted -> stock, rejected -> the rejected
  location, with a reason) through ``inventory.decide_return``; inventory publishes
  ``inventory.inspected`` and :meth:`apply_inspection` (called here at once, and by the
  ``commerce.returns`` consumer for decisions made on inventory's own pages) marks the
  units ``restocked`` / ``rejected``, idempotently;
- rejected units are :meth:`scrap` ped (the codes decommissioned with the reason, never
  to verify again, and the goods issued out of the rejected location) or
  :meth:`send_back` to the dealer (territories' ``territories.ship``).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from veriseal import SYSTEM_PRINCIPAL, IndexRange, Principal, normalise_ranges
from veriseal.extend import PluginContext, ServiceKey, Tx, Unavailable
from veriseal_commerce import returns_store as store
from veriseal_commerce import returns_units as units_mod
from veriseal_commerce.fulfilment import SHIP
from veriseal_commerce.orders import actor_of
from veriseal_commerce.permissions import ORDERS_FULFIL, ORDERS_REVIEW
from veriseal_commerce.returns import ReturnService, Step, text
from veriseal_commerce.returns_errors import ReturnNotEligible, ReturnNotFound, ReturnUnitState
from veriseal_commerce.returns_states import ReturnAction, ReturnStatus, UnitStatus, next_status
from veriseal_commerce.returns_store import Intake, ReturnRequest
from veriseal_commerce.returns_units import Where as AlertWhere

Ranges = dict[int, list[tuple[int, int]]]


class Shipped(Protocol):
    @property
    def movement_ids(self) -> list[int]: ...


class TakeBack(Protocol):
    """territories' ``territories.take_back`` (declared here: plugins never import each other)."""

    async def __call__(
        self,
        principal: Principal,
        brand_id: int,
        from_org_id: int,
        items: Sequence[str],
        *,
        reference: str,
        client_id: str | None = None,
    ) -> Shipped: ...


class ReturnReceipt(Protocol):
    receipt_no: str
    warehouse: str


TAKE_BACK: ServiceKey[TakeBack] = ServiceKey("territories.take_back")
RECEIVE_RETURN: ServiceKey[Any] = ServiceKey("inventory.receive_return")
RECEIVING_AT: ServiceKey[Any] = ServiceKey("inventory.receiving_at")
DECIDE_RETURN: ServiceKey[Any] = ServiceKey("inventory.decide_return")
SCRAP: ServiceKey[Any] = ServiceKey("inventory.scrap")

#: A test knob: the named point SIGKILLs this process (``VERISEAL_FAILPOINT``), so a
#: test can prove a cut-short call loses nothing. Never set in production.
FAILPOINT = "VERISEAL_FAILPOINT"


def failpoint(name: str) -> None:
    if os.environ.get(FAILPOINT) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def ranges_of(keys: Sequence[tuple[int, int]]) -> Ranges:
    """(batch, index) pairs as sorted, merged inclusive ranges per batch."""
    by_batch: dict[int, list[IndexRange]] = {}
    for b, i in keys:
        by_batch.setdefault(b, []).append(IndexRange(i, i))
    return {
        b: [(r.first, r.last) for r in normalise_ranges(spans)]
        for b, spans in sorted(by_batch.items())
    }


def by_receipt(request: ReturnRequest, units: Sequence[units_mod.Unit]
               ) -> dict[str, list[tuple[int, int]]]:  # fmt: skip
    """``units`` (of the request) grouped by the inventory receipt they came back on."""
    receipt_of = {(u.batch_id, u.index): u.receipt_no or "" for u in request.units}
    out: dict[str, list[tuple[int, int]]] = {}
    for u in units:
        out.setdefault(receipt_of[u.key], []).append(u.key)
    return out


def keys_of(ranges: Ranges) -> set[tuple[int, int]]:
    return {
        (int(b), i) for b, spans in ranges.items() for f, last in spans for i in range(f, last + 1)
    }


def _service(ctx: PluginContext, key: ServiceKey[Any], what: str) -> Any:
    found = ctx.optional(key)
    if isinstance(found, Unavailable):
        raise ReturnNotEligible(f"returns need the {what} plugin / 需启用{what}插件")
    return found


@dataclass
class ReturnGoods:
    """The warehouse steps of returns (see the module docstring)."""

    ctx: PluginContext
    returns: ReturnService

    async def _brand_staff(
        self, principal: Principal, return_no: str, action: Any = ORDERS_FULFIL
    ) -> ReturnRequest:
        self.ctx.require(principal, action)  # the role first
        request = await self.returns.load(principal, return_no)
        self.ctx.require(principal, action, brand_id=request.brand_id)
        return request

    async def _units(
        self, request: ReturnRequest, codes: Sequence[str], principal: Principal, wanted: UnitStatus
    ) -> list[units_mod.Unit]:
        """The request's units named by ``codes``, each in status ``wanted``; fakes are
        refused and kept as alerts."""
        brand = await self.ctx.brand_by_id(request.brand_id)
        found, findings = await units_mod.identify(self.ctx, brand, units_mod.read_codes(codes))
        if findings:
            await self.returns.alert(
                AlertWhere(
                    request.brand_id,
                    request.org_id,
                    request.order_id,
                    request.order_no,
                    actor_of(principal),
                ),
                findings,
            )
            raise units_mod.refusal(findings)
        mine = {(u.batch_id, u.index): u for u in request.units}
        wrong = [u for u in found if u.key not in mine or mine[u.key].status is not wanted]
        if wrong:
            first = wrong[0]
            now = str(mine[first.key].status) if first.key in mine else "not_on_request"
            raise ReturnUnitState(
                f"{first.code}: {now}, not {wanted} / 该商品不处于{wanted}环节",
                code=first.code,
                status=now,
                wanted=str(wanted),
                codes=[u.code for u in wrong][:50],
            )
        return found

    # -- receiving ---------------------------------------------------------------------
    async def receive(
        self,
        principal: Principal,
        return_no: str,
        codes: Sequence[str],
        *,
        warehouse: str | None = None,
        client_id: str | None = None,
    ) -> ReturnRequest:
        """Scan returned units in (see the module docstring)."""
        request = await self._brand_staff(principal, return_no)
        client = text(client_id or uuid.uuid4().hex, "client_id", 64, required=True)
        where = text(warehouse or "", "warehouse", 40) or None
        async with self.ctx.db.read() as tx:
            done = await store.intake(tx, request.id, client)
        if done is None:
            next_status(ReturnStatus(request.status), ReturnAction.RECEIVE_PART)  # fail early
            # the warehouse and the right to receive there, before anything is started
            where = await _service(self.ctx, RECEIVING_AT, "inventory")(
                principal, request.brand_id, where
            )
            found = await self._units(request, codes, principal, UnitStatus.APPROVED)
            keys = sorted(u.key for u in found)
            async with self.ctx.db.write() as tx:
                current = await store.get(tx, request.id, lock=True)
                done = await store.intake(tx, request.id, client)
                if done is None:
                    busy = await store.pending_units(tx, request.id) & set(keys)
                    states = {(u.batch_id, u.index): u.status for u in current.units}
                    if busy or any(states.get(k) is not UnitStatus.APPROVED for k in keys):
                        raise ReturnUnitState(
                            "some units are being received right now / 部分商品正在收货",
                            codes=len(busy),
                        )
                    done = await store.add_intake(
                        tx,
                        request.id,
                        client,
                        ranges_of(keys),
                        [u.code for u in found],
                        where,
                        actor_of(principal),
                        dt.datetime.now(dt.UTC),
                    )
        return await self.finish(principal, done)

    async def finish(self, principal: Principal, intake: Intake) -> ReturnRequest:
        """Take the intake's units back and into quarantine, then mark it done (each
        step idempotent by the intake's client id: see the module docstring)."""
        async with self.ctx.db.read() as tx:
            request = await store.get(tx, intake.return_id)
        if intake.status == "done":
            return request
        take_back = _service(self.ctx, TAKE_BACK, "territories")
        receive = _service(self.ctx, RECEIVE_RETURN, "inventory")
        key = f"{request.return_no}:in:{intake.id}"
        dealer = await self.ctx.org(request.org_id)
        back = await take_back(
            principal,
            request.brand_id,
            request.org_id,
            intake.codes,
            reference=request.return_no,
            client_id=key,
        )
        receipt = await receive(
            principal,
            request.brand_id,
            request.return_no,
            intake.units,
            supplier=dealer.name,
            client_id=key,
            warehouse=intake.warehouse,
            from_org=request.org_id,
            movements=back.movement_ids,
        )
        failpoint("returns.after_receipt")
        recipients = await self.returns.recipients(request.org_id, request.brand_id)
        async with self.ctx.db.write() as tx:
            current = await store.get(tx, request.id, lock=True)
            again = await store.intake(tx, request.id, intake.client_id)
            if again is not None and again.status == "done":
                return current
            await store.finish_intake(tx, intake.id, receipt.receipt_no)
            keys = sorted(keys_of(intake.units))
            await store.set_units(tx, current.id, keys, UnitStatus.RECEIVED, receipt.receipt_no)
            left = sum(current.count(UnitStatus.APPROVED).values()) - len(keys)
            action = ReturnAction.RECEIVE_ALL if left <= 0 else ReturnAction.RECEIVE_PART
            data = {
                "units": len(keys),
                "receipt_no": receipt.receipt_no,
                "warehouse": receipt.warehouse,
                "still_expected": max(left, 0),
            }
            await self.returns.move(
                tx,
                current,
                Step(action, intake.actor, f"{len(keys)} units / 件 -> {receipt.receipt_no}", data),
                recipients,
            )
            return await store.get(tx, current.id)

    async def resume(self, older_than: dt.timedelta = dt.timedelta(minutes=2)) -> int:
        """Finish intakes cut short (the ``commerce.returns_resume`` task); how many."""
        async with self.ctx.db.read() as tx:
            pending = await store.pending_intakes(tx, dt.datetime.now(dt.UTC) - older_than)
        for intake in pending:
            await self.finish(await self._as(intake.actor), intake)
        return len(pending)

    async def _as(self, actor: str) -> Principal:
        """The principal who made an intake (its calls are replayed by actor and client
        id: the other plugins' retries must be theirs); the system for other actors."""
        kind, _, ident = actor.partition(":")
        if kind != "user" or not ident.isdigit():
            return SYSTEM_PRINCIPAL
        user = await self.ctx.user(int(ident))
        org = None if user.org_id is None else await self.ctx.org(user.org_id)
        return Principal(user, org, None, "resume")

    # -- inspection ----------------------------------------------------------------------
    async def inspect(
        self,
        principal: Principal,
        return_no: str,
        *,
        accepted: Sequence[str] = (),
        rejected: Sequence[str] = (),
        reason: str = "",
        client_id: str | None = None,
    ) -> ReturnRequest:
        """Decide received units through inventory (see the module docstring)."""
        request = await self._brand_staff(principal, return_no)
        why = text(reason, "reason")
        good = (
            await self._units(request, accepted, principal, UnitStatus.RECEIVED) if accepted else []
        )
        bad = (
            await self._units(request, rejected, principal, UnitStatus.RECEIVED) if rejected else []
        )
        if not good and not bad:
            raise ReturnUnitState("name the units accepted or rejected / 请指定合格或不合格的商品")
        if {u.key for u in good} & {u.key for u in bad}:
            raise ReturnUnitState(
                "a unit cannot be both accepted and rejected / 同一商品不能既合格又不合格"
            )
        good_at, bad_at = by_receipt(request, good), by_receipt(request, bad)
        decide = _service(self.ctx, DECIDE_RETURN, "inventory")
        client = text(client_id or uuid.uuid4().hex, "client_id", 56, required=True)
        for n, receipt_no in enumerate(sorted(good_at.keys() | bad_at.keys())):
            await decide(
                principal,
                request.brand_id,
                receipt_no,
                ranges_of(good_at.get(receipt_no, [])),
                ranges_of(bad_at.get(receipt_no, [])),
                reason=why,
                client_id=f"{client}:{n}",
            )
        await self.apply_inspection(
            request.return_no,
            ranges_of([u.key for u in good]),
            ranges_of([u.key for u in bad]),
            why,
            actor_of(principal),
        )
        return await self.returns.load(principal, return_no)

    async def apply_inspection(
        self,
        return_no: str,
        accepted: Ranges,
        rejected: Ranges,
        reason: str,
        actor: str,
        tx: Tx | None = None,
    ) -> bool:
        """Mark received units of the request restocked / rejected (others are left as
        they are: a redelivered decision changes nothing); True when something changed."""
        if tx is None:
            async with self.ctx.db.read() as rtx:
                request = await store.get(rtx, await store.id_of(rtx, return_no))
            recipients = await self.returns.recipients(request.org_id, request.brand_id)
            async with self.ctx.db.write() as wtx:
                return await self._apply(
                    wtx, request.id, accepted, rejected, reason, actor, recipients
                )
        try:
            request_id = await store.id_of(tx, return_no)
        except ReturnNotFound:  # a receipt of no return this module knows: nothing to do
            return False
        return await self._apply(tx, request_id, accepted, rejected, reason, actor, [])

    async def _apply(
        self,
        tx: Tx,
        request_id: int,
        accepted: Ranges,
        rejected: Ranges,
        reason: str,
        actor: str,
        recipients: Sequence[int],
    ) -> bool:
        current = await store.get(tx, request_id, lock=True)
        states = {(u.batch_id, u.index): u.status for u in current.units}
        ok = sorted(k for k in keys_of(accepted) if states.get(k) is UnitStatus.RECEIVED)
        ko = sorted(k for k in keys_of(rejected) if states.get(k) is UnitStatus.RECEIVED)
        if not ok and not ko:
            return False
        await store.set_units(tx, current.id, ok, UnitStatus.RESTOCKED)
        await store.set_units(tx, current.id, ko, UnitStatus.REJECTED)
        waiting = sum(current.count(UnitStatus.RECEIVED, UnitStatus.APPROVED).values())
        done = waiting - len(ok) - len(ko) <= 0 and current.status == ReturnStatus.RECEIVED
        action = ReturnAction.INSPECT_ALL if done else ReturnAction.INSPECT_PART
        step = Step(action, actor, reason, {"restocked": len(ok), "rejected": len(ko)})
        if current.status == ReturnStatus.RECEIVED:
            await self.returns.move(tx, current, step, recipients)
        else:  # still receiving: recorded on the timeline, the status stays
            await self.returns.record(tx, current, step, recipients, status=current.status)
        return True

    # -- rejected goods ----------------------------------------------------------------------
    async def scrap(
        self,
        principal: Principal,
        return_no: str,
        codes: Sequence[str],
        *,
        reason: str,
        client_id: str | None = None,
    ) -> ReturnRequest:
        """Rejected units destroyed: their codes decommissioned (never to verify again)
        and the goods issued out of the rejected location."""
        request = await self._brand_staff(principal, return_no, ORDERS_REVIEW)
        why = text(reason, "reason", 500, required=True)
        units = await self._units(request, codes, principal, UnitStatus.REJECTED)
        client = text(client_id or uuid.uuid4().hex, "client_id", 56, required=True)
        scrap = _service(self.ctx, SCRAP, "inventory")
        at = by_receipt(request, units)
        for n, (receipt_no, keys) in enumerate(sorted(at.items())):
            await scrap(
                principal,
                request.brand_id,
                receipt_no,
                ranges_of(keys),
                reason=why,
                client_id=f"{client}:{n}",
            )
        spans = ranges_of([u.key for u in units])
        for batch_id, pairs in spans.items():
            batch = await self.ctx.batch(batch_id)
            await self.ctx.decommission(
                batch,
                [IndexRange(f, last) for f, last in pairs],
                f"{request.return_no}: {why}",
                actor=actor_of(principal),
                destroyed=True,
            )
        return await self._dispose(request, units, UnitStatus.SCRAPPED, principal, why)

    async def send_back(
        self,
        principal: Principal,
        return_no: str,
        codes: Sequence[str],
        *,
        note: str = "",
        client_id: str | None = None,
    ) -> ReturnRequest:
        """Rejected units shipped back to the dealer (territories' shipment rules apply)."""
        request = await self._brand_staff(principal, return_no)
        units = await self._units(request, codes, principal, UnitStatus.REJECTED)
        ship = _service(self.ctx, SHIP, "territories")
        client = text(client_id or uuid.uuid4().hex, "client_id", 56, required=True)
        await ship(
            principal,
            request.brand_id,
            request.org_id,
            [u.code for u in units],
            reference=request.return_no,
            client_id=f"{request.return_no}:back:{client}",
        )
        return await self._dispose(
            request, units, UnitStatus.SENT_BACK, principal, text(note, "note")
        )

    async def _dispose(
        self,
        request: ReturnRequest,
        units: Sequence[units_mod.Unit],
        status: UnitStatus,
        principal: Principal,
        note: str,
    ) -> ReturnRequest:
        recipients = await self.returns.recipients(request.org_id, request.brand_id)
        async with self.ctx.db.write() as tx:
            current = await store.get(tx, request.id, lock=True)
            states = {(u.batch_id, u.index): u.status for u in current.units}
            keys = [u.key for u in units if states.get(u.key) is UnitStatus.REJECTED]
            if keys:
                await store.set_units(tx, current.id, keys, status)
                await self.returns.record(
                    tx,
                    current,
                    Step(ReturnAction.SETTLE, actor_of(principal), note, {str(status): len(keys)}),
                    recipients,
                    status=current.status,
                    label=str(status),
                )
            return await store.get(tx, current.id)

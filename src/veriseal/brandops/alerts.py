"""The workflow of the core's alerts (clone count, impossible travel, regions, local
copies, a stolen roll's unactivated scans, invalid-code floods).

States, in the vocabulary of the territories plugin's diversion alerts::

    open ──▶ investigating ──▶ confirmed        (final)
      │            │
      └────────────┴────────▶ dismissed ──▶ investigating   (reopened)

Confirming or dismissing needs a note saying why. Every step is an appended
``alert_events`` row (who, when, note); an alert's state is its newest event's, ``open``
before any. Reading needs ``alerts.read``, moving an alert ``alerts.manage`` (brand
admins in their brand, the platform admin); the alerts no brand owns (invalid-code
floods) are the platform admin's alone.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from veriseal.accounts.errors import Forbidden
from veriseal.accounts.models import Principal, Role
from veriseal.accounts.permissions import Action, require
from veriseal.brandops import workflow_store as store
from veriseal.brandops.scope import actor, brand_for
from veriseal.brandops.workflow_store import AlertRow, EventRow
from veriseal.errors import Conflict, InvalidInput, NotFound
from veriseal.i18n import register
from veriseal.ledger.base import Ledger
from veriseal.models import AlertKind, Brand, Scan
from veriseal.scanning.records import alert_record, scan_record

STATES = ("open", "investigating", "confirmed", "dismissed")
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"investigating", "dismissed"}),
    "investigating": frozenset({"confirmed", "dismissed"}),
    "confirmed": frozenset(),
    "dismissed": frozenset({"investigating"}),
}
#: Steps that need a note saying why.
NOTE_REQUIRED = frozenset({"confirmed", "dismissed"})
MAX_NOTE = 1000
#: Evidence scans shown with an alert (a flood names hundreds).
EVIDENCE_SHOWN = 50


class AlertTransition(Conflict):
    """A step the workflow does not allow from the alert's state (the territories
    plugin's diversion alerts use the same code)."""

    code = "alert_transition"


class AlertNoteRequired(InvalidInput):
    code = "alert_note_required"


class AlertNotFound(NotFound):
    """No such alert in the principal's reach. Its code stays ``not_found``: the
    territories plugin's ``alert_not_found`` names its diversion alerts."""


register(
    {
        "error.alert_transition": ("This alert cannot move to that state", "预警无法转到该状态"),
        "error.alert_note_required": (
            "Say why: confirming or dismissing an alert needs a note",
            "请说明理由：确认或驳回预警需要填写备注",
        ),
    }
)


def check_step(state: str, to: str, note: str) -> str:
    """The note to record for moving an alert from ``state`` to ``to`` (stripped), or
    ``AlertTransition`` / ``AlertNoteRequired``. The whole workflow rule, pure."""
    if to not in STATES:
        raise AlertTransition(f"state {to!r}: one of {', '.join(STATES)}", state=state)
    if to not in TRANSITIONS[state]:
        allowed = ", ".join(sorted(TRANSITIONS[state])) or "none (final)"
        raise AlertTransition(
            f"the alert is {state}: it can move to {allowed}, not {to}", state=state
        )
    clean = note.strip()
    if to in NOTE_REQUIRED and not clean:
        raise AlertNoteRequired(f"say why the alert is {to}: a note is required")
    if len(clean) > MAX_NOTE:
        raise InvalidInput(f"a note has at most {MAX_NOTE} characters")
    return clean


@dataclass(frozen=True)
class AlertCase:
    """One alert with its workflow history and (the first of) its evidence scans."""

    row: AlertRow
    events: tuple[EventRow, ...]
    evidence: tuple[Scan, ...]
    brand: Brand | None = None  # the alert's brand (None: the platform's own)

    @property
    def id(self) -> int:
        return self.row.alert.id

    @property
    def state(self) -> str:
        return self.row.state

    @property
    def next_states(self) -> tuple[str, ...]:
        return tuple(s for s in STATES if s in TRANSITIONS[self.state])

    @property
    def details(self) -> dict[str, Any]:
        loaded = json.loads(self.row.alert.alert.details or "{}")
        return loaded if isinstance(loaded, dict) else {"details": loaded}

    def to_dict(self) -> dict[str, Any]:
        return {
            **row_record(self.row),
            "next_states": list(self.next_states),
            "events": [event_record(e) for e in self.events],
            "evidence": [scan_record(s) for s in self.evidence],
        }


def row_record(row: AlertRow) -> dict[str, Any]:
    """An alert as the JSON API shows it: :func:`alert_record` and its state."""
    return {
        **alert_record(row.alert),
        "brand_id": row.alert.alert.brand_id,
        "state": row.state,
        "state_changed_at": row.changed_at.isoformat() if row.changed_at else None,
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }


def event_record(e: EventRow) -> dict[str, Any]:
    return {"id": e.id, "state": e.state, "at": e.at.isoformat(), "actor": e.actor,
            "note": e.note}  # fmt: skip


class AlertDesk:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    async def page(
        self,
        principal: Principal,
        brand: Brand | None,
        *,
        kind: AlertKind | None = None,
        code: str | None = None,
        state: str | None = None,
        beyond: int | None = None,
        newest_first: bool = True,
        limit: int = 50,
    ) -> list[AlertRow]:
        """The brand's alerts (``None``: those no brand owns, for the platform admin),
        newest first (ids below ``beyond``) or oldest first (ids above it), optionally of
        one kind, code and state."""
        _may_read(principal, None if brand is None else brand.id)
        if state is not None and state not in STATES:
            raise InvalidInput(f"state {state!r}: one of {', '.join(STATES)}")
        async with self._ledger.read() as tx:
            return await store.page(
                tx,
                None if brand is None else brand.id,
                kind=None if kind is None else str(kind),
                code=code,
                state=state,
                beyond=beyond,
                newest_first=newest_first,
                limit=limit,
            )

    async def brand(self, principal: Principal, slug: str | None = None) -> Brand:
        """The brand whose alerts the principal reads (``slug``: the platform admin's
        choice)."""
        return await brand_for(self._ledger, principal, (Action.ALERTS_READ,), slug)

    async def get(self, principal: Principal, alert_id: int) -> AlertCase:
        """One alert with its history and first :data:`EVIDENCE_SHOWN` evidence scans.
        ``Forbidden`` before anything is read for a role without ``alerts.read``;
        ``AlertNotFound`` for an alert outside the principal's brand too."""
        require(principal, Action.ALERTS_READ)
        async with self._ledger.read() as tx:
            row = await store.get(tx, alert_id)
            if row is None or not _may_see(principal, row.alert.alert.brand_id):
                raise AlertNotFound(f"no alert {alert_id}")
            events = await store.events(tx, alert_id)
            evidence = await store.scans(tx, row.alert.alert.evidence[:EVIDENCE_SHOWN])
        brand_id = row.alert.alert.brand_id
        brand = None if brand_id is None else await self._ledger.get_brand_by_id(brand_id)
        return AlertCase(row, tuple(events), tuple(evidence), brand)

    async def transition(
        self, principal: Principal, alert_id: int, to: str, note: str = ""
    ) -> AlertCase:
        """Move the alert to ``to`` (see :func:`check_step`); the event names the
        principal. Two reviewers at once are serialised: the second is checked against
        the first's state."""
        require(principal, Action.ALERTS_MANAGE)
        case = await self.get(principal, alert_id)
        brand_id = case.row.alert.alert.brand_id
        _may_manage(principal, brand_id)
        async with self._ledger.write() as tx:
            await store.lock(tx, alert_id)
            current = await store.get(tx, alert_id)
            assert current is not None  # alerts are never deleted
            clean = check_step(current.state, to, note)
            await store.append_event(
                tx, current.alert, to, dt.datetime.now(dt.UTC), actor(principal), clean
            )
        return await self.get(principal, alert_id)


def _may_see(principal: Principal, brand_id: int | None) -> bool:
    try:
        _may_read(principal, brand_id)
    except Forbidden:
        return False
    return True


def _may_read(principal: Principal, brand_id: int | None) -> None:
    if brand_id is None:
        require(principal, Action.ALERTS_READ)
        if principal.role is not Role.PLATFORM_ADMIN:
            raise Forbidden("the alerts of no brand are the platform admin's")
        return
    require(principal, Action.ALERTS_READ, brand_id=brand_id)


def _may_manage(principal: Principal, brand_id: int | None) -> None:
    if brand_id is None and principal.role is not Role.PLATFORM_ADMIN:
        raise Forbidden("the alerts of no brand are the platform admin's")
    require(principal, Action.ALERTS_MANAGE, brand_id=brand_id)

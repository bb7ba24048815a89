"""The brand console's JSON API (the console pages show the same through its views):

- ``GET /api/v1/dashboard?brand=`` (``scans.read``): today's and the last 30 days'
  scans, the verdict mix, scans by province, a 14-day trend and the open alerts, from
  the daily rollup (days in UTC+8; see :mod:`veriseal.brandops.dashboard`).
- ``GET /api/v1/batches?brand=`` (``line.operate``): the brand's batches, newest first.
- ``GET /api/v1/alerts/{id}`` (``alerts.read``): one core alert with its state, its
  workflow history and its first evidence scans.
- ``POST /api/v1/alerts/{id}/transition`` (``alerts.manage``): ``{"to": "investigating"
  | "confirmed" | "dismissed", "note": "..."}`` (a note is required to confirm or
  dismiss); 409 ``alert_transition`` for a step the workflow does not allow.
"""

from __future__ import annotations

from typing import Any

from veriseal.accounts.permissions import Action
from veriseal.brandops.alerts import STATES
from veriseal.brandops.batches import batch_record
from veriseal.server.endpoints import Call, Endpoint
from veriseal.server.inputs import Id, Model, Note, Short

Schema = dict[str, Any]


class BrandQuery(Model):
    brand: Short | None = None


class AlertPath(Model):
    id: Id


class Transition(Model):
    to: Short
    note: Note = ""


async def dashboard(call: Call, query: BrandQuery) -> Schema:
    ops = call.engine.ops
    brand = await ops.scans.brand(call.who, query.brand)
    return (await ops.dashboard.figures(call.who, brand)).to_dict()


async def batches(call: Call, query: BrandQuery) -> Schema:
    ops = call.engine.ops
    brand = await ops.batches.brand(call.who, query.brand)
    return {"batches": [batch_record(b) for b in await ops.batches.all(call.who, brand)]}


async def alert(call: Call, path: AlertPath) -> Schema:
    return (await call.engine.ops.alerts.get(call.who, path.id)).to_dict()


async def transition(call: Call, path: AlertPath, body: Transition) -> Schema:
    case = await call.engine.ops.alerts.transition(call.who, path.id, body.to, body.note)
    return case.to_dict()


_CASE: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string"},
        "state": {"type": "string", "enum": list(STATES)},
        "next_states": {"type": "array", "items": {"type": "string"}},
        "events": {"type": "array", "items": {"type": "object"}},
        "evidence": {"type": "array", "items": {"$ref": "#/components/schemas/ScanRecord"}},
    },
}
A = Action
ROUTES = [
    Endpoint("GET", "/api/v1/dashboard", dashboard, A.SCANS_READ,
             "The brand's scan figures (today, 30 days, verdicts, provinces, 14-day trend)"
             " and open alerts, from the daily rollup",
             response={"type": "object"}),
    Endpoint("GET", "/api/v1/batches", batches, A.LINE_OPERATE,
             "The brand's batches, newest first",
             response={"type": "object", "properties": {"batches": {"type": "array"}}}),
    Endpoint("GET", "/api/v1/alerts/{id}", alert, A.ALERTS_READ,
             "One alert with its state, workflow history and evidence scans",
             response=_CASE),
    Endpoint("POST", "/api/v1/alerts/{id}/transition", transition, A.ALERTS_MANAGE,
             "Move an alert: investigating, confirmed or dismissed (a note to confirm or"
             " dismiss)", response=_CASE),
]  # fmt: skip

"""The event-stream consumers of the commerce plugin (hook ``event_consumers``).

Each keeps its cursor in the transaction of its effects, so redelivery is harmless."""

from __future__ import annotations

from typing import Any

from veriseal.extend import Batch, Consumer, Tx
from veriseal_commerce.fulfilment import DELIVERIES


def _ranges(raw: Any) -> dict[int, list[tuple[int, int]]]:
    """``{batch id (a JSON string): [[first, last], ...]}`` as ints."""
    return {
        int(b): [(int(f), int(last)) for f, last in spans] for b, spans in dict(raw or {}).items()
    }


async def _on_inspected(ctx: Any, batch: Batch, tx: Tx) -> None:
    """Inventory decided units of a receipt: those of a return (the receipt's reference
    is the return number) become restocked / rejected on the request."""
    from veriseal_commerce.service import of  # noqa: PLC0415 (the bundle imports this module)

    for event in batch:
        payload = event.payload or {}
        reference = str(payload.get("reference") or "")
        if not reference:
            continue  # an ordinary receipt (a reference no return knows is passed over)
        for d in payload.get("decisions") or []:
            accepted, rejected = _ranges(d.get("accepted_units")), _ranges(d.get("rejected_units"))
            if accepted or rejected:
                await of(ctx).return_goods.apply_inspection(
                    reference, accepted, rejected, str(d.get("reason") or ""),
                    str(payload.get("actor") or "inventory"), tx=tx,
                )  # fmt: skip


#: Follows inventory's inspection of returned goods (decisions made on its own pages too).
RETURNS = Consumer("commerce.returns", frozenset({"inventory.inspected"}), _on_inspected)

CONSUMERS: list[Consumer] = [DELIVERIES, RETURNS]

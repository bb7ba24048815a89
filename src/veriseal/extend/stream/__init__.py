"""The durable event stream: publishing events and consuming them in order.

Scans, alerts, lifecycle events and plugins' own events get a position in one stream,
appended in the same transaction as the fact they announce
(:mod:`veriseal.ledger.stream_store`). Consumers (:class:`Consumer`, declared by plugins
through the ``event_consumers`` hook) each keep a cursor committed together with their
effects; :class:`StreamWorker` delivers batches in order, at least once. See
docs/events.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from veriseal.extend.stream.consumer import (
    CORE_KINDS,
    Batch,
    Consumer,
    ConsumerInvalid,
    StreamEventInvalid,
    publish,
)
from veriseal.extend.stream.status import (
    ConsumerLag,
    ParkedNotFound,
    lag,
    list_parked,
    retry_parked,
)
from veriseal.extend.stream.worker import Delivery, StreamWorker, WorkerOptions
from veriseal.ledger.base import Tx
from veriseal.ledger.stream_store import Parked, StreamEvent

if TYPE_CHECKING:
    from veriseal.engine import Engine

__all__ = [
    "CORE_KINDS",
    "Batch",
    "Consumer",
    "ConsumerInvalid",
    "ConsumerLag",
    "Delivery",
    "Parked",
    "ParkedNotFound",
    "StreamEvent",
    "StreamEventInvalid",
    "StreamWorker",
    "Tx",
    "WorkerOptions",
    "consumer_context",
    "drain_events",
    "lag",
    "list_parked",
    "publish",
    "retry_parked",
    "worker_for",
]


def consumer_context(engine: Engine, plugin: str | None) -> Any:
    """What a consumer's ``prepare`` and ``handle`` get as ``ctx``: the declaring
    plugin's :class:`~veriseal.extend.context.PluginContext`, the engine for a core
    consumer (``plugin`` None). The one place that decides it."""
    return engine if plugin is None else engine.plugins.context(plugin)


def worker_for(
    engine: Engine,
    options: WorkerOptions | None = None,
    consumers: Sequence[Consumer] | None = None,
) -> StreamWorker:
    """A worker for the engine's consumers, the core's and the enabled plugins' (or
    the core ``consumers`` given), each handed its context (:func:`consumer_context`)."""
    owned: list[tuple[str | None, Consumer]] = (
        engine.consumers() if consumers is None else [(None, c) for c in consumers]
    )
    contexts = {c.name: consumer_context(engine, owner) for owner, c in owned}
    return StreamWorker(engine.ledger, [c for _, c in owned], contexts, options)


async def drain_events(engine: Engine, names: Sequence[str] | None = None) -> int:
    """Deliver the stream to the engine's consumers (or those named)
    until each has caught up with the head, retrying and parking as the worker does, and
    return the number of events handled: ``veriseal events consume`` without ``--watch``.
    For plugins' tests and scripts; ``veriseal serve`` runs its own worker."""
    return await worker_for(engine).drain(names)

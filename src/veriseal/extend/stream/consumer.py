"""What a consumer of the event stream declares, and how a plugin publishes an event.

A :class:`Consumer` names the event kinds it wants and an async ``handle(ctx, batch,
tx)`` that applies a batch's effects in ``tx``: the runtime (:mod:`.worker`) moves the
consumer's cursor past the batch in that same transaction, so effects and cursor commit
together. Delivery is at least once (a batch whose transaction failed is delivered
again), so a handler must be idempotent or keep all its effects in ``tx``.

On SQLite every write transaction holds the ledger's one write lock, the verify path's
included: ``handle`` must be quick. Slow work (reads, geometry, remote lookups) goes into
the optional ``prepare(ctx, events)``, which runs before the transaction opens; its result
is ``batch.prepared``. ``prepare`` may see an event again after a failed delivery.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from veriseal.errors import InvalidInput
from veriseal.i18n import register
from veriseal.ledger import stream_store
from veriseal.ledger.base import Tx
from veriseal.ledger.stream_store import StreamEvent

#: A plugin's event kinds: ``<plugin>.<event>`` (lower case, digits, underscores).
PLUGIN_KIND = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*")
#: The kinds the core appends: a scan recorded, an alert stored, a lifecycle event.
CORE_KINDS = frozenset({"scan", "alert", "lifecycle"})
_NAME = re.compile(r"[a-z][a-z0-9_.-]{0,99}")


class StreamEventInvalid(InvalidInput):
    """A published event with a kind outside its plugin's namespace or a too large payload."""

    code = "stream_event_invalid"


class ConsumerInvalid(InvalidInput):
    """A consumer declaration that cannot run (its name, kinds or batch size)."""

    code = "consumer_invalid"


register(
    {
        "error.stream_event_invalid": ("Invalid stream event", "事件流事件无效"),
        "error.consumer_invalid": ("Invalid event consumer", "事件消费者无效"),
    }
)


@dataclass(frozen=True)
class Batch(Sequence[StreamEvent]):
    """The events handed to one ``handle`` call, in position order, and what
    ``prepare`` returned for them (None without a ``prepare``)."""

    events: tuple[StreamEvent, ...]
    prepared: Any = None

    @overload
    def __getitem__(self, i: int) -> StreamEvent: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[StreamEvent]: ...
    def __getitem__(self, i: int | slice) -> StreamEvent | Sequence[StreamEvent]:
        return self.events[i]

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[StreamEvent]:
        return iter(self.events)


#: ``handle(ctx, batch, tx)``: apply the batch's effects in ``tx``.
Handler = Callable[[Any, Batch, Tx], Awaitable[None]]
#: ``prepare(ctx, events)``: slow, read-only work before the transaction opens.
Preparer = Callable[[Any, Sequence[StreamEvent]], Awaitable[Any]]


@dataclass(frozen=True)
class Consumer:
    """A consumer of the event stream (see the module docstring).

    ``name`` is its cursor's key: stable, unique, ``<plugin>.<purpose>`` by convention;
    renaming it starts a new cursor at the beginning of the stream. ``kinds``: the event
    kinds it wants (None: all); the cursor also moves past events of other kinds.
    ``batch_size``: at most this many events per ``handle`` call.
    """

    name: str
    kinds: frozenset[str] | None
    handle: Handler
    batch_size: int = 100
    prepare: Preparer | None = None

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ConsumerInvalid(f"consumer name {self.name!r}: lower case, digits, . _ -")
        if not 1 <= self.batch_size <= 10_000:
            raise ConsumerInvalid(f"consumer {self.name}: batch_size must be within 1..10000")
        if self.kinds is not None and not self.kinds:
            raise ConsumerInvalid(f"consumer {self.name}: no kinds (None means all)")


async def publish(
    tx: Tx, kind: str, brand_id: int | None, ref: int, payload: dict[str, Any] | None = None
) -> None:
    """Append a plugin's event to the stream inside ``tx``, the transaction that writes
    the fact it announces: both commit or neither does. ``kind`` is
    ``<plugin>.<event>``; ``ref`` the id of the row it announces; ``payload`` a small
    JSON-ready dict (:data:`~veriseal.ledger.stream_store.MAX_PAYLOAD` characters).

    Publish as the LAST statement of ``tx``: on PostgreSQL it takes the stream's append
    lock, held until the commit (that keeps positions in commit order)."""
    if not PLUGIN_KIND.fullmatch(kind):
        raise StreamEventInvalid(f"event kind {kind!r}: name it <plugin>.<event>")
    body = payload or {}
    if len(stream_store.encode_payload(body)) > stream_store.MAX_PAYLOAD:
        raise StreamEventInvalid(
            f"event {kind}: payload over {stream_store.MAX_PAYLOAD} characters; announce"
            " the row and let consumers read it"
        )
    await stream_store.append(tx, [stream_store.NewStreamEvent(kind, brand_id, ref, body)])

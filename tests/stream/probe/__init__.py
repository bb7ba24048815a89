"""A test plugin whose stream consumers record every event they apply, one row each.

Consumers (all declared; tests pick with ``--consumer`` / ``drain(names)``):

- ``probe.apply``: every kind; ``handle`` sleeps ``delay`` seconds per event INSIDE the
  transaction (so a SIGKILL lands mid-batch with the transaction open);
- ``probe.poison``: ``probe.tick`` events; fails on those whose payload says ``poison``;
- ``probe.slow``: every kind; ``prepare`` sleeps ``slow_prepare`` seconds per batch
  (outside the transaction), ``handle`` sleeps ``slow_handle`` seconds.

Settings come from :data:`SETTINGS` (in-process tests) or ``PROBE_*`` environment
variables (a ``veriseal`` subprocess): ``PROBE_DELAY``, ``PROBE_BATCH``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import Any

from veriseal import PluginMigrations, hookimpl
from veriseal.extend.stream import Batch, Consumer, StreamEvent, Tx

SETTINGS: dict[str, float] = {
    "delay": float(os.environ.get("PROBE_DELAY", "0")),
    "batch": float(os.environ.get("PROBE_BATCH", "50")),
    "slow_prepare": 0.0,
    "slow_handle": 0.0,
    "cured": 0.0,  # 1: poison no longer fails (a fixed bug, for retries)
}


class PoisonError(RuntimeError):
    pass


async def record(tx: Tx, consumer: str, events: Sequence[StreamEvent], delay: float) -> None:
    for e in events:
        await tx.execute(
            "INSERT INTO probe_applied (consumer, position, kind) VALUES (?, ?, ?)",
            consumer,
            e.position,
            e.kind,
        )
        if delay:
            await asyncio.sleep(delay)


async def _apply(ctx: Any, batch: Batch, tx: Tx) -> None:
    await record(tx, "probe.apply", batch, SETTINGS["delay"])


async def _poison(ctx: Any, batch: Batch, tx: Tx) -> None:
    for e in batch:
        if e.payload.get("poison") and not SETTINGS["cured"]:
            raise PoisonError(f"event {e.position} is poison")
    await record(tx, "probe.poison", batch, 0)


async def _slow_prepare(ctx: Any, events: Sequence[StreamEvent]) -> None:
    await asyncio.sleep(SETTINGS["slow_prepare"])


async def _slow(ctx: Any, batch: Batch, tx: Tx) -> None:
    await asyncio.sleep(SETTINGS["slow_handle"])
    await record(tx, "probe.slow", batch, 0)


@hookimpl
def ledger_migrations() -> PluginMigrations:
    return PluginMigrations(prefix="probe", package="tests.stream.probe")


@hookimpl
def event_consumers() -> list[Consumer]:
    return [
        Consumer("probe.apply", None, _apply, batch_size=int(SETTINGS["batch"])),
        Consumer("probe.poison", frozenset({"probe.tick"}), _poison, batch_size=10),
        Consumer("probe.slow", None, _slow, batch_size=1, prepare=_slow_prepare),
    ]

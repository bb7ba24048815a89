"""Periodic work of plugins (hook ``periodic_tasks``), run by ``veriseal serve``.

A :class:`PeriodicTask` is a name, an interval and a coroutine over the plugin's context.
:func:`run_periodic` runs each task once soon after the server starts and then every
``every`` seconds, in the server's first process only (like the event stream's
consumers), one task at a time. A task that raises is logged and runs again at its next
turn: one plugin's failure never stops another's work, nor the server. Tasks must be
idempotent and safe to run late or twice (a server restart runs each again at once),
because nothing records when a task last ran.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from veriseal.extend.context import PluginContext

log = logging.getLogger("veriseal.periodic")


@dataclass(frozen=True)
class PeriodicTask:
    """``run(ctx)`` every ``every`` seconds (at least 1) under the name ``name``."""

    name: str
    every: float
    run: Callable[[PluginContext], Awaitable[object]]

    def __post_init__(self) -> None:
        if not self.every >= 1:
            raise ValueError(f"periodic task {self.name!r}: every must be at least 1 second")


async def run_periodic(
    tasks: Sequence[tuple[PluginContext, PeriodicTask]], stop: asyncio.Event
) -> None:
    """Run ``tasks`` until ``stop`` is set (see the module docstring)."""
    clock = time.monotonic
    due = {i: clock() for i in range(len(tasks))}
    while tasks and not stop.is_set():
        for i, (ctx, task) in enumerate(tasks):
            if stop.is_set() or due[i] > clock():
                continue
            try:
                await task.run(ctx)
            except Exception:  # a plugin's bug: log it, keep the others running
                log.exception("periodic task %s failed", task.name)
            due[i] = clock() + task.every
        wait = max(0.0, min(due.values()) - clock())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)

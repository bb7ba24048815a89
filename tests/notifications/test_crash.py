"""A real ``veriseal notify deliver --watch`` process killed with SIGKILL right after
the receiver got a webhook and before the worker could record it; a second worker
process delivers everything. Nothing is lost; the one message sent twice carries the
same delivery key both times, so the deduplicating receiver processes it once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from aiohttp import web

from tests.notifications.conftest import add_user, free_port, signed_ok
from veriseal.ledger import Ledger
from veriseal.notifications import LedgerContactBook, MessageType, Notifier

N = 5


def start_worker(ledger_url: str, tmp_path: Path, log: str) -> subprocess.Popen[bytes]:
    """The worker's output goes to ``tmp_path/log`` (a pipe would outlive a killed one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    exe = Path(sys.executable).with_name("veriseal")
    with (tmp_path / log).open("wb") as out:  # the child keeps its own copy of the fd
        return subprocess.Popen(
            [
                str(exe),
                "--db",
                ledger_url,
                "notify",
                "deliver",
                "--watch",
                "--poll",
                "0.1",
                "--lease-seconds",
                "2",
                "--send-timeout",
                "1",
                "--backoff-base",
                "0.2",
            ],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def wait_for(proc: subprocess.Popen[bytes], timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        assert time.monotonic() < deadline, "worker did not stop"
        await asyncio.sleep(0.05)
    return proc.returncode


async def test_sigkill_between_send_and_record(
    ledger: Ledger, ledger_url: str, tmp_path: Path
) -> None:
    received: list[str] = []
    worker: dict[str, subprocess.Popen[bytes]] = {}

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        assert signed_ok({"headers": dict(request.headers), "body": body})
        received.append(request.headers["Veriseal-Delivery"])
        if len(received) == 1:
            worker["first"].kill()  # SIGKILL: the worker never sees this answer
            await wait_for(worker["first"])
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/h", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        book = LedgerContactBook(ledger)
        await add_user(book, 7, webhook=f"http://127.0.0.1:{port}/h")
        notifier = Notifier(ledger, book)
        keys = set()
        for i in range(N):
            a = await notifier.notify(7, MessageType.CLONE_ALERT, f"克隆预警 {i}", "C0001")
            keys.add(a.deliveries[0].idempotency_key)

        worker["first"] = start_worker(ledger_url, tmp_path, "first.log")
        assert await wait_for(worker["first"]) == -9
        first_key = received[0]
        first = next(
            d for d in await notifier.outbox.deliveries() if d.idempotency_key == first_key
        )
        assert first.status.value == "pending" and first.attempts == 1
        assert await notifier.outbox.attempts(first.id) == []  # killed before recording

        second = start_worker(ledger_url, tmp_path, "second.log")
        deadline = time.monotonic() + 30
        while (await notifier.outbox.summary()).delivered < N:
            assert time.monotonic() < deadline, (await notifier.outbox.summary(), received)
            assert second.poll() is None, (tmp_path / "second.log").read_text()
            await asyncio.sleep(0.1)
        second.terminate()
        assert await wait_for(second) == 0
    finally:
        await runner.cleanup()

    # nothing lost; duplicates only of what the killed worker had sent, same key each time
    assert set(received) == keys
    # sent by the killed worker, and again (same key) by the second one; more copies only
    # if a send of the second worker timed out on a loaded machine and was retried
    assert received.count(first_key) >= 2
    for d in await notifier.outbox.deliveries():
        outcomes = [x.outcome for x in await notifier.outbox.attempts(d.id)]
        assert outcomes.count("delivered") == 1, (d, outcomes)
    assert (await notifier.outbox.summary()).pending == 0

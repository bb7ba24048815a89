"""Notification throughput: accepting messages, and the worker delivering webhooks.

Usage::

    PYTHONPATH=src python benchmarks/bench_notifications.py [--n 2000] [--repeat 3]
                                                            [--backend sqlite|postgres|both]

Each figure is the MEDIAN of ``--repeat`` runs, beside a baseline measured in the same
run on the same ledger, with the ratio:

- accept: ``Notifier.notify`` (preference and contact look-ups, message + search tokens
  + outbox row, one durable transaction per message) vs the same number of one-row
  INSERT transactions into a bare table (the ledger's commit cost alone);
- deliver: ``DeliveryWorker.run_once`` passes draining webhook deliveries to a loopback
  aiohttp receiver (claim under a lease, signed POST, attempt row + status in one
  transaction) vs raw POSTs of the same bodies to the same receiver with one
  ``aiohttp`` session and the same concurrency (the network cost alone).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from bench_ledgers import drop, fresh_ledger
from veriseal.notifications import (
    Channel,
    Contacts,
    DeliveryWorker,
    LedgerContactBook,
    MessageType,
    Notifier,
    WorkerOptions,
)
from veriseal.notifications.channels.webhook import WebhookSender

USERS = 50


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def receiver() -> tuple[web.AppRunner, str]:
    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/h", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}/h"


async def one_run(backend: str, n: int, tmp: Path, i: int, url: str) -> dict[str, float]:
    ledger, name = await fresh_ledger(backend, tmp, f"veriseal_bench_notify_{i}")
    try:
        book = LedgerContactBook(ledger)
        for u in range(1, USERS + 1):
            await book.set(u, Contacts(webhook_url=url, webhook_secret=b"k" * 32))
        notifier = Notifier(ledger, book)
        # only the webhook channel, so the delivery figure is one channel's
        for u in range(1, USERS + 1):
            await notifier.preferences.set(
                u, MessageType("low_stock"), channels=(Channel.INBOX, Channel.WEBHOOK)
            )
        async with ledger.write() as tx:
            await tx.execute("CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, body TEXT)")

        t0 = time.perf_counter()
        for k in range(n):
            async with ledger.write() as tx:
                await tx.execute(
                    "INSERT INTO bench_rows (id, body) VALUES (?, ?)", k + 1, "库存不足 low stock"
                )
        base_accept = n / (time.perf_counter() - t0)

        t0 = time.perf_counter()
        for k in range(n):
            await notifier.notify(
                k % USERS + 1, MessageType("low_stock"), "库存不足", f"绿茶仅剩 {k} 箱 low stock"
            )
        accept = n / (time.perf_counter() - t0)

        options = WorkerOptions(batch_size=100, concurrency=16)
        sender = WebhookSender(book)
        worker = DeliveryWorker(ledger, {Channel.WEBHOOK: sender}, options)
        t0 = time.perf_counter()
        delivered = 0
        while True:
            r = await worker.run_once()
            delivered += r.delivered
            if r.claimed == 0:
                break
        deliver = delivered / (time.perf_counter() - t0)
        await sender.close()
        assert delivered == n, delivered

        body = b'{"id":"x","title":"\xe5\xba\x93"}' * 4
        gate = asyncio.Semaphore(16)
        async with aiohttp.ClientSession() as session:

            async def post() -> None:
                async with gate, session.post(url, data=body) as resp:
                    await resp.read()

            t0 = time.perf_counter()
            for start in range(0, n, 100):
                await asyncio.gather(*(post() for _ in range(min(100, n - start))))
            base_deliver = n / (time.perf_counter() - t0)
        return {
            "accept": accept,
            "base_accept": base_accept,
            "deliver": deliver,
            "base_deliver": base_deliver,
        }
    finally:
        await ledger.close()
        await drop(name)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = ap.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    runner, url = await receiver()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for backend in backends:
                runs = [
                    await one_run(backend, args.n, Path(tmp), i, url) for i in range(args.repeat)
                ]
                med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                print(f"{backend}: n={args.n}, medians of {args.repeat} runs")
                print(
                    f"  accept  {med['accept']:8.0f} msg/s   baseline one-row commit"
                    f" {med['base_accept']:8.0f}/s   ratio {med['accept'] / med['base_accept']:.2f}"
                )
                ratio = med["deliver"] / med["base_deliver"]
                print(
                    f"  deliver {med['deliver']:8.0f} msg/s   baseline raw POST"
                    f" {med['base_deliver']:8.0f}/s   ratio {ratio:.2f}"
                )
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())

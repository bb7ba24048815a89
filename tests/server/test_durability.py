"""SIGKILL under load loses no acknowledged scan (a real server process, both backends)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest

from veriseal.ledger import open_ledger
from veriseal.models import ScanQuery

from .live_process import children_of, free_port, running, start_server, stop_server

pytestmark = pytest.mark.slow


async def hammer(urls: list[str], seconds: float, acked: list[int]) -> None:
    """Concurrent clients until the time is up; remember every acknowledged scan id."""
    stop = time.monotonic() + seconds

    async def client(session: aiohttp.ClientSession, url: str) -> None:
        while time.monotonic() < stop:
            try:
                async with session.get(url, headers={"Accept": "application/json"}) as r:
                    body = await r.json()
                    if r.status == 200:
                        acked.append(int(body["scan"]["id"]))
            except (TimeoutError, aiohttp.ClientError, ValueError):
                return  # the server died under us: whatever was not acked may be lost

    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(client(session, urls[i % len(urls)]) for i in range(16)))


async def stored_scan_ids(ledger_url: str) -> set[int]:
    """Every scan id in the ledger, read afresh after the server is gone."""
    ledger = await open_ledger(ledger_url)
    try:
        return {
            s.id
            for b in await ledger.list_brands()
            for s in await ledger.list_scans(b.id, ScanQuery(limit=1_000_000))
        }
    finally:
        await ledger.close()


async def test_sigkill_loses_no_acknowledged_scan(tmp_path: Path, ledger_url: str) -> None:
    proc, urls = start_server(tmp_path, ledger_url, free_port())
    assert urls
    acked: list[int] = []
    load = asyncio.create_task(hammer(urls, 10.0, acked))
    await asyncio.sleep(1.5)  # let the load build up, then kill mid-flight
    stop_server(proc, kill=True)  # SIGKILL: no chance to flush or close anything
    await load
    assert len(acked) > 100, "too little load to prove anything"
    missing = set(acked) - await stored_scan_ids(ledger_url)
    assert not missing, f"{len(missing)} acknowledged scans lost of {len(acked)}"


async def test_several_workers_share_the_port(tmp_path: Path, pg_url: str) -> None:
    port = free_port()
    proc, urls = start_server(tmp_path, pg_url, port, "--workers", "2")
    try:
        workers = children_of(proc.pid)
        assert workers, "the parent forked no worker"
        acked: list[int] = []
        await hammer(urls, 2.0, acked)
        assert len(acked) > 100 and len(set(acked)) == len(acked)
    finally:
        stop_server(proc)  # SIGTERM: the parent stops its workers too
    assert set(acked) <= await stored_scan_ids(pg_url)
    # no orphaned worker outlives the parent (checked by pid: on a shared machine another
    # program may bind the freed port, so "nothing answers on the port" is not the test)
    deadline = time.monotonic() + 5  # the kernel's bookkeeping may lag the parent's exit
    while [pid for pid in workers if running(pid, port)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in workers if running(pid, port)] == []


def test_sqlite_refuses_several_workers(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="single writer"):
        start_server(tmp_path, f"sqlite:///{tmp_path / 'l.sqlite3'}", free_port(), "--workers", "2")

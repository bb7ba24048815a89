"""SIGKILL under load loses no acknowledged scan (a real server process, both backends)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from veriseal.keys import create_key_file
from veriseal.ledger import open_ledger

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    tmp_path: Path, ledger_url: str, port: int
) -> tuple[subprocess.Popen[str], list[str]]:
    key = tmp_path / "k.key"
    create_key_file(key)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    env |= {"VERISEAL_DB": ledger_url, "VERISEAL_KEY_FILE": str(key)}
    exe = Path(sys.executable).with_name("veriseal")
    proc = subprocess.Popen(
        [str(exe), "serve", "--demo", "--port", str(port), "--rate-limit", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Serving on" in line:
            return proc, lines
    proc.kill()
    proc.wait()
    proc.stdout.close()
    raise AssertionError("server did not start:\n" + "".join(lines))


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


async def test_sigkill_loses_no_acknowledged_scan(tmp_path: Path, ledger_url: str) -> None:
    port = free_port()
    proc, lines = start_server(tmp_path, ledger_url, port)
    urls = [m.group(0) for line in lines for m in [re.search(r"http://\S+/01/\S+", line)] if m]
    assert urls, lines
    acked: list[int] = []
    load = asyncio.create_task(hammer(urls, 10.0, acked))
    await asyncio.sleep(1.5)  # let the load build up, then kill mid-flight
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.stdout is not None
    proc.stdout.close()
    await load
    assert len(acked) > 100, "too little load to prove anything"
    ledger = await open_ledger(ledger_url)
    try:
        stored = {
            s.id
            for b in await ledger.list_brands()
            for s in await ledger.list_scans(b.id, limit=1_000_000)
        }
    finally:
        await ledger.close()
    missing = set(acked) - stored
    assert not missing, f"{len(missing)} acknowledged scans lost of {len(acked)}"

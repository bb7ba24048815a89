"""benchmarks/delay_proxy.py forwards every byte, in order, each way, and delays it:
a round trip through it takes at least twice its delay (what "PostgreSQL 2.4 ms away"
in docs/scanning.md rests on)."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import asyncpg

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from delay_proxy import serve  # noqa: E402


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


async def test_every_byte_arrives_in_order_and_late() -> None:
    echo = await asyncio.start_server(_echo, "127.0.0.1", 0)
    echo_port = echo.sockets[0].getsockname()[1]
    delay = 0.005
    proxy = await serve(0, f"127.0.0.1:{echo_port}", delay)
    port = proxy.port
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sent = bytes(range(256)) * 2000  # many chunks: each must keep its place
        started = time.perf_counter()
        writer.write(sent)
        await writer.drain()
        got = await reader.readexactly(len(sent))
        assert got == sent
        assert time.perf_counter() - started >= 2 * delay
        writer.write(b"ping")  # one more round trip, alone
        started = time.perf_counter()
        assert await reader.readexactly(4) == b"ping"
        assert time.perf_counter() - started >= 2 * delay
        writer.close()
    finally:
        await proxy.close()
        echo.close()


async def test_postgres_answers_through_it() -> None:
    proxy = await serve(0, "127.0.0.1:5432", 0.001)
    port = proxy.port
    try:
        conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres")
        try:
            assert await conn.fetchval("SELECT 40 + 2") == 42
        finally:
            await conn.close()
    finally:
        await proxy.close()

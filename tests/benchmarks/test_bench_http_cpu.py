"""bench_http.py's PostgreSQL CPU figure counts a backend that exited during the round:
the postmaster reaped it, and its CPU moved into the postmaster's children's time.
Summing the live processes alone made the figure negative (the floor's -13 and -15 µs
per request in the 2026-12-06 runs)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import asyncpg

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from bench_http import _postgres_reaped, postgres_cpu  # noqa: E402

URL = "postgresql://postgres@127.0.0.1/postgres"


async def test_an_exited_backend_still_counts() -> None:
    before, reaped = postgres_cpu(), _postgres_reaped()
    conn = await asyncpg.connect(URL)
    try:  # a query that costs the backend about a quarter of a second of CPU
        await conn.fetchval("SELECT count(*) FROM generate_series(1, 3000000)")
    finally:
        await conn.close()
    for _ in range(50):  # the postmaster reaps the backend within moments
        if _postgres_reaped() - reaped >= 0.05:
            break
        time.sleep(0.1)
    assert _postgres_reaped() - reaped >= 0.05  # the exited backend's CPU, reaped
    assert postgres_cpu() - before >= 0.05  # and so in the total, which never falls

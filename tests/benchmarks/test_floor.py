"""benchmarks/floor/app.py, the floor bench_http.py measures verify against, does the work
it claims on both backends: every request answered after its scan is written, with its
own id, into copies of the migrated ledger's tables (same indexes), one row per scan in
``scans`` and ``stream_events`` and the code's count in ``scan_codes``. A floor that wrote
less than it says would flatter the ratio it is there to give."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import aiohttp
import asyncpg

from veriseal.engine import Engine

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from bench_http import free_port, wait_port  # noqa: E402

TABLES = ("scans", "scan_codes", "stream_events")
PATHS = [f"/01/09506000134352/21/S{i % 7:04d}?17=281231" for i in range(40)]  # 7 codes


async def _ask(port: int) -> list[dict[str, object]]:
    async with aiohttp.ClientSession() as session:

        async def one(path: str) -> dict[str, object]:
            async with session.get(f"http://127.0.0.1:{port}{path}") as response:
                assert response.status == 200
                body: dict[str, object] = await response.json()
                return body

        return await asyncio.gather(*(one(p) for p in PATHS))


def _sqlite_state(floor: Path, ledger: Path) -> tuple[dict[str, int], Counter[str], set[int]]:
    def indexes(file: Path) -> dict[str, int]:
        with sqlite3.connect(file) as conn:
            return dict(Counter(t for (t,) in conn.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND tbl_name IN"
                " (?, ?, ?)", TABLES)))  # fmt: skip

    assert indexes(floor) == indexes(ledger)
    with sqlite3.connect(floor) as conn:
        counts = {t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in TABLES}
        found = conn.execute("SELECT code, n FROM scan_codes")
        per_code = Counter({str(c): int(n) for c, n in found})
        refs = {int(r) for (r,) in conn.execute("SELECT ref FROM stream_events")}
    counts["scan_codes"] = sum(per_code.values())
    return counts, per_code, refs


async def _postgres_state(url: str) -> tuple[dict[str, int], Counter[str], set[int]]:
    conn = await asyncpg.connect(url)
    try:
        index_count = {}
        for schema in ("public", "floor"):
            found = await conn.fetch(
                "SELECT tablename FROM pg_indexes WHERE schemaname = $1"
                " AND tablename = ANY($2::text[])", schema, list(TABLES))  # fmt: skip
            index_count[schema] = Counter(r["tablename"] for r in found)
        assert index_count["floor"] == index_count["public"]
        counts = {t: int(await conn.fetchval(f"SELECT COUNT(*) FROM floor.{t}")) for t in TABLES}
        per_code = Counter({r["code"]: int(r["n"]) for r in await conn.fetch(
            "SELECT code, n FROM floor.scan_codes")})  # fmt: skip
        refs = {int(r["ref"]) for r in await conn.fetch("SELECT ref FROM floor.stream_events")}
    finally:
        await conn.close()
    counts["scan_codes"] = sum(per_code.values())
    return counts, per_code, refs


async def test_the_floor_writes_every_scan_it_answers(engine: Engine, tmp_path: Path) -> None:
    url = engine.ledger.url
    port = free_port()
    floor_db = tmp_path / "floor.sqlite3"
    cmd = [sys.executable, str(BENCHMARKS / "floor" / "app.py"), "--port", str(port),
           "--like", url, "--db", str(floor_db)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        await asyncio.to_thread(wait_port, port)
        bodies = await _ask(port)
    finally:
        proc.send_signal(signal.SIGTERM)  # as a service manager stops it
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            raise AssertionError(f"the floor did not stop on SIGTERM: {err!r}") from None
    assert proc.returncode == 0, err
    assert all(b["outcome"] == "genuine" for b in bodies)
    ids = [int(b["scan_id"]) for b in bodies]  # type: ignore[call-overload]
    assert len(set(ids)) == len(PATHS)
    if url.startswith("sqlite"):
        ledger = Path("/" + url.removeprefix("sqlite:").lstrip("/"))  # sqlite:///abs/path
        counts, per_code, refs = _sqlite_state(floor_db, ledger)
    else:
        counts, per_code, refs = await _postgres_state(url)
    assert counts == dict.fromkeys(TABLES, len(PATHS))
    assert per_code == Counter(PATHS)  # the code is the path as requested
    assert refs == set(ids)

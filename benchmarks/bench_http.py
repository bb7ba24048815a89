"""Load benchmark of the verify endpoint against a minimal aiohttp "hello" endpoint.

Usage (needs ``wrk``: ``apt-get install wrk``)::

    PYTHONPATH=src python benchmarks/bench_http.py [--seconds 10] [--connections 32]
        [--rounds 3] [--backends sqlite,postgres] [--pg postgresql://postgres@127.0.0.1/postgres]

Both servers run as one process each on loopback; ``wrk`` (one thread, a separate process)
drives them alternately, ``--rounds`` times, and the MEDIANS are printed with the ratio
verify/hello. The verify requests rotate over 1,000 distinct genuine codes of one batch,
ask for JSON, and every one is durably recorded (the response is sent after the scan's
group commit). Target: ratio >= 0.5 (recording every scan durably costs at most half of
a bare server's throughput) and p99 < 50 ms.

Besides requests/s it prints the SERVER's CPU time per request (user + system, all its
threads and worker processes, from /proc) for both endpoints. Throughput on a shared
machine is noisy; CPU per request is not, and its ratio hello/verify is the highest
requests/s ratio the verify endpoint can reach while the server is CPU-bound.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.minting import Minter
from veriseal.catalog.products import make_product
from veriseal.config import Config, sqlite_url
from veriseal.engine import Engine

HELLO = """
from aiohttp import web
async def hello(request):
    return web.Response(text="hello")
app = web.Application()
app.router.add_get("/", hello)
web.run_app(app, host="127.0.0.1", port={port}, access_log=None, print=None, reuse_port=True)
"""

LUA = """
local paths = {{{paths}}}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], {{["Accept"] = "application/json"}})
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


async def prepare(url: str, key: Path, host: str) -> list[str]:
    """A brand, a product, a batch; the paths of 1,000 of its codes."""
    cfg = Config(path=None, db_url=url, key_source=KeySource(key_file=key))
    async with await Engine.open(cfg) as engine:
        brand = await engine.brands.create("bench", "Bench", host)
        await engine.catalogue.add(
            make_product(brand, "09506000134352", "Tea", shelf_life_days=900)
        )
        batch = await engine.batches.create(brand, BatchRequest("09506000134352", "B1", 100_000))
        material = engine.keys.material(await engine.keys.active(brand))
        with Minter(brand, batch, material) as minter:
            uris = minter.chunk(0, 1000).uris
    width = uris.shape[1]
    raw = uris.tobytes().decode()
    return ["/01/" + raw[i * width : (i + 1) * width].split("/01/", 1)[1] for i in range(1000)]


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all threads) and its children that
    are still running (the server's forked workers)."""

    def own(p: str) -> float:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / _TICK

    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat[1] == str(pid):
                kids.append(entry.name)
    return own(str(pid)) + sum(own(k) for k in kids)


def run_wrk(
    url: str, seconds: int, connections: int, script: Path | None
) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) from one wrk run."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError("the server answered errors:\n" + out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        assert m, out
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return rps, pct("50"), pct("99")


def start(cmd: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def bench_backend(name: str, url: str, args: argparse.Namespace, tmp: Path) -> None:
    key = tmp / f"{name}.key"
    create_key_file(key)
    vport, hport = free_port(), free_port()
    paths = asyncio.run(prepare(url, key, f"127.0.0.1:{vport}"))
    lua = tmp / f"{name}.lua"
    lua.write_text(LUA.format(paths=", ".join(f'"{p}"' for p in paths)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    env |= {"VERISEAL_DB": url, "VERISEAL_KEY_FILE": str(key)}
    veriseal = str(Path(sys.executable).with_name("veriseal"))
    workers = args.workers if name == "postgres" else 1  # SQLite: one writer, one process
    hellos = [
        start([sys.executable, "-c", HELLO.format(port=hport)], env, hport) for _ in range(workers)
    ]
    verify = start(
        [veriseal, "serve", "--port", str(vport), "--rate-limit", "0", "--workers", str(workers)],
        env,
        vport,
    )
    results: dict[str, list[tuple[float, float, float, float]]] = {"hello": [], "verify": []}

    def measured(
        procs: list[subprocess.Popen[bytes]], url: str, script: Path | None
    ) -> tuple[float, float, float, float]:
        """wrk's figures and the servers' CPU microseconds per request."""
        before = sum(cpu_seconds(p.pid) for p in procs)
        rps, p50, p99 = run_wrk(url, args.seconds, args.connections, script)
        used = sum(cpu_seconds(p.pid) for p in procs) - before
        return rps, p50, p99, 1e6 * used / (rps * args.seconds)

    try:
        run_wrk(f"http://127.0.0.1:{vport}", 2, args.connections, lua)  # warm-up
        for _ in range(args.rounds):
            results["hello"].append(measured(hellos, f"http://127.0.0.1:{hport}/", None))
            results["verify"].append(measured([verify], f"http://127.0.0.1:{vport}", lua))
    finally:
        for hello in hellos:
            stop(hello)
        stop(verify)
    med = {
        k: tuple(statistics.median(r[i] for r in v) for i in range(4)) for k, v in results.items()
    }
    (h_rps, h50, h99, h_cpu), (v_rps, v50, v99, v_cpu) = med["hello"], med["verify"]
    print(
        f"\n{name}: medians of {args.rounds} rounds of {args.seconds} s,"
        f" {args.connections} connections, {workers} server process(es) each"
    )
    for label, rps, p50, p99, cpu in (
        ("hello endpoint", h_rps, h50, h99, h_cpu),
        ("verify + durable scan record", v_rps, v50, v99, v_cpu),
    ):
        print(
            f"  {label:<30} {rps:>10,.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"
            f"   server CPU {cpu:6.0f} us/request"
        )
    ratio = v_rps / h_rps
    print(f"  ratio verify/hello {ratio:.3f}")
    print(
        f"  server CPU per request, hello/verify {h_cpu / v_cpu:.3f}"
        " (the ratio's ceiling while the server is CPU-bound)"
    )
    print(f"TARGET {'met   ' if ratio >= 0.5 else 'missed'} {name}: verify >= 50% of hello")
    print(f"TARGET {'met   ' if v99 < 50 else 'missed'} {name}: verify p99 < 50 ms")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--workers", type=int, default=1, help="server processes (PostgreSQL)")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    print(f"cores {os.cpu_count()}; wrk and both servers share them")
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        for backend in args.backends.split(","):
            if backend == "sqlite":
                bench_backend("sqlite", sqlite_url(tmp / "bench.sqlite3"), args, tmp)
            elif backend == "postgres":
                db = f"veriseal_bench_{secrets.token_hex(4)}"
                asyncio.run(_admin(args.pg, f'CREATE DATABASE "{db}"'))
                try:
                    bench_backend("postgres", args.pg.rsplit("/", 1)[0] + "/" + db, args, tmp)
                finally:
                    asyncio.run(_admin(args.pg, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


if __name__ == "__main__":
    main()

"""Load benchmark of the verify endpoint against a minimal aiohttp "hello" endpoint, the
floor (the durable record alone) and a typical peer (FastAPI + uvicorn + SQLAlchemy).

Usage (needs ``wrk``: ``apt-get install wrk``)::

    PYTHONPATH=src:cli:plugins python benchmarks/bench_http.py [--seconds 10]
        [--connections 32] [--rounds 3] [--backends sqlite,postgres] [--workers 1]
        [--codes 1000] [--no-floor] [--no-peer] [--consumers-apart] [--located]
        [--commit-depth N[,N...]] [--pg postgresql://postgres@127.0.0.1/postgres]

Four servers run on loopback, one process each (``--workers N``: N each on PostgreSQL,
but the floor keeps one):

- hello: a bare aiohttp handler answering "hello" (the ceiling of the HTTP stack);
- verify: ``veriseal serve``; the requests rotate over 1,000 distinct genuine codes of one
  batch (``--codes``: 1,000 are each scanned hundreds of times in a run, so nearly every
  request is judged a suspected copy by the count and devices rules, their worst case;
  100,000 are mostly first scans, as a brand's consumers make them), ask for JSON, and
  every one is durably recorded (the response is sent after the scan's group commit);
- floor: ``benchmarks/floor/app.py``, the least a verification with Veriseal's durability
  costs in this stack: per request one AES block and, per scan, the rows Veriseal's ledger
  writes (a scan, its code's count, a stream event) into copies of the ledger's own tables
  and indexes, group-committed, fsynced, then a small JSON answer; no parsing, no check,
  no history, no consumer. Its CPU per request against hello's is the highest ratio any
  verify endpoint doing this work reaches here; verify's CPU above it is Veriseal's own;
- peer: ``benchmarks/peer/app.py``, the verification service as a typical peer writes it
  (FastAPI + uvicorn[standard] + SQLAlchemy 2.x async ORM; aiosqlite on SQLite with
  Veriseal's pragmas, WAL and synchronous=FULL; asyncpg on PostgreSQL, in its own
  database). It gets the same requests as verify and, per request, SELECTs the code's row
  (with its earlier scans' count), INSERTs a scan, COMMITs and answers a JSON verdict.
  Its codes table holds the same codes plus 100,000 others. It runs from its own
  venv, ``benchmarks/.peer-venv/``, made on first run from ``benchmarks/peer/
  requirements.txt`` (and remade when that file changes); it never imports veriseal.

``wrk`` (one thread, a separate process) drives them in turn, ``--rounds`` times (the
order rotates from round to round), and the MEDIANS are printed with the ratios
verify/hello and verify/peer. Targets (issue 20):

- verify/hello >= 0.25 on SQLite, >= 0.15 on PostgreSQL;
- server CPU per verify request <= 150 us on SQLite, <= 250 us on PostgreSQL;
- verify p99 < 50 ms;
- verify >= 10x the peer's requests/s on SQLite, >= 5x on PostgreSQL.

Besides requests/s it prints each SERVER's CPU time per request (user + system, all its
threads and worker processes, from /proc). Throughput on a shared machine is noisy; CPU
per request is not, and its ratio hello/verify is the highest requests/s ratio the
verify endpoint can reach while the server is CPU-bound (peer/verify likewise for the
ratio verify/peer). On PostgreSQL it also prints the database server's own CPU per
request (every ``postgres`` process on the machine) and their sum: the figure that
carries over to a larger machine (requests/s per core given to server and database).
And the bytes written per request: on SQLite the server's own file writes (its WAL and
database, the kernel's ``write_bytes``), on PostgreSQL the WAL the cluster wrote meanwhile
(the other servers are idle: they take turns), which is what a disk and a replica get.

The scans' reactions (the event stream's consumers: analytics, diversion checks) run in
the verify server's first process, as ``veriseal serve`` runs them; each verify round's
figures wait for them to catch up with its scans (up to 15 s), so their CPU is counted
with the round. ``--consumers-apart`` serves verify with ``--no-consumers`` and runs them
in their own process (``veriseal events consume --watch``), as a fleet of servers would:
that process's CPU per request is then printed apart, and added to the PostgreSQL total.

``--commit-depth 1,2`` (several depths, comma-separated) serves one verify server per
depth, each on a ledger of its own with the same codes, and measures them in the same
rounds as the others: besides each one's figures and targets it prints each depth's
requests/s against the first depth's, round by round, and their median. On this noisy
machine that ratio, measured minutes apart, is the one to quote, not two runs' medians.
On SQLite every depth commits one group at a time: there the servers are identical, and
their ratio shows the machine's noise between identical servers.

By default the requests carry no location. ``--located`` gives each code a GPS fix at one
of ten Chinese cities, as the verdict page sends it once the consumer allows it: the
server resolves the region of every scan, and the consumers count cities and check
diversion (the benchmark's codes are held by no dealer, so no territory is compared).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
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
from typing import NamedTuple

import asyncpg

from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.minting import Minter
from veriseal.catalog.products import make_product
from veriseal.config import Config, sqlite_url
from veriseal.engine import Engine
from veriseal.ledger import open_ledger

HELLO = """
from aiohttp import web
async def hello(request):
    return web.Response(text="hello")
app = web.Application()
app.router.add_get("/", hello)
web.run_app(app, host="127.0.0.1", port={port}, access_log=None, print=None, reuse_port=True)
"""

LUA = """
local paths = {{}}
for line in io.lines("{paths}") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], {{["Accept"] = "application/json"}})
end
"""

FLOOR_APP = Path(__file__).with_name("floor") / "app.py"
PEER_APP = Path(__file__).with_name("peer")
PEER_VENV = Path(__file__).with_name(".peer-venv")
PEER_FILLER = 100_000  # codes besides the ones requested, so the table is not tiny

STACK = """
import importlib.metadata as m, importlib.util as u
v = m.version
loop = "uvloop" if u.find_spec("uvloop") else "asyncio"
http = "httptools" if u.find_spec("httptools") else "h11"
print(f"FastAPI {v('fastapi')}, uvicorn {v('uvicorn')} (loop {loop}, HTTP parser {http}),"
      f" SQLAlchemy {v('sqlalchemy')}, aiosqlite {v('aiosqlite')}, asyncpg {v('asyncpg')}")
"""


def peer_python() -> Path:
    """The peer venv's python, made (or remade) with its pinned packages if
    ``benchmarks/peer/requirements.txt`` changed since it was last installed."""
    requirements = PEER_APP / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes() + sys.version.encode()).hexdigest()
    stamp = PEER_VENV / "requirements.sha256"
    python = PEER_VENV / "bin" / "python"
    if stamp.is_file() and stamp.read_text() == digest and python.exists():
        return python
    print(f"installing the peer's packages into {PEER_VENV} (once; about half a minute)...")
    started = time.monotonic()
    shutil.rmtree(PEER_VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(requirements)], check=True)
    stamp.write_text(digest)
    print(f"  installed in {time.monotonic() - started:.0f} s")
    return python


def seed_peer(python: Path, url: str, paths: list[str], tmp: Path) -> None:
    """The peer's schema and its codes: the requested ones and PEER_FILLER others."""
    listing = tmp / "peer-paths.txt"
    listing.write_text("\n".join(paths))
    started = time.monotonic()
    seed = [str(python), str(PEER_APP / "app.py"), "seed", url, str(listing)]
    subprocess.run([*seed, "--filler", str(PEER_FILLER)], check=True)
    print(
        f"  peer seeded with {len(paths):,} + {PEER_FILLER:,} codes"
        f" in {time.monotonic() - started:.1f} s"
    )


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


async def prepare(url: str, key: Path, host: str, codes: int) -> list[str]:
    """A brand, a product, a batch; the paths of ``codes`` of its codes."""
    cfg = Config(path=None, db_url=url, key_source=KeySource(key_file=key))
    async with await Engine.open(cfg) as engine:
        brand = await engine.brands.create("bench", "Bench", host)
        await engine.catalogue.add(
            make_product(brand, "09506000134352", "Tea", shelf_life_days=900)
        )
        size = max(100_000, codes)
        batch = await engine.batches.create(brand, BatchRequest("09506000134352", "B1", size))
        material = engine.keys.material(await engine.keys.active(brand))
        with Minter(brand, batch, material) as minter:
            uris = minter.chunk(0, codes).uris
    width = uris.shape[1]
    raw = uris.tobytes().decode()
    return ["/01/" + raw[i * width : (i + 1) * width].split("/01/", 1)[1] for i in range(codes)]


#: Where --located scans are made: city centres (public coordinates, WGS 84), each code
#: at one of them, a few kilometres off. Only a load's shape: nothing here is checked.
CITIES = (
    (31.23, 121.47), (39.90, 116.40), (23.13, 113.26), (22.54, 114.06), (30.57, 104.07),
    (30.59, 114.31), (34.34, 108.94), (29.56, 106.55), (32.06, 118.80), (36.07, 120.38),
)  # fmt: skip


def located(paths: list[str]) -> list[str]:
    """``paths`` with a phone's GPS fix each (``lat``, ``lon``, ``acc``), as the verdict
    page sends once the consumer allows it: the same place for a code on every request,
    so the travel rule sees no jump, at one of :data:`CITIES` (seeded: runs compare)."""
    rng = random.Random(20)
    out = []
    for path in paths:
        lat, lon = rng.choice(CITIES)
        lat, lon = lat + rng.uniform(-0.05, 0.05), lon + rng.uniform(-0.05, 0.05)
        sep = "&" if "?" in path else "?"
        out.append(f"{path}{sep}lat={lat:.5f}&lon={lon:.5f}&acc=20")
    return out


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all threads) and its children that
    are still running (the server's forked workers)."""

    return _proc_cpu(str(pid)) + sum(_proc_cpu(k) for k in _children(pid))


def _children(pid: int) -> list[str]:
    """The pids of the running children of ``pid``."""
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat[1] == str(pid):
                kids.append(entry.name)
    return kids


def postgres_cpu(database: str | None = None) -> float:
    """User + system CPU seconds of every PostgreSQL server process on this machine
    (the postmaster's backends serving the benchmark; idle ones add nothing), or only of
    the backends connected to ``database`` (their process titles name it).

    Without ``database``, a backend that exited (a server of the previous round closing
    its pool) still counts: the postmaster reaped it, so its CPU is in the postmaster's
    ``cutime``/``cstime``, added here. Summing live processes alone made a round's
    figure negative when backends ended during it (the floor's -13 and -15 µs)."""
    total = 0.0
    for proc in _postgres_processes():
        if database is not None:
            try:
                title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if f" {database} " not in title:
                continue
            total += _ticks(proc, 11, 12)  # utime + stime
        else:  # and its reaped children's: cutime + cstime
            total += _ticks(proc, 11, 12, 13, 14)
    return total


def _postgres_processes() -> list[Path]:
    """The ``/proc`` entries of the running ``postgres`` processes."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == "postgres":
                found.append(entry)
        except OSError:
            continue
    return found


def _ticks(proc: Path, *fields: int) -> float:
    """The seconds in ``fields`` of ``proc``'s stat line (counted after the command
    name); 0 once the process is gone."""
    try:
        stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(stat[f]) for f in fields) / _TICK


def _postgres_reaped() -> float:
    """CPU seconds of the exited PostgreSQL processes their parents (the postmasters)
    have reaped: ``cutime`` + ``cstime`` of every ``postgres`` process."""
    return sum(_ticks(proc, 13, 14) for proc in _postgres_processes())


def written_bytes(pid: int) -> int:
    """Bytes process ``pid`` and its running children have written to files (the
    kernel's ``write_bytes``: a SQLite ledger's WAL and database; sockets do not count)."""
    total = 0
    for proc in [str(pid), *_children(pid)]:
        try:
            io = Path(f"/proc/{proc}/io").read_text()
        except OSError:
            continue
        total += int(io.split("write_bytes: ", 1)[1].split()[0])
    return total


def wal_position(url: str) -> int:
    """PostgreSQL's WAL insert position in bytes: the cluster's WAL written between two
    readings (the other servers are idle meanwhile: they take turns)."""

    async def read() -> int:
        conn = await asyncpg.connect(url)
        try:
            return int(
                await conn.fetchval(
                    "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint"
                )
            )
        finally:
            await conn.close()

    return asyncio.run(read())


def _proc_cpu(pid: str) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads); 0 once it is gone."""
    return _ticks(Path(f"/proc/{pid}"), 11, 12)


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


def start(cmd: list[str], env: dict[str, str], port: int | None) -> subprocess.Popen[bytes]:
    """``cmd`` started quietly; once it listens on ``port`` (None: it listens on none,
    as the event consumers)."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if port is not None:
        wait_port(port)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


#: req/s, p50 ms, p99 ms, server CPU us/request, PostgreSQL's own CPU us/request (0 on
#: SQLite), bytes written per request (SQLite: the server's file writes; PostgreSQL: WAL),
#: the consumers' own process's CPU us/request (--consumers-apart; else 0)
Figures = tuple[float, float, float, float, float, float, float]
#: The longest wait for the event consumers to catch up after a verify round: a consumer
#: that wants no scans writes its cursor past them every 5 s (docs/events.md, "Pacing").
CATCH_UP = 15.0


class Served(NamedTuple):
    """One server under measurement."""

    procs: list[subprocess.Popen[bytes]]
    url: str
    script: Path | None  #: wrk's Lua script (the verify paths); None: GET /
    #: processes beside it whose CPU is reported apart (--consumers-apart's consumers)
    apart: list[subprocess.Popen[bytes]]
    ledger: str | None = None  #: a verify server's ledger, whose consumers a round awaits


class Verifier(NamedTuple):
    """A verify server to serve: its name in the report, its ledger, its commit depth."""

    name: str
    ledger: str
    depth: int | None  #: its [server] commit_depth; None: the server's own default


def verifiers(ledgers: list[str], depths: list[int] | None) -> list[Verifier]:
    """One verify server per ledger: ``verify`` alone, or ``verify@D`` for each depth D
    of ``--commit-depth D1,D2,...`` (each on a ledger of its own, so neither's scans,
    consumers or memory touch the other's)."""
    if depths is None:
        return [Verifier("verify", ledgers[0], None)]
    return [Verifier(f"verify@{d}", url, d) for d, url in zip(depths, ledgers, strict=True)]


def depth_list(text: str) -> list[int]:
    """``--commit-depth``'s value: one depth or several, comma-separated, all different."""
    try:
        depths = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of depths: {text!r}") from None
    if len(set(depths)) != len(depths):
        raise argparse.ArgumentTypeError(f"a depth is named twice: {text!r}")
    return depths


TARGETS = {  # backend: (verify/hello, verify CPU us/request, verify/peer); p99 < 50 ms
    "sqlite": (0.25, 150.0, 10.0),
    "postgres": (0.15, 250.0, 5.0),
}


def bench_backend(
    name: str, ledgers: list[str], peer_url: str | None, args: argparse.Namespace, tmp: Path
) -> None:
    """Serve hello, verify (one server per ``--commit-depth``, each on its own ledger of
    ``ledgers``), the floor and (with ``peer_url``) the peer on backend ``name``, measure
    each ``args.rounds`` times in rotated order, print the medians and the targets."""
    key = tmp / f"{name}.key"
    create_key_file(key)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISEAL_")}
    env |= {"VERISEAL_DB": ledgers[0], "VERISEAL_KEY_FILE": str(key)}
    veriseal = str(Path(sys.executable).with_name("veriseal"))
    workers = args.workers if name == "postgres" else 1  # SQLite: one writer, one process
    servers: dict[str, Served] = {}
    try:
        hport = free_port()
        hello_cmd = [sys.executable, "-c", HELLO.format(port=hport)]
        servers["hello"] = Served(
            [start(hello_cmd, env, hport) for _ in range(workers)],
            f"http://127.0.0.1:{hport}/",
            None,
            [],
        )
        first: tuple[list[str], Path] | None = None  # the first verify's paths and script
        for verifier in verifiers(ledgers, args.commit_depth):
            vport = free_port()
            paths = asyncio.run(prepare(verifier.ledger, key, f"127.0.0.1:{vport}", args.codes))
            if args.located:
                paths = located(paths)
            listing = tmp / f"{name}-{verifier.name}-paths.txt"
            listing.write_text("\n".join(paths) + "\n")
            lua = tmp / f"{name}-{verifier.name}.lua"
            lua.write_text(LUA.format(paths=listing))
            first = first or (paths, lua)
            verifier_env = env | {"VERISEAL_DB": verifier.ledger}
            if verifier.depth is not None:  # the verify server's [server] commit_depth
                config = tmp / f"{name}-{verifier.name}.toml"
                config.write_text(f"[server]\ncommit_depth = {verifier.depth}\n")
                verifier_env["VERISEAL_CONFIG"] = str(config)
            verify_cmd = [veriseal, "serve", "--port", str(vport), "--rate-limit", "0"]
            verify_cmd += ["--workers", str(workers)]
            apart = []
            if args.consumers_apart:  # the reactions in their own process, as a fleet runs
                verify_cmd.append("--no-consumers")
                apart.append(start([veriseal, "events", "consume", "--watch"], verifier_env, None))
            servers[verifier.name] = Served(
                [start(verify_cmd, verifier_env, vport)],
                f"http://127.0.0.1:{vport}",
                lua,
                apart,
                verifier.ledger,
            )
        assert first is not None
        paths, lua = first
        if args.floor:
            fport = free_port()
            floor_cmd = [sys.executable, str(FLOOR_APP), "--port", str(fport)]
            floor_cmd += ["--like", ledgers[0]]
            if name == "sqlite":  # on PostgreSQL its tables live in the ledger's database
                floor_cmd += ["--db", str(tmp / "floor.sqlite3")]
            servers["floor"] = Served(
                [start(floor_cmd, env, fport)], f"http://127.0.0.1:{fport}", lua, []
            )
        if peer_url:
            python = peer_python()
            seed_peer(python, peer_url, paths, tmp)
            pport = free_port()
            peer_cmd = [str(python), "-m", "uvicorn", "app:app", "--app-dir", str(PEER_APP)]
            peer_cmd += ["--host", "127.0.0.1", "--port", str(pport), "--workers", str(workers)]
            peer_cmd += ["--no-access-log", "--log-level", "warning"]
            servers["peer"] = Served(
                [start(peer_cmd, env | {"PEER_DB": peer_url}, pport)],
                f"http://127.0.0.1:{pport}",
                lua,
                [],
            )
        rounds = bench_rounds(servers, args, ledgers[0], wal=name == "postgres")
    finally:
        for served in servers.values():
            for proc in served.procs + served.apart:
                stop(proc)
    report(name, workers, rounds, args)


def measured(served: Served, args: argparse.Namespace, any_ledger: str, wal: bool) -> Figures:
    """wrk's figures for ``served``, its CPU microseconds and bytes written per request
    (see :func:`bench_rounds`)."""

    def written() -> int:
        if wal:
            return wal_position(any_ledger)
        return sum(written_bytes(p.pid) for p in served.procs + served.apart)

    def cpu(group: list[subprocess.Popen[bytes]]) -> float:
        return sum(cpu_seconds(p.pid) for p in group)

    before, apart_before, db_before, w_before = (
        cpu(served.procs),
        cpu(served.apart),
        postgres_cpu(),
        written(),
    )
    rps, p50, p99 = run_wrk(served.url, args.seconds, args.connections, served.script)
    if served.ledger is not None:
        asyncio.run(caught_up(served.ledger, CATCH_UP))
    used, used_apart = cpu(served.procs) - before, cpu(served.apart) - apart_before
    db = postgres_cpu() - db_before
    w = written() - w_before
    per = 1e6 / (rps * args.seconds)
    return rps, p50, p99, used * per, db * per, w * per / 1e6, used_apart * per


def bench_rounds(
    servers: dict[str, Served], args: argparse.Namespace, any_ledger: str, wal: bool
) -> dict[str, list[Figures]]:
    """Each server's figures in each of ``args.rounds`` rounds, the servers taking turns
    within a round and the order rotating by one from round to round. ``wal``: the
    ledgers are PostgreSQL's, whose WAL (``any_ledger``'s cluster's) counts as written
    (else the servers' file writes). After a verify round the figures wait for its
    ledger's event consumers to catch up (at most :data:`CATCH_UP` s), so the reactions
    to that round's scans are counted with it, wherever they run."""
    for served in servers.values():
        if served.script:  # warm-up: imports, caches, connection pools
            run_wrk(served.url, 2, args.connections, served.script)
    for served in servers.values():
        if served.ledger is not None:
            asyncio.run(caught_up(served.ledger, CATCH_UP))
    names = list(servers)
    results: dict[str, list[Figures]] = {n: [] for n in names}
    for r in range(args.rounds):
        for n in names[r % len(names) :] + names[: r % len(names)]:
            results[n].append(measured(servers[n], args, any_ledger, wal))
    return results


def medians(rounds: list[Figures]) -> Figures:
    """Each figure's median over the rounds."""
    return tuple(statistics.median(f[i] for f in rounds) for i in range(len(rounds[0])))  # type: ignore[return-value]


async def caught_up(url: str, within: float) -> float:
    """Wait until every event consumer's cursor of the ledger at ``url`` reached the
    stream's head as it is now, at most ``within`` seconds; the seconds waited."""
    started = time.monotonic()
    ledger = await open_ledger(url)
    try:
        async with ledger.read() as tx:
            row = await tx.fetchrow("SELECT COALESCE(MAX(position), 0) AS head FROM stream_events")
        head = 0 if row is None else int(row["head"])
        while time.monotonic() - started < within:
            async with ledger.read() as tx:
                row = await tx.fetchrow(
                    "SELECT COUNT(*) AS behind FROM stream_cursors WHERE position < ?", head
                )
            if row is not None and int(row["behind"]) == 0:
                break
            await asyncio.sleep(0.2)
    finally:
        await ledger.close()
    return time.monotonic() - started


LABELS = {
    "hello": "hello endpoint",
    "verify": "verify + durable scan record",
    "floor": "floor: the durable record alone",
    "peer": "peer (FastAPI+SQLAlchemy)",
}


def label(key: str) -> str:
    """A server's name in the report; ``verify@D`` is verify at commit depth D."""
    if key.startswith("verify@"):
        return f"verify, commit_depth {key.split('@', 1)[1]}"
    return LABELS[key]


def report(
    name: str, workers: int, rounds: dict[str, list[Figures]], args: argparse.Namespace
) -> None:
    """The medians, the ratios and the targets of backend ``name``; with several commit
    depths, each depth's against the first's, round by round (the same round's figures
    were measured minutes apart, not hours: on a noisy machine their ratio is the figure
    to read) and the median of those ratios."""
    med = {key: medians(figures) for key, figures in rounds.items()}
    print(
        f"\n{name}: medians of {args.rounds} rounds of {args.seconds} s,"
        f" {args.connections} connections, {workers} server process(es) each"
        + (", located scans" if args.located else "")
    )
    for key, (rps, p50, p99, cpu, db, wrote, _) in med.items():
        print(
            f"  {label(key):<30} {rps:>10,.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"
            f"   server CPU {cpu:6.0f} us/request"
            + (f"   PostgreSQL CPU {db:5.0f} us/request" if name == "postgres" else "")
            + f"   written {wrote / 1000:5.1f} kB/request"
        )
    written = "WAL" if name == "postgres" else "the server's file writes"
    print(f"  written: {written}")
    verify_keys = [key for key in med if key.split("@", 1)[0] == "verify"]
    for key in verify_keys:
        report_verify(name, key, med, args)
    base = verify_keys[0]
    for key in verify_keys[1:]:
        rps_ratios = [v[0] / b[0] for v, b in zip(rounds[key], rounds[base], strict=True)]
        cpu_ratios = [v[3] / b[3] for v, b in zip(rounds[key], rounds[base], strict=True)]
        print(
            f"  {key}/{base} req/s by round "
            + ", ".join(f"{r:.3f}" for r in rps_ratios)
            + f"; median {statistics.median(rps_ratios):.3f}"
            f"   server CPU per request, median {statistics.median(cpu_ratios):.3f}"
        )


def report_verify(name: str, key: str, med: dict[str, Figures], args: argparse.Namespace) -> None:
    """The ratios and targets of the verify server ``key`` against hello, floor and peer."""
    h_rps, _, _, h_cpu, _, _, _ = med["hello"]
    v_rps, _, v99, v_cpu, v_db, _, v_apart = med[key]
    tag = "" if key == "verify" else f" ({key})"
    if args.consumers_apart:
        print(
            f"  event consumers in their own process (veriseal events consume --watch){tag}:"
            f" {v_apart:.0f} us/request; verify server + consumers {v_cpu + v_apart:.0f} us"
        )
    min_hello, max_cpu, min_peer = TARGETS[name]
    ratio = v_rps / h_rps
    print(f"  ratio verify/hello{tag} {ratio:.3f}")
    print(
        f"  server CPU per request, hello/verify{tag} {h_cpu / v_cpu:.3f}"
        " (the ratio's ceiling while the server is CPU-bound)"
    )

    def target(met: bool, text: str) -> None:
        print(f"TARGET {'met   ' if met else 'missed'} {name}: {text}{tag}")

    target(ratio >= min_hello, f"verify/hello >= {min_hello:.2f}")
    target(v_cpu <= max_cpu, f"server CPU per verify request <= {max_cpu:.0f} us")
    target(v99 < 50, "verify p99 < 50 ms")
    if "floor" in med:
        f_cpu = med["floor"][3]
        print(
            f"  server CPU per request, hello/floor {h_cpu / f_cpu:.3f} (the most any verify"
            " endpoint doing this durable work reaches in this stack)"
        )
        print(
            f"  verify's CPU above the floor{tag} {v_cpu - f_cpu:.0f} us/request (parsing,"
            " checks, clone rules, verdict, request ids and cookies, in-process consumers);"
            f" the verify/hello target leaves {h_cpu / min_hello - f_cpu:.0f} us for all of it"
        )
    if name == "postgres":
        # what carries over to a larger machine: the CPU a verification costs in all
        total = v_cpu + v_db + v_apart
        print(
            f"  a verification{tag} costs {total:.0f} us of CPU in all (server + PostgreSQL"
            + (" + consumers" if args.consumers_apart else "")
            + "):"
            f" about {1e6 / total:,.0f} req/s per core a machine gives them, wrk apart"
        )
    if "peer" in med:
        p_rps, _, _, p_cpu, _, _, _ = med["peer"]
        print(f"  ratio verify/peer{tag} {v_rps / p_rps:.2f}")
        print(
            f"  server CPU per request, peer/verify{tag} {p_cpu / v_cpu:.2f}"
            " (the ratio's ceiling while both servers are CPU-bound)"
        )
        target(v_rps >= min_peer * p_rps, f"verify >= {min_peer:.0f}x peer (req/s)")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--codes",
        type=int,
        default=1000,
        help="distinct codes the requests rotate over (default 1,000: each is scanned"
        " many times, the clone rules' worst case; 100,000: mostly first scans, as a"
        " brand's consumers scan)",
    )
    ap.add_argument(
        "--located",
        action="store_true",
        help="every request carries a GPS fix (lat, lon, acc) at one of ten cities, as the"
        " verdict page sends it: the region is resolved and the scan's consumers (the"
        " diversion check, the cities' counts) have a place to work with",
    )
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--workers", type=int, default=1, help="server processes (PostgreSQL)")
    ap.add_argument(
        "--commit-depth",
        type=depth_list,
        default=None,
        help='the verify server\'s [server] commit_depth (default: its own, "auto");'
        " several, comma-separated (1,2): one verify server each, on a ledger of its own,"
        " measured in the same rounds, and each one's req/s against the first's",
    )
    ap.add_argument(
        "--peer",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure the typical peer (FastAPI + uvicorn + SQLAlchemy)",
    )
    ap.add_argument(
        "--floor",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure the floor: the durable record alone (benchmarks/floor/app.py)",
    )
    ap.add_argument(
        "--consumers-apart",
        action="store_true",
        help="serve verify with --no-consumers and run the event consumers in their own"
        " process (veriseal events consume --watch); their CPU is printed apart",
    )
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    print(f"cores {os.cpu_count()}; wrk and the servers share them")
    if args.peer:
        stack = subprocess.run(
            [str(peer_python()), "-c", STACK], capture_output=True, text=True, check=True
        )
        print(f"peer: {stack.stdout.strip()}")
    verify_count = len(args.commit_depth or [None])
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        for backend in args.backends.split(","):
            if backend == "sqlite":
                peer_url = f"sqlite+aiosqlite:///{tmp / 'peer.sqlite3'}" if args.peer else None
                ledgers = [sqlite_url(tmp / f"bench-{i}.sqlite3") for i in range(verify_count)]
                bench_backend("sqlite", ledgers, peer_url, args, tmp)
            elif backend == "postgres":
                token = secrets.token_hex(4)
                dbs = [f"veriseal_bench_{token}_{i}" for i in range(verify_count)]
                if args.peer:
                    dbs.append(f"veriseal_bench_peer_{token}")
                server = args.pg.rsplit("/", 1)[0]
                try:
                    for db in dbs:
                        asyncio.run(_admin(args.pg, f'CREATE DATABASE "{db}"'))
                    peer_url = None
                    if args.peer:
                        scheme, rest = server.split("://", 1)
                        assert scheme in ("postgres", "postgresql"), args.pg
                        peer_url = f"postgresql+asyncpg://{rest}/{dbs[-1]}"
                    ledgers = [f"{server}/{db}" for db in dbs[:verify_count]]
                    bench_backend("postgres", ledgers, peer_url, args, tmp)
                finally:
                    for db in dbs:
                        asyncio.run(_admin(args.pg, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


if __name__ == "__main__":
    main()

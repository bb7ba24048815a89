"""Verify cost as the PostgreSQL scan ledger grows: monthly partitions vs one table.

Usage::

    PYTHONPATH=src:cli:plugins python benchmarks/bench_partitions.py
        [--sizes 1000000,10000000,100000000] [--months 12] [--scans 4000] [--rounds 3]
        [--pg postgresql://postgres@127.0.0.1:5432/postgres] [--keep]

Two databases are built side by side with the same data:

- ``partitioned``: the ledger as migrated (``scans`` and ``stream_events`` partitioned by
  month, migration 0020);
- ``flat``: the same ledger with both tables turned back into one plain table each
  (same columns, indexes, ids): the unpartitioned baseline;

and, for each, a twin that stays at the smallest size (the reference: see below).

History is generated directly into the tables (``INSERT ... SELECT generate_series``),
spread evenly over the ``--months`` months before this one, one stream event per scan,
``scan_codes`` kept equal to the rows (the aggregate the verifier reads). Scans are of
other codes of the same brand (``--codes-per`` scans per code), plus two scans of each
measured code: one in the oldest month, one in the newest, so every verification reads a
first and a last scan months apart. The ledger grows to each of ``--sizes`` scans in
turn; at each size, both databases get the same rows, are vacuumed and analysed, and
then a fresh engine (cold caches, as after a restart) verifies the 1,000 measured codes
``--scans`` times with 32 in flight, ``--rounds`` times, the four databases in an order
that rotates from round to round.

Printed per size and database: verifications/s, latency p50/p99 per verification, this
process's CPU and PostgreSQL's own CPU per verification (from /proc), the database size
and where its bytes go; partitioned/flat ratios; and "stays flat" measured: each layout's
CPU (this process + PostgreSQL) and p99 against its twin at the smallest size, as the
median of the rounds' ratios. The twins are measured in the same rounds, so the ratio
does not take the machine's drift between sizes (tens of minutes apart, and this
project's machines swing by a third from one hour to the next) for the ledger's growth.
At the smallest size the twins hold the same rows: their ratio there is the noise.

Disk: 745 to 778 bytes per scan per database with its stream event and indexes (measured
at 10 and 40 million), both databases side by side: 100 million scans need about 160 GB
free with the spare below (the twins, about 1.6 GB at one million).
Before growing to a size, the run compares what that growth needs (at the bytes per scan
measured so far, 10% spare) with the free space of PostgreSQL's data directory, when the
server is on this machine; a size that does not fit is not grown to, the larger ones
neither, and the sizes measured until then are reported. The databases are dropped at
the end (``--keep`` keeps them).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

sys.path.insert(0, str(Path(__file__).parent))  # bench_http: a sibling script
from bench_http import postgres_cpu, prepare
from bench_ledgers import drop, fresh_database
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.ledger import partition_store as ps
from veriseal.models import ClonePolicy, ScanChannel
from veriseal.scanning.service import ScanContext

LAYOUTS = ("partitioned", "flat")
CHUNK = 1_000_000  # rows per generating statement
IN_FLIGHT = 32
BYTES_PER_SCAN = 780  # per database, stream event and indexes included (10 M, 40 M: 778)
SPARE = 1.1  # WAL, VACUUM and the measured rounds' own rows on top of the generated ones
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "")
PROVINCES = ["CN-GD", "CN-ZJ", "CN-JS", "CN-SH", "CN-BJ", "CN-SC", "CN-HB", "CN-FJ"]


@dataclasses.dataclass
class Db:
    layout: str
    url: str
    paths: list[str]
    reference: bool = False  # the twin that stays at the smallest size
    brand_id: int = 0
    gtin: str = ""
    serials: list[str] = dataclasses.field(default_factory=list)
    filled: dict[int, int] = dataclasses.field(default_factory=dict)  # month -> rows

    @property
    def label(self) -> str:
        return f"{self.layout} twin" if self.reference else self.layout


async def _flatten(conn: asyncpg.Connection) -> None:
    """Turn the partitioned tables back into plain ones: same columns, defaults,
    indexes, foreign keys and ids (the baseline)."""
    await conn.execute("ALTER TABLE fake_reports DROP CONSTRAINT fake_reports_scan_id_fkey")
    for table, (key, sequence) in ps.TABLES.items():
        await conn.execute(
            f"CREATE TABLE {table}_flat (LIKE {table} INCLUDING DEFAULTS INCLUDING INDEXES)"
        )
        await conn.execute(f"INSERT INTO {table}_flat SELECT * FROM {table}")
        await conn.execute(f"ALTER SEQUENCE {sequence} OWNED BY NONE")
        await conn.execute(f"DROP TABLE {table}")
        await conn.execute(f"ALTER TABLE {table}_flat RENAME TO {table}")
        await conn.execute(f"ALTER SEQUENCE {sequence} OWNED BY {table}.{key}")
    for column, parent in (("brand_id", "brands"), ("batch_id", "batches"), ("user_id", "users")):
        await conn.execute(f"ALTER TABLE scans ADD FOREIGN KEY ({column}) REFERENCES {parent}(id)")
    await conn.execute(
        "ALTER TABLE fake_reports ADD CONSTRAINT fake_reports_scan_id_fkey"
        " FOREIGN KEY (scan_id) REFERENCES scans(id)"
    )


def names(token: str) -> dict[tuple[bool, str], str]:
    """The four databases' names of the run ``token`` (by twin or not, layout): known
    before any is made, so the run drops all four whatever step it stopped at."""
    return {
        (reference, layout): f"veriseal_bench_{layout}_{'ref_' if reference else ''}{token}"
        for reference in (False, True)
        for layout in LAYOUTS
    }


async def setup(base: str, key: Path, months: list[int], token: str, dbs: list[Db]) -> None:
    """Make the four databases :func:`names` gives (each layout and its twin), appending
    each to ``dbs`` as it is made."""
    for (reference, layout), name in names(token).items():
        url = await fresh_database(name, admin=base)
        db = Db(layout, url, [], reference)
        dbs.append(db)
        db.paths = await prepare(url, key, "bench.example", 1000)
        cfg = Config(path=None, db_url=url, key_source=KeySource(key_file=key))
        async with await Engine.open(cfg) as engine:
            infos = [(await engine.verifier.verify(p)).info for p in db.paths]
            db.serials = [i.serial for i in infos]  # type: ignore[union-attr]
            db.brand_id = infos[0].brand_id  # type: ignore[union-attr,assignment]
            db.gtin = infos[0].gtin  # type: ignore[union-attr]
            # every size verifies the same codes again: the count rule would turn them
            # into suspected clones part way, and the sizes would take different paths
            await engine.ledger.set_clone_policy(
                db.brand_id, None, ClonePolicy(max_verifications=None)
            )
            if layout == "partitioned":
                # the past months as a server running through them would have left them:
                # made, and entered at their start
                async with engine.ledger.write() as tx:
                    for month in months:
                        for table in ps.TABLES:
                            await ps.create(tx, table, month)
                            await tx.execute(
                                "INSERT INTO ledger_periods (table_name, period, entered_at)"
                                " VALUES (?, ?, ?)",
                                table,
                                month,
                                ps.period_start(month),
                            )
        conn = await asyncpg.connect(url)
        try:
            if layout == "flat":
                await _flatten(conn)
            # the same ids in both: the current month's range, as ensure() sets it
            lo, _ = ps.bounds(ps.period_of(dt.datetime.now(dt.UTC)))
            for _, sequence in ps.TABLES.values():
                await conn.execute("SELECT setval($1, $2, false)", sequence, lo)
        finally:
            await conn.close()


_SCANS = (
    "INSERT INTO scans (id, at, brand_id, code, gtin, outcome, reason, channel, actor,"
    " lat, lon, accuracy_m, loc_source, country, province, client)"
    " SELECT $1::bigint + g, $2::timestamptz + g * $3::float8 * interval '1 microsecond', $4,"
    " 'H' || (($5::bigint + g) % $6),"
    " $7, CASE WHEN g % 50 = 0 THEN 'invalid' ELSE 'genuine' END,"
    " CASE WHEN g % 50 = 0 THEN 'invalid' ELSE 'genuine' END,"
    " CASE WHEN g % 7 = 0 THEN 'handheld' ELSE 'web' END, 'device:' || (g % 100000),"
    " CASE WHEN g % 3 = 0 THEN 23.1 + (g % 100) / 100.0 END,"
    " CASE WHEN g % 3 = 0 THEN 113.2 + (g % 100) / 100.0 END,"
    " CASE WHEN g % 3 = 0 THEN 20.0 END, CASE WHEN g % 3 = 0 THEN 'gps' END,"
    " CASE WHEN g % 3 = 0 THEN 'CN' END, CASE WHEN g % 3 = 0 THEN ($8::text[])[1 + g % 8] END,"
    " md5(g::text) FROM generate_series(0, $9 - 1) g"
)
_EVENTS = (
    "INSERT INTO stream_events (position, kind, brand_id, ref, payload, at)"
    " SELECT $1::bigint + g, 'scan', $2, $1::bigint + g,"
    ' \'{"outcome":"genuine","located":false}\','
    " $3::timestamptz + g * $4::float8 * interval '1 microsecond'"
    " FROM generate_series(0, $5 - 1) g"
)
_COUNT = (
    "INSERT INTO scan_codes (brand_id, code, n, first_id, last_id)"
    " SELECT brand_id, code, COUNT(*), MIN(id), MAX(id) FROM scans"
    " WHERE id >= $1 AND id < $2 AND outcome = 'genuine' GROUP BY brand_id, code"
    " ON CONFLICT (brand_id, code) DO UPDATE SET n = scan_codes.n + excluded.n,"
    " first_id = LEAST(scan_codes.first_id, excluded.first_id),"
    " last_id = GREATEST(scan_codes.last_id, excluded.last_id)"
)


async def grow(db: Db, months: list[int], target: int, codes_per: int) -> float:
    """Add rows so ``db`` holds ``target`` generated scans, spread evenly over
    ``months``; seconds taken. Deterministic: both layouts get identical rows."""
    started = time.perf_counter()
    per_month = target // len(months)
    distinct = max(1, target // codes_per)
    conn = await asyncpg.connect(db.url)
    try:
        # generated rows need no per-commit flush: they are checkpointed before measuring
        await conn.execute("SET synchronous_commit = off")
        for index, month in enumerate(months):
            lo, _ = ps.bounds(month)
            start = ps.period_start(month)
            spacing = 28 * 86400 * 1e6 / per_month  # microseconds between two scans
            have = db.filled.get(month, 0)
            while have < per_month:
                n = min(CHUNK, per_month - have)
                first = lo + have
                at = start + dt.timedelta(microseconds=have * spacing)
                async with conn.transaction():
                    await conn.execute(
                        _SCANS, first, at, spacing, db.brand_id, index * per_month + have,
                        distinct, db.gtin,
                        PROVINCES, n,
                    )  # fmt: skip
                    await conn.execute(_EVENTS, first, db.brand_id, at, spacing, n)
                    await conn.execute(_COUNT, first, first + n)
                have += n
                if sys.stderr.isatty():
                    print(f"  {db.label}: {ps.partition_name('scans', month)} {have:,}",
                          end="\r", file=sys.stderr)  # fmt: skip
            db.filled[month] = have
        await _measured_history(conn, db, months)
        await conn.execute("VACUUM (ANALYZE) scans, stream_events, scan_codes")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def _measured_history(conn: asyncpg.Connection, db: Db, months: list[int]) -> None:
    """Two earlier scans of each measured code, the oldest month's and the newest's
    (once: after the first growth), counted in scan_codes."""
    if await conn.fetchval("SELECT COUNT(*) FROM scan_codes WHERE code = $1", db.serials[0]):
        return
    for month in (months[0], months[-1]):
        _, hi = ps.bounds(month)
        first = hi - 2 * len(db.serials)  # the month's top ids: above generated ones
        at = ps.period_start(month) + dt.timedelta(days=27)
        await conn.executemany(
            "INSERT INTO scans (id, at, brand_id, code, gtin, outcome, reason, channel, actor)"
            " VALUES ($1, $2, $3, $4, $5, 'genuine', 'genuine', 'web', 'device:m')",
            [(first + i, at, db.brand_id, s, db.gtin) for i, s in enumerate(db.serials)],
        )
        await conn.executemany(
            "INSERT INTO scan_codes (brand_id, code, n, first_id, last_id)"
            " VALUES ($1, $2, 1, $3, $3) ON CONFLICT (brand_id, code) DO UPDATE"
            " SET n = scan_codes.n + 1, last_id = excluded.last_id",
            [(db.brand_id, s, first + i) for i, s in enumerate(db.serials)],
        )


@dataclasses.dataclass
class Figures:
    rate: float
    p50_ms: float
    p99_ms: float
    cpu_us: float
    pg_us: float


async def measure(db: Db, key: Path, scans: int) -> Figures:
    """A fresh engine verifies the measured codes ``scans`` times, 32 in flight."""
    cfg = Config(path=None, db_url=db.url, key_source=KeySource(key_file=key))
    async with await Engine.open(cfg) as engine:
        ctx = ScanContext(ScanChannel.API, "device:bench")
        await engine.scans.scan(db.paths[0], ctx)  # loads plugins and metadata
        latencies: list[float] = []
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def one(i: int) -> None:
            async with gate:
                t0 = time.perf_counter()
                await engine.scans.scan(db.paths[(i * 7919) % len(db.paths)], ctx)
                latencies.append(time.perf_counter() - t0)

        name = db.url.rsplit("/", 1)[1]
        cpu0, pg0, wall0 = time.process_time(), postgres_cpu(name), time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(scans)))
        wall = time.perf_counter() - wall0
        cpu, pg = time.process_time() - cpu0, postgres_cpu(name) - pg0
    latencies.sort()
    return Figures(
        scans / wall,
        1e3 * latencies[len(latencies) // 2],
        1e3 * latencies[int(len(latencies) * 0.99)],
        1e6 * cpu / scans,
        1e6 * pg / scans,
    )


async def _analyze(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("ANALYZE scans, stream_events, scan_codes")
    finally:
        await conn.close()


def room_for(scans: int, layouts: int, per_scan: float, free: int) -> bool:
    """Whether adding ``scans`` generated scans to each of ``layouts`` databases, at
    ``per_scan`` bytes each (with :data:`SPARE`), fits in ``free`` bytes."""
    return scans * layouts * per_scan * SPARE <= free


async def data_free(url: str) -> int | None:
    """Free bytes where PostgreSQL keeps its data, when the server is on this machine
    (the benchmark cannot see a remote server's disk: None)."""
    host = (urlsplit(url).hostname or "").strip("[]")
    if host not in LOCAL_HOSTS:
        return None
    conn = await asyncpg.connect(url)
    try:
        directory = str(await conn.fetchval("SHOW data_directory"))
    finally:
        await conn.close()
    try:
        return shutil.disk_usage(directory).free
    except OSError:  # another machine's path after all (a container, a socket alias)
        return None


GROWN = ("scans", "stream_events", "scan_codes")  # the tables a scan adds to


async def _size(url: str) -> tuple[int, dict[str, int]]:
    """The database's size and the bytes of each table in :data:`GROWN`, partitions and
    indexes included (where the bytes per scan go)."""
    conn = await asyncpg.connect(url)
    try:
        total = int(await conn.fetchval("SELECT pg_database_size(current_database())"))
        tables = {
            table: int(
                await conn.fetchval(
                    # a plain table has no partition tree: its own size then
                    "SELECT COALESCE((SELECT SUM(pg_total_relation_size(relid))"
                    " FROM pg_partition_tree($1::regclass)), pg_total_relation_size($1::regclass))",
                    table,
                )
            )
            for table in GROWN
        }
    finally:
        await conn.close()
    return total, tables


def _median(figures: list[Figures]) -> Figures:
    return Figures(
        *(statistics.median(getattr(f, k.name) for f in figures)
          for k in dataclasses.fields(Figures))
    )  # fmt: skip


async def main_async(args: argparse.Namespace) -> None:
    # a SIGTERM (kill, a CI timeout) unwinds like Ctrl-C, so the databases are dropped
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    now = ps.period_of(dt.datetime.now(dt.UTC))
    months = list(range(now - args.months, now))
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "bench.key"
        create_key_file(key)
        dbs: list[Db] = []
        token = secrets.token_hex(4)  # runs side by side never share (or drop) a database
        try:
            await setup(args.pg, key, months, token, dbs)
            results = await _grow_and_measure(args, dbs, months, key)
        finally:
            # a SIGTERM now must not cancel the drop itself: it is seconds, let it end
            loop.add_signal_handler(signal.SIGTERM, lambda: None)
            if not args.keep:
                await drop(*names(token).values(), admin=args.pg)
    _summary(args.sizes[0], results, args.rounds, args.scans)


@dataclasses.dataclass
class Measured:
    """One size: each database's medians (by label) and each layout's growth against
    its twin, the median of the rounds' ratios: (CPU + PostgreSQL, p99)."""

    medians: dict[str, Figures]
    growth: dict[str, tuple[float, float]]


def against_twins(rounds: dict[str, list[Figures]]) -> dict[str, tuple[float, float]]:
    """Each layout's (CPU + PostgreSQL CPU, p99) against its twin's, as the median of
    the ratios of the same rounds (never the ratio of the medians: the machine's speed
    changes from round to round, and a round's two figures share it)."""
    out = {}
    for layout in LAYOUTS:
        grown, twin = rounds[layout], rounds[f"{layout} twin"]
        cpu = [
            (g.cpu_us + g.pg_us) / (t.cpu_us + t.pg_us) for g, t in zip(grown, twin, strict=True)
        ]
        p99 = [g.p99_ms / t.p99_ms for g, t in zip(grown, twin, strict=True)]
        out[layout] = (statistics.median(cpu), statistics.median(p99))
    return out


async def _grow_and_measure(
    args: argparse.Namespace, dbs: list[Db], months: list[int], key: Path
) -> dict[int, Measured]:
    """Grow to each size that fits the disk (the twins: to the first only) and measure
    the four databases there, in rounds whose order rotates."""
    results: dict[int, Measured] = {}
    per_scan, grown = float(BYTES_PER_SCAN), 0
    empty = {db.label: (await _size(db.url))[0] for db in dbs}  # the schema, the codes
    for size in args.sizes:
        growing = [db for db in dbs if not db.reference or not grown]
        free = await data_free(args.pg)
        if free is not None and not room_for(size - grown, len(growing), per_scan, free):
            need = (size - grown) * len(growing) * per_scan * SPARE
            print(
                f"\nnot growing to {size:,} scans: that needs about {need / 1e9:,.0f} GB and"
                f" PostgreSQL's disk has {free / 1e9:,.0f} GB free; larger sizes are skipped"
                f" too / 磁盘空间不足，未扩展到 {size:,} 条扫描记录"
                f"（约需 {need / 1e9:,.0f} GB，可用 {free / 1e9:,.0f} GB），更大的规模一并跳过"
            )
            break
        print(f"\ngrowing to {size:,} scans over {len(months)} months ...")
        for db in growing:
            took = await grow(db, months, size, args.codes_per)
            print(f"  {db.label}: {took:,.0f} s")
        grown = size
        for db in dbs:
            # a warm-up round, then the statistics autovacuum would have gathered a
            # minute later: a partition made empty, or a table just vacuumed empty of
            # this month's rows, would otherwise be planned as if it had none
            await measure(db, key, args.scans)
            await _analyze(db.url)
        rounds: dict[str, list[Figures]] = {db.label: [] for db in dbs}
        for r in range(args.rounds):
            for db in dbs[r % len(dbs) :] + dbs[: r % len(dbs)]:
                rounds[db.label].append(await measure(db, key, args.scans))
        sizes = {db.label: await _size(db.url) for db in dbs}
        # the next size's need: the bytes a generated scan took here (the empty ledger's
        # own few megabytes left out, which would inflate a small size's share)
        per_scan = max(sizes[db.label][0] - empty[db.label] for db in dbs if not db.reference)
        per_scan /= size
        measured = Measured({k: _median(v) for k, v in rounds.items()}, against_twins(rounds))
        results[size] = measured
        for db in dbs:
            f, (total, tables) = measured.medians[db.label], sizes[db.label]
            held = args.sizes[0] if db.reference else size
            print(
                f"  {db.label:<17} {f.rate:7,.0f} verif/s  p50 {f.p50_ms:6.1f} ms"
                f"  p99 {f.p99_ms:6.1f} ms  CPU {f.cpu_us:5.0f} us + PostgreSQL"
                f" {f.pg_us:5.0f} us  db {total / 1e9:6.1f} GB"
            )
            shares = ", ".join(f"{t} {n / held:,.0f}" for t, n in tables.items())
            print(f"  {'':<17} bytes per scan {(total - empty[db.label]) / held:,.0f} ({shares})")
        part, flat = measured.medians["partitioned"], measured.medians["flat"]
        print(
            f"  partitioned/flat: CPU {part.cpu_us / flat.cpu_us:.2f}"
            f"  PostgreSQL {part.pg_us / flat.pg_us:.2f}  p50 {part.p50_ms / flat.p50_ms:.2f}"
            f"  p99 {part.p99_ms / flat.p99_ms:.2f}"
        )
        for layout, (cpu, p99) in measured.growth.items():
            print(
                f"  {layout} against its twin at {args.sizes[0]:,} scans, same rounds:"
                f" CPU + PostgreSQL {cpu:.2f}, p99 {p99:.2f}"
            )
    return results


def _summary(smallest: int, results: dict[int, Measured], rounds: int, scans: int) -> None:
    print(f"\nmedians of {rounds} rounds of {scans} verifications, {IN_FLIGHT} in flight;")
    print(f"growth: against the layout's twin at {smallest:,} scans, in the same rounds")
    print("size          layout       CPU us  PG us   p50 ms  p99 ms   growth: CPU+PG    p99")
    for size, measured in results.items():
        for layout in LAYOUTS:
            f, (cpu, p99) = measured.medians[layout], measured.growth[layout]
            print(
                f"{size:>12,}  {layout:<12} {f.cpu_us:6.0f} {f.pg_us:6.0f} {f.p50_ms:8.1f}"
                f" {f.p99_ms:7.1f}           {cpu:5.2f}  {p99:5.2f}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sizes",
        type=lambda s: [int(float(x)) for x in s.split(",")],
        default=[1_000_000, 10_000_000, 100_000_000],
    )
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--codes-per", type=int, default=10, help="generated scans per code")
    ap.add_argument("--scans", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--keep", action="store_true", help="keep the two databases at the end")
    args = ap.parse_args()
    if sorted(args.sizes) != args.sizes:
        ap.error("--sizes must grow")
    try:
        asyncio.run(main_async(args))
    except (asyncio.CancelledError, KeyboardInterrupt):
        if args.keep:
            sys.exit("interrupted; the databases were kept / 已中断，数据库已保留")
        sys.exit("interrupted; the databases were dropped / 已中断，数据库已删除")


if __name__ == "__main__":
    main()

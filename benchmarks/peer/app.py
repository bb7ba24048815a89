"""A typical peer: the code-verification service of an anti-counterfeit platform as it is
commonly written, with FastAPI + uvicorn + SQLAlchemy 2.x (async ORM).

``benchmarks/bench_http.py`` serves it next to ``veriseal serve`` and measures both with
the same requests. It deliberately does not import veriseal.

Data: one row per minted code in ``codes`` (serial as primary key, GTIN, batch, expiry,
status; ~100k rows once seeded) and one row per scan in ``scans`` (indexed by code).

Per request, on the GS1 Digital Link path ``/01/{gtin}/10/{lot}/21/{serial}?17=YYMMDD``
(the paths Veriseal's verify server gets): one SELECT of the code's row together with the
count of its earlier scans, one INSERT into ``scans``, COMMIT, then a JSON verdict
(``genuine`` with the code's data and ``scans_before``, or ``unknown`` with 404). Unknown
codes are recorded too, as such services do to spot counterfeits.

Database: the URL in ``PEER_DB``: ``sqlite+aiosqlite:///FILE`` or
``postgresql+asyncpg://USER@HOST:PORT/DB``. On SQLite every connection runs
``journal_mode=WAL`` and ``synchronous=FULL``, the pragmas of Veriseal's SQLite ledger,
so a COMMIT is durable (fsynced) in both servers; NORMAL would let a WAL-mode commit be
lost on power failure, which a scan record that answers "seen N times before" must not.
The connection pool is SQLAlchemy's default for the driver, as a typical deployment
leaves it.

Run::

    PEER_DB=URL uvicorn app:app --app-dir benchmarks/peer --port 8001 [--workers N]

Create the schema and seed it (the codes of ``PATHS_FILE``, one Digital Link path a line,
plus ``--filler`` other codes)::

    python benchmarks/peer/app.py seed URL PATHS_FILE [--filler 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, unquote, urlsplit

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import DateTime, String, event, func, insert, select
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Code(Base):
    """One minted code."""

    __tablename__ = "codes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)  # the GS1 serial (AI 21)
    gtin: Mapped[str] = mapped_column(String(14))
    batch: Mapped[str] = mapped_column(String(20))
    expiry: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default="active")


class Scan(Base):
    """One verification request."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    gtin: Mapped[str] = mapped_column(String(14))
    genuine: Mapped[bool]
    scanned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    client_ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))


def make_engine(url: str) -> AsyncEngine:
    """The async engine; on SQLite with Veriseal's durability pragmas."""
    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

    return engine


engine = make_engine(os.environ.get("PEER_DB", "sqlite+aiosqlite:///peer.sqlite3"))
Session = async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    yield
    await engine.dispose()


app = FastAPI(title="Typical peer verification service", lifespan=lifespan)


async def session() -> AsyncIterator[AsyncSession]:
    async with Session() as s:
        yield s


class Verdict(BaseModel):
    verdict: str
    code: str
    gtin: str
    batch: str
    expiry: date | None
    status: str
    scans_before: int


@app.get("/01/{gtin}/10/{lot}/21/{serial}", response_model=Verdict)
async def verify(
    gtin: str,
    lot: str,
    serial: str,
    request: Request,
    db: Annotated[AsyncSession, Depends(session)],
    expiry: Annotated[str | None, Query(alias="17")] = None,
) -> Verdict | JSONResponse:
    """SELECT the code with its earlier scans' count, INSERT the scan, COMMIT, answer."""
    earlier = select(func.count(Scan.id)).where(Scan.code == Code.code).scalar_subquery()
    row = (await db.execute(select(Code, earlier).where(Code.code == serial))).first()
    genuine = row is not None and row[0].gtin == gtin and row[0].batch == lot
    db.add(
        Scan(
            code=serial,
            gtin=gtin,
            genuine=genuine,
            scanned_at=datetime.now(UTC),
            client_ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
    )
    await db.commit()
    if row is None or not genuine:
        return JSONResponse({"verdict": "unknown", "code": serial}, status_code=404)
    code, scans_before = row
    return Verdict(
        verdict="genuine",
        code=code.code,
        gtin=code.gtin,
        batch=code.batch,
        expiry=code.expiry,
        status=code.status,
        scans_before=scans_before,
    )


def parse(path: str) -> dict[str, Any]:
    """A ``codes`` row from a Digital Link path ``/01/GTIN/10/LOT/21/SERIAL?17=YYMMDD``."""
    parts = urlsplit(path)
    segments = [unquote(s) for s in parts.path.strip("/").split("/")]
    ais = dict(zip(segments[::2], segments[1::2], strict=True))
    expiry = parse_qs(parts.query).get("17", [None])[0]
    return {
        "code": ais["21"],
        "gtin": ais["01"],
        "batch": ais["10"],
        "expiry": datetime.strptime(expiry, "%y%m%d").date() if expiry else None,
        "status": "active",
    }


async def seed(url: str, paths_file: Path, filler: int) -> None:
    """Create the schema; insert the codes of ``paths_file`` and ``filler`` others."""
    rows = [parse(line) for line in paths_file.read_text().split()]
    rng = random.Random(0)
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    for i in range(filler):
        serial = "F" + "".join(rng.choices(alphabet, k=19))
        rows.append(
            {
                "code": serial,
                "gtin": rows[0]["gtin"] if rows else "09506000134352",
                "batch": f"F{i % 50}",
                "expiry": None,
                "status": "active",
            }
        )
    db = make_engine(url)
    try:
        async with db.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
            for start in range(0, len(rows), 10_000):
                await conn.execute(insert(Code), rows[start : start + 10_000])
    finally:
        await db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description="Seed the peer's database.")
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("seed")
    s.add_argument("url")
    s.add_argument("paths_file", type=Path)
    s.add_argument("--filler", type=int, default=100_000)
    args = ap.parse_args()
    asyncio.run(seed(args.url, args.paths_file, args.filler))


if __name__ == "__main__":
    main()

"""Fixtures shared by the suite: a real ledger on every backend.

``ledger_url`` is parametrized over ``sqlite`` (a file in tmp_path) and ``postgres`` (a
fresh database on the server at 127.0.0.1:5432, user postgres, dropped afterwards). The
PostgreSQL half FAILS when the server is unreachable, so CI cannot pass without it;
``VERISEAL_SKIP_POSTGRES=1`` skips it deliberately on a machine without PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path

import asyncpg
import pytest
from click.testing import CliRunner
from hypothesis import settings

from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.ledger import Ledger, open_ledger
from veriseal_cli.main import cli

#: No hypothesis deadline: timings are measured in benchmarks/, never asserted in tests,
#: and a shared machine under load made 200 ms examples fail as "too slow".
settings.register_profile("veriseal", deadline=None)
settings.load_profile("veriseal")

#: The maintenance database the suite connects to in order to create and drop its own.
PG_ADMIN = os.environ.get("VERISEAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped after the test.

    A sync fixture on purpose: it runs its own short event loops, so the database exists
    before (and is dropped after) whatever loop the test itself uses.
    """
    if os.environ.get("VERISEAL_SKIP_POSTGRES") == "1":
        pytest.skip("VERISEAL_SKIP_POSTGRES=1")
    name = f"veriseal_test_{secrets.token_hex(6)}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        # fail, never skip: CI must not go green without having run the PostgreSQL half
        pytest.fail(
            f"the test suite needs PostgreSQL at {PG_ADMIN} (set VERISEAL_TEST_PG to use "
            f"another server, or VERISEAL_SKIP_POSTGRES=1 to skip deliberately): "
            f"{type(exc).__name__}: {exc}",
            pytrace=False,
        )
    base = PG_ADMIN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, unmigrated ledger on each backend (``-m "not postgres"``
    deselects the PostgreSQL half)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def ledger(ledger_url: str) -> AsyncIterator[Ledger]:
    """An opened and migrated ledger on each backend, closed after the test."""
    led = await open_ledger(ledger_url)
    await led.migrate()
    try:
        yield led
    finally:
        await led.close()


@pytest.fixture
async def engine(ledger_url: str, tmp_path: Path) -> AsyncIterator[Engine]:
    """An opened engine (migrated ledger, key file keyring) on each backend."""
    key_file = tmp_path / "test.key"
    create_key_file(key_file)
    cfg = Config(path=None, db_url=ledger_url, key_source=KeySource(key_file=key_file))
    eng = await Engine.open(cfg)
    try:
        yield eng
    finally:
        await eng.close()


#: ``run(*args, code=0, input=None) -> output``: the CLI, as the ``run`` fixture gives it.
CliRun = Callable[..., str]


def cli_runner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefix: Sequence[str] = ()
) -> CliRun:
    """The CLI in a fresh directory (``tmp_path``), with no ``VERISEAL_*`` settings from
    the environment and English messages: ``run(*args)`` asserts the exit status
    (``code``, default 0) and that no traceback was printed, and returns the output
    (standard error included). ``prefix`` goes before every command (``--db URL``)."""
    monkeypatch.chdir(tmp_path)
    for var in [v for v in os.environ if v.startswith("VERISEAL_")] + ["LC_ALL"]:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C")
    runner = CliRunner()

    def invoke(*args: str, code: int = 0, input: str | None = None) -> str:
        result = runner.invoke(cli, [*prefix, *args], input=input, catch_exceptions=False)
        out = result.output + (result.stderr if result.stderr_bytes else "")
        assert result.exit_code == code, (args, out)
        assert "Traceback" not in out
        return out

    return invoke


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRun:
    """The CLI in a fresh directory: see :func:`cli_runner`."""
    return cli_runner(tmp_path, monkeypatch)


def veriseal_exe() -> str:
    """The installed ``veriseal`` command, next to this interpreter (the project's .venv)."""
    found = shutil.which("veriseal", path=str(Path(sys.executable).parent))
    exe = found or shutil.which("veriseal")
    assert exe, "the 'veriseal' command is not installed: run scripts/bootstrap"
    return exe

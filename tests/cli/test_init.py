"""``veriseal init`` as a newcomer types it: ``--db`` after the command, a PostgreSQL
database that does not exist yet, a server that cannot be reached (nothing written),
and users placed in the brand's organisation at once."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import PG_ADMIN, _admin

Run = Callable[..., str]
INIT = ("init", "--brand", "acme", "--name", "Acme", "--resolver", "id.acme.example")


def test_db_after_the_subcommand(run: Run, tmp_path: Path) -> None:
    ledger = tmp_path / "data" / "acme.sqlite3"
    run(*INIT, "--db", str(ledger))
    assert ledger.exists()
    assert str(ledger) in (tmp_path / "veriseal.toml").read_text()
    # and on any other command, e.g. the README's `product add`
    run("product", "add", "--gtin", "9506000134352", "--name", "Tea", "--db", str(ledger))
    assert "9506000134352" in run("product", "list", "--db", str(ledger))


def test_unreachable_database_writes_nothing(run: Run, tmp_path: Path) -> None:
    out = run(*INIT, "--db", "postgresql://postgres@127.0.0.1:1/veriseal", code=8)
    assert "[storage_unavailable]" in out
    assert list(tmp_path.iterdir()) == []  # no config, no key file


def test_bad_brand_writes_nothing(run: Run, tmp_path: Path) -> None:
    out = run("init", "--brand", "A B", "--name", "Acme", "--resolver", "x.example", code=2)
    assert "[invalid_input]" in out
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def missing_pg_db() -> Iterator[str]:
    """The URL of a PostgreSQL database that does not exist (dropped afterwards if the
    test created it)."""
    name = f"veriseal_init_{secrets.token_hex(6)}"
    yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _exists(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        return False
    await conn.close()
    return True


@pytest.mark.postgres
def test_missing_postgres_database_is_created(run: Run, missing_pg_db: str) -> None:
    assert not asyncio.run(_exists(missing_pg_db))
    out = run(*INIT, "--db", missing_pg_db)
    assert "Database created" in out and "Brand acme created" in out
    assert asyncio.run(_exists(missing_pg_db))
    assert "acme" in run("brand", "list")


def test_root_org_exists_after_init(run: Run) -> None:
    out = run(*INIT)
    root = int(out.split("Root organisation ")[1].split()[0])
    user = json.loads(
        run(
            "users",
            "add",
            "d@example.com",
            "--name",
            "D",
            "--role",
            "brand_admin",
            "--org",
            str(root),
        )
    )
    assert user["org_id"] == root

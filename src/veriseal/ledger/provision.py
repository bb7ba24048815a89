"""Creating a missing ledger database: what ``veriseal init`` does for a new install.

A SQLite ledger is a file that opening creates. A PostgreSQL database must exist before
anything connects to it; :func:`ensure_database` creates it, as the server's
maintenance database (``postgres``) allows, so a newcomer's
``veriseal init --db postgresql://user@host/veriseal`` works on a fresh server.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg

from veriseal.errors import ConfigError, StorageError

_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, ValueError)


def _database_name(url: str) -> str:
    name = unquote(urlsplit(url).path.lstrip("/"))
    if not name:
        raise ConfigError(
            f"the PostgreSQL URL names no database: {url.rsplit('@', maxsplit=1)[-1]!r}"
        )
    return name


async def ensure_database(url: str) -> bool:
    """Create the database that the PostgreSQL ``url`` names unless it exists; True
    when it was created. Does nothing (False) for a SQLite ledger.

    ``StorageError`` when the server cannot be reached, or refuses both the database
    and its creation (the user may not ``CREATE DATABASE``): nothing was created then.
    """
    if not url.startswith(("postgresql://", "postgres://")):
        return False
    name = _database_name(url)
    try:
        conn = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        pass  # it does not exist: create it below
    except _ERRORS as exc:
        raise StorageError(f"cannot connect to PostgreSQL: {exc}") from None
    else:
        await conn.close()
        return False
    parts = urlsplit(url)
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    try:
        conn = await asyncpg.connect(maintenance)
        try:
            quoted = '"' + name.replace('"', '""') + '"'
            await conn.execute(f"CREATE DATABASE {quoted}")
        finally:
            await conn.close()
    except asyncpg.DuplicateDatabaseError:
        return False  # created meanwhile by someone else: there it is
    except _ERRORS as exc:
        raise StorageError(
            f"database {name!r} does not exist and cannot be created: {exc}"
        ) from None
    return True

"""Ledger storage: the interface and the URL-based backend choice.

Only the composition root (``veriseal.engine``) and tools that manage storage call
:func:`open_ledger`; services receive a :class:`Ledger`.
"""

from __future__ import annotations

from veriseal.errors import ConfigError
from veriseal.ledger.base import Ledger

__all__ = ["Ledger", "open_ledger"]


async def open_ledger(url: str) -> Ledger:
    """Open the ledger that ``url`` names. It does NOT migrate: callers call ``migrate()``.

    - ``postgresql://...`` or ``postgres://...`` -> :class:`PostgresLedger`;
    - ``sqlite:///abs/path`` (any number of slashes after ``sqlite:`` means an absolute
      path), ``sqlite:rel/path`` or a plain file path -> :class:`SqliteLedger`;
    - anything else (another scheme, an empty path) -> ``ConfigError``.

    ``StorageError`` if the database cannot be reached or opened.
    """
    # The backends are imported here, not with the package: importing the interface
    # (``veriseal.ledger.base``, which every service names) must not load asyncpg and
    # the SQL layer, or a command that opens no ledger starts slowly (issue 20).
    from veriseal.ledger.postgres import PostgresLedger  # noqa: PLC0415
    from veriseal.ledger.sqlite import SqliteLedger  # noqa: PLC0415

    if url.startswith(("postgresql://", "postgres://")):
        return await PostgresLedger.open(url)
    if url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:")
        if path.startswith("//"):
            # "sqlite:" "//" (an empty authority) "/abs/path"; "sqlite:////abs" is the
            # SQLAlchemy spelling of the same absolute path, so accept it too
            if not path.startswith("///"):
                raise ConfigError(f"SQLite ledger URL {url!r} names a host: use sqlite:///path")
            path = "/" + path.lstrip("/")
        if not path:
            raise ConfigError("SQLite ledger URL has no path")
        return await SqliteLedger.open(path)
    if "://" in url or not url.strip():
        raise ConfigError(f"unsupported ledger URL {url!r}: use a SQLite path or postgresql://")
    return await SqliteLedger.open(url)

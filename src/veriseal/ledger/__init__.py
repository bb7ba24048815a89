"""Ledger storage: the interface and the URL-based backend choice.

Only the composition root (``veriseal.engine``) and tools that manage storage call
:func:`open_ledger`; services receive a :class:`Ledger`.
"""

from __future__ import annotations

from veriseal.errors import ConfigError
from veriseal.ledger.base import Ledger
from veriseal.ledger.postgres import PostgresLedger
from veriseal.ledger.sqlite import SqliteLedger

__all__ = ["Ledger", "open_ledger"]


async def open_ledger(url: str) -> Ledger:
    """``postgresql://...`` / ``postgres://...`` -> PostgreSQL; ``sqlite:///abs/path``,
    ``sqlite:rel/path`` or a plain file path -> SQLite. Does not migrate."""
    if url.startswith(("postgresql://", "postgres://")):
        return await PostgresLedger.open(url)
    if url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:")
        path = path.removeprefix("//") if path.startswith("///") else path
        return await SqliteLedger.open(path)
    if "://" in url:
        raise ConfigError(f"unsupported ledger URL {url!r}: use a SQLite path or postgresql://")
    return await SqliteLedger.open(url)

"""Every SQL difference between SQLite and PostgreSQL (rule 2 of ARCHITECTURE.md).

Each backend's transactions carry their :class:`Dialect` (``tx.dialect``); code
outside :mod:`veriseal.ledger` calls its helpers (or the shortcuts on
:class:`~veriseal.ledger.base.Tx`) and never compares a dialect's name.
"""

from __future__ import annotations

from veriseal.ledger.dialects.base import Dialect, LockKey, identifier
from veriseal.ledger.dialects.postgres import PostgresDialect
from veriseal.ledger.dialects.search import SearchTerm, document_tokens, search_terms
from veriseal.ledger.dialects.sqlite import SqliteDialect

__all__ = [
    "POSTGRES",
    "SQLITE",
    "Dialect",
    "LockKey",
    "PostgresDialect",
    "SearchTerm",
    "SqliteDialect",
    "document_tokens",
    "identifier",
    "search_terms",
]

#: The one instance of each dialect (dialects are stateless).
SQLITE: Dialect = SqliteDialect()
POSTGRES: Dialect = PostgresDialect()

"""A plugin's storage, as the SDK names it: :class:`Database` (transactions over the
plugin's own ``<name>_*`` tables, with the dialect helpers) and :class:`Tx` (one open
transaction). Both are the ledger's own (:mod:`veriseal.ledger.database`);
:func:`database_for` is the one place a context gets its database from."""

from __future__ import annotations

from veriseal.ledger.base import Ledger, Row, Tx
from veriseal.ledger.database import Database

__all__ = ["Database", "Row", "Tx", "database_for"]


def database_for(ledger: Ledger, prefix: str) -> Database:
    """The plugin ``prefix``'s database on ``ledger``."""
    return ledger.database(prefix)

"""A plugin's storage: transactions over its own tables.

:class:`Database` is what a :class:`~veriseal.extend.context.PluginContext` hands a
plugin: ``read()`` and ``write()`` transactions with ``?`` placeholders, the dialect's
name, and the table prefix the plugin owns (its migrations may touch nothing else).
It is a thin view of the core ledger's transactions; :func:`database_for` is the one
place that builds it, so the ledger's own ``Database`` can replace it in one line.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from veriseal.ledger.base import Ledger, Row, Tx

__all__ = ["Database", "Row", "Tx", "database_for"]


@dataclass(frozen=True)
class Database:
    """Transactions for the tables ``<prefix>_*`` of one plugin.

    ``write()`` commits durably on normal exit and rolls back on an exception;
    ``read()`` may not see a write that is still open. Write only your own tables:
    ``veriseal migrate`` refuses a plugin migration that reaches outside its prefix,
    and the core's records are read through the context's lookups."""

    prefix: str
    _ledger: Ledger

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgres"`` (which migrations folder applies)."""
        return self._ledger.dialect

    def read(self) -> AbstractAsyncContextManager[Tx]:
        return self._ledger.read()

    def write(self) -> AbstractAsyncContextManager[Tx]:
        return self._ledger.write()


def database_for(ledger: Ledger, prefix: str) -> Database:
    """The plugin ``prefix``'s database on ``ledger``."""
    return Database(prefix, ledger)

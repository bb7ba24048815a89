"""A plugin's storage: transactions on the ledger for the tables it owns, nothing more.

A plugin (or a core module with its own tables) gets a :class:`Database` bound to its
table prefix from ``ledger.database(prefix)``; the plugin SDK hands one to each plugin.
It is deliberately small, so a plugin cannot lean on the core ledger's business methods
(scans, batches, keys, ...): what it needs of the core it asks its plugin context.

Contract:

- ``read()`` yields a connection in autocommit: each statement sees every commit made
  before it started; it may not see a write that is still open.
- ``write()`` yields ONE transaction: committed, durably, when the block ends normally;
  rolled back when it raises, so a failed block changes nothing. On SQLite the
  transaction holds the database's single write lock for its whole duration (keep it
  short, and never await anything slow, such as a network call, inside it); on
  PostgreSQL writers run concurrently, so serialise what must be with
  ``tx.advisory_lock(...)`` or ``SELECT ... {tx.dialect.for_update}``.
- Both yield the same :class:`~veriseal.ledger.base.Tx` the core's stores use: ``?``
  placeholders, ``fetch`` / ``fetchrow`` / ``execute`` / ``executemany``, driver errors
  as ``Conflict`` / ``IntegrityViolation`` / ``StorageError``, and the dialect helpers
  (``insert_returning_id``, ``upsert``, ``advisory_lock``, ``reserve_ids``;
  ``tx.dialect.search_match`` / ``any_of`` / ``pairs_of`` / ``skip_locked`` /
  ``for_update`` / ``timestamp`` / ``epoch_seconds`` / ``encode_json`` /
  ``decode_json``). Because it is the same object,
  a core service may record its own rows (a notification, a stream event) inside a
  plugin's transaction and the other way round.
- Rule 4 of ARCHITECTURE.md: a plugin writes only tables named ``<prefix>_...``, which
  its migrations create (the migration loader refuses any other name). Advisory lock
  text keys start with ``<prefix>:`` (:meth:`Database.lock_key`).
"""

from __future__ import annotations

import re
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from veriseal.ledger.dialects.base import identifier

if TYPE_CHECKING:
    from veriseal.ledger.base import Ledger, Tx
    from veriseal.ledger.dialects.base import Dialect

_PREFIX = re.compile(r"[a-z][a-z0-9_]*\Z")


class Database:
    """Transactions on one ledger for the owner of the ``<prefix>_*`` tables."""

    __slots__ = ("_ledger", "prefix")

    def __init__(self, ledger: Ledger, prefix: str) -> None:
        if not _PREFIX.match(prefix):
            raise ValueError(f"table prefix {prefix!r} is not a lower-case name")
        self._ledger = ledger
        #: The owner's table prefix (``territories``): its tables are ``<prefix>_...``.
        self.prefix = prefix

    @property
    def dialect(self) -> Dialect:
        """The SQL dialect of the ledger's backend (the same as every ``tx.dialect``)."""
        return self._ledger.dialect

    def read(self) -> AbstractAsyncContextManager[Tx]:
        """A connection for reads: see the module docstring."""
        return self._ledger.read()

    def write(self) -> AbstractAsyncContextManager[Tx]:
        """One write transaction: see the module docstring."""
        return self._ledger.write()

    def table(self, name: str) -> str:
        """The full name of the owner's table ``name``: ``table("grants")`` is
        ``"<prefix>_grants"``. ``ValueError`` if ``name`` is not an identifier."""
        return f"{self.prefix}_{identifier(name)}"

    def lock_key(self, name: str) -> str:
        """An advisory lock key in the owner's namespace (``"<prefix>:<name>"``), for
        ``tx.advisory_lock``: it cannot collide with the core's or another plugin's."""
        return f"{self.prefix}:{name}"

    def __repr__(self) -> str:
        return f"<Database {self.prefix!r} on {self._ledger.dialect.name}>"

"""The storage interface every ledger backend implements.

Services depend on :class:`Ledger` only; the composition root (``veriseal.engine``)
chooses the backend from a URL (``sqlite:///path`` or a bare path, ``postgresql://...``).

Contract for every backend (tested by ``tests/ledger/test_contract.py`` on each):

- A method returns only after its write is committed and durable (SQLite: WAL with
  ``synchronous=FULL``; PostgreSQL: a committed transaction).
- A method that fails changes nothing (one transaction per call).
- Unique violations raise :class:`veriseal.errors.Conflict`; lookups of absent rows raise
  the matching ``*NotFound``; a lost connection raises ``StorageError``.
- Backends hold no business rules: they store and fetch the records of ``veriseal.models``.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from veriseal.ledger.database import Database
from veriseal.ledger.dialects import Dialect, LockKey
from veriseal.models import (
    NO_SCAN_FILTER,
    Alert,
    AlertKind,
    Batch,
    BatchStatus,
    Brand,
    ClonePolicy,
    KeyRecord,
    KeyStatus,
    NewAlert,
    NewBatch,
    NewScan,
    Product,
    Scan,
    ScanBrief,
    ScanQuery,
    ScanSummary,
)

if TYPE_CHECKING:
    from veriseal.ledger.migrate import PluginMigrations
    from veriseal.ledger.partition_store import Partition
    from veriseal.ledger.stream_store import StreamEvent
    from veriseal.ledger.turns import Turn

Row = Mapping[str, Any]

#: A scan's alerts, made once its id is known (:meth:`Ledger.append_group`).
AlertMaker = Callable[[int], Sequence[NewAlert]]


class Tx(abc.ABC):
    """One open transaction (or a read-only connection) of a backend: the one object
    the core's stores and plugins' stores both write SQL through.

    SQL is written once with ``?`` placeholders; the backend translates them, encodes
    values (datetimes as the dialect stores them, enums as their values, bytes) and maps
    driver errors to ``Conflict`` (a unique violation), ``IntegrityViolation`` (another
    constraint) or ``StorageError``. Text no backend can store (NUL, an unpaired
    surrogate) is refused with ``TextInvalid`` before the driver sees it. Rows are
    read-only mappings keyed by column name.

    What the two SQL dialects spell differently is behind :attr:`dialect` (see
    :mod:`veriseal.ledger.dialects`); the most used helpers have shortcuts here.
    """

    #: The SQL dialect of this transaction's backend.
    dialect: Dialect

    @abc.abstractmethod
    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """Every row the statement returns."""

    @abc.abstractmethod
    async def execute(self, sql: str, *args: Any) -> None:
        """Run a statement; its rows, if any, are dropped."""

    @abc.abstractmethod
    async def executemany(self, sql: str, args: Sequence[Sequence[Any]]) -> None:
        """Run one statement once per argument row (one round trip where the driver can)."""

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        """The statement's first row, or None."""
        found = await self.fetch(sql, *args)
        return found[0] if found else None

    # -- dialect shortcuts (see veriseal.ledger.dialects.Dialect for the contracts) ----------
    async def insert_returning_id(
        self, table: str, values: Mapping[str, Any], *, search: str | None = None
    ) -> int:
        """Insert one row into ``table`` and return its ``id``; ``search``: text to
        index for full-text search (:meth:`Dialect.search_match`)."""
        return await self.dialect.insert_returning_id(self, table, values, search=search)

    async def upsert(
        self,
        table: str,
        values: Mapping[str, Any],
        key: Sequence[str],
        update: Sequence[str] | None = None,
    ) -> None:
        """Insert ``values``, or on a conflict over the ``key`` columns update the
        ``update`` columns (default: all but the key; ``()``: leave the row as it is)."""
        await self.dialect.upsert(self, table, values, key, update)

    async def advisory_lock(self, key: LockKey) -> None:
        """Hold the lock ``key`` until this transaction ends (inside ``write()`` only)."""
        await self.dialect.advisory_lock(self, key)

    async def reserve_ids(self, table: str, n: int) -> list[int]:
        """``n`` fresh, increasing ids of ``table`` for a bulk insert with explicit ids."""
        return await self.dialect.reserve_ids(self, table, n)


#: Called inside the batch-creating transaction with the assigned (id, seq); returns the
#: canonical manifest bytes and its signature, which the backend stores with the batch.
ManifestSealer = Callable[[int, int], tuple[bytes, bytes]]


class Ledger(abc.ABC):
    """Async storage of brands, keys, products and batches (scans/events come later)."""

    url: str
    #: The SQL dialect of this backend (its transactions carry the same one); its
    #: ``name`` names the migrations folder.
    dialect: Dialect
    #: Bumped after every committed write of brands, keys, products, batches or clone
    #: policies made through THIS object, so in-process caches can drop stale metadata
    #: at once (writes by other processes are bounded by the caches' TTL instead).
    metadata_version: int = 0

    # -- transactions: for modules and plugins that own their tables ----------------------
    @abc.abstractmethod
    def write(self) -> AbstractAsyncContextManager[Tx]:
        """A write transaction: committed (durably) on normal exit, rolled back on an
        exception. Core tables are written only through the methods below; a module or
        plugin uses ``write()`` for the tables its own migrations create (rule 4)."""

    @abc.abstractmethod
    def read(self) -> AbstractAsyncContextManager[Tx]:
        """A connection for reads (it may not see a write that is still open)."""

    def hot_read(self) -> AbstractAsyncContextManager[Tx]:
        """A connection for short indexed reads on the scan path (the SQLite backend's
        runs them inline, without a thread hop); by default :meth:`read`."""
        return self.read()

    def database(self, prefix: str) -> Database:
        """The storage a plugin (or module) whose tables are named ``<prefix>_...`` gets:
        transactions and dialect helpers only, none of this interface's business
        methods. ``ValueError`` if ``prefix`` is not a lower-case name."""
        return Database(self, prefix)

    # -- lifecycle ---------------------------------------------------------------------
    @abc.abstractmethod
    async def migrate(self, plugins: Sequence[PluginMigrations] = ()) -> list[str]:
        """Apply pending schema migrations, the core's then each enabled plugin's, in one
        transaction; return the names applied (idempotent)."""

    async def maintain(self, now: dt.datetime | None = None) -> list[str]:
        """Keep the storage ready for the coming months: on PostgreSQL, create the
        monthly partitions of ``scans`` and ``stream_events`` ahead and move their ids into
        the current month (:mod:`veriseal.ledger.partition_store`); the names created.
        Idempotent; :meth:`migrate` runs it, ``veriseal serve`` every hour. Nothing to do
        (``[]``) on a backend without partitions."""
        return []

    def scan_ids_from(self, when: dt.datetime) -> int:
        """An id at or below that of every scan recorded at or after ``when`` (0: ids say
        nothing of time on this backend). Reads of recent scans add it as a lower bound,
        so a partitioned ledger plans only the recent months."""
        return 0

    async def partitions(self) -> list[Partition]:
        """The partitions of the partitioned tables (``[]`` where there are none)."""
        return []

    @abc.abstractmethod
    async def schema_version(self) -> list[str]:
        """Names of the migrations applied so far, in order."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections. The ledger MUST NOT be used afterwards."""

    # -- brands ------------------------------------------------------------------------
    @abc.abstractmethod
    async def create_brand(self, slug: str, name: str, resolver: str) -> Brand:
        """Insert a brand. ``Conflict`` if the slug exists."""

    @abc.abstractmethod
    async def get_brand(self, slug: str) -> Brand:
        """``BrandNotFound`` if absent."""

    @abc.abstractmethod
    async def get_brand_by_id(self, brand_id: int) -> Brand:
        """``BrandNotFound`` if absent."""

    @abc.abstractmethod
    async def list_brands(self) -> list[Brand]:
        """All brands ordered by id."""

    # -- keys --------------------------------------------------------------------------
    @abc.abstractmethod
    async def add_key(self, key: KeyRecord, retire_active: bool) -> None:
        """Insert a key; if ``retire_active``, the brand's ACTIVE key becomes RETIRED in the
        same transaction (rotation). ``Conflict`` if (brand, slot) exists."""

    @abc.abstractmethod
    async def list_keys(self, brand_id: int) -> list[KeyRecord]:
        """The brand's keys ordered by slot."""

    @abc.abstractmethod
    async def set_key_status(
        self, brand_id: int, slot: int, status: KeyStatus, at: dt.datetime
    ) -> KeyRecord:
        """Change a key's status (revocation stamps ``revoked_at``). ``KeyNotFound``."""

    # -- products ----------------------------------------------------------------------
    @abc.abstractmethod
    async def add_products(self, products: Sequence[Product]) -> int:
        """Insert all products in ONE transaction, or none (``Conflict`` names the first
        duplicate GTIN). Returns the number inserted."""

    @abc.abstractmethod
    async def get_product(self, brand_id: int, gtin: str) -> Product:
        """``ProductNotFound`` if absent."""

    @abc.abstractmethod
    async def find_product(self, gtin: str) -> Product:
        """The product with this GTIN in any brand (GTINs are globally unique).
        ``ProductNotFound`` if absent."""

    @abc.abstractmethod
    async def list_products(
        self, brand_id: int, gtins: Collection[str] | None = None
    ) -> list[Product]:
        """The brand's products ordered by GTIN; with ``gtins``, only those of them (the
        rows asked for are read, not the whole catalogue)."""

    # -- batches -----------------------------------------------------------------------
    @abc.abstractmethod
    async def create_batch(self, new: NewBatch, seal: ManifestSealer) -> Batch:
        """Assign the next ``seq`` for (brand, key slot) (0, 1, 2, ... without gaps) and an
        ``id``, call ``seal(id, seq)`` inside the transaction and store the batch.
        ``Conflict`` if (brand, gtin, lot) exists."""

    @abc.abstractmethod
    async def get_batch(self, batch_id: int) -> Batch:
        """``BatchNotFound`` if absent."""

    @abc.abstractmethod
    async def get_batch_by_seq(self, brand_id: int, key_slot: int, seq: int) -> Batch:
        """The batch a code points at. ``BatchNotFound`` if absent."""

    @abc.abstractmethod
    async def get_batch_by_lot(self, brand_id: int, gtin: str, lot: str) -> Batch:
        """``BatchNotFound`` if absent."""

    @abc.abstractmethod
    async def list_batches(self, brand_id: int) -> list[Batch]:
        """The brand's batches ordered by id."""

    @abc.abstractmethod
    async def set_batch_status(self, batch_id: int, status: BatchStatus) -> Batch:
        """Recall / reinstate. ``BatchNotFound``."""

    # -- scans (append-only) ---------------------------------------------------------------
    @abc.abstractmethod
    async def append_scans(self, scans: Sequence[NewScan]) -> list[int]:
        """Append all scans in ONE transaction and return their ids, in order. A scan whose
        ``client_scan_id`` is already stored (for its actor) is not stored again: its
        existing id is returned, so a retried upload is idempotent. Returns only after
        the commit is durable."""

    @abc.abstractmethod
    async def append_group(
        self,
        scans: Sequence[NewScan],
        alerts: Sequence[AlertMaker | None],
        turn: Turn | None = None,
    ) -> tuple[list[int], list[list[tuple[int, NewAlert]]]]:
        """:meth:`append_scans`, and in the same transaction the alerts each scan raised:
        ``alerts[i]`` (None: none) is called with scan i's id and gives its alerts. Returns
        the scan ids and, per scan, the (id, alert) pairs stored. A scan and the alerts
        it raised are durable together or not at all, at the cost of one commit.

        ``turn``: this transaction's place among overlapping ones (:mod:`veriseal.ledger.turns`):
        its ids are reserved, its rows and counts written, and its commit made only after
        the turn before's; the caller ends the turn. None: it waits for nobody."""

    @abc.abstractmethod
    async def scan_summary(self, brand_id: int, code: str) -> ScanSummary:
        """Count, first and last scan of ``code`` among its *verifications*: scans whose
        outcome was ``genuine`` or ``suspected_clone`` (not fakes, not scans awaiting or
        failing a PIN). Derived from the scan rows: an aggregate kept in the same
        transaction as every append, equal at all times to a recount of the rows."""

    @abc.abstractmethod
    async def scan_summaries(
        self, keys: Sequence[tuple[int, str]]
    ) -> dict[tuple[int, str], ScanSummary]:
        """:meth:`scan_summary` of each (brand id, code) of ``keys`` (at most 64), in one
        query: a summary for every key, ``count=0`` for a code never verified."""

    @abc.abstractmethod
    async def scan_heads(
        self, keys: Sequence[tuple[int, str]]
    ) -> dict[tuple[int, str], tuple[int, int]]:
        """For each (brand id, code) of ``keys`` with verifications: their count and the
        id of the newest, in one query (at most 64 keys). Codes never verified are left
        out. What :meth:`scan_summary` says of ``count`` and ``last_id``, without the rows."""

    @abc.abstractmethod
    async def list_scans(
        self, brand_id: int | None, query: ScanQuery = NO_SCAN_FILTER
    ) -> list[Scan]:
        """The brand's scans matching ``query`` (:class:`veriseal.models.ScanQuery`), in
        the order recorded (by id; by time, newest first, with ``query.newest_first``).
        ``brand_id=None`` lists the scans no brand could be named for (fakes)."""

    @abc.abstractmethod
    async def scan_briefs(
        self,
        brand_id: int,
        *,
        ids: Sequence[int] | None = None,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[ScanBrief]:
        """The brand's scans ``ids`` (those that exist), or else at most ``limit`` of
        those after ``after_id``, by id, as :class:`veriseal.models.ScanBrief`: what a
        count of scans needs, a third of a :class:`Scan`'s columns and none of its
        nested records (the scan analytics' consumer reads every scan)."""

    @abc.abstractmethod
    async def event_briefs(self, brand_id: int, events: Sequence[StreamEvent]) -> list[ScanBrief]:
        """The briefs of the brand's ``scan`` events among ``events``, by id: as
        :meth:`scan_briefs` reads them, taken from the events themselves where they carry
        one (events appended since they do), the others read."""

    @abc.abstractmethod
    async def count_received(
        self, brand_id: int, code: str, reason: str, since: dt.datetime
    ) -> int:
        """How many of ``code``'s scans with this ``reason`` the server RECEIVED at or
        after ``since`` (``received_at``, else ``at``): a window a device's back-dated
        scan time cannot slip out of (the PIN throttle counts wrong PINs this way)."""

    @abc.abstractmethod
    async def get_scan(self, scan_id: int) -> Scan:
        """``NotFound`` if absent."""

    # -- clone policies and alerts (append-only) ------------------------------------------
    @abc.abstractmethod
    async def set_clone_policy(self, brand_id: int, gtin: str | None, policy: ClonePolicy) -> None:
        """Record a policy for the brand (``gtin=None``) or one product; the newest wins."""

    @abc.abstractmethod
    async def clone_policy(self, brand_id: int, gtin: str | None) -> ClonePolicy | None:
        """The product's newest policy, else the brand's, else None (use the default)."""

    @abc.abstractmethod
    async def append_alert(self, alert: NewAlert) -> int:
        """Store an alert; return its id (in a :meth:`hot_write`: the scan that raised
        it is waiting)."""

    @abc.abstractmethod
    async def list_alerts(
        self,
        brand_id: int | None,
        *,
        kind: AlertKind | None = None,
        code: str | None = None,
        limit: int = 1000,
        after_id: int | None = None,
    ) -> list[Alert]:
        """The brand's alerts (``None``: alerts no brand could be named for), oldest
        first (by id), optionally of one kind or code; ``after_id``: only ids above it
        (keyset paging)."""

"""The :class:`PluginContext`: everything a plugin gets from the core, in one object.

Hooks receive it as ``ctx``, in place of the engine (no hook gets the engine), the CLI
helpers (:func:`veriseal.extend.with_context`) and plugin routes
(:func:`veriseal.extend.plugin_context`) hand it out too. Through it a plugin

- stores its own data: ``ctx.db`` (transactions over its ``<name>_*`` tables);
- reads its settings: ``ctx.config`` (the ``[plugins.<name>]`` table of veriseal.toml)
  and keeps what lives as long as the engine in ``ctx.state`` (caches, its services);
- checks permissions: ``ctx.require(principal, action, brand_id=..., org=...)``;
- reads the core's records, never its stores: brands, products, batches, users,
  organisations, alerts (public records, read-only);
- acts through the core's services, whose checks still apply: send a notification,
  announce or publish an event, create a dealer organisation;
- uses other plugins' services: ``ctx.service(KEY)`` / ``ctx.optional(KEY)``.

The context never exposes the engine: what a plugin may do is exactly its methods.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from veriseal.accounts.kyc import KycService
from veriseal.accounts.models import SYSTEM, Org, OrgKind, Principal, User
from veriseal.accounts.permissions import Action, allowed, require
from veriseal.accounts.service import AccountService
from veriseal.catalog.brands import BrandService
from veriseal.catalog.products import Catalogue
from veriseal.config import Config
from veriseal.extend.database import Database, Tx
from veriseal.extend.services import ServiceKey, ServiceRegistry, Unavailable
from veriseal.extend.stream.consumer import publish
from veriseal.ledger.base import Ledger
from veriseal.ledger.stream_store import StreamEvent
from veriseal.lifecycle.aggregation import Children
from veriseal.lifecycle.events import Where
from veriseal.lifecycle.index_ranges import IndexRange
from veriseal.lifecycle.service import Lifecycle
from veriseal.models import Alert, Batch, Brand, Category, Product, Scan, ScanBrief, ScanQuery
from veriseal.notifications import Accepted, Attachment, MessageType, Notifier
from veriseal.scanning.hooks import LedgerEvent
from veriseal.scanning.items import resolve_items
from veriseal.scanning.verification import Verification, Verifier

T = TypeVar("T")

#: Where the durable event stream's ``publish(tx, kind, brand_id, ref, payload)`` lives.


class Core(Protocol):
    """The core services a context is built over (the engine is one; tests may pass
    another). Only this module sees them."""

    @property
    def config(self) -> Config: ...
    @property
    def ledger(self) -> Ledger: ...
    @property
    def brands(self) -> BrandService: ...
    @property
    def catalogue(self) -> Catalogue: ...
    @property
    def accounts(self) -> AccountService: ...
    @property
    def kyc(self) -> KycService: ...
    @property
    def notifier(self) -> Notifier: ...
    @property
    def verifier(self) -> Verifier: ...
    @property
    def lifecycle(self) -> Lifecycle: ...


@dataclass
class PluginContext:
    """One enabled plugin's view of the core (see the module docstring)."""

    name: str
    db: Database
    config: Mapping[str, Any]
    _core: Core = field(repr=False)
    _services: ServiceRegistry = field(repr=False)
    _announce: Callable[[LedgerEvent], Awaitable[None]] = field(repr=False)
    #: what the plugin keeps for the engine's lifetime (its services, caches)
    state: dict[str, Any] = field(default_factory=dict)

    # -- permissions -------------------------------------------------------------------
    def require(
        self,
        principal: Principal,
        action: Action,
        *,
        brand_id: int | None = None,
        org: Org | None = None,
        owner_id: int | None = None,
    ) -> None:
        """``forbidden`` unless ``principal`` may do ``action`` on the target (the core's
        :func:`veriseal.require_permission`, scope rules included)."""
        require(principal, action, brand_id=brand_id, org=org, owner_id=owner_id)

    def allowed(self, principal: Principal, action: Action) -> bool:
        """The role (and token scopes) permit ``action`` somewhere (scope unchecked)."""
        return allowed(principal, action)

    async def require_verified_dealer(self, org: Org) -> None:
        """``not_verified`` unless ``org`` passed the real-name (KYC) review."""
        await self._core.kyc.require_verified_dealer(org)

    # -- read-only lookups -------------------------------------------------------------
    async def brand(self, slug: str | None = None) -> Brand:
        """The named brand, else the configured default, else the only brand."""
        slug = slug or self._core.config.default_brand
        if slug:
            return await self._core.brands.get(slug)
        found = await self._core.brands.list()
        if len(found) == 1:
            return found[0]
        from veriseal.errors import BrandNotFound  # noqa: PLC0415 (rarely raised)

        raise BrandNotFound("several brands share this ledger: name one with --brand")

    async def brand_by_id(self, brand_id: int) -> Brand:
        return await self._core.ledger.get_brand_by_id(brand_id)

    async def acting(self, user_id: int | None, client: str = "cli") -> Principal:
        """User ``user_id`` as a principal acting for its organisation (a command's
        ``--user``); the local operator (``SYSTEM_PRINCIPAL``) without one."""
        if user_id is None:
            return SYSTEM
        user = await self.user(user_id)
        org = await self.org(user.org_id) if user.org_id is not None else None
        return Principal(user=user, org=org, client=client)

    async def brand_for(self, principal: Principal, slug: str | None = None) -> Brand:
        """The brand ``principal`` acts for: its own (a brand's staff and dealers; ``slug``
        is then ignored), else (a platform admin, the CLI's operator) the one ``slug``
        names, as :meth:`brand` finds it."""
        if principal.brand_id is not None:
            return await self.brand_by_id(principal.brand_id)
        return await self.brand(slug)

    async def product(self, brand: Brand, gtin: str) -> Product:
        return await self._core.catalogue.get(brand, gtin)

    async def products(self, brand: Brand, gtins: Collection[str] | None = None) -> list[Product]:
        """The brand's products by GTIN, without details; with ``gtins``, only those (one
        query reading just them: for a few names out of a large catalogue)."""
        return await self._core.catalogue.list(brand, gtins)

    async def categories(self, brand: Brand) -> list[Category]:
        """The brand's category tree, depth first, siblings by position; each with its
        ``chain`` of ids root -> self."""
        return await self._core.catalogue.categories.tree(brand)

    async def category_chain(self, brand: Brand, gtin: str) -> tuple[int, ...]:
        """The category ids of a product, leaf -> root (``()``: in no category)."""
        return await self._core.catalogue.category_chain(brand, gtin)

    async def search_products(
        self,
        brand: Brand,
        query: str = "",
        *,
        category_id: int | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> list[Product]:
        """Full-text product search (Chinese included; ``""`` browses), within
        ``category_id`` and its sub-categories, ordered by GTIN; ``after``: the last
        GTIN of the previous page. Products come with specs, units and images."""
        return await self._core.catalogue.search(
            brand, query, category_id=category_id, limit=limit, after=after
        )

    async def batch(self, batch_id: int) -> Batch:
        return await self._core.ledger.get_batch(batch_id)

    async def scan(self, scan_id: int) -> Scan:
        """One recorded scan (``not_found`` otherwise): what a consumer of ``scan``
        events reads, the event's ``ref`` being the scan's id."""
        return await self._core.ledger.get_scan(scan_id)

    async def user(self, user_id: int) -> User:
        return await self._core.accounts.store.get_user(user_id)

    async def org(self, org_id: int) -> Org:
        return await self._core.accounts.store.get_org(org_id)

    async def orgs(self, org_ids: Iterable[int]) -> dict[int, Org]:
        """The organisations of ``org_ids`` that exist, by id, in one query (a batch's
        dealers; an id not found is absent, where :meth:`org` raises ``NotFound``)."""
        return await self._core.accounts.store.get_orgs(org_ids)

    async def brand_org(self, brand: Brand) -> Org:
        """The root organisation of ``brand``'s dealer tree."""
        return await self._core.accounts.brand_org(brand)

    async def org_tree(self, principal: Principal, root_id: int | None = None) -> list[Org]:
        """The organisations under ``root_id`` that ``principal`` may see."""
        return await self._core.accounts.org_tree(principal, root_id)

    async def users(self, principal: Principal, org_id: int | None = None) -> list[User]:
        """The users of an organisation subtree that ``principal`` may see."""
        return await self._core.accounts.list_users(principal, org_id)

    async def alerts(self, brand_id: int | None, *, code: str | None = None, limit: int = 1000
                     ) -> list[Alert]:  # fmt: skip
        """The core's alerts of a brand (optionally of one code), oldest first."""
        return await self._core.ledger.list_alerts(brand_id, code=code, limit=limit)

    async def scans(
        self,
        brand_id: int,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        after_id: int | None = None,
        limit: int = 1000,
    ) -> list[Scan]:
        """The brand's recorded scans in id order (``after_id``: the page after it)."""
        query = ScanQuery(since=since, until=until, after_id=after_id, limit=limit)
        return await self._core.ledger.list_scans(brand_id, query)

    async def scan_briefs(
        self,
        brand_id: int,
        *,
        ids: Sequence[int] | None = None,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[ScanBrief]:
        """The brand's scans ``ids`` (those that exist; a ``scan`` event's ``ref``), or
        else at most ``limit`` after ``after_id``, by id, lean (:class:`ScanBrief`):
        for consumers that count scans rather than judge them."""
        return await self._core.ledger.scan_briefs(
            brand_id, ids=ids, after_id=after_id, limit=limit
        )

    async def event_briefs(self, brand_id: int, events: Sequence[StreamEvent]) -> list[ScanBrief]:
        """The briefs of the brand's ``scan`` events among ``events``, by id, as
        :meth:`scan_briefs` gives them: from the events themselves where they carry one
        (no read), the others read."""
        return await self._core.ledger.event_briefs(brand_id, events)

    async def verify(self, code: str) -> Verification:
        """The verdict of ``code`` without recording a scan."""
        return await self._core.verifier.verify(code)

    async def resolve_items(
        self, brand: Brand, texts: Iterable[str]
    ) -> tuple[Children, dict[int, list[IndexRange]]]:
        """Scanned entries into children and item ranges by batch (``veriseal.resolve_items``)."""
        return await resolve_items(self._core.verifier, brand, texts)

    async def contents(self, brand: Brand, sscc: str, *, deep: bool = False) -> Children:
        """What a logistic unit holds (``deep``: down to the items)."""
        return await self._core.lifecycle.aggregation.contents(brand, sscc, deep=deep)

    # -- acting through the core's services --------------------------------------------
    async def create_org(
        self,
        principal: Principal,
        parent_id: int,
        kind: OrgKind,
        name: str,
        profile: dict[str, str] | None = None,
    ) -> Org:
        """A new organisation under ``parent_id`` (the accounts service checks
        ``orgs.manage`` over the parent)."""
        return await self._core.accounts.create_org(principal, parent_id, kind, name, profile)

    async def decommission(
        self,
        batch: Batch,
        ranges: Sequence[IndexRange],
        reason: str,
        *,
        actor: str,
        destroyed: bool = False,
    ) -> int:
        """Void ``ranges`` of ``batch`` for ``reason`` (the lifecycle's decommissioning:
        final, such codes never verify again; units voided already are skipped, so a
        retry changes nothing). Returns how many units this call voided. The caller
        checks its own permission first: this acts as ``actor``."""
        change = await self._core.lifecycle.activation.decommission(
            batch, ranges, reason, Where(actor=actor), destroyed=destroyed
        )
        return change.changed

    async def notify(
        self,
        user_ids: Sequence[int],
        mtype: MessageType,
        title: str,
        body: str,
        data: dict[str, Any] | None = None,
        *,
        tx: Tx | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> list[Accepted]:
        """Send a message of ``mtype`` (register it: ``register_message_types``) to each
        user, over their chosen (else the type's default) channels. With ``tx`` the
        messages are accepted inside that open transaction, so they commit with the
        change they report (an event consumer's handler passes its own).
        ``attachments`` (files the server made, at most 10 MB in all) go by e-mail only."""
        notifier = self._core.notifier
        if tx is None:
            return await notifier.notify_many(user_ids, mtype, title, body, data, attachments)
        plans = [
            await notifier.plan(u, mtype, title, body, data, attachments)
            for u in dict.fromkeys(user_ids)
        ]
        return [await notifier.store(tx, plan) for plan in plans]

    async def announce(self, event: LedgerEvent) -> None:
        """Tell every plugin's ``ledger_event`` hook (after your commit; not durable)."""
        await self._announce(event)

    async def publish(
        self,
        tx: Tx,
        kind: str,
        brand_id: int | None,
        ref: int,
        payload: dict[str, Any] | None = None,
    ) -> None:
        """Append an event (``kind``: ``<plugin>.<event>``) to the durable event stream
        inside ``tx``, so it commits with the change it reports; publish as the last
        statement of ``tx`` (see :func:`veriseal.extend.stream.publish`)."""
        await publish(tx, kind, brand_id, ref, payload)

    # -- other plugins' services -------------------------------------------------------
    def service(self, key: ServiceKey[T]) -> T:
        """A service another plugin provides (declare it in ``required_services``)."""
        return self._services.get(key)

    def optional(self, key: ServiceKey[T]) -> T | Unavailable:
        """A service, or :class:`Unavailable` when no enabled plugin provides it."""
        return self._services.optional(key)

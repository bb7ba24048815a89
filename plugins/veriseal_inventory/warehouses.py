"""Warehouses and their locations, and who may act on them.

A warehouse belongs to an organisation of the brand: the brand's own, or a dealer's (a
dealer's stock is what it holds). Every organisation that holds stock has a default
warehouse, created on first use (:meth:`WarehouseService.of_org`), with the standard
locations ``main`` (stock), ``quarantine`` and ``rejected``.

Scope: :meth:`WarehouseService.require` is the one permission check of the plugin:
the role must hold the action, and the warehouse's organisation must be in the
principal's scope (brand staff: the brand; a dealer: its subtree)."""

from __future__ import annotations

import re

from veriseal import SYSTEM_PRINCIPAL, Action, Brand, Principal, Role
from veriseal.extend import PluginContext, Tx
from veriseal_inventory import warehouse_store as store
from veriseal_inventory.errors import (
    LocationNotFound,
    StockInvalid,
    WarehouseExists,
    WarehouseNotFound,
)
from veriseal_inventory.models import Location, LocationKind, Warehouse
from veriseal_inventory.permissions import STOCK_MANAGE, STOCK_VIEW

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_DEALER_ROLES = frozenset({Role.DISTRIBUTOR, Role.RETAILER})


def default_code(org_id: int, brand_root: bool) -> str:
    """The code of an organisation's default warehouse: ``MAIN`` for the brand's own."""
    return "MAIN" if brand_root else f"ORG{org_id}"


class WarehouseService:
    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    # -- scope -------------------------------------------------------------------------
    async def require(self, principal: Principal, action: Action, warehouse: Warehouse) -> None:
        """``forbidden`` unless ``principal`` may do ``action`` on ``warehouse``."""
        org = await self.ctx.org(warehouse.org_id)
        self.ctx.require(principal, action, brand_id=warehouse.brand_id, org=org)

    async def in_scope(self, principal: Principal, brand: Brand) -> list[Warehouse]:
        """The brand's warehouses ``principal`` may see (``stock.view``)."""
        self.ctx.require(principal, STOCK_VIEW, brand_id=brand.id)
        async with self.ctx.db.read() as tx:
            found = await store.of_brand(tx, brand.id)
        if principal.role not in _DEALER_ROLES:
            return found
        own = principal.org
        out = []
        for w in found:
            org = await self.ctx.org(w.org_id)
            if own is not None and own.contains(org):
                out.append(w)
        return out

    # -- lookups -----------------------------------------------------------------------
    async def get(self, warehouse_id: int) -> Warehouse:
        async with self.ctx.db.read() as tx:
            found = await store.get(tx, warehouse_id)
        if found is None:
            raise WarehouseNotFound(f"no warehouse {warehouse_id}", warehouse=warehouse_id)
        return found

    async def find(self, brand: Brand, ref: str | int) -> Warehouse:
        """A warehouse of the brand by id or code (``warehouse_not_found``)."""
        text = str(ref).strip()
        async with self.ctx.db.read() as tx:
            found = await store.by_code(tx, brand.id, text)
            if found is None and text.isascii() and text.isdigit() and len(text) < 19:
                found = await store.get(tx, int(text))
        if found is None or found.brand_id != brand.id:
            raise WarehouseNotFound(f"no warehouse {text!r} in brand {brand.slug}",
                                    warehouse=text)  # fmt: skip
        return found

    async def locations(self, warehouse_id: int) -> list[Location]:
        async with self.ctx.db.read() as tx:
            return await store.locations(tx, warehouse_id)

    async def location(self, warehouse: Warehouse, ref: str | int | None = None,
                       kind: LocationKind = LocationKind.STOCK) -> Location:  # fmt: skip
        """A location of ``warehouse`` by code or id, else its first of ``kind``."""
        async with self.ctx.db.read() as tx:
            return await location_in(tx, warehouse, ref, kind)

    # -- the default warehouse of an organisation --------------------------------------
    async def of_org(self, brand_id: int, org_id: int) -> Warehouse:
        """The organisation's default warehouse, created on first use. (An event
        consumer calls this in its ``prepare`` step, outside its transaction: the
        lookups here use pooled connections of their own.)"""
        async with self.ctx.db.read() as tx:
            found = await store.default_of(tx, brand_id, org_id)
        if found is not None:
            return found
        org = await self.ctx.org(org_id)
        root = (await self.ctx.brand_org(await self.ctx.brand_by_id(brand_id))).id
        async with self.ctx.db.write() as tx:
            return await _default_in(tx, brand_id, org_id, org.name, org_id == root)

    # -- management --------------------------------------------------------------------
    async def create(self, principal: Principal, brand: Brand, code: str, name: str,
                     *, org_id: int | None = None, address: str = "") -> Warehouse:  # fmt: skip
        """A further warehouse of an organisation (default: the principal's own, or the
        brand's for brand staff); ``warehouse_exists`` if the code is taken."""
        code, name = code.strip(), name.strip()
        if not _CODE.match(code):
            raise StockInvalid("a warehouse code has 1 to 32 letters, digits, '_', '.', '-'")
        if not name or len(name) > 200 or len(address) > 500:
            raise StockInvalid("a warehouse has a name of 1 to 200 characters")
        if org_id is None:
            own = principal.org.id if principal.role in _DEALER_ROLES and principal.org else None
            org_id = own or (await self.ctx.brand_org(brand)).id
        org = await self.ctx.org(org_id)
        self.ctx.require(principal, STOCK_MANAGE, brand_id=brand.id, org=org)
        if org.brand_id != brand.id:
            raise StockInvalid("the organisation belongs to another brand")
        async with self.ctx.db.write() as tx:
            new_id = await store.insert(tx, brand.id, org.id, code, name, address.strip(),
                                        is_default=False)  # fmt: skip
            if new_id is None:
                raise WarehouseExists(f"warehouse {code} exists", warehouse=code)
            if await store.default_of(tx, brand.id, org.id) is None:
                await tx.execute("UPDATE inventory_warehouses SET is_default = 1 WHERE id = ?",
                                 new_id)  # fmt: skip
        return await self.get(new_id)

    async def add_location(self, principal: Principal, warehouse: Warehouse, code: str,
                           kind: LocationKind = LocationKind.STOCK) -> Location:  # fmt: skip
        await self.require(principal, STOCK_MANAGE, warehouse)
        code = code.strip()
        if not _CODE.match(code):
            raise StockInvalid("a location code has 1 to 32 letters, digits, '_', '.', '-'")
        async with self.ctx.db.write() as tx:
            new_id = await store.add_location(tx, warehouse.id, code, kind)
        if new_id is None:
            raise StockInvalid(f"location {code} exists in {warehouse.code}")
        return Location(new_id, warehouse.id, code, kind)

    async def keepers(self, warehouse: Warehouse) -> list[int]:
        """Who hears about a warehouse: its organisation's users who manage stock, and
        the brand's admins."""
        users = await self.ctx.users(SYSTEM_PRINCIPAL, warehouse.org_id)
        found = [u.id for u in users if u.org_id == warehouse.org_id
                 and u.role in (Role.BRAND_ADMIN, Role.DISTRIBUTOR, Role.RETAILER)]  # fmt: skip
        brand = await self.ctx.brand_by_id(warehouse.brand_id)
        root = await self.ctx.brand_org(brand)
        if root.id != warehouse.org_id:
            staff = await self.ctx.users(SYSTEM_PRINCIPAL, root.id)
            found += [u.id for u in staff if u.org_id == root.id and u.role == Role.BRAND_ADMIN]
        return list(dict.fromkeys(found))


async def location_in(tx: Tx, warehouse: Warehouse, ref: str | int | None,
                      kind: LocationKind = LocationKind.STOCK) -> Location:  # fmt: skip
    """A location of ``warehouse`` by code or id, else its first of ``kind``
    (``location_not_found``)."""
    found = await store.locations(tx, warehouse.id)
    if ref is None or ref == "":
        for loc in found:
            if loc.kind is kind:
                return loc
    else:
        text = str(ref).strip()
        for loc in found:
            if loc.code == text or str(loc.id) == text:
                return loc
    raise LocationNotFound(f"no location {ref!r} ({kind}) in warehouse {warehouse.code}",
                           warehouse=warehouse.code, location=str(ref))  # fmt: skip


async def _default_in(tx: Tx, brand_id: int, org_id: int, name: str, root: bool) -> Warehouse:
    """The organisation's default warehouse, made in ``tx`` when missing (a concurrent
    creator's row wins; a hand-made warehouse holding the code gets a suffixed code)."""
    found = await store.default_of(tx, brand_id, org_id)
    if found is not None:
        return found
    code = default_code(org_id, root)
    await store.insert(tx, brand_id, org_id, code, name, "", is_default=True)
    made = await store.default_of(tx, brand_id, org_id)
    if made is None:  # the code is taken by a warehouse created by hand
        await store.insert(tx, brand_id, org_id, f"{code}-{org_id}", name, "", is_default=True)
        made = await store.default_of(tx, brand_id, org_id)
    assert made is not None
    return made

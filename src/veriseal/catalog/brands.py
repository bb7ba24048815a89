"""Brands (tenants): creation with a first key, lookup."""

from __future__ import annotations

import re

from veriseal.catalog.keys import KeyService
from veriseal.errors import InvalidInput
from veriseal.ledger.base import Ledger
from veriseal.models import Brand

_SLUG = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
_HOST = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"(:[0-9]{1,5})?$"
)


def check_slug(slug: str) -> str:
    if not _SLUG.match(slug):
        raise InvalidInput(
            f"brand id {slug!r}: use 2-32 lower-case letters, digits or '-', starting with a letter"
        )
    return slug


def check_resolver(host: str) -> str:
    host = host.strip().lower()
    if not _HOST.match(host):
        raise InvalidInput(f"resolver {host!r} is not a host name (e.g. id.example.com)")
    return host


class BrandService:
    def __init__(self, ledger: Ledger, keys: KeyService) -> None:
        self._ledger = ledger
        self._keys = keys

    async def create(self, slug: str, name: str, resolver: str) -> Brand:
        """Create a brand and its first (active) key. ``Conflict`` if the id is taken."""
        name = name.strip()
        if not name:
            raise InvalidInput("a brand needs a name")
        brand = await self._ledger.create_brand(check_slug(slug), name, check_resolver(resolver))
        await self._keys.create_first(brand)
        return brand

    async def get(self, slug: str) -> Brand:
        return await self._ledger.get_brand(slug)

    async def list(self) -> list[Brand]:
        return await self._ledger.list_brands()

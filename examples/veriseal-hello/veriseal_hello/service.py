"""The rules of the hello plugin: permission checks, then the store. ``of(ctx)`` gives
the engine's instance (kept in the context's state)."""

from __future__ import annotations

from typing import Any, Protocol

from veriseal import SYSTEM_PRINCIPAL, Forbidden, Principal, Role
from veriseal.extend import PluginContext, Provided, ServiceKey
from veriseal_hello.models import HELLO_READ
from veriseal_hello.store import HelloStore


class Countries(Protocol):
    """The ``hello.countries`` service: where a brand's codes have been scanned."""

    async def __call__(self, brand_id: int) -> list[str]: ...


COUNTRIES = ServiceKey[Countries]("hello.countries")


class Hello:
    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx
        self.store = HelloStore(ctx.db)

    async def counts(self, principal: Principal) -> dict[str, int]:
        """Scans by country (``hello.read``). They span every brand, so a principal
        bound to one brand may not read them even if its role could."""
        self.ctx.require(principal, HELLO_READ)
        if principal.brand_id is not None:
            raise Forbidden("the counts cover every brand: for the platform admin")
        return await self.store.counts()

    async def countries(self, brand_id: int) -> list[str]:
        return await self.store.countries(brand_id)

    async def admins(self, brand_id: int) -> list[int]:
        """The ids of the brand's admins (the users of its root organisation)."""
        root = await self.ctx.brand_org(await self.ctx.brand_by_id(brand_id))
        users = await self.ctx.users(SYSTEM_PRINCIPAL, root.id)
        return [u.id for u in users if u.role is Role.BRAND_ADMIN]


def of(ctx: PluginContext) -> Hello:
    found = ctx.state.get("service")
    if not isinstance(found, Hello):
        found = Hello(ctx)
        ctx.state["service"] = found
    return found


def services(ctx: PluginContext) -> list[Provided[Any]]:
    return [Provided(COUNTRIES, of(ctx).countries)]

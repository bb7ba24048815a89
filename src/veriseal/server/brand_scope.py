"""The brand a JSON call acts on: ``?brand=<slug>`` or the caller's own."""

from __future__ import annotations

from veriseal.accounts.permissions import Action, require
from veriseal.errors import InvalidInput
from veriseal.models import Brand
from veriseal.server.endpoints import Call


async def brand_for(call: Call, slug: str | None, action: Action) -> Brand:
    """The brand named by ``slug``, else the caller's own, once the caller may perform
    ``action`` on it (403 otherwise). With a slug, the role is checked before the brand
    is looked up, so a stranger learns nothing about which brands exist."""
    who = call.who
    require(who, action)  # the role first: a consumer learns nothing, not even 400s
    if slug is not None:
        brand = await call.engine.brands.get(slug)
    elif who.brand_id is not None:
        brand = await call.engine.ledger.get_brand_by_id(who.brand_id)
    else:
        raise InvalidInput("name the brand: ?brand=<slug>")
    require(who, action, brand_id=brand.id)
    return brand

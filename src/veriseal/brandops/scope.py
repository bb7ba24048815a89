"""Which brand a call acts on, and checks of a principal against it.

The role is always checked before a brand is looked up, so somebody without the right
learns nothing from the answers (not even which brand names exist).
"""

from __future__ import annotations

from collections.abc import Sequence

from veriseal.accounts.models import Principal
from veriseal.accounts.permissions import Action, allowed, require
from veriseal.errors import InvalidInput
from veriseal.ledger.base import Ledger
from veriseal.models import Brand


def require_any(
    principal: Principal, actions: Sequence[Action], *, brand_id: int | None = None
) -> None:
    """:func:`require` for the first of ``actions`` the principal's role holds (the
    first action's refusal when it holds none)."""
    held = [a for a in actions if allowed(principal, a)]
    require(principal, held[0] if held else actions[0], brand_id=brand_id)


async def brand_for(
    ledger: Ledger, principal: Principal, actions: Sequence[Action], slug: str | None
) -> Brand:
    """The brand named by ``slug``, else the principal's own, once the principal may do
    one of ``actions`` on it. ``Forbidden`` otherwise; ``InvalidInput`` when nothing
    names a brand (the platform admin must choose one)."""
    require_any(principal, actions)
    if slug:
        brand = await ledger.get_brand(slug)
    elif principal.brand_id is not None:
        brand = await ledger.get_brand_by_id(principal.brand_id)
    else:
        raise InvalidInput("choose a brand / 请选择品牌")
    require_any(principal, actions, brand_id=brand.id)
    return brand


def check_brand(principal: Principal, actions: Sequence[Action], brand: Brand) -> None:
    """Refuse (``Forbidden``) unless the principal may do one of ``actions`` in ``brand``."""
    require_any(principal, actions, brand_id=brand.id)


def actor(principal: Principal) -> str:
    """How records name who acted: ``user:<id>``, or the client for the local operator."""
    return f"user:{principal.user_id}" if principal.user_id is not None else principal.client

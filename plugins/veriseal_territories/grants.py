"""Sales authorizations (授权): which products a dealer may sell in which regions, when.

A grant names a dealer (an org of the accounts tree), a product scope (``*`` every
product, ``gtin:<GTIN>`` one product, ``category:<path>`` a catalogue category and
everything below it), a region (a hierarchy code: country ``CN``, province ``CN-GD`` or
GB/T 2260 ``440000``, city ``CN-GD/Guangzhou``; or ``custom:<name>`` for a GeoJSON sales
region) and a validity period. Grants are appended; revoking (final), suspending and
reinstating append events; a grant's state is its newest event.

Contracts:

- granting needs ``territory.grant`` on the dealer's org AND an approved enterprise
  verification of the dealer (``not_verified`` otherwise), checked before anything is
  written;
- a dealer with no grant rows at all inherits the grants of its nearest ancestor dealer
  (a shop selling in its distributor's territory); one with grants, even revoked ones,
  has exactly its own;
- :meth:`GrantService.authorize` answers allowed / refused with a stable reason:
  ``authorized``, ``dealer_inactive``, ``no_grant``, ``grant_not_in_force``,
  ``outside_territory``.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from veriseal import (
    Action,
    Forbidden,
    InvalidInput,
    NotFound,
    Principal,
    Region,
    register_messages,
    require_permission,
)
from veriseal.extend import PluginContext
from veriseal_territories.custom import CustomRegion, CustomRegionStore
from veriseal_territories.dealers import Dealer, DealerService
from veriseal_territories.hierarchy import RegionNotFound, default_hierarchy
from veriseal_territories.permissions import TERRITORY_GRANT

#: Why ``authorize`` refuses (or allows), for people: ``Decision.reason`` -> (en, zh).
REASON_TEXT: dict[str, tuple[str, str]] = {
    "authorized": ("authorized", "已授权"),
    "dealer_inactive": ("the dealer is not active", "经销商状态非正常"),
    "no_grant": (
        "the dealer has no authorization for this product",
        "经销商无该产品的销售授权",
    ),
    "grant_not_in_force": (
        "the dealer's authorization for this product is not in force",
        "经销商该产品的授权未生效、已暂停、已撤销或已过期",
    ),
    "outside_territory": (
        "the destination is outside the dealer's territory",
        "目的地不在经销商授权区域内",
    ),
    # allowed by the shipment check (veriseal_territories.shipment_policy)
    "destination_unknown": (
        "no destination named: an authorization is in force",
        "未指定目的地：有生效的授权",
    ),
    "overlaps_territory": (
        "the home region contains part of the territory",
        "经销商所在区域包含部分授权区域",
    ),
}

register_messages(
    {
        "error.territory_unauthorized": (
            "Not authorized to sell there",
            "未获授权在该区域销售",
        ),
        "error.grant_not_found": ("Authorization not found", "未找到该授权"),
        "error.grant_invalid": ("Invalid authorization", "授权内容无效"),
        "error.category_not_found": ("Category not found", "未找到该类目"),
        **{f"territories.reason.{k}": v for k, v in REASON_TEXT.items()},
    }
)

CACHE_SECONDS = 5.0  # grants written by another process are seen within this time
STATES = ("active", "suspended", "revoked")


class TerritoryUnauthorized(Forbidden):
    """An order or shipment outside the dealer's authorized territory."""

    code = "territory_unauthorized"


class GrantNotFound(NotFound):
    code = "grant_not_found"


class GrantInvalid(InvalidInput):
    code = "grant_invalid"


class CategoryNotFound(NotFound):
    """A ``category:<path>`` grant for a category none of the brand's products is in
    (a typo would otherwise authorize nothing, silently)."""

    code = "category_not_found"


@dataclass(frozen=True)
class Grant:
    id: int
    brand_id: int
    org_id: int
    product: str  # "*" | "gtin:<14 digits>" | "category:<path>"
    region: str  # hierarchy code | "custom:<name>"
    valid_from: dt.datetime
    valid_until: dt.datetime | None
    state: str  # active | suspended | revoked
    note: str

    def in_force(self, at: dt.datetime) -> bool:
        return (
            self.state == "active"
            and self.valid_from <= at
            and (self.valid_until is None or at < self.valid_until)
        )

    def covers_product(self, gtin: str, category_path: str) -> bool:
        if self.product == "*":
            return True
        kind, _, value = self.product.partition(":")
        if kind == "gtin":
            return value == gtin
        return category_path == value or category_path.startswith(value + "/")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "org_id": self.org_id,
            "product": self.product,
            "region": self.region,
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "state": self.state,
            "note": self.note,
        }


@dataclass(frozen=True)
class Decision:
    """The answer of :meth:`GrantService.authorize`."""

    allowed: bool
    reason: str
    message: str
    dealer: str
    grant_id: int | None = None
    territory: tuple[str, ...] = ()  # regions in force for the product

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reason": self.reason,
            "message": self.message,
            "dealer": self.dealer,
            "grant_id": self.grant_id,
            "territory": list(self.territory),
        }


def row_time(value: Any) -> dt.datetime:
    """A timestamp column as an aware UTC datetime (PostgreSQL gives datetimes, SQLite
    ISO 8601 text)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return dt.datetime.fromisoformat(str(value)).astimezone(dt.UTC)


def parse_product(text: str) -> str:
    """``*`` / ``all`` / ``gtin:...`` / ``category:A/B`` / a bare GTIN -> canonical form
    (the GTIN's existence is checked by the service)."""
    text = text.strip()
    if text in ("", "*", "all"):
        return "*"
    kind, sep, value = text.partition(":")
    if not sep and text.isdigit():
        kind, value = "gtin", text
    value = value.strip()
    if kind == "gtin" and value.isdigit() and 8 <= len(value) <= 14:
        return f"gtin:{value.zfill(14)}"
    if kind == "category":
        parts = [p.strip() for p in value.replace("\\", "/").split("/") if p.strip()]
        if parts and all(len(p) <= 64 for p in parts):
            return "category:" + "/".join(parts)
    raise GrantInvalid(f"product {text[:60]!r}: use *, gtin:<GTIN> or category:<path>")


def parse_region(text: str) -> str:
    """A hierarchy code (normalised) or ``custom:<name>``; ``region_not_found`` else."""
    text = text.strip()
    if text.lower().startswith("custom:"):
        name = text[7:].strip()
        if not name:
            raise GrantInvalid("custom: needs a region name")
        return f"custom:{name}"
    return default_hierarchy().get(text).code


class GrantService:
    def __init__(self, ctx: PluginContext, dealers: DealerService) -> None:
        self.ctx = ctx
        self.dealers = dealers
        self._cache: dict[int, tuple[float, list[Grant]]] = {}
        self._custom: dict[int, tuple[float, dict[str, CustomRegion]]] = {}

    # -- reading ---------------------------------------------------------------------
    async def grants(self, brand_id: int) -> list[Grant]:
        """Every grant of the brand with its state (cached for :data:`CACHE_SECONDS`)."""
        hit = self._cache.get(brand_id)
        if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
        async with self.ctx.db.read() as tx:
            found = await tx.fetch(
                "SELECT g.*, (SELECT e.action FROM territories_grant_events e"
                " WHERE e.grant_id = g.id ORDER BY e.id DESC LIMIT 1) AS last_action"
                " FROM territories_grants g WHERE g.brand_id = ? ORDER BY g.id",
                brand_id,
            )
        grants = [
            Grant(
                int(r["id"]),
                brand_id,
                int(r["org_id"]),
                str(r["product"]),
                str(r["region"]),
                row_time(r["valid_from"]),
                row_time(r["valid_until"]) if r["valid_until"] else None,
                _state(r["last_action"]),
                str(r["note"]),
            )
            for r in found
        ]
        self._cache[brand_id] = (time.monotonic(), grants)
        return grants

    async def custom_regions(self, brand_id: int) -> dict[str, CustomRegion]:
        hit = self._custom.get(brand_id)
        if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
        regions = {r.name: r for r in await CustomRegionStore(self.ctx.db).regions(brand_id)}
        self._custom[brand_id] = (time.monotonic(), regions)
        return regions

    async def effective(self, brand_id: int, org_id: int) -> tuple[int, list[Grant]]:
        """The grants that define ``org_id``'s territory and whose they are (its own, or
        its nearest ancestor dealer's when it has none)."""
        grants = await self.grants(brand_id)
        by_org: dict[int, list[Grant]] = {}
        for g in grants:
            by_org.setdefault(g.org_id, []).append(g)
        org = await self.ctx.org(org_id)
        ids = [int(p) for p in org.path.strip("/").split("/") if p]
        for candidate in reversed(ids):  # the org itself, then its ancestors
            if candidate in by_org:
                return candidate, by_org[candidate]
        return org_id, []

    async def list(
        self,
        principal: Principal,
        brand_id: int,
        dealer: str | None = None,
        include_inactive: bool = False,
        *,
        after_id: int | None = None,
        limit: int | None = None,
    ) -> list[tuple[Dealer, Grant]]:
        """Grants of one dealer, or of every dealer the principal may see, by grant id;
        ``after_id`` / ``limit``: at most ``limit`` of those with ids above ``after_id``
        (keyset paging: stable while grants are added)."""
        dealers = await self.dealers.all(brand_id)
        if dealer is not None:
            chosen = await self.dealers.find(brand_id, dealer)
            dealers = {chosen.org_id: chosen}
        out: list[tuple[Dealer, Grant]] = []
        for g in await self.grants(brand_id):
            if limit is not None and len(out) >= limit:
                break
            d = dealers.get(g.org_id)
            if after_id is not None and g.id <= after_id:
                continue
            if d is None or (not include_inactive and g.state == "revoked"):
                continue
            org = await self.ctx.org(d.org_id)
            try:
                require_permission(principal, Action.ORGS_VIEW, org=org)
            except Forbidden:
                if dealer is not None:
                    raise
                continue
            out.append((d, g))
        return out

    # -- writing ---------------------------------------------------------------------
    async def grant(
        self,
        principal: Principal,
        brand_id: int,
        dealer_ref: str,
        product: str,
        region: str,
        valid_from: dt.datetime | None = None,
        valid_until: dt.datetime | None = None,
        note: str = "",
    ) -> Grant:
        """Authorize a dealer (see the module docstring for the checks)."""
        dealer = await self.dealers.find(brand_id, dealer_ref)
        org = await self.ctx.org(dealer.org_id)
        require_permission(principal, TERRITORY_GRANT, org=org)
        await self.ctx.require_verified_dealer(org)
        if dealer.status == "terminated":
            raise GrantInvalid(f"dealer {dealer.code} is terminated")
        product = parse_product(product)
        if product.startswith("gtin:"):
            brand = await self.ctx.brand_by_id(brand_id)
            await self.ctx.product(brand, product[5:])  # product_not_found
        elif product.startswith("category:"):
            await self._require_category(brand_id, product[len("category:") :])
        region = parse_region(region)
        if region.startswith("custom:") and region[7:] not in await self._fresh_custom(brand_id):
            raise GrantInvalid(f"no custom region {region[7:]!r} (territory regions add-custom)")
        start = (valid_from or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        end = valid_until.astimezone(dt.UTC) if valid_until else None
        if end is not None and end <= start:
            raise GrantInvalid("valid_until must be after valid_from")
        if len(note) > 500:
            raise GrantInvalid("a note has at most 500 characters")
        async with self.ctx.db.write() as tx:
            row = await tx.fetchrow(
                "INSERT INTO territories_grants (brand_id, org_id, product, region, valid_from,"
                " valid_until, at, actor, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                brand_id,
                dealer.org_id,
                product,
                region,
                start,
                end,
                dt.datetime.now(dt.UTC),
                _actor(principal),
                note.strip(),
            )
        assert row is not None
        self._cache.pop(brand_id, None)
        return next(g for g in await self.grants(brand_id) if g.id == int(row["id"]))

    async def _require_category(self, brand_id: int, path: str) -> None:
        """``CategoryNotFound`` unless some product of the brand is in ``path`` or below
        it (the same test :meth:`Grant.covers_product` applies)."""
        brand = await self.ctx.brand_by_id(brand_id)
        for product in await self.ctx.products(brand):
            found = product.category_path
            if found == path or found.startswith(path + "/"):
                return
        raise CategoryNotFound(f"no product of the brand is in category {path!r}")

    async def change(
        self, principal: Principal, brand_id: int, grant_id: int, action: str, note: str = ""
    ) -> Grant:
        """``revoke`` (final), ``suspend`` or ``reinstate`` a grant: appends an event."""
        if action not in ("revoke", "suspend", "reinstate"):
            raise GrantInvalid(f"action {action!r}: revoke, suspend or reinstate")
        grant = await self._grant(brand_id, grant_id)
        org = await self.ctx.org(grant.org_id)
        require_permission(principal, TERRITORY_GRANT, org=org)
        if grant.state == "revoked":
            raise GrantInvalid(f"grant {grant_id} is revoked already (final)")
        if action == "reinstate":
            await self.ctx.require_verified_dealer(org)
        async with self.ctx.db.write() as tx:
            await self.append_change(tx, grant_id, action, _actor(principal), note)
        self._cache.pop(brand_id, None)
        return await self._grant(brand_id, grant_id)

    @staticmethod
    async def append_change(tx: Any, grant_id: int, action: str, actor: str, note: str) -> None:
        await tx.execute(
            "INSERT INTO territories_grant_events (grant_id, action, at, actor, note)"
            " VALUES (?, ?, ?, ?, ?)",
            grant_id,
            action,
            dt.datetime.now(dt.UTC),
            actor,
            note.strip()[:500],
        )

    def forget(self, brand_id: int) -> None:
        """Drop the cached grants (after a write made elsewhere in this process)."""
        self._cache.pop(brand_id, None)

    async def _grant(self, brand_id: int, grant_id: int) -> Grant:
        self._cache.pop(brand_id, None)
        found = [g for g in await self.grants(brand_id) if g.id == grant_id]
        if not found:
            raise GrantNotFound(f"no grant {grant_id} in this brand")
        return found[0]

    async def _fresh_custom(self, brand_id: int) -> dict[str, CustomRegion]:
        self._custom.pop(brand_id, None)
        return await self.custom_regions(brand_id)

    # -- the order-time check ----------------------------------------------------------
    async def authorize(
        self,
        brand_id: int,
        dealer_ref: str,
        gtin: str,
        destination: str | None = None,
        point: tuple[float, float] | None = None,
        at: dt.datetime | None = None,
    ) -> Decision:
        """May ``dealer`` sell product ``gtin`` to ``destination`` (a hierarchy code) or
        ``point`` (lat, lon) at ``at`` (default now)? Never raises for a refusal: the
        :class:`Decision` says why. ``region_not_found`` / ``product_not_found`` /
        ``dealer_not_found`` for references that do not exist."""
        if destination is None and point is None:
            raise GrantInvalid("name a destination region or a point")
        chain = _destination_chain(destination, point)
        dealer, standing = await self._standing(brand_id, dealer_ref, gtin, at)
        if isinstance(standing, Decision):
            return standing
        live = standing
        custom = await self.custom_regions(brand_id)
        territory = tuple(g.region for g in live)
        for g in live:
            if _reaches(g, chain, point, custom):
                return _decide(True, "authorized", dealer, g.id, territory)
        return _decide(False, "outside_territory", dealer, None, territory)

    async def refusal_anywhere(
        self, brand_id: int, dealer_ref: str, gtin: str, at: dt.datetime | None = None
    ) -> Decision | None:
        """The refusal :meth:`authorize` gives whatever the destination (``dealer_inactive``,
        ``no_grant``, ``grant_not_in_force``), else None: the dealer holds a grant in
        force for the product somewhere. For a check that has no destination to name."""
        _, standing = await self._standing(brand_id, dealer_ref, gtin, at)
        return standing if isinstance(standing, Decision) else None

    async def _standing(
        self, brand_id: int, dealer_ref: str, gtin: str, at: dt.datetime | None
    ) -> tuple[Dealer, Decision | tuple[Grant, ...]]:
        """The dealer, and either the refusal that holds wherever the destination is or
        its grants in force for the product at ``at`` (default now)."""
        dealer = await self.dealers.find(brand_id, dealer_ref)
        brand = await self.ctx.brand_by_id(brand_id)
        product = await self.ctx.product(brand, gtin)
        when = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        if dealer.status != "active":
            return dealer, _decide(False, "dealer_inactive", dealer)
        _, grants = await self.effective(brand_id, dealer.org_id)
        mine = [g for g in grants if g.covers_product(product.gtin, product.category_path)]
        if not mine:
            return dealer, _decide(False, "no_grant", dealer)
        live = tuple(g for g in mine if g.in_force(when))
        if not live:
            return dealer, _decide(False, "grant_not_in_force", dealer)
        return dealer, live

    async def require_authorized(self, *args: Any, **kwargs: Any) -> Decision:
        """:meth:`authorize`, raising ``territory_unauthorized`` for a refusal."""
        decision = await self.authorize(*args, **kwargs)
        if not decision.allowed:
            details = {k: v for k, v in decision.to_dict().items() if k != "message"}
            raise TerritoryUnauthorized(decision.message, **details)
        return decision


_MESSAGES = {
    "authorized": "dealer {dealer} is authorized for this product there",
    "dealer_inactive": "dealer {dealer} is not active: no sale is authorized",
    "no_grant": "dealer {dealer} has no authorization for this product",
    "grant_not_in_force": (
        "dealer {dealer}'s authorization for this product is suspended, revoked, expired"
        " or not yet valid"
    ),
    "outside_territory": (
        "the destination is outside dealer {dealer}'s territory for this product ({regions})"
    ),
}


def _destination_chain(destination: str | None, point: tuple[float, float] | None) -> set[str]:
    """The hierarchy codes a grant's region may name to cover the destination: the
    destination region and its ancestors, and the country, province and city the point
    resolves to. ``region_not_found`` for an unknown destination code."""
    chain: set[str] = set()
    if destination is not None:
        chain = {n.code for n in default_hierarchy().ancestors(destination)}
    if point is not None:
        from veriseal import default_resolver  # noqa: PLC0415 (loads the place data)

        region: Region | None = default_resolver().resolve(*point)
        if region is not None:
            chain |= default_hierarchy().codes_of(region)
    return chain


def _reaches(
    grant: Grant,
    chain: set[str],
    point: tuple[float, float] | None,
    custom: dict[str, CustomRegion],
) -> bool:
    """Whether ``grant``'s region covers the destination: a custom region containing the
    point, or a hierarchy code in the destination's ``chain``."""
    if grant.region.startswith("custom:"):
        shape = custom.get(grant.region[7:])
        return shape is not None and point is not None and shape.contains(*point)
    if grant.region in chain:
        return True
    try:  # a grant stored with a legacy alias (CN-GD/Shenzhen names the city 440300)
        return default_hierarchy().get(grant.region).code in chain
    except RegionNotFound:
        return False


def _decide(
    allowed: bool,
    reason: str,
    dealer: Dealer,
    grant_id: int | None = None,
    territory: tuple[str, ...] = (),
) -> Decision:
    message = _MESSAGES[reason].format(dealer=dealer.code, regions=", ".join(territory))
    return Decision(allowed, reason, message, dealer.code, grant_id, territory)


def _state(last_action: Any) -> str:
    return {None: "active", "reinstate": "active", "suspend": "suspended", "revoke": "revoked"}.get(
        last_action, "active"
    )


def _actor(principal: Principal) -> str:
    return f"user:{principal.user_id}" if principal.user_id is not None else principal.client

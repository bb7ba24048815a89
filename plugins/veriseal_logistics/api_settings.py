"""``/api/v1/logistics/settings``: a brand's anomaly rules and its receivers' secrets
(``logistics.configure``: brand admins, platform admins). Secrets are write-only: the
API says whether each is set, never what it is."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import UNSET, Meta, UnsetType

from veriseal import Brand, Call, Endpoint, InvalidInput, Model, require_permission
from veriseal_logistics.api_common import BASE, TAG, LogisticsBrandQuery, Schema, context
from veriseal_logistics.models import Rules
from veriseal_logistics.permissions import LOGISTICS_CONFIGURE
from veriseal_logistics.service import Logistics

_Secret = Annotated[str, Meta(max_length=256, pattern="^[\\x21-\\x7e]*$")]  # printable ASCII


class LogisticsRulesBody(Model, kw_only=True):
    """Changes to the rules (fields left out stay as they are)."""

    stalled: bool | UnsetType = UNSET
    stall_quantile: Annotated[float, Meta(ge=0.5, le=0.999)] | UnsetType = UNSET
    stall_factor: Annotated[float, Meta(ge=1.0, le=20.0)] | UnsetType = UNSET
    stall_default_hours: Annotated[float, Meta(ge=1.0, le=2160.0)] | UnsetType = UNSET
    late: bool | UnsetType = UNSET
    late_grace_hours: Annotated[float, Meta(ge=0.0, le=2160.0)] | UnsetType = UNSET
    off_route: bool | UnsetType = UNSET
    off_route_km: Annotated[float, Meta(ge=1.0, le=5000.0)] | UnsetType = UNSET
    off_route_fraction: Annotated[float, Meta(ge=0.0, le=2.0)] | UnsetType = UNSET
    wrong_destination: bool | UnsetType = UNSET
    destination_km: Annotated[float, Meta(ge=0.1, le=1000.0)] | UnsetType = UNSET
    min_samples: Annotated[int, Meta(ge=1, le=100_000)] | UnsetType = UNSET
    expire_days: Annotated[int, Meta(ge=1, le=365)] | UnsetType = UNSET

    def changes(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__struct_fields__
                if getattr(self, f) is not UNSET}  # fmt: skip


class LogisticsSecretsBody(Model, kw_only=True):
    """New secrets (``""`` clears one; fields left out stay as they are)."""

    kuaidi100_salt: _Secret | UnsetType = UNSET
    webhook_secret: _Secret | UnsetType = UNSET


async def _shown(lx: Logistics, brand: Brand, rules: Rules | None = None) -> Schema:
    secrets = await lx.settings.secrets(brand.id)
    rules = rules or await lx.settings.rules(brand.id)
    return {
        "rules": rules.to_dict(),
        "secrets": {"kuaidi100_salt": {"set": bool(secrets.kuaidi100_salt)},
                    "webhook_secret": {"set": bool(secrets.webhook_secret)}},
        "receivers": {"kuaidi100": f"{BASE}/push/kuaidi100/{brand.slug}",
                      "webhook": f"{BASE}/webhook/{brand.slug}"},
    }  # fmt: skip


async def show_logistics_settings(call: Call, query: LogisticsBrandQuery) -> Schema:
    who, brand, lx = await context(call, query.brand)
    require_permission(who, LOGISTICS_CONFIGURE, brand_id=brand.id)
    return await _shown(lx, brand)


async def set_logistics_rules(
    call: Call, query: LogisticsBrandQuery, body: LogisticsRulesBody
) -> Schema:
    who, brand, lx = await context(call, query.brand)
    changes = body.changes()
    if not changes:
        raise InvalidInput("no rule to change")
    return await _shown(lx, brand, await lx.settings.set_rules(who, brand, changes))


async def set_logistics_secrets(call: Call, query: LogisticsBrandQuery,
                      body: LogisticsSecretsBody) -> Schema:  # fmt: skip
    who, brand, lx = await context(call, query.brand)
    given = {k: v for k in ("kuaidi100_salt", "webhook_secret")
             if isinstance(v := getattr(body, k), str)}  # fmt: skip
    if not given:
        raise InvalidInput("no secret to set")
    require_permission(who, LOGISTICS_CONFIGURE, brand_id=brand.id)
    for which, value in given.items():
        await lx.settings.set_secret(who, brand, which, value)
    return await _shown(lx, brand)


ENDPOINTS = [
    Endpoint("GET", f"{BASE}/settings", show_logistics_settings, LOGISTICS_CONFIGURE,
             "The brand's anomaly rules, whether each secret is set, the receivers' URLs",
             tag=TAG),
    Endpoint("PUT", f"{BASE}/settings", set_logistics_rules, LOGISTICS_CONFIGURE,
             "Change anomaly rules (fields left out stay)", tag=TAG),
    Endpoint("PUT", f"{BASE}/settings/secrets", set_logistics_secrets, LOGISTICS_CONFIGURE,
             "Set the 快递100 salt and/or the webhook secret (never shown back)", tag=TAG),
]  # fmt: skip

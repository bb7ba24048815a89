"""Each brand's logistics settings: the anomaly rules and the carriers' secrets (the
快递100 push salt, the webhook secret). Secrets are write-only to people: pages and
the API say whether one is set, never what it is."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, fields
from typing import Any

from veriseal import Brand, Principal
from veriseal.extend import PluginContext
from veriseal_logistics import store
from veriseal_logistics.errors import RulesInvalid
from veriseal_logistics.models import Rules
from veriseal_logistics.permissions import LOGISTICS_CONFIGURE

SECRETS = ("kuaidi100_salt", "webhook_secret")
#: (lowest, highest) of each numeric rule
_BOUNDS: dict[str, tuple[float, float]] = {
    "stall_quantile": (0.5, 0.999), "stall_factor": (0.5, 10.0),
    "stall_default_hours": (1.0, 24.0 * 30), "late_grace_hours": (0.0, 24.0 * 14),
    "off_route_km": (1.0, 3000.0), "off_route_fraction": (0.0, 2.0),
    "destination_km": (0.0, 200.0), "min_samples": (3, 100000), "expire_days": (1, 365),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Secrets:
    kuaidi100_salt: str
    webhook_secret: str

    def shown(self) -> dict[str, bool]:
        """Whether each secret is set (what people may see)."""
        return {"kuaidi100_salt": bool(self.kuaidi100_salt),
                "webhook_secret": bool(self.webhook_secret)}  # fmt: skip


def checked_rules(base: Rules, changes: dict[str, Any]) -> Rules:
    """``base`` with ``changes`` applied, each checked (``logistics_rules_invalid``)."""
    kinds = {f.name: f.type for f in fields(Rules)}
    values = base.to_dict()
    for name, given in changes.items():
        value = given
        if name not in kinds:
            raise RulesInvalid(f"unknown rule {name!r}", field=name)
        if kinds[name] in ("bool", bool):
            if not isinstance(value, bool):
                raise RulesInvalid(f"{name} must be true or false", field=name)
        else:
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not math.isfinite(value):  # fmt: skip
                raise RulesInvalid(f"{name} must be a number", field=name)
            lo, hi = _BOUNDS[name]
            if not lo <= value <= hi:
                raise RulesInvalid(f"{name} must be within {lo}..{hi}", field=name)
            if kinds[name] in ("int", int):
                if int(value) != value:
                    raise RulesInvalid(f"{name} must be a whole number", field=name)
                value = int(value)
            else:
                value = float(value)
        values[name] = value
    return Rules(**values)


class SettingsService:
    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    async def rules(self, brand_id: int) -> Rules:
        """The brand's rules (the defaults until set)."""
        async with self.ctx.db.read() as tx:
            row = await store.settings_row(tx, brand_id)
            return Rules() if row is None else Rules.from_dict(tx.dialect.decode_json(row["rules"]))

    async def set_rules(self, principal: Principal, brand: Brand, changes: dict[str, Any]) -> Rules:
        """Change some rules (the others stay); ``logistics.configure``."""
        self.ctx.require(principal, LOGISTICS_CONFIGURE, brand_id=brand.id)
        rules = checked_rules(await self.rules(brand.id), changes)
        async with self.ctx.db.write() as tx:
            await store.save_settings(tx, brand.id, {"rules": rules}, _now(), _actor(principal))
        return rules

    async def secrets(self, brand_id: int) -> Secrets:
        """The brand's carrier secrets (for the receivers; no permission check)."""
        async with self.ctx.db.read() as tx:
            row = await store.settings_row(tx, brand_id)
        if row is None:
            return Secrets("", "")
        return Secrets(str(row["kuaidi100_salt"]), str(row["webhook_secret"]))

    async def set_secret(self, principal: Principal, brand: Brand, which: str, value: str) -> None:
        """Set (or with ``""`` clear) a carrier secret; ``logistics.configure``."""
        self.ctx.require(principal, LOGISTICS_CONFIGURE, brand_id=brand.id)
        if which not in SECRETS:
            raise RulesInvalid(f"unknown secret {which!r}", field="which")
        text = value.strip()
        if text and not 8 <= len(text) <= 200:
            raise RulesInvalid("a secret has 8 to 200 characters", field=which)
        async with self.ctx.db.write() as tx:
            await store.save_settings(tx, brand.id, {which: text}, _now(), _actor(principal))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _actor(principal: Principal) -> str:
    return "system" if principal.user is None else f"user:{principal.user.id}"

"""``/console/logistics/settings``: a brand's logistics rules and carrier secrets, for
``logistics.configure`` (brand and platform admins).

- the rules (:class:`.models.Rules`): which alerts run and their thresholds, each
  field named and explained in both languages; posting the form changes them all
  (an unchecked box turns its alert off, an empty number leaves that rule as it is);
  a value the service refuses (out of its bounds, not a number) is shown with its
  stable code and nothing changes;
- the secrets (快递100 push salt, webhook secret): whether each is set, never its value;
  a form sets one (or clears it).
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from veriseal import VerisealError
from veriseal.extend import Page
from veriseal_logistics.console_common import BASE, context, field, message
from veriseal_logistics.errors import RulesInvalid
from veriseal_logistics.models import Rules

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.extend import ConsoleCall

_T = "veriseal_logistics/"
#: each rule's name and help, (English, 中文)
RULE_TEXT: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "stalled": (
        ("Stalled shipments", "停滞预警"),
        ("Alert when no news comes for much longer than usual.",
         "长时间无更新时预警。"),
    ),
    "stall_quantile": (
        ("Usual wait (quantile)", "通常等待（分位数）"),
        ("The quantile of past waits at a status taken as usual.",
         "以历史等待时间的该分位数作为通常水平。"),
    ),
    "stall_factor": (
        ("Stall factor", "停滞倍数"),
        ("Alert after this many times the usual wait.",
         "超过通常等待的此倍数后预警。"),
    ),
    "stall_default_hours": (
        ("Default stall hours", "默认停滞小时"),
        ("Used until enough history exists.",
         "历史数据不足时使用。"),
    ),
    "late": (
        ("Late shipments", "延误预警"),
        ("Alert past the promised date or the ETA's late bound.",
         "超过承诺日期或预计最晚送达时预警。"),
    ),
    "late_grace_hours": (
        ("Grace hours", "宽限小时"),
        ("Hours allowed past the promised date.",
         "承诺日期后的宽限时间。"),
    ),
    "off_route": (
        ("Off-route checkpoints", "偏离路线预警"),
        ("Alert when a checkpoint lies outside the route's corridor.",
         "轨迹点位于路线走廊之外时预警。"),
    ),
    "off_route_km": (
        ("Corridor km", "走廊宽度（公里）"),
        ("Base half-width of the corridor around the planned route.",
         "计划路线两侧的基础宽度。"),
    ),
    "off_route_fraction": (
        ("Corridor share of the lane", "走廊占线路比例"),
        ("Added to the corridor: this share of the lane's length.",
         "走廊再加上线路长度的此比例。"),
    ),
    "wrong_destination": (
        ("Delivered elsewhere", "签收地不符预警"),
        ("Alert when delivery happens outside the destination.",
         "签收地点不在目的地时预警。"),
    ),
    "destination_km": (
        ("Destination tolerance km", "目的地容差（公里）"),
        ("How far outside the destination's area a delivery may be.",
         "签收地可超出目的地范围的距离。"),
    ),
    "min_samples": (
        ("Minimum samples", "最少样本数"),
        ("Past deliveries needed before history is trusted.",
         "采用历史数据所需的最少送达次数。"),
    ),
    "expire_days": (
        ("Expire after days", "过期天数"),
        ("A shipment with no news this long is closed as expired.",
         "超过此天数无更新的运单视为过期。"),
    ),
}  # fmt: skip
SECRET_TEXT = {
    "kuaidi100_salt": ("快递100 push salt", "快递100 推送签名盐"),
    "webhook_secret": ("Webhook secret", "回调签名密钥"),
}


def _kinds() -> dict[str, str]:
    """Each rule's type name: "bool", "int" or "float" (the dataclass's annotations are
    strings under ``from __future__ import annotations``)."""
    return {f.name: str(f.type).removeprefix("<class '").removesuffix("'>") for f in fields(Rules)}


async def settings_page(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    _, brand, _, lg = await context(call)
    rules = await lg.settings.rules(brand.id)
    kinds = _kinds()
    rows = [{"name": name, "kind": kinds[name], "value": value, "text": RULE_TEXT.get(name)}
            for name, value in rules.to_dict().items()]  # fmt: skip
    secrets = (await lg.settings.secrets(brand.id)).shown()
    return Page(_T + "settings.html", {
        "brand": brand, "rows": rows, "secrets": secrets, "secret_text": SECRET_TEXT,
        "error": error,
    }, status)  # fmt: skip


def changes_of(form: Any) -> dict[str, Any]:
    """The posted rules: a checkbox per on/off rule (absent: off), a number per threshold
    (empty: unchanged); ``logistics_rules_invalid`` for a number that is not one."""
    out: dict[str, Any] = {}
    for name, kind in _kinds().items():
        if kind == "bool":
            out[name] = form.get(name) == "on"
            continue
        text = field(form, name, 32).replace(",", "")
        if not text:
            continue
        try:
            number = float(text) if text.isascii() else math.nan
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise RulesInvalid(f"{name} must be a number / 须为数字", field=name)
        out[name] = int(number) if kind == "int" and number == int(number) else number
    return out


async def save_rules(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, lg = await context(call)
    try:
        await lg.settings.set_rules(who, brand, changes_of(await call.form()))
    except VerisealError as exc:
        return await settings_page(call, message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/settings", "Rules saved.", "规则已保存。")


async def save_secret(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, lg = await context(call)
    form = await call.form()
    try:
        which = field(form, "which", 32)
        value = "" if form.get("clear") == "1" else field(form, "value", 200)
        await lg.settings.set_secret(who, brand, which, value)
    except VerisealError as exc:
        return await settings_page(call, message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/settings", "Secret saved.", "密钥已保存。")

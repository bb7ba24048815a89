"""What the territories plugin's console views share: the caller's brand and services,
form fields read the same way everywhere, and labels in the reader's language.

The views parse, call a service with ``call.principal`` and render; every rule and
scope check is the services'. Like the rest of the plugin they import only the public
API and the SDK (:mod:`veriseal.extend`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from veriseal import Brand, InvalidInput, Principal, Product, VerisealError
from veriseal_territories.grants import REASON_TEXT
from veriseal_territories.hierarchy import default_hierarchy
from veriseal_territories.service import Territories, of

if TYPE_CHECKING:
    from veriseal.extend import ConsoleCall

PLUGIN = "territories"
#: entries a form may name (a pallet SSCC is one entry)
MAX_ENTRIES = 10_000

#: errors these pages' forms commonly meet: a title in both languages before the
#: specific (English) message
ERROR_TITLES: dict[str, tuple[str, str]] = {
    "not_held": ("You do not hold these goods", "您不持有这些货品"),
    "item_unknown": ("Not a code of this brand", "不是本品牌的码"),
    "sscc_invalid": ("Not a valid case or pallet code (SSCC)", "箱码/托盘码（SSCC）无效"),
    "shipment_invalid": ("Invalid shipment", "发货/收货信息无效"),
    "shipment_not_authorized": (
        "The receiving dealer is not authorized for these goods there",
        "收货经销商无权在该区域销售这些货品",
    ),
    "dealer_not_found": ("Dealer not found", "未找到该经销商"),
    "dealer_invalid": ("Invalid dealer data", "经销商资料无效"),
    "grant_invalid": ("Invalid authorization", "授权内容无效"),
    "grant_not_found": ("Authorization not found", "未找到该授权"),
    "region_not_found": ("Region not found", "未找到该区域"),
    "category_not_found": ("Category not found", "未找到该类目"),
    "product_not_found": ("Product not found", "未找到该产品"),
    "not_verified": ("The dealer is not verified (real-name)", "该经销商未通过企业实名认证"),
    "alert_transition": ("This alert cannot move to that state", "预警无法转到该状态"),
    "forbidden": ("Not allowed", "无权操作"),
    "invalid_input": ("Invalid input", "输入无效"),
}


async def services(call: ConsoleCall) -> tuple[Principal, Brand, Territories]:
    """The signed-in principal, its brand (a platform admin names one with ``brand``
    in the query or form, else the only or default brand) and the plugin's services."""
    who = call.principal
    assert who is not None  # every view of this plugin needs a sign-in
    ctx = call.plugin(PLUGIN)
    if who.brand_id is not None:
        return who, await ctx.brand_by_id(who.brand_id), of(ctx)
    slug = call.query.get("brand") or None
    if slug is None and call.request.method == "POST":
        value = (await call.form()).get("brand")
        slug = value if isinstance(value, str) and value else None
    return who, await ctx.brand(slug), of(ctx)


def message(call: ConsoleCall, exc: VerisealError) -> str:
    """A coded error for a form: its title in the reader's language, then the detail."""
    title = ERROR_TITLES.get(exc.code)
    if title is None:
        return exc.message
    return f"{call.t(*title)}: {exc.message}"


def reason(call: ConsoleCall, code: str) -> str:
    """An ``authorize`` reason (``outside_territory``...) in the reader's language."""
    text = REASON_TEXT.get(code)
    return call.t(*text) if text else code


async def text(call: ConsoleCall, name: str, limit: int = 500) -> str:
    """A posted text field, stripped; ``invalid_input`` past ``limit`` or with a NUL."""
    value = (await call.form()).get(name, "")
    found = value if isinstance(value, str) else ""
    if len(found) > limit or "\x00" in found:
        raise InvalidInput(f"{name}: at most {limit} characters, no NUL")
    return found.strip()


async def entries(call: ConsoleCall) -> list[str]:
    """What a scanner form names: the ``codes`` textarea, one entry per line (a
    printed link, a case or pallet SSCC, a unit code), then the typed ``code``."""
    form = await call.form()
    found: list[str] = []
    for name in ("codes", "code"):
        value = form.get(name, "")
        if isinstance(value, str):
            found += [line.strip() for line in value.splitlines() if line.strip()]
    if len(found) > MAX_ENTRIES:
        raise InvalidInput(f"at most {MAX_ENTRIES} codes per form")
    if any("\x00" in e or len(e) > 2000 for e in found):
        raise InvalidInput("a code holds a NUL or is longer than 2000 characters")
    return found


def client_id() -> str:
    """A fresh id for one rendering of a shipment or receipt form: sending the same
    form twice (a double tap, a reload) is recorded once."""
    return "console-" + secrets.token_urlsafe(12)


def query_choice(call: ConsoleCall, name: str, choices: Iterable[str]) -> str | None:
    value = call.query.get(name, "")
    if not value:
        return None
    if value not in set(choices):
        raise InvalidInput(f"{name}: one of {', '.join(choices)}")
    return value


def local_day(call: ConsoleCall, value: str, *, end: bool = False) -> dt.datetime | None:
    """A ``<input type=date>`` value as the start of that day in the reader's time zone
    (``end``: the start of the next day: a grant "until 2030-12-31" covers that day)."""
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date (YYYY-MM-DD)") from None
    if end:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), call.tz)


@dataclass(frozen=True)
class Labels:
    """Names of regions and products in the reader's language (for templates)."""

    lang: str
    products: Mapping[str, Product]

    def region(self, code: str | None) -> str:
        if not code:
            return ""
        return default_hierarchy().label(code, self.lang)

    def product(self, scope: str) -> str:
        """A grant's product scope: all products, one product, or a category."""
        zh = self.lang == "zh"
        if scope == "*":
            return "全部产品" if zh else "All products"
        kind, _, value = scope.partition(":")
        if kind == "gtin":
            found = self.products.get(value)
            return f"{found.name} ({value})" if found else value
        return f"{'类目' if zh else 'Category'}: {value}"


async def labels(call: ConsoleCall, t: Territories, brand: Brand) -> Labels:
    products = {p.gtin: p for p in await t.ctx.products(brand)}
    return Labels(call.lang, products)


def form_values(form: Mapping[str, Any], names: Iterable[str]) -> dict[str, str]:
    """The named fields of a posted form as text (missing: empty), to re-render it."""
    return {n: str(form.get(n, "")) for n in names}

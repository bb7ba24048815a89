"""The catalogue in the console: ``/console/catalogue`` browses and searches the
brand's products (``catalogue.read``: brand staff, dealers, retailers), filtered by a
category (its sub-categories included); ``/console/catalogue/{gtin}`` shows a product
with its specifications, units and photos, and for ``catalogue.write`` the forms to
change them; ``/console/categories`` shows the category tree with forms to create,
rename, move, reorder and delete (only empty) categories. Coded errors (a taken name,
a cycle, a non-empty category) become the console's error page; nothing is changed."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from veriseal.accounts.permissions import Action, allowed
from veriseal.catalog.product_details import MAX_LIMIT
from veriseal.console.call import ConsoleCall
from veriseal.console.views.brandpick import brand_params, link, pick_brand, reader
from veriseal.errors import InvalidInput
from veriseal.extend.console import ConsolePage, ConsoleView, Page
from veriseal.models import Brand, Category

MAX_PHOTO = 10 * 1024 * 1024
UNIT_NAMES = {"item": ("Item", "单品"), "case": ("Case", "箱"), "pallet": ("Pallet", "托")}


async def _brand(call: ConsoleCall, *, write: bool = False) -> Brand | Page:
    desk = call.engine.ops.catalogue

    async def resolve(who: object, slug: str | None) -> Brand:
        return await desk.brand(reader(call), slug, write=write)

    return await pick_brand(call, resolve)


def _label(c: Category) -> str:
    return " / ".join(c.path)


async def catalogue(call: ConsoleCall) -> Page:
    picked = await _brand(call)
    if isinstance(picked, Page):
        return picked
    desk, who = call.engine.ops.catalogue, reader(call)
    q = call.query.get("q", "")[:200]
    category = call.query_int("category")
    after = call.query.get("after") or None
    limit = min(MAX_LIMIT, 50)
    found = await desk.search(who, picked, q, category_id=category, limit=limit, after=after)
    params = brand_params(call, picked)
    more = found[-1].gtin if len(found) == limit else None
    return Page("catalogue.html", {
        "brand": picked,
        "products": found,
        "tree": [(c.id, _label(c)) for c in await desk.tree(who, picked)],
        "q": q,
        "category": category,
        "params": params,
        "detail": lambda gtin: link(f"/console/catalogue/{gtin}", params),
        "tree_link": link("/console/categories", params),
        "next_page": link("/console/catalogue", params, q=q or None, category=category,
                          after=more) if more else None,
        "may_write": allowed(who, Action.CATALOGUE_WRITE),
    })  # fmt: skip


async def product_page(call: ConsoleCall) -> Page:
    picked = await _brand(call)
    if isinstance(picked, Page):
        return picked
    desk, who = call.engine.ops.catalogue, reader(call)
    product = await desk.product(who, picked, call.match.get("gtin", ""))
    params = brand_params(call, picked)
    units = {u.kind.value: u for u in product.units}
    return Page("catalogue_product.html", {
        "brand": picked,
        "p": product,
        "tree": [(c.id, _label(c)) for c in await desk.tree(who, picked)],
        "specs_text": "\n".join(f"{s.name}={s.value}" for s in product.specs),
        "case": units.get("case"),
        "pallet": units.get("pallet"),
        "unit_name": lambda kind: call.t(*UNIT_NAMES.get(str(kind), (str(kind),) * 2)),
        "action": lambda what: link(f"/console/catalogue/{product.gtin}/{what}", params),
        "back": link("/console/catalogue", params),
        "may_write": allowed(who, Action.CATALOGUE_WRITE),
    })  # fmt: skip


async def categories_page(call: ConsoleCall) -> Page:
    picked = await _brand(call)
    if isinstance(picked, Page):
        return picked
    desk, who = call.engine.ops.catalogue, reader(call)
    tree = await desk.tree(who, picked)
    params = brand_params(call, picked)
    return Page("categories.html", {
        "brand": picked,
        "tree": tree,
        "choices": [(c.id, _label(c)) for c in tree],
        "action": lambda what: link(f"/console/categories/{what}", params),
        "may_write": allowed(who, Action.CATALOGUE_WRITE),
    })  # fmt: skip


def _field(form: MultiDictProxy[Any], name: str, longest: int = 200) -> str:
    """A text field of the form, cut at ``longest`` (the services check the rest)."""
    return str(form.get(name, ""))[:longest]


def _optional_int(text: str, name: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise InvalidInput(f"{name} must be a whole number")
    return int(text)


async def _back_to_categories(call: ConsoleCall, brand: Brand, en: str, zh: str) -> web.Response:
    return call.redirect(link("/console/categories", brand_params(call, brand)), en, zh)


async def category_create(call: ConsoleCall) -> Page | web.Response:
    picked = await _brand(call, write=True)
    if isinstance(picked, Page):
        return picked
    form = await call.form()
    parent = _optional_int(_field(form, "parent_id", 12), "parent")
    made = await call.engine.ops.catalogue.create(
        reader(call), picked, _field(form, "name"), parent, _field(form, "name_en")
    )
    return await _back_to_categories(call, picked, f"Created {made.name}.", f"已创建 {made.name}。")


async def category_change(call: ConsoleCall) -> Page | web.Response:
    """One form per change: ``op`` is rename, move, reorder or delete."""
    picked = await _brand(call, write=True)
    if isinstance(picked, Page):
        return picked
    desk, who, cid = call.engine.ops.catalogue, reader(call), call.int_param("id")
    form = await call.form()
    op = _field(form, "op", 16)
    if op == "rename":
        await desk.rename(who, picked, cid, _field(form, "name"), _field(form, "name_en"))
    elif op == "move":
        parent = _optional_int(_field(form, "parent_id", 12), "parent")
        await desk.move(who, picked, cid, parent, None)
    elif op == "reorder":
        position = _optional_int(_field(form, "position", 12), "position") or 0
        await desk.reorder(who, picked, cid, position)
    elif op == "delete":
        await desk.delete(who, picked, cid)
    else:
        raise InvalidInput("op must be rename, move, reorder or delete")
    return await _back_to_categories(call, picked, "Saved.", "已保存。")


def _specs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for line in text.splitlines():
        if line.strip():
            name, sep, value = line.partition("=")
            if not sep:
                raise InvalidInput("write one specification a line: name=value")
            pairs.append((name, value))
    return pairs


async def _editing(call: ConsoleCall) -> tuple[Brand, str, MultiDictProxy[Any]] | Page:
    picked = await _brand(call, write=True)
    if isinstance(picked, Page):
        return picked
    return picked, call.match.get("gtin", ""), await call.form()


def _saved(call: ConsoleCall, brand: Brand, gtin: str) -> web.Response:
    params = brand_params(call, brand)
    return call.redirect(link(f"/console/catalogue/{gtin}", params), "Saved.", "已保存。")


async def set_category(call: ConsoleCall) -> Page | web.Response:
    got = await _editing(call)
    if isinstance(got, Page):
        return got
    brand, gtin, form = got
    category = _optional_int(_field(form, "category_id", 12), "category")
    await call.engine.ops.catalogue.place(reader(call), brand, gtin, category)
    return _saved(call, brand, gtin)


async def set_specs(call: ConsoleCall) -> Page | web.Response:
    got = await _editing(call)
    if isinstance(got, Page):
        return got
    brand, gtin, form = got
    pairs = _specs(_field(form, "specs", 20_000))
    await call.engine.ops.catalogue.set_specs(reader(call), brand, gtin, pairs)
    return _saved(call, brand, gtin)


async def set_units(call: ConsoleCall) -> Page | web.Response:
    got = await _editing(call)
    if isinstance(got, Page):
        return got
    brand, gtin, form = got
    units: list[tuple[str, int, str | None]] = [("item", 1, None)]
    for kind in ("case", "pallet"):
        quantity = _optional_int(_field(form, kind, 12), kind)
        if quantity is not None:
            units.append((kind, quantity, _field(form, f"{kind}_gtin", 20) or None))
    await call.engine.ops.catalogue.set_units(reader(call), brand, gtin, units)
    return _saved(call, brand, gtin)


async def add_photo(call: ConsoleCall) -> Page | web.Response:
    got = await _editing(call)
    if isinstance(got, Page):
        return got
    brand, gtin, form = got
    item = form.get("photo")
    data = item.file.read(MAX_PHOTO + 1) if isinstance(item, FileField) else b""
    await call.engine.ops.catalogue.add_image(reader(call), brand, gtin, data)
    return _saved(call, brand, gtin)


async def remove_photo(call: ConsoleCall) -> Page | web.Response:
    got = await _editing(call)
    if isinstance(got, Page):
        return got
    brand, gtin, form = got
    image = _optional_int(_field(form, "image", 18), "image") or 0
    await call.engine.ops.catalogue.remove_image(reader(call), brand, gtin, image)
    return _saved(call, brand, gtin)


A = Action
_P = r"/console/catalogue/{gtin:\d+}"
VIEWS = [
    ConsoleView("GET", "/console/catalogue", catalogue, A.CATALOGUE_READ),
    ConsoleView("GET", _P, product_page, A.CATALOGUE_READ),
    ConsoleView("POST", _P + "/category", set_category, A.CATALOGUE_WRITE),
    ConsoleView("POST", _P + "/specs", set_specs, A.CATALOGUE_WRITE),
    ConsoleView("POST", _P + "/units", set_units, A.CATALOGUE_WRITE),
    ConsoleView("POST", _P + "/photo", add_photo, A.CATALOGUE_WRITE),
    ConsoleView("POST", _P + "/photo-delete", remove_photo, A.CATALOGUE_WRITE),
    ConsoleView("GET", "/console/categories", categories_page, A.CATALOGUE_READ),
    ConsoleView("POST", "/console/categories/new", category_create, A.CATALOGUE_WRITE),
    ConsoleView("POST", r"/console/categories/{id:\d+}", category_change, A.CATALOGUE_WRITE),
]  # fmt: skip
PAGES = [
    ConsolePage("/console/catalogue", "Products", "商品管理", A.CATALOGUE_WRITE, "catalogue", 10),
    ConsolePage("/console/categories", "Categories", "商品类目", A.CATALOGUE_WRITE,
                "catalogue", 20),
]  # fmt: skip

"""The catalogue's JSON API (see docs/catalogue.md):

- ``GET /api/v1/categories?brand=`` (``catalogue.read``): the category tree.
- ``POST /api/v1/categories`` (``catalogue.write``): ``{"name", "name_en", "parent_id"}``.
- ``PATCH /api/v1/categories/{id}``: rename; ``POST .../move`` ``{"parent_id",
  "position"}``; ``POST .../reorder`` ``{"position"}``; ``DELETE``: only when empty.
- ``GET /api/v1/products?brand=&q=&category=&limit=&after=`` (``catalogue.read``):
  search (``q`` empty: browse), a category including its sub-categories, ordered by
  GTIN; ``next_after`` is the cursor of the next page.
- ``GET /api/v1/products/{gtin}``: one product with specs, units and images.
- ``PUT /api/v1/products/{gtin}/category|specs|units`` and ``POST|DELETE
  .../images`` (``catalogue.write``).
- ``GET /api/v1/product-images/{image}`` (public: catalogue photos).
"""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from msgspec import Meta

from veriseal.accounts.permissions import Action
from veriseal.brandops.catalogue import category_record, product_record
from veriseal.server.endpoints import Call, Endpoint, Gate
from veriseal.server.inputs import Id, Model, Short

Schema = dict[str, Any]
Gtin = Annotated[str, Meta(min_length=8, max_length=14, pattern="^[0-9]+$")]
Text = Annotated[str, Meta(max_length=200, pattern="^[^\x00]*$")]
Position = Annotated[int, Meta(ge=0, le=100_000)]
Quantity = Annotated[int, Meta(ge=1, le=1_000_000)]


class BrandQuery(Model):
    brand: Short | None = None


class CategoryPath(Model):
    id: Id


class ProductPath(Model):
    gtin: Gtin


class ImagePath(Model):
    gtin: Gtin
    image: Id


class PublicImagePath(Model):
    image: Id


class NewCategory(Model):
    name: Text
    name_en: Text = ""
    parent_id: Id | None = None
    brand: Short | None = None


class Rename(Model):
    name: Text
    name_en: Text | None = None
    brand: Short | None = None


class Move(Model):
    brand: Short | None = None
    parent_id: Id | None = None
    position: Position | None = None


class Reorder(Model):
    position: Position
    brand: Short | None = None


class SearchQuery(Model):
    brand: Short | None = None
    q: Text = ""
    category: Id | None = None
    limit: Annotated[int, Meta(ge=1, le=200)] = 50
    after: Gtin | None = None


class Placement(Model):
    brand: Short | None = None
    category_id: Id | None = None


class Spec(Model):
    name: Text
    value: Text = ""


class Specs(Model):
    specs: Annotated[list[Spec], Meta(max_length=50)]
    brand: Short | None = None


class Unit(Model):
    kind: Short
    quantity: Quantity
    gtin: Gtin | None = None


class Units(Model):
    units: Annotated[list[Unit], Meta(max_length=3)]
    brand: Short | None = None


async def categories(call: Call, query: BrandQuery) -> Schema:
    desk = call.engine.ops.catalogue
    brand = await desk.brand(call.who, query.brand)
    return {"categories": [category_record(c) for c in await desk.tree(call.who, brand)]}


async def category_create(call: Call, body: NewCategory) -> Schema:
    desk = call.engine.ops.catalogue
    brand = await desk.brand(call.who, body.brand, write=True)
    made = await desk.create(call.who, brand, body.name, body.parent_id, body.name_en)
    return category_record(made)


async def category_rename(call: Call, path: CategoryPath, body: Rename) -> Schema:
    desk = call.engine.ops.catalogue
    brand = await desk.brand(call.who, body.brand, write=True)
    return category_record(await desk.rename(call.who, brand, path.id, body.name, body.name_en))


async def category_move(call: Call, path: CategoryPath, body: Move) -> Schema:
    desk = call.engine.ops.catalogue
    brand = await desk.brand(call.who, body.brand, write=True)
    moved = await desk.move(call.who, brand, path.id, body.parent_id, body.position)
    return category_record(moved)


async def category_reorder(call: Call, path: CategoryPath, body: Reorder) -> Schema:
    desk = call.engine.ops.catalogue
    brand = await desk.brand(call.who, body.brand, write=True)
    return category_record(await desk.reorder(call.who, brand, path.id, body.position))


async def category_delete(call: Call, path: CategoryPath, query: BrandQuery) -> Schema:
    desk = call.engine.ops.catalogue
    brand = await desk.brand(call.who, query.brand, write=True)
    await desk.delete(call.who, brand, path.id)
    return {"deleted": path.id}


async def products(call: Call, query: SearchQuery) -> Schema:
    desk = call.engine.ops.catalogue
    brand = await desk.brand(call.who, query.brand)
    found = await desk.search(
        call.who, brand, query.q, category_id=query.category, limit=query.limit, after=query.after
    )
    more = len(found) == query.limit
    return {
        "products": [product_record(p) for p in found],
        "next_after": found[-1].gtin if found and more else None,
    }


async def product(call: Call, path: ProductPath, query: BrandQuery) -> Schema:
    desk = call.engine.ops.catalogue
    brand = await desk.brand(call.who, query.brand)
    return product_record(await desk.product(call.who, brand, path.gtin))


async def product_category(call: Call, path: ProductPath, body: Placement) -> Schema:
    desk = call.engine.ops.catalogue
    brand = await desk.brand(call.who, body.brand, write=True)
    await desk.place(call.who, brand, path.gtin, body.category_id)
    return product_record(await desk.product(call.who, brand, path.gtin))


async def product_specs(call: Call, path: ProductPath, body: Specs) -> Schema:
    desk = call.engine.ops.catalogue
    brand = await desk.brand(call.who, body.brand, write=True)
    await desk.set_specs(call.who, brand, path.gtin, [(s.name, s.value) for s in body.specs])
    return product_record(await desk.product(call.who, brand, path.gtin))


async def product_units(call: Call, path: ProductPath, body: Units) -> Schema:
    desk = call.engine.ops.catalogue
    brand = await desk.brand(call.who, body.brand, write=True)
    given = [(u.kind, u.quantity, u.gtin) for u in body.units]
    await desk.set_units(call.who, brand, path.gtin, given)
    return product_record(await desk.product(call.who, brand, path.gtin))


async def image_add(call: Call, path: ProductPath) -> Schema:
    desk = call.engine.ops.catalogue
    brand = await desk.brand(call.who, call.request.query.get("brand") or None, write=True)
    image_id = await desk.add_image(call.who, brand, path.gtin, await call.request.read())
    return {"id": image_id}


async def image_delete(call: Call, path: ImagePath, query: BrandQuery) -> Schema:
    desk = call.engine.ops.catalogue
    brand = await desk.brand(call.who, query.brand, write=True)
    if not await desk.remove_image(call.who, brand, path.gtin, path.image):
        raise web.HTTPNotFound(reason="no such image")
    return {"deleted": path.image}


async def image_get(call: Call, path: PublicImagePath) -> web.Response:
    found = await call.engine.ops.catalogue.image(path.image)
    if found is None:
        raise web.HTTPNotFound(reason="no such image")
    data, media_type, sha = found
    return web.Response(
        body=data,
        content_type=media_type,
        headers={"ETag": f'"{sha}"', "Cache-Control": "public, max-age=31536000, immutable"},
    )


_CATEGORY: Schema = {"type": "object", "properties": {
    "id": {"type": "integer"}, "parent_id": {"type": ["integer", "null"]},
    "name": {"type": "string"}, "name_en": {"type": "string"},
    "position": {"type": "integer"}, "chain": {"type": "array", "items": {"type": "integer"}},
    "path": {"type": "array", "items": {"type": "string"}}}}  # fmt: skip
_PRODUCT: Schema = {"type": "object", "properties": {
    "gtin": {"type": "string"}, "name": {"type": "string"},
    "category_id": {"type": ["integer", "null"]}, "specs": {"type": "array"},
    "units": {"type": "array"}, "images": {"type": "array"}}}  # fmt: skip
A = Action
W = A.CATALOGUE_WRITE
ROUTES = [
    Endpoint("GET", "/api/v1/categories", categories, A.CATALOGUE_READ,
             "The brand's category tree, depth first", tag="catalogue",
             response={"type": "object", "properties": {
                 "categories": {"type": "array", "items": _CATEGORY}}}),
    Endpoint("POST", "/api/v1/categories", category_create, W,
             "Create a category (last among its siblings)", 201, tag="catalogue",
             response=_CATEGORY),
    Endpoint("PATCH", "/api/v1/categories/{id}", category_rename, W,
             "Rename a category (its products' paths follow)", tag="catalogue",
             response=_CATEGORY),
    Endpoint("POST", "/api/v1/categories/{id}/move", category_move, W,
             "Move a category under another parent (never under itself)", tag="catalogue",
             response=_CATEGORY),
    Endpoint("POST", "/api/v1/categories/{id}/reorder", category_reorder, W,
             "Put a category at a position among its siblings", tag="catalogue",
             response=_CATEGORY),
    Endpoint("DELETE", "/api/v1/categories/{id}", category_delete, W,
             "Delete an empty category", tag="catalogue"),
    Endpoint("GET", "/api/v1/products", products, A.CATALOGUE_READ,
             "Search or browse the brand's products (Chinese included), by GTIN",
             tag="catalogue", response={"type": "object", "properties": {
                 "products": {"type": "array", "items": _PRODUCT},
                 "next_after": {"type": ["string", "null"]}}}),
    Endpoint("GET", "/api/v1/products/{gtin}", product, A.CATALOGUE_READ,
             "One product with its specifications, units and images", tag="catalogue",
             response=_PRODUCT),
    Endpoint("PUT", "/api/v1/products/{gtin}/category", product_category, W,
             "Put a product in a category (null: none)", tag="catalogue", response=_PRODUCT),
    Endpoint("PUT", "/api/v1/products/{gtin}/specs", product_specs, W,
             "Replace a product's specifications", tag="catalogue", response=_PRODUCT),
    Endpoint("PUT", "/api/v1/products/{gtin}/units", product_units, W,
             "Replace a product's units (item, case, pallet)", tag="catalogue",
             response=_PRODUCT),
    Endpoint("POST", "/api/v1/products/{gtin}/images", image_add, W,
             "Add a product photo (JPEG, PNG or WebP; re-encoded)", 201, tag="catalogue",
             raw_body="application/octet-stream"),
    Endpoint("DELETE", "/api/v1/products/{gtin}/images/{image}", image_delete, W,
             "Remove a product photo", tag="catalogue"),
    Endpoint("GET", "/api/v1/product-images/{image}", image_get, Gate.PUBLIC,
             "A product photo (public catalogue data)", tag="catalogue"),
]  # fmt: skip

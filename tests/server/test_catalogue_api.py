"""The catalogue's JSON API over real HTTP on both backends: a brand admin builds the
tree and edits a product; a retailer of the brand browses and searches but cannot
change anything; a dealer of another brand sees nothing of this one; bad input gets a
coded 4xx and changes nothing; product photos are re-encoded and public."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from veriseal.accounts.models import SYSTEM, OrgKind, Role

from .conftest import Api


async def _token(api: Api, brand_slug: str, role: Role, kind: OrgKind, name: str) -> str:
    accounts = api.engine.accounts
    root = await accounts.brand_org(await api.engine.brands.get(brand_slug))
    org = await accounts.create_org(SYSTEM, root.id, kind, name)
    user = await accounts.create_user(
        SYSTEM, contact=f"{name}@x.example", display_name=name, role=role, org_id=org.id
    )
    token, _ = await accounts.create_token(SYSTEM, "t", ["*"], for_user=user.id)
    return token


async def test_admin_builds_retailer_browses_other_brand_sees_nothing(api: Api) -> None:
    admin = api.brand_admin_token
    shop = await _token(api, "demo", Role.RETAILER, OrgKind.RETAILER, "shop")
    other = await api.engine.brands.create("rival", "Rival", "id.rival.example")
    rival = await _token(api, other.slug, Role.DISTRIBUTOR, OrgKind.DISTRIBUTOR, "rivaldealer")
    products = await api.engine.catalogue.list(await api.engine.brands.get("demo"))
    gtin = products[0].gtin

    status, top = await api.call(
        "POST", "/api/v1/categories", admin, json={"name": "茶", "name_en": "Tea"}
    )
    assert status == 201, top
    status, green = await api.call(
        "POST", "/api/v1/categories", admin, json={"name": "绿茶", "parent_id": top["id"]}
    )
    assert status == 201 and green["chain"] == [top["id"], green["id"]]
    status, placed = await api.call(
        "PUT", f"/api/v1/products/{gtin}/category", admin, json={"category_id": green["id"]}
    )
    assert status == 200 and placed["category"][-2:] == ["茶", "绿茶"]
    status, _ = await api.call(
        "PUT",
        f"/api/v1/products/{gtin}/specs",
        admin,
        json={"specs": [{"name": "净含量", "value": "250克"}]},
    )
    assert status == 200

    # the retailer browses and searches, Chinese included, and reads the detail
    status, found = await api.call("GET", "/api/v1/products?q=绿茶", shop)
    assert status == 200 and [p["gtin"] for p in found["products"]] == [gtin]
    status, found = await api.call("GET", f"/api/v1/products?category={top['id']}", shop)
    assert [p["gtin"] for p in found["products"]] == [gtin]
    status, detail = await api.call("GET", f"/api/v1/products/{gtin}", shop)
    assert status == 200 and detail["specs"] == [{"name": "净含量", "value": "250克"}]
    status, tree = await api.call("GET", "/api/v1/categories", shop)
    assert [c["path"] for c in tree["categories"] if c["path"][0] == "茶"] == [
        ["茶"],
        ["茶", "绿茶"],
    ]
    # ... but changes nothing
    status, body = await api.call("POST", "/api/v1/categories", shop, json={"name": "x"})
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = await api.call("DELETE", f"/api/v1/categories/{green['id']}", shop)
    assert status == 403

    # another brand's dealer sees an empty tree of its own brand, never this one's
    status, tree = await api.call("GET", "/api/v1/categories", rival)
    assert status == 200 and tree["categories"] == []
    status, body = await api.call("GET", "/api/v1/categories?brand=demo", rival)
    assert status == 403
    status, body = await api.call("GET", f"/api/v1/products/{gtin}", rival)
    assert status == 404  # not in the rival's brand
    status, body = await api.call("GET", "/api/v1/products?q=绿茶", rival)
    assert body["products"] == []


async def _tree(api: Api) -> list[dict[str, Any]]:
    return (await api.call("GET", "/api/v1/categories", api.brand_admin_token))[1]["categories"]


async def test_bad_input_is_a_coded_4xx_and_changes_nothing(api: Api) -> None:
    admin = api.brand_admin_token
    _, a = await api.call("POST", "/api/v1/categories", admin, json={"name": "A"})
    _, b = await api.call(
        "POST", "/api/v1/categories", admin, json={"name": "B", "parent_id": a["id"]}
    )
    before = await _tree(api)
    cases: list[tuple[str, str, Any, int, str]] = [
        ("POST", "/api/v1/categories", {"name": "A"}, 409, "category_name_taken"),
        ("POST", "/api/v1/categories", {"name": "a/b"}, 400, "category_name_invalid"),
        (
            "POST",
            "/api/v1/categories",
            {"name": "x", "parent_id": 99999},
            404,
            "category_not_found",
        ),
        ("POST", "/api/v1/categories", {"name": 5}, 400, "invalid_input"),
        ("POST", "/api/v1/categories", {"name": "x", "extra": 1}, 400, "invalid_input"),
        (
            "POST",
            f"/api/v1/categories/{a['id']}/move",
            {"parent_id": b["id"]},
            400,
            "category_cycle",
        ),
        ("DELETE", f"/api/v1/categories/{a['id']}", None, 409, "category_not_empty"),
        ("PATCH", f"/api/v1/categories/{b['id']}", {"name": ""}, 400, "category_name_invalid"),
    ]
    for method, path, body, status, code in cases:
        got, answer = await api.call(method, path, admin, json=body)
        assert (got, answer["error"]["code"]) == (status, code), (method, path, body, answer)
    assert await _tree(api) == before
    status, answer = await api.call("GET", "/api/v1/products?limit=0", admin)
    assert status == 400
    status, answer = await api.call("GET", "/api/v1/products?category=424242", admin)
    assert (status, answer["error"]["code"]) == (404, "category_not_found")


async def test_photos_are_reencoded_and_public(api: Api) -> None:
    admin = api.brand_admin_token
    gtin = (await api.engine.catalogue.list(await api.engine.brands.get("demo")))[0].gtin
    raw = io.BytesIO()
    Image.new("RGB", (3000, 1500), (200, 10, 10)).save(raw, "PNG")
    status, made = await api.call(
        "POST", f"/api/v1/products/{gtin}/images", admin, data=raw.getvalue()
    )
    assert status == 201, made
    status, data = await api.call("GET", f"/api/v1/product-images/{made['id']}")  # no token
    assert status == 200
    stored = Image.open(io.BytesIO(data))
    assert stored.format == "JPEG" and max(stored.size) == 1600
    status, answer = await api.call(
        "POST", f"/api/v1/products/{gtin}/images", admin, data=b"not an image"
    )
    assert status == 400 and answer["error"]["code"] == "image_invalid"
    _, detail = await api.call("GET", f"/api/v1/products/{gtin}", admin)
    assert [i["id"] for i in detail["images"]] == [made["id"]]
    status, _ = await api.call("DELETE", f"/api/v1/products/{gtin}/images/{made['id']}", admin)
    assert status == 200
    status, _ = await api.call("GET", f"/api/v1/product-images/{made['id']}")
    assert status == 404

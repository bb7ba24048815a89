"""The typed edge of the converted JSON routes (messages, scans, line controller,
territories) over real HTTP on both backends: every class of bad input is a 400
``invalid_input`` that changes nothing, and every list walks by its cursor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.server.conftest import Api
from tests.territories.conftest import approve
from veriseal.accounts.models import SYSTEM, OrgKind, Role
from veriseal.models import AlertKind, NewAlert, ScanQuery
from veriseal.notifications.models import MessageType
from veriseal_territories.service import of

BIG = str(2**63)  # one beyond int64
YEAR_1 = "0001-01-01T00:00:00%2B14:00"  # in the query string: '+' is %2B
YEAR_1_JSON = "0001-01-01T00:00:00+14:00"
DEEP = "[" * 1000 + "]" * 1000
T = "/api/v1/territories"

Case = tuple[str, str, dict[str, Any]]


def _raw(text: str) -> dict[str, Any]:
    return {"data": text.encode(), "headers": {"Content-Type": "application/json"}}


def _json(body: Any) -> dict[str, Any]:
    return {"json": body}


MESSAGES: list[Case] = [
    ("GET", "/api/v1/messages?limit=0", {}),
    ("GET", "/api/v1/messages?limit=-1", {}),
    ("GET", "/api/v1/messages?limit=%C2%B2", {}),
    ("GET", "/api/v1/messages?q=a%00b", {}),
    ("GET", f"/api/v1/messages?since={YEAR_1}", {}),
    ("GET", f"/api/v1/messages?cursor=i{BIG}", {}),
    ("GET", "/api/v1/messages?bogus=1", {}),
    ("POST", "/api/v1/messages/read", _raw(f'{{"ids": [{BIG}]}}')),
    ("POST", "/api/v1/messages/read", _json({"ids": [1], "extra": True})),
    ("POST", "/api/v1/messages/read", _raw('{"ids": ' + DEEP + "}")),
    ("PUT", "/api/v1/me/preferences/system_notice",
     _json({"dnd": {"start": "\u0662\u0662:00", "end": "08:00"}})),
    ("PUT", "/api/v1/me/preferences/system_notice", _raw('{"dnd": {"start": "22:00", '
                                                     '"end": "08:00", "tz": "\\ud800"}}')),
    ("POST", "/api/v1/notifications", _raw(f'{{"org_id": {BIG}, "type": "system_notice",'
                                           ' "title": "t", "body": "b"}')),
    ("POST", "/api/v1/notifications", _raw('{"org_id": 1, "type": "system_notice",'
                                           ' "title": "a\\u0000", "body": "b"}')),
    ("POST", "/api/v1/notifications", _raw('{"org_id": 1, "type": "system_notice",'
                                           ' "title": "\\udc00", "body": "b"}')),
]  # fmt: skip
SCANS: list[Case] = [
    ("GET", "/api/v1/scans?limit=0", {}),
    ("GET", "/api/v1/scans?limit=-1", {}),
    ("GET", "/api/v1/scans?limit=1001", {}),
    ("GET", "/api/v1/scans?batch=%D9%A1", {}),
    ("GET", f"/api/v1/scans?batch={BIG}", {}),
    ("GET", f"/api/v1/scans?since={YEAR_1}", {}),
    ("GET", "/api/v1/scans?code=%00", {}),
    ("GET", "/api/v1/scans?bogus=1", {}),
    ("GET", "/api/v1/alerts?limit=0", {}),
    ("GET", "/api/v1/alerts?kind=nope", {}),
    ("GET", f"/api/v1/alerts?cursor=i{BIG}", {}),
    ("POST", "/api/v1/scans", _json({"scans": []})),
    ("POST", "/api/v1/scans", _json({"scans": [{"code": "x", "client_scan_id": "a"}] * 501})),
    ("POST", "/api/v1/scans", _json({"scans": [{"code": "x", "client_scan_id": "a",
                                                "lat": 91, "lon": 0}]})),
    ("POST", "/api/v1/scans", _raw('{"scans": [{"code": "x", "client_scan_id": "a",'
                                   ' "lat": 1e400, "lon": 0}]}')),
    ("POST", "/api/v1/scans", _raw('{"scans": [{"code": "a\\u0000", "client_scan_id": "a"}]}')),
    ("POST", "/api/v1/scans", _raw('{"scans": [{"code": "x", "client_scan_id": "\\ud800"}]}')),
    ("POST", "/api/v1/scans", _json({"scans": [{"code": "x", "client_scan_id": "a", "y": 1}]})),
    ("POST", "/api/v1/scans", _raw('{"scans": ' + DEEP + "}")),
]  # fmt: skip
LINE: list[Case] = [
    ("POST", "/api/v1/batches/%C2%B2/activate", _json({"from": 0, "to": 1})),
    ("POST", "/api/v1/batches/%D9%A1/activate", _json({"from": 0, "to": 1})),
    ("POST", f"/api/v1/batches/{BIG}/decommission", _json({"from": 0, "to": 1})),
    ("POST", "/api/v1/batches/1/activate", _raw(f'{{"from": 0, "to": {BIG}}}')),
    ("POST", "/api/v1/batches/1/activate", _json({"ranges": ["\u0661-\u0663"]})),
    ("POST", "/api/v1/batches/1/activate", _json({"from": 0, "to": 1, "x": 1})),
    ("POST", "/api/v1/batches/1/activate",
     _json({"from": 0, "to": 1, "event_time": YEAR_1_JSON})),
    ("POST", "/api/v1/batches/1/activate", _raw('{"ranges": ' + DEEP + "}")),
    ("POST", "/api/v1/batches/1/decommission", _raw('{"from": 0, "to": 1, "reason": "\\ud800"}')),
    ("POST", "/api/v1/pack", _json({"parents": [], "x": 1})),
    ("POST", "/api/v1/pack", _json({"parents": [{"parent": "a\u0000", "children": ["1:0"]}]})),
    ("POST", "/api/v1/pack", _json({"parents": [{"parent": "x", "children": ["1:0"]}],
                                    "event_time": YEAR_1_JSON})),
    ("POST", "/api/v1/pack", _raw('{"parents": ' + DEEP + "}")),
    ("POST", "/api/v1/unpack", _json({"parent": "x", "children": []})),
]  # fmt: skip
TERRITORIES: list[Case] = [
    ("GET", f"{T}/grants?limit=0", {}),
    ("GET", f"{T}/dealers?limit=-1", {}),
    ("GET", f"{T}/diversion/alerts?since={YEAR_1}", {}),
    ("GET", f"{T}/diversion/alerts?state=lost", {}),
    ("GET", f"{T}/diversion/alerts/%D9%A1", {}),
    ("GET", f"{T}/diversion/alerts/{BIG}", {}),
    ("GET", f"{T}/diversion/scan?since={YEAR_1}", {}),
    ("GET", f"{T}/regions/locate?lat=nan&lon=0", {}),
    ("GET", f"{T}/regions/locate?lat=91&lon=0", {}),
    ("GET", f"{T}/authorize?dealer=x&product=y&lat=%D9%A1&lon=1", {}),
    ("GET", f"{T}/holder?code=%00", {}),
    ("POST", f"{T}/grants/{BIG}/revoke", {}),
    ("POST", f"{T}/grants/%C2%B2/suspend", {}),
    ("POST", f"{T}/grants", _json({"dealer": "GD01", "region": "CN-GD",
                                   "valid_from": YEAR_1_JSON})),
    ("POST", f"{T}/grants", _json({"dealer": "GD\u000001", "region": "CN-GD"})),
    ("POST", f"{T}/grants", _raw('{"dealer": "\\ud800", "region": "CN-GD"}')),
    ("POST", f"{T}/grants", _json({"dealer": "GD01", "region": "CN-GD", "bogus": 1})),
    ("POST", f"{T}/grants", _raw('{"dealer": ' + DEEP + "}")),
    ("POST", f"{T}/shipments", _json({"to": "GD01", "items": ["x"],
                                      "location": {"lat": 1, "lon": 1e400}})),
    ("POST", f"{T}/sync", _json({"operations": [{"client_id": "c", "kind": "sideways",
                                                 "items": ["x"]}]})),
    ("POST", f"{T}/diversion/alerts/{BIG}/transition", _json({"to": "confirmed"})),
    ("POST", f"{T}/diversion/alerts/1/transition", _json({"to": "confirmed",
                                                          "penalty": {"amount": -1}})),
]  # fmt: skip


async def _counts(api: Api) -> dict[str, int]:
    """Rows per table: what a refused request must leave as it was."""
    if api.engine.ledger.dialect.name == "postgres":
        sql = "SELECT table_name AS name FROM information_schema.tables" \
              " WHERE table_schema = 'public'"  # fmt: skip
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%'"
    async with api.engine.ledger.read() as tx:
        names = [str(r["name"]) for r in await tx.fetch(sql)]
        out = {}
        for name in names:
            row = await tx.fetchrow(f'SELECT COUNT(*) AS n FROM "{name}"')
            out[name] = int(row["n"]) if row else 0
    return out


@pytest.mark.parametrize(
    "cases", [MESSAGES, SCANS, LINE, TERRITORIES], ids=["messages", "scans", "line", "territories"]
)
async def test_bad_input_is_a_400_that_changes_nothing(api: Api, cases: list[Case]) -> None:
    before = await _counts(api)
    for method, path, kwargs in cases:
        status, body = await api.call(method, path, api.brand_admin_token, **kwargs)
        assert (status, body["error"]["code"]) == (400, "invalid_input"), (method, path, body)
    assert await _counts(api) == before


async def _walk(
    api: Api, path: str, key: str, limit: int, between: Callable[[], Awaitable[None]]
) -> list[dict[str, Any]]:
    """Every page of a list, calling ``between`` after each page read."""
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    sep = "&" if "?" in path else "?"
    while True:
        url = f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        status, body = await api.call("GET", url, api.brand_admin_token)
        assert status == 200, body
        assert len(body[key]) <= limit
        seen += body[key]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
        await between()


async def test_scans_and_alerts_walk_by_cursor_while_rows_arrive(api: Api) -> None:
    genuine = next(c.uri for c in api.codes if c.pin is None)
    n = 0

    async def upload(count: int) -> None:
        nonlocal n
        items = [{"code": genuine, "client_scan_id": f"p-{n + i}"} for i in range(count)]
        n += count
        status, _ = await api.call(
            "POST", "/api/v1/scans", api.brand_admin_token, json={"scans": items}
        )
        assert status == 200

    await upload(23)
    brand = await api.engine.brand(None)
    before = [s.id for s in await api.engine.ledger.list_scans(brand.id, ScanQuery(limit=10**6))]
    seen = [s["id"] for s in await _walk(api, "/api/v1/scans", "scans", 5, lambda: upload(2))]
    assert seen == sorted(set(seen))  # in order, none twice
    assert set(before) <= set(seen)  # every row that existed when the walk began
    after = [s.id for s in await api.engine.ledger.list_scans(brand.id, ScanQuery(limit=10**6))]
    assert seen == after  # and the ones added behind the cursor too
    status, body = await api.call("GET", "/api/v1/scans", api.brand_admin_token)
    assert status == 200 and len(body["scans"]) == min(100, len(after))  # the default page

    async def alert() -> None:
        await api.engine.ledger.append_alert(NewAlert(
            dt.datetime.now(dt.UTC), brand.id, AlertKind.CLONE_COUNT, "S", (), "{}"))  # fmt: skip

    for _ in range(11):
        await alert()
    seen = [a["id"] for a in await _walk(api, "/api/v1/alerts", "alerts", 4, alert)]
    every = [a.id for a in await api.engine.ledger.list_alerts(brand.id, limit=10**6)]
    assert seen == every and len(seen) >= 11


async def test_messages_walk_newest_first(api: Api) -> None:
    engine = api.engine
    found = await engine.accounts.store.find_user("admin@demo.example")
    assert found is not None
    admin = found[0].id

    async def send() -> None:
        await engine.notifier.notify_many([admin], MessageType.SYSTEM_NOTICE, "t", "b")

    for _ in range(10):
        await send()
    status, body = await api.call("GET", "/api/v1/messages?limit=500", api.brand_admin_token)
    assert status == 200
    existing = [m["id"] for m in body["messages"]]
    seen = [m["id"] for m in await _walk(api, "/api/v1/messages", "messages", 3, send)]
    # newer messages arrive above the cursor: the walk goes down and sees each old one once
    assert seen == existing and existing == sorted(existing, reverse=True)


async def test_dealers_and_grants_walk_by_cursor(api: Api) -> None:
    engine = api.engine
    brand = await engine.brand(None)
    t = of(engine.plugins.context("territories"))
    header = "code,name,kind,parent,contact,phone,regions,status\n"
    rows = "".join(f"D{i:02d},Dealer {i},distributor,,X,1380000{i:04d},CN-GD,active\n"
                   for i in range(12))  # fmt: skip
    status, body = await api.call(
        "POST", f"{T}/dealers/import", api.brand_admin_token, data=(header + rows).encode(),
        headers={"Content-Type": "text/csv"},
    )  # fmt: skip
    assert status == 200, body
    added = 0

    async def more_dealers() -> None:
        nonlocal added
        added += 1
        csv = header + f"N{added:02d},New {added},distributor,,X,1390000{added:04d},CN-GD,active\n"
        await t.dealers.import_csv(SYSTEM, brand.id, csv)

    before = [r[1].id for r in await t.dealers.tree(SYSTEM, brand.id)]
    nodes = await _walk(api, f"{T}/dealers", "dealers", 4, more_dealers)
    seen = [n["org_id"] for n in nodes]
    assert len(seen) == len(set(seen)) and set(before) <= set(seen)
    order = [r[1].id for r in await t.dealers.tree(SYSTEM, brand.id)]
    assert seen == [o for o in order if o in set(seen)]  # tree order

    d00 = (await t.dealers.find(brand.id, "D00")).org_id
    await approve(engine, d00, 1)
    provinces = iter(["CN-GD", "CN-ZJ", "CN-SH", "CN-BJ", "CN-JS", "CN-FJ", "CN-HN", "CN-HB",
                      "CN-SC", "CN-YN", "CN-GX", "CN-HA", "CN-SD", "CN-SX"])  # fmt: skip

    async def grant() -> None:
        await t.grants.grant(SYSTEM, brand.id, "D00", "*", next(provinces))

    for _ in range(7):
        await grant()
    grants = await _walk(api, f"{T}/grants", "grants", 3, grant)
    ids = [g["id"] for g in grants]
    every = [g.id for _, g in await t.grants.list(SYSTEM, brand.id)]
    assert ids == every and len(ids) >= 7


async def test_org_tree_and_users_walk_by_cursor(api: Api) -> None:
    """The dealer tree pages in tree order (parents before children) and users by id,
    also while organisations and users are added behind the cursor."""
    engine = api.engine
    root = await engine.accounts.brand_org(await engine.brand(None))
    added = 0

    async def grow() -> None:
        nonlocal added
        added += 1
        east = await engine.accounts.create_org(SYSTEM, root.id, OrgKind.DISTRIBUTOR, f"E{added}")
        await engine.accounts.create_org(SYSTEM, east.id, OrgKind.RETAILER, f"E{added} shop")
        await engine.accounts.create_user(
            SYSTEM, contact=f"u{added}@demo.example", display_name=f"U{added}",
            role=Role.RETAILER, org_id=east.id,
        )  # fmt: skip

    for _ in range(4):
        await grow()
    before = {o.path for o in await engine.accounts.org_tree(SYSTEM, root.id)}
    seen = await _walk(api, f"/api/v1/orgs/{root.id}/tree", "orgs", 3, grow)
    paths = [o["path"] for o in seen]
    assert paths == sorted(paths) and len(set(paths)) == len(paths)  # tree order, none twice
    assert before <= set(paths)  # every node that existed when the walk began
    users = [u["id"] for u in await _walk(api, "/api/v1/users", "users", 2, grow)]
    assert users == sorted(set(users))
    assert users == [u.id for u in await engine.accounts.list_users(SYSTEM, root.id)]

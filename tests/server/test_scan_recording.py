"""Scans are recorded, counted and shown back, over real HTTP on loopback."""

from __future__ import annotations

import asyncio

import aiohttp

from veriseal.models import ScanQuery
from veriseal.server.scan_context import DEVICE_COOKIE

from .conftest import Live

JSON = {"Accept": "application/json"}


async def test_second_scan_shows_the_first(live: Live) -> None:
    url = live.local(live.codes[0].uri)
    async with live.session.get(
        url, headers=JSON, params={"lat": "31.2304", "lon": "121.4737", "acc": "12"}
    ) as r:
        first = await r.json()
        assert DEVICE_COOKIE in r.cookies
    assert first["scan"]["previous_verifications"] == 0
    async with live.session.get(url, headers=JSON) as r:
        second = await r.json()
    assert second["outcome"] == "genuine"
    assert second["scan"]["previous_verifications"] == 1
    assert second["scan"]["first_location"] == {"lat": 31.23, "lon": 121.474}
    assert second["scan"]["id"] > first["scan"]["id"]
    async with live.session.get(url + "&noloc=1", headers={"Accept-Language": "zh-CN"}) as r:
        html = await r.text()
    assert 'id="history" data-count="2"' in html and "此前已被查询 2 次" in html
    stored = await live.engine.ledger.get_scan(first["scan"]["id"])
    loc = stored.scan.location
    assert loc is not None and (loc.lat, loc.lon, loc.accuracy_m) == (31.2304, 121.4737, 12.0)
    assert stored.scan.actor.startswith("device:") and stored.scan.index == 0


async def test_fakes_are_recorded_as_evidence_but_not_counted(live: Live) -> None:
    uri = live.local(live.codes[0].uri)
    serial = uri.split("/21/")[1].split("?")[0]
    fake = uri.replace(serial, serial[:-1] + ("2" if serial[-1] != "2" else "3"))
    async with live.session.get(fake, headers=JSON) as r:
        body = await r.json()
    assert body["outcome"] == "invalid" and body["scan"]["previous_verifications"] == 0
    stored = await live.engine.ledger.get_scan(body["scan"]["id"])
    assert stored.scan.brand_id is None and stored.scan.reason == "tag_mismatch"
    async with live.session.get(uri, headers=JSON) as r:
        assert (await r.json())["scan"]["previous_verifications"] == 0


async def test_concurrent_scans_share_commits_and_lose_nothing(live: Live) -> None:
    uris = [live.local(c.uri) for c in live.codes if c.pin is None]
    assert len(uris) >= 2
    groups_before = live.engine.committer.groups

    async def one(uri: str) -> tuple[str, int, int]:
        async with live.session.get(uri, headers=JSON) as r:
            scan = (await r.json())["scan"]
        return uri, int(scan["id"]), int(scan["previous_verifications"])

    answers = await asyncio.gather(*(one(uris[i % len(uris)]) for i in range(200)))
    ids = [scan_id for _, scan_id, _ in answers]
    assert len(set(ids)) == 200
    brand = await live.engine.brands.get("demo")
    stored = {s.id for s in await live.engine.ledger.list_scans(brand.id, ScanQuery(limit=10_000))}
    assert set(ids) <= stored
    groups = live.engine.committer.groups - groups_before
    assert groups < 200, groups  # group commit: fewer transactions than requests
    for uri in uris:  # and each code's scans judged in order, each with those before it
        mine = sorted((seen, scan_id) for u, scan_id, seen in answers if u == uri)
        assert [seen for seen, _ in mine] == list(range(len(mine)))
        assert [scan_id for _, scan_id in mine] == sorted(scan_id for _, scan_id in mine)


async def test_page_parameters_are_not_stored_as_part_of_the_code(live: Live) -> None:
    fake = live.base + "/01/09506000134352/10/DEMO-C1/21/C0000000000000000000?17=280518"
    async with live.session.get(fake + "&pin=48151623&lat=31.2&lon=121.4&noloc=1&lang=en") as r:
        assert r.status == 200
    stored = (await live.engine.ledger.list_scans(None))[-1].scan
    assert stored.outcome == "invalid"
    assert "48151623" not in stored.code and "lat=" not in stored.code
    assert stored.location is not None and stored.location.lat == 31.2


async def test_cookieless_clients_are_one_identity_for_the_devices_rule(live: Live) -> None:
    """A client that keeps no cookie gets a new device id on every request; its scans keep
    its network's digest, so the distinct-devices rule sees one identity, not six."""
    url = live.local(live.codes[0].uri)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as bare:
        bodies = []
        for _ in range(6):
            async with bare.get(url, headers=JSON) as r:
                bodies.append(await r.json())
    assert [b["outcome"] for b in bodies] == ["genuine"] * 6  # default: more than 4 devices
    stored = [(await live.engine.ledger.get_scan(b["scan"]["id"])).scan for b in bodies]
    assert len({s.actor for s in stored}) == 6 and len({s.client for s in stored}) == 1
    assert stored[0].client is not None and "127.0.0.1" not in stored[0].client
    # a browser keeps its cookie: only its first scan, which had none, keeps the network
    async with live.session.get(url, headers=JSON) as r:
        first = await r.json()
        cookie = r.cookies[DEVICE_COOKIE].value
    async with live.session.get(url, headers={**JSON, "Cookie": f"{DEVICE_COOKIE}={cookie}"}) as r:
        second = await r.json()
    one, two = [(await live.engine.ledger.get_scan(b["scan"]["id"])).scan for b in (first, second)]
    assert one.actor == two.actor and one.client is not None and two.client is None

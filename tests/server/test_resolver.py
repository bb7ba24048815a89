"""The resolver route and JSON API over real HTTP on loopback."""

from __future__ import annotations

from .conftest import Live

JSON = {"Accept": "application/json"}


async def test_browsers_are_asked_for_location_first(live: Live) -> None:
    url = live.local(live.codes[0].uri)
    brand = await live.engine.brands.get("demo")
    async with live.session.get(url, headers={"Accept-Language": "zh-CN"}) as r:
        html = await r.text()
    assert 'id="locating"' in html and "noloc=1" in html and "位置" in html
    assert await live.engine.ledger.list_scans(brand.id) == []  # nothing verified yet


async def test_verdict_page_in_both_languages(live: Live) -> None:
    url = live.local(live.codes[0].uri) + "&noloc=1"
    async with live.session.get(url, headers={"Accept-Language": "zh-CN,zh;q=0.9"}) as r:
        assert r.status == 200 and r.content_type == "text/html"
        html = await r.text()
    assert 'data-outcome="genuine"' in html and "正品" in html and "龙井" in html
    async with live.session.get(url, headers={"Accept-Language": "en-US"}) as r:
        html = await r.text()
    assert "Genuine" in html and 'lang="en"' in html
    async with live.session.get(url + "&lang=zh") as r:
        assert "正品" in await r.text()


async def test_json_verdicts(live: Live) -> None:
    for code in live.codes:
        async with live.session.get(live.local(code.uri), headers=JSON) as r:
            body = await r.json()
        assert r.status == 200
        expected = "pin_required" if code.pin else "genuine"
        assert body["outcome"] == expected, body
        if code.pin:
            sep = "&" if "?" in code.uri else "?"
            async with live.session.get(
                live.local(code.uri) + f"{sep}pin={code.pin}", headers=JSON
            ) as r:
                assert (await r.json())["outcome"] == "genuine"
            wrong = str((int(code.pin) + 1) % 10 ** len(code.pin)).zfill(len(code.pin))
            async with live.session.get(
                live.local(code.uri) + f"{sep}pin={wrong}", headers=JSON
            ) as r:
                assert (await r.json())["outcome"] == "pin_wrong"


async def test_fakes_and_garbage_are_verdicts_or_4xx_never_500(live: Live) -> None:
    uri = live.local(live.codes[0].uri)
    serial = uri.split("/21/")[1].split("?")[0]
    fake = uri.replace(serial, serial[:-2] + ("22" if serial[-2:] != "22" else "33"))
    async with live.session.get(fake, headers=JSON) as r:
        body = await r.json()
    assert r.status == 200 and body["outcome"] == "invalid" and body["reason"] == "tag_mismatch"
    for path in (
        "/01/123/21/X",
        "/01/09506000134352/21/%ZZ",
        "/01/09506000134352/10/a/10/b",
        "/api/v1/verify",
        "/api/v1/verify?code=%00",
        "/nothing-here",
    ):
        async with live.session.get(live.base + path, headers=JSON) as r:
            assert 200 <= r.status < 500, (path, r.status)
            body = await r.json()
            assert "outcome" in body or "error" in body


async def test_api_verify(live: Live) -> None:
    async with live.session.get(
        live.base + "/api/v1/verify", params={"code": live.codes[2].uri}
    ) as r:
        body = await r.json()
    assert body["outcome"] == "genuine" and body["code"]["profile"] == "signed"


async def test_linkset(live: Live) -> None:
    url = live.local(live.codes[0].uri)
    brand = await live.engine.brands.get("demo")
    before = len(await live.engine.ledger.list_scans(brand.id))
    sep = "&" if "?" in url else "?"
    for target, headers in (
        (url + sep + "linkType=all", {}),
        (url, {"Accept": "application/linkset+json"}),
    ):
        async with live.session.get(target, headers=headers) as r:
            assert r.status == 200 and r.content_type == "application/linkset+json"
            body = await r.json(content_type=None)
        links = body["linkset"][0]
        # the brand's configured resolver domain, never the request's Host header
        path = url.split("?")[0].split("/01/", 1)[1]
        assert links["anchor"] == f"https://{brand.resolver}/01/{path}"
        service = links["https://gs1.org/voc/verificationService"][0]["href"]
        assert service.startswith(f"https://{brand.resolver}/api/v1/verify?code=https")
        local = live.base + "/api/v1/verify?" + service.split("?", 1)[1]
        async with live.session.get(local) as r:
            assert (await r.json())["outcome"] == "genuine"
    assert len(await live.engine.ledger.list_scans(brand.id)) == before + 2  # the 2 service calls


async def test_linkset_ignores_the_host_header(live: Live) -> None:
    url = live.local(live.codes[0].uri)
    headers = {"Host": "evil.example", "Accept": "application/linkset+json"}
    async with live.session.get(url, headers=headers) as r:
        text = await r.text()
    assert r.status == 200 and "evil.example" not in text


async def test_linkset_of_an_unknown_gtin_is_404(live: Live) -> None:
    async with live.session.get(live.base + "/01/09506000134376/21/X?linkType=all") as r:
        assert r.status == 404 and (await r.json())["error"]["code"] == "product_not_found"

"""The verdict page and JSON verdict as a phone meets them, over real HTTP on loopback:
the PIN is posted (never put in a link), warning verdicts say what to do next, an
invalid code gets a real message, and the JSON message speaks the language asked."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from veriseal import demo
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.config import Config, sqlite_url
from veriseal.engine import Engine
from veriseal.models import ClonePolicy
from veriseal.server import make_app
from veriseal.server.app import Limits

from .conftest import Live, _free_port

JSON = {"Accept": "application/json"}
CONTACT = "mailto:quality@demo.example"


@pytest.fixture
async def contact_live(tmp_path: Path) -> AsyncIterator[Live]:
    """Like ``live``, with ``[server] report_contact`` set in the config."""
    key = tmp_path / "k.key"
    create_key_file(key)
    cfg = Config(
        path=None,
        db_url=sqlite_url(tmp_path / "l.sqlite3"),
        key_source=KeySource(key_file=key),
        server={"report_contact": CONTACT},
    )
    engine = await Engine.open(cfg)
    port = _free_port()
    codes = await demo.seed(engine, f"127.0.0.1:{port}")
    runner = web.AppRunner(make_app(engine, Limits(per_minute=0)))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with aiohttp.ClientSession() as session:
        yield Live(f"http://127.0.0.1:{port}", session, codes, engine)
    await runner.cleanup()
    await engine.close()


def _page_url(live: Live, uri: str) -> str:
    url = live.local(uri)
    return url + ("&" if "?" in url else "?") + "noloc=1"


def _links(html: str) -> list[str]:
    """Every URL the page makes: hrefs and form actions."""
    return re.findall(r'(?:href|action)="([^"]*)"', html)


def _fake(uri: str) -> str:
    serial = uri.split("/21/")[1].split("?", maxsplit=1)[0]
    return uri.replace(serial, serial[:-2] + ("22" if serial[-2:] != "22" else "33"))


async def test_pin_form_posts_and_no_link_carries_the_pin(live: Live) -> None:
    code = next(c for c in live.codes if c.pin)
    assert code.pin is not None
    url = _page_url(live, code.uri)
    async with live.session.get(url, headers={"Accept-Language": "zh"}) as r:
        html = await r.text()
    assert 'data-outcome="pin_required"' in html
    [(method, action)] = re.findall(r'<form method="(\w+)" action="([^"]*)"', html)
    assert method == "post" and "pin" not in action
    assert action.startswith("/01/") and "noloc=1" in action  # the link as requested
    wrong = str((int(code.pin) + 1) % 10 ** len(code.pin)).zfill(len(code.pin))
    async with live.session.post(live.base + action, data={"pin": wrong}) as r:
        html = await r.text()
    assert r.status == 200 and 'data-outcome="pin_wrong"' in html
    assert all("pin" not in link for link in _links(html))
    async with live.session.post(live.base + action, data={"pin": code.pin}) as r:
        html = await r.text()
    assert 'data-outcome="genuine"' in html
    assert all(code.pin not in link and "pin=" not in link for link in _links(html))
    # a PIN that came in a GET query (an old bookmark, an API habit) still verifies, and
    # the page's own links leave it out
    async with live.session.get(f"{url}&pin={code.pin}") as r:
        html = await r.text()
    assert 'data-outcome="genuine"' in html
    assert all("pin=" not in link for link in _links(html))


async def test_json_message_in_the_asked_language(live: Live) -> None:
    uri = live.local(live.codes[0].uri)
    async with live.session.get(uri, headers={**JSON, "Accept-Language": "zh-CN"}) as r:
        zh = await r.json()
    assert zh["outcome"] == "genuine" and "正品" in zh["message"]
    async with live.session.get(uri, headers={**JSON, "Accept-Language": "en"}) as r:
        assert "Genuine" in (await r.json())["message"]
    api = f"{live.base}/api/v1/verify"
    async with live.session.get(api, params={"code": _fake(uri), "lang": "zh"}) as r:
        body = await r.json()
    assert body["reason"] == "tag_mismatch" and body["message"] == "该码并非品牌发放，疑似假冒。"
    async with live.session.get(api, params={"code": _fake(uri)}) as r:
        assert (await r.json())["message"].isascii()  # no language asked: English


@pytest.mark.parametrize(("lang", "words"), [("zh", "请勿购买"), ("en", "Do not buy")])
async def test_fake_and_invalid_pages_say_what_to_do(live: Live, lang: str, words: str) -> None:
    fake = _page_url(live, _fake(live.codes[0].uri))
    async with live.session.get(fake + f"&lang={lang}") as r:
        html = await r.text()
    assert 'data-outcome="invalid"' in html and 'id="next-steps"' in html and words in html
    assert "12315" in html  # no brand contact configured: the regulator's hotline
    garbage = f"{live.base}/01/09506000134352/21/NOTACODE?noloc=1&lang={lang}"
    async with live.session.get(garbage) as r:
        html = await r.text()
    assert 'data-outcome="invalid"' in html and words in html
    assert "<dl></dl>" not in html  # no empty card


async def test_suspected_clone_page_links_the_brand_contact(contact_live: Live) -> None:
    live = contact_live
    brand = await live.engine.brands.get(demo.DEMO_BRAND)
    await live.engine.ledger.set_clone_policy(brand.id, None, ClonePolicy(max_verifications=1))
    url = _page_url(live, live.codes[0].uri)
    async with live.session.get(url) as r:
        assert 'data-outcome="genuine"' in await r.text()
        assert 'id="next-steps"' not in await r.text()
    async with live.session.get(url + "&lang=zh") as r:
        html = await r.text()
    assert 'data-outcome="suspected_clone"' in html and "请保留购物凭证" in html
    assert f'<a href="{CONTACT}">quality@demo.example</a>' in html

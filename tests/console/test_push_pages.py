"""The installable console and Web Push on the account page: the manifest and its icons,
the service worker at /console/ scope (in Debian's Chromium), showing a push message
delivered to it, and the console views that store and forget this browser's
subscription. (Headless Chromium cannot subscribe to a real push service here: the
delivery path is tests/notifications/test_webpush.py's, against a stand-in.)"""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image
from playwright.async_api import async_playwright

from tests.server.test_browser import CHROMIUM, FLAGS

from .conftest import ConsoleClient, ConsoleLive


def subscription(token: str) -> dict[str, Any]:
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    b64 = base64.urlsafe_b64encode
    return {
        "endpoint": f"https://fcm.googleapis.com/fcm/send/{token}",
        "expirationTime": None,
        "keys": {"p256dh": b64(point).rstrip(b"=").decode(),
                 "auth": b64(os.urandom(16)).rstrip(b"=").decode()},
    }  # fmt: skip


async def post_json(client: ConsoleClient, path: str, body: object) -> tuple[int, Any]:
    r = await client.raw("POST", path, json=body, headers={"X-CSRF-Token": client.csrf})
    return r.status, await r.json()


async def test_manifest_icons_and_worker_are_served(console: ConsoleLive) -> None:
    anon = await console.anonymous()
    status, html = await anon.get("/console/signin")
    assert status == 200 and 'rel="manifest"' in html
    r = await anon.raw("GET", "/console/static/manifest.webmanifest")
    assert r.headers["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(await r.text())
    assert manifest["name"] == "真证 Veriseal"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/console/", "/console/", "standalone")  # fmt: skip
    assert manifest["theme_color"] == "#0b5394"
    sizes = set()
    for icon in manifest["icons"]:
        async with anon.session.get(f"{console.base}/console/static/{icon['src']}") as r:
            assert r.status == 200 and r.headers["Content-Type"] == "image/png"
            png = await r.read()
        with Image.open(io.BytesIO(png)) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"]
        sizes.add(icon["sizes"])
    assert sizes == {"192x192", "512x512"}
    r = await anon.raw("GET", "/console/sw.js")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/javascript")
    assert r.headers["Service-Worker-Allowed"] == "/console/"
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert "showNotification" in await r.text()


async def test_the_console_stores_and_forgets_this_browsers_subscription(
    console: ConsoleLive,
) -> None:
    retailer = await console.client("retailer")
    status, html = await retailer.get("/console/account?lang=en")
    assert 'id="push-device"' in html and "Notify me on this device" in html
    assert "/console/static/push.js" in html
    sub = subscription("device-1")
    status, body = await post_json(retailer, "/console/me/push", {"subscription": sub})
    assert status == 201 and body["service"] == "fcm.googleapis.com", body
    user_id = console.user_ids["retailer"]
    [stored] = await console.engine.notifier.push.of_user(user_id)
    assert (stored.id, stored.lang, stored.endpoint) == (body["id"], "en", sub["endpoint"])
    # bad input: a JSON error for the script, nothing stored
    bad = {**sub, "keys": {**sub["keys"], "auth": "AAAA"}}
    status, body = await post_json(retailer, "/console/me/push", {"subscription": bad})
    assert (status, body["error"]["code"]) == (400, "push_subscription_invalid")
    status, body = await post_json(retailer, "/console/me/push", {"subscription": "x"})
    assert (status, body["error"]["code"]) == (400, "invalid_input")
    # another user cannot make it stop
    other = await console.client("distributor")
    status, body = await post_json(other, "/console/me/push/remove", {"endpoint": sub["endpoint"]})
    assert (status, body) == (200, {"removed": False})
    assert len(await console.engine.notifier.push.of_user(user_id)) == 1
    status, body = await post_json(
        retailer, "/console/me/push/remove", {"endpoint": sub["endpoint"]}
    )
    assert (status, body) == (200, {"removed": True})
    assert await console.engine.notifier.push.of_user(user_id) == []


async def test_chromium_installs_the_worker_at_console_scope_and_shows_a_push(
    console: ConsoleLive, tmp_path: Path
) -> None:
    """In Debian's Chromium at phone width: the manifest link, the service worker
    registered by the account page and active at /console/, and a push message
    delivered to it through DevTools (what a push service would hand the browser)
    shown as a notification that links into the console."""
    shots = Path(os.environ.get("VERISEAL_SCREENSHOTS", str(tmp_path)))
    login, pw = console.users["retailer"]
    blocked: list[str] = []
    async with async_playwright() as play:
        browser = await play.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            phone = await browser.new_context(
                locale="zh-CN", viewport={"width": 412, "height": 915}, is_mobile=True
            )
            await phone.grant_permissions(["notifications"], origin=console.base)
            page = await phone.new_page()
            page.on(
                "console",
                lambda m: blocked.append(m.text) if "Content Security" in m.text else None,
            )
            await page.goto(console.base + "/console/signin")
            await page.fill("input[name=identifier]", login)
            await page.fill("input[name=password]", pw)
            await page.click("form[action='/console/signin'] button[type=submit]")
            await page.wait_for_url("**/console/")
            manifest = await page.get_attribute("link[rel=manifest]", "href")
            assert manifest is not None and manifest.startswith("/console/static/manifest")
            await page.goto(console.base + "/console/account")
            worker = await page.evaluate(
                "navigator.serviceWorker.ready.then(r => new Promise(done => {"
                " const w = r.active; if (w.state === 'activated') return done(r);"
                " w.addEventListener('statechange', () => w.state === 'activated' && done(r));"
                "})).then(r => ({scope: r.scope, state: r.active.state,"
                " script: r.active.scriptURL}))"
            )
            assert worker == {
                "scope": console.base + "/console/",
                "state": "activated",
                "script": console.base + "/console/sw.js",
            }
            await page.wait_for_selector("#push-on", state="visible")
            assert await page.inner_text("#push-on") == "在此设备接收通知"
            assert await page.get_attribute("#push-device", "data-subscribed") == "no"
            await page.screenshot(
                path=str(shots / "console-account-push-phone.png"), full_page=True
            )

            cdp = await phone.new_cdp_session(page)
            registrations: list[dict[str, Any]] = []
            cdp.on("ServiceWorker.workerRegistrationUpdated",
                   lambda e: registrations.extend(e["registrations"]))  # fmt: skip
            await cdp.send("ServiceWorker.enable")
            await page.wait_for_function("true")  # let the events arrive
            for _ in range(50):
                if any(r["scopeURL"].endswith("/console/") for r in registrations):
                    break
                await page.wait_for_timeout(100)
            [reg] = [r for r in registrations if r["scopeURL"].endswith("/console/")][:1]
            payload = {"title": "疑似窜货", "body": "码 0123 出现在辖区外",
                       "type": "diversion_alert", "url": "/console/messages",
                       "tag": "vs_test"}  # fmt: skip
            await cdp.send("ServiceWorker.deliverPushMessage", {
                "origin": console.base + "/", "registrationId": reg["registrationId"],
                "data": json.dumps(payload, ensure_ascii=False)})  # fmt: skip
            shown = await page.evaluate(
                "(async () => { const r = await navigator.serviceWorker.ready;"
                " for (let i = 0; i < 50; i++) { const n = await r.getNotifications();"
                "  if (n.length) return n.map(x => [x.title, x.body, x.tag, x.data.url]);"
                "  await new Promise(ok => setTimeout(ok, 100)); } return []; })()"
            )
            assert shown == [
                ["疑似窜货", "码 0123 出现在辖区外", "vs_test", console.base + "/console/messages"]
            ]
        finally:
            await browser.close()
    assert blocked == []

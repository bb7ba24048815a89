"""The vendored htmx on the real console under its CSP: no violation, and a request it
sends carries the session's CSRF token from <body hx-headers> (htmx 2 inheritance)."""

from __future__ import annotations

from playwright.async_api import async_playwright

from .browser import PHONE, launch, page_errors
from .conftest import ConsoleLive

# An htmx form without the _csrf field: only the header htmx adds can let it through.
_PROBE = """() => {
  const form = document.createElement('form');
  form.setAttribute('hx-post', '/console/account/profile');
  form.setAttribute('hx-target', 'this');
  form.setAttribute('hx-swap', 'outerHTML');
  form.innerHTML = '<input name="display_name" value="Via htmx">'
    + '<button id="probe" type="submit">Save</button>';
  document.querySelector('main').append(form);
  htmx.process(form);
}"""


async def test_htmx_sends_the_csrf_header_and_breaks_no_csp(console: ConsoleLive) -> None:
    login, password = console.users["consumer"]
    async with async_playwright() as pw:
        browser = await launch(pw)
        try:
            page = await (await browser.new_context(viewport=PHONE)).new_page()
            errors = page_errors(page)
            await page.goto(f"{console.base}/console/signin?lang=en")
            await page.fill("input[name=identifier]", login)
            await page.fill("input[name=password]", password)
            await page.click("form[action='/console/signin'] button[type=submit]")
            await page.wait_for_url("**/console/**")
            await page.goto(f"{console.base}/console/account")
            assert await page.evaluate("() => typeof htmx") == "object"
            await page.evaluate(_PROBE)
            async with page.expect_response("**/console/account/profile") as answer:
                await page.click("#probe")
            response = await answer.value
            sent = await response.request.all_headers()
            assert sent["hx-request"] == "true"
            assert sent["x-csrf-token"] == await page.evaluate("() => document.body.dataset.csrf")
            assert response.status == 303  # saved, then "see the page" (a 403 without CSRF)
            user = await console.engine.accounts.store.get_user(console.user_ids["consumer"])
            assert user.display_name == "Via htmx"
            assert errors == [], "\n".join(errors)  # no inline <style>, no eval
        finally:
            await browser.close()

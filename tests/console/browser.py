"""Browser helpers for the console's tests: Debian Chromium via Playwright, screenshots,
axe-core accessibility checks, and fake camera video.

- :func:`launch` starts /usr/bin/chromium headless with the flags this closed machine
  needs (as tests/server/test_browser.py); ``fake_video=<file.y4m>`` makes that file the
  camera (and grants camera permission without a prompt), ``fake_media=True`` a synthetic
  camera instead.
- :data:`PHONE`, :data:`DESKTOP`: viewports.
- :func:`shot` saves a PNG under ``$VERISEAL_SCREENSHOTS`` or else the current test's
  ``shots_dir`` (the autouse fixture in tests/console/conftest.py: tmp_path/"screenshots").
- :func:`axe` runs axe-core (node_modules/axe-core, installed by scripts/bootstrap) on the
  page and returns the violations; :func:`serious` keeps the serious and critical ones.
  The page's CSP stays ON: axe's source is evaluated through the DevTools protocol, which
  a page's ``script-src 'self'`` does not govern (an injected <script> tag would be
  blocked, and ``bypass_csp`` would hide the CSP errors the tests must see).
  Likewise give ``page.wait_for_function`` a function (``"() => x > 1"``): a bare
  expression is polled with ``eval`` inside the page, which the CSP refuses.
- :func:`serve` runs an aiohttp app on loopback (for pages made up by a test);
  :func:`with_csp` is a middleware sending the console's security headers (its CSP and
  Permissions-Policy), :func:`console_assets` mounts the console's static files and map
  shapes, and :func:`page_errors` collects a page's console errors (CSP violations show
  there).
- :func:`write_y4m` writes a still image as a short Y4M video for ``fake_video``.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from aiohttp import web
from playwright.async_api import Browser, ConsoleMessage, Error, Page, Playwright, ViewportSize

from veriseal.console import assets
from veriseal.console.geo import geo_handler
from veriseal.console.site import SECURITY_HEADERS

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Flags this machine's closed network needs (no background calls home), see env docs.
FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# A camera without a person: the permission prompt auto-accepted, a fake capture device.
FAKE_MEDIA = ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")

PHONE: ViewportSize = {"width": 412, "height": 915}
DESKTOP: ViewportSize = {"width": 1366, "height": 900}

_shots: list[Path] = []  # the current test's folder (set by the shots_dir fixture)


async def launch(
    pw: Playwright,
    *,
    fake_video: Path | None = None,
    fake_media: bool = False,
    args: Sequence[str] = (),
) -> Browser:
    """Debian's Chromium, headless. ``fake_video``: a Y4M file the camera shows (looped);
    ``fake_media``: a synthetic camera. Either grants camera access without a prompt.
    ``args``: more command-line flags."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is required: scripts/test installs it (apt-get install chromium)")
    args = [*FLAGS, *args]
    if fake_video is not None or fake_media:
        args = [*args, *FAKE_MEDIA]
    if fake_video is not None:
        args = [*args, f"--use-file-for-fake-video-capture={fake_video}"]
    return await pw.chromium.launch(executable_path=CHROMIUM, args=list(args))


def set_shots_dir(folder: Path | None) -> None:
    """Where :func:`shot` writes when $VERISEAL_SCREENSHOTS is unset (the fixture's job)."""
    _shots.clear()
    if folder is not None:
        _shots.append(folder)


def shots_folder() -> Path:
    env = os.environ.get("VERISEAL_SCREENSHOTS")
    if env:
        return Path(env)
    if _shots:
        return _shots[0]
    return Path(tempfile.gettempdir()) / "veriseal-screenshots"


async def shot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """A PNG screenshot of the page named ``name`` (.png added); its path."""
    folder = shots_folder()
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "-", name).strip("-") or "page"
    path = folder / (stem if stem.endswith(".png") else f"{stem}.png")
    await page.screenshot(path=str(path), full_page=full_page)
    return path


_RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    description: v.description, tags: v.tags,
    nodes: v.nodes.map((n) => ({
      target: n.target, html: n.html, failureSummary: n.failureSummary,
    })),
  }));
}"""


async def axe(page: Page, tags: Sequence[str] = ("wcag2a", "wcag2aa")) -> list[dict[str, Any]]:
    """The axe-core violations of the page for these rule tags (WCAG 2 A and AA)."""
    if not AXE_JS.exists():
        pytest.fail("axe-core is required: scripts/bootstrap installs it (npm ci)")
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated by the DevTools protocol, not as a page script: the CSP allows it.
        await page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = await page.evaluate(_RUN_AXE, list(tags))
    return violations


def serious(violations: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The violations of impact serious or critical."""
    return [v for v in violations if v.get("impact") in {"serious", "critical"}]


def describe(violations: Iterable[dict[str, Any]]) -> str:
    """One line per violation and node, for assertion messages."""
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {n['target']}"
        for v in violations
        for n in v["nodes"]
    )


def symbol_frame(
    modules: npt.NDArray[np.bool_], *, scale: int, quiet: int, size: tuple[int, int] = (640, 480)
) -> npt.NDArray[np.uint8]:
    """A grey frame ``size`` (width, height) with the symbol (True = dark) drawn at
    ``scale`` pixels per module, centred, with ``quiet`` light modules around it."""
    width, height = size
    padded = np.pad(modules, quiet, constant_values=False)
    img = np.kron(np.where(padded, 0, 255).astype(np.uint8), np.ones((scale, scale), np.uint8))
    h, w = img.shape
    if w > width or h > height:
        raise ValueError(f"a {w}x{h} symbol does not fit a {width}x{height} frame")
    frame = np.full((height, width), 255, np.uint8)
    top, left = (height - h) // 2, (width - w) // 2
    frame[top : top + h, left : left + w] = img
    return frame


def write_y4m(path: Path, gray: npt.NDArray[np.uint8], *, frames: int = 10, fps: int = 10) -> Path:
    """``gray`` (height, width; both even) as a Y4M 4:2:0 video of ``frames`` identical
    frames: the format Chromium's fake camera reads (and loops)."""
    height, width = gray.shape
    if width % 2 or height % 2:
        raise ValueError("4:2:0 needs even dimensions")
    chroma = np.full((height // 2) * (width // 2), 128, np.uint8).tobytes()  # neutral: grey
    header = f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii")
    frame = b"FRAME\n" + np.ascontiguousarray(gray, np.uint8).tobytes() + chroma + chroma
    path.write_bytes(header + frame * frames)
    return path


#: The console's Content-Security-Policy (no inline script or style anywhere)
CSP = SECURITY_HEADERS["Content-Security-Policy"]


@web.middleware
async def with_csp(request: web.Request, handler: Any) -> web.StreamResponse:
    """The console's security headers (CSP, Permissions-Policy, ...) on every response."""
    response: web.StreamResponse = await handler(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def console_assets(app: web.Application) -> web.Application:
    """Mount the console's real static files and the province shapes on a test app, at
    their console paths (/console/static/..., /console/geo/cn-provinces.json)."""
    app.router.add_get("/console/static/{name:.+}", assets.serve)
    app.router.add_get("/console/geo/cn-provinces.json", geo_handler)
    return app


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Run ``app`` on 127.0.0.1 (a free port); yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def page_errors(page: Page) -> list[str]:
    """A list that fills with the page's console errors and uncaught exceptions."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    def on_error(error: Error) -> None:
        errors.append(f"{error.name}: {error.message}\n{error.stack}")

    page.on("console", on_console)
    page.on("pageerror", on_error)
    return errors

"""Static files of the console and of plugins' pages, with cache headers.

``static_url("vendor/htmx.min.js")`` gives ``/console/static/vendor/htmx.min.js?v=<hash>``:
the content hash in the URL lets browsers keep the file for a year (``immutable``),
and a new release changes the URL. Plugins' files live in ``<package>/pages/static/``
and are named ``p/<package>/<file>``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import mimetypes
from pathlib import Path

from aiohttp import web

CORE_STATIC = Path(__file__).parent / "static"
PREFIX = "/console/static/"
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
          ".webmanifest": "application/manifest+json", ".json": "application/json",
          ".svg": "image/svg+xml", ".png": "image/png", ".wasm": "application/wasm"}  # fmt: skip


@functools.cache
def _package_static(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "pages" / "static"


def locate(name: str) -> Path | None:
    """The file behind a static name, or None (also for any path escaping its folder)."""
    parts = name.split("/")
    if not name or any(p in ("", ".", "..") or "\\" in p for p in parts):
        return None
    if parts[0] == "p" and len(parts) >= 3:
        root = _package_static(parts[1])
        rest = parts[2:]
    else:
        root, rest = CORE_STATIC, parts
    if root is None:
        return None
    path = root.joinpath(*rest)
    return path if path.is_file() else None


@functools.cache
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """The versioned URL of a static file (``ValueError`` for a missing one: a
    template naming a file that does not exist fails its test, not a browser)."""
    path = locate(name)
    if path is None:
        raise ValueError(f"no console static file {name!r}")
    return f"{PREFIX}{name}?v={_digest(path)}"


async def serve(request: web.Request) -> web.StreamResponse:
    """GET /console/static/{name}: the file, immutable when asked by its current hash."""
    name = request.match_info["name"]
    path = locate(name)
    if path is None:
        raise web.HTTPNotFound()
    digest = _digest(path)
    etag = f'"{digest}"'
    headers = {"ETag": etag, "X-Content-Type-Options": "nosniff"}
    if request.query.get("v") == digest:
        headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        headers["Cache-Control"] = "no-cache"
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    kind = (
        _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )
    return web.Response(body=path.read_bytes(), content_type=kind, headers=headers)

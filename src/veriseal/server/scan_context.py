"""Who is scanning and where, from the request: device cookie and optional location
(the device's own fix; failing that, where the client's address places it)."""

from __future__ import annotations

import base64
import math
import os

from aiohttp import web

from veriseal.models import Location, LocationSource, ScanChannel
from veriseal.scanning.identities import client_key
from veriseal.scanning.service import ScanContext
from veriseal.server.client_ip import client_network

DEVICE_COOKIE = "vs_device"
#: how fast the holder of a stale fix may have moved since (m/s: 108 km/h, a motorway)
STALE_FIX_SPEED_MS = 30.0
#: a fix younger than this is current (a fresh fix is reported a second or so late)
FRESH_FIX_S = 120.0
_COOKIE_AGE = 2 * 365 * 24 * 3600
_ID_BYTES = 16  # 128 random bits, as secrets.token_urlsafe(16) gave
_IDS_PER_READ = 256


class FreshIds:
    """New device ids: 16 bytes of the operating system's CSPRNG each, URL-safe base64
    without padding (22 characters), read :data:`_IDS_PER_READ` ids at a time.

    One ``getrandom(2)`` per id cost several microseconds of a cookie-less verify request
    (issue 20); a read per 256 ids amortises it and the ids stay just as unpredictable.
    Contract: no id is handed out twice, by this process or another: a forked process
    drops what its parent had read (:func:`os.register_at_fork`), and threads taking ids
    at once each pop a different one (``list.pop`` is atomic; a refill racing another
    only drops unused ids)."""

    def __init__(self) -> None:
        self._ids: list[str] = []

    def take(self) -> str:
        try:
            return self._ids.pop()
        except IndexError:
            block = os.urandom(_ID_BYTES * _IDS_PER_READ)
            ids = [
                base64.urlsafe_b64encode(block[i : i + _ID_BYTES]).rstrip(b"=").decode("ascii")
                for i in range(0, len(block), _ID_BYTES)
            ]
            first = ids.pop()
            self._ids = ids
            return first

    def forget(self) -> None:
        """Drop the ids read so far (in a forked child: they are its parent's)."""
        self._ids = []


FRESH_IDS = FreshIds()
os.register_at_fork(after_in_child=FRESH_IDS.forget)


def device_id(request: web.Request) -> tuple[str, bool]:
    """The anonymous device id from its cookie, or a new one (``True`` when new)."""
    found = request.cookies.get(DEVICE_COOKIE, "")
    if (
        16 <= len(found) <= 64
        and found.isascii()
        and found.replace("-", "").replace("_", "").isalnum()
    ):
        return found, False
    return FRESH_IDS.take(), True


def set_device_cookie(response: web.StreamResponse, device: str) -> None:
    """Give the device its cookie. ``device`` holds URL-safe characters only (see
    :func:`device_id`), so the header is written directly: aiohttp's ``set_cookie``
    goes through ``http.cookies``, a measurable share of a verify request."""
    response.headers.add(
        "Set-Cookie",
        f"{DEVICE_COOKIE}={device}; HttpOnly; Max-Age={_COOKIE_AGE}; Path=/; SameSite=Lax",
    )


def _number(text: str | None, low: float, high: float) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and low <= value <= high else None


def location(request: web.Request) -> Location | None:
    """``lat``, ``lon`` and optional ``acc`` (metres) and ``age`` (seconds since the fix
    was taken) query parameters, as the verdict page sends them from the browser's
    geolocation after consent; a fix older than :data:`FRESH_FIX_S` has its accuracy grown
    by :data:`STALE_FIX_SPEED_MS` per second of age. Out-of-range or malformed
    values are ignored: a location is evidence we may lack, never a reason to fail."""
    lat = _number(request.query.get("lat"), -90.0, 90.0)
    lon = _number(request.query.get("lon"), -180.0, 180.0)
    if lat is None or lon is None:
        return None
    acc = _number(request.query.get("acc"), 0.0, 1_000_000.0)
    age = _number(request.query.get("age"), 0.0, 10.0 * 365 * 86400)
    if age is not None and age > FRESH_FIX_S:
        # a cached fix (the browser's maximumAge, an app's last known position) says where
        # the phone WAS: grant it the distance a traveller covers meanwhile
        acc = min((acc or 0.0) + age * STALE_FIX_SPEED_MS, 1_000_000.0)
    return Location(lat, lon, acc, LocationSource.GPS)


def context(
    request: web.Request,
    channel: ScanChannel,
    device: str,
    new: bool = False,
    user_id: int | None = None,
) -> ScanContext:
    """The scan's context. A device fix always wins; without one, the client address's
    place (source ``ip``, weak evidence) when ``[server] ip_location`` is on. For a
    device that presented no cookie (``new``), also its client network's digest (see
    veriseal.scanning.identities), from the same client address the IP location uses.
    ``user_id``: the signed-in user (a console session), recorded with the scan only."""
    network = client_network(request)
    found = location(request) or network.ip_location(request)
    client = client_key(network.client_address(request)) if new else None
    return ScanContext(
        channel=channel, actor=f"device:{device}", location=found, client=client, user_id=user_id
    )

"""HTTP for the providers: aiohttp with a timeout, JSON answers, one error for
"could not talk to the provider".

A session per call: sign-ins are rare (a few per user per day), so connection reuse
saves nothing worth a session's lifecycle on the engine.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp

from veriseal.accounts.external.errors import ExternalProviderUnavailable

log = logging.getLogger("veriseal.accounts.external")

TIMEOUT = aiohttp.ClientTimeout(total=15)
#: Larger answers are refused: discovery documents, key sets and tokens are a few KiB.
MAX_BODY = 1 << 20


async def request(
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, str]:
    """``(status, body text)``. ``ExternalProviderUnavailable`` for a network failure,
    a timeout or an oversized answer."""
    try:
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as session,
            session.request(
                method, url, params=params, data=data, headers=headers, allow_redirects=False
            ) as resp,
        ):
            body = await resp.content.read(MAX_BODY + 1)
            if len(body) > MAX_BODY:
                raise ExternalProviderUnavailable(f"{url}: answer larger than {MAX_BODY} bytes")
            return resp.status, body.decode(resp.charset or "utf-8", errors="replace")
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("sign-in provider %s unreachable: %r", url, exc)
        raise ExternalProviderUnavailable(f"cannot reach {url}") from None


def json_object(url: str, text: str) -> dict[str, Any]:
    """``text`` as a JSON object, whatever the content type said (WeChat answers JSON as
    text/plain). ``ExternalProviderUnavailable`` if it is not one."""
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        log.warning("sign-in provider %s answered non-JSON: %.200r", url, text)
        raise ExternalProviderUnavailable(f"{url} did not answer a JSON object")
    return value


async def get_json(
    url: str, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    status, text = await request("GET", url, params=params, headers=headers)
    return status, json_object(url, text)


async def post_form(
    url: str, data: Mapping[str, str], headers: Mapping[str, str] | None = None
) -> tuple[int, str]:
    return await request("POST", url, data=data, headers=headers)

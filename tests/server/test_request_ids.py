"""Request ids: every answer names its request (header and error body alike), a sane id
a proxy set is kept, and new ids differ from request to request and from worker to
worker (``serve --workers`` forks: the generator is reseeded in each child)."""

from __future__ import annotations

import os
import re

import aiohttp
import pytest

from veriseal.server import app as server_app

from .conftest import Api

SQLITE = pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)

_NEW_ID = re.compile(r"[0-9a-f]{16}")


async def _missing(api: Api, headers: dict[str, str] | None = None) -> tuple[str, str]:
    """(header id, body id) of a request for a missing page."""
    async with (
        aiohttp.ClientSession() as s,
        s.get(api.base + "/api/v1/no-such-thing", headers=headers or {}) as resp,
    ):
        assert resp.status == 404
        body = await resp.json()
        return resp.headers[server_app.REQUEST_HEADER], body["error"]["request_id"]


@SQLITE
async def test_each_request_gets_its_own_id(api: Api) -> None:
    seen = set()
    for _ in range(50):
        header, body = await _missing(api)
        assert header == body and _NEW_ID.fullmatch(header), header
        seen.add(header)
    assert len(seen) == 50


@SQLITE
async def test_a_sane_id_from_a_proxy_is_kept_and_an_odd_one_replaced(api: Api) -> None:
    assert await _missing(api, {"X-Request-Id": "edge-7.42_a"}) == ("edge-7.42_a",) * 2
    header, body = await _missing(api, {"X-Request-Id": "no spaces <or> tags"})
    assert header == body and _NEW_ID.fullmatch(header)


def test_a_forked_worker_draws_other_ids_than_its_parent() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, then out without running any cleanup
        try:
            os.write(write, server_app._IDS.getrandbits(64).to_bytes(8, "big"))
        finally:
            os._exit(0)
    os.close(write)
    child = int.from_bytes(os.read(read, 8), "big")
    os.close(read)
    os.waitpid(pid, 0)
    # without the reseed the child's next id would be exactly the parent's next one
    assert child != server_app._IDS.getrandbits(64)

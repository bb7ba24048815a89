"""A stand-in for 快递100's query API on loopback, speaking its protocol: a form POST to
``/poll/query.do`` with ``customer``, ``param`` and ``sign`` = upper MD5(param + key +
customer); answers in 快递100's shape. It records the queries it got."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

CUSTOMER = "CUST0001"
KEY = "kd100-key"


@dataclass
class Standin:
    """Waybills it knows (``(com, num)`` -> checkpoints, newest first), its queries."""

    tracks: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    queries: list[dict[str, Any]] = field(default_factory=list)
    down: bool = False
    url: str = ""

    async def query(self, request: web.Request) -> web.Response:
        if self.down:
            return web.Response(status=503, text="maintenance")
        form = await request.post()
        customer, param, sign = (str(form.get(k, "")) for k in ("customer", "param", "sign"))
        expected = hashlib.md5((param + KEY + customer).encode()).hexdigest().upper()
        if customer != CUSTOMER or sign != expected:
            return web.json_response({"result": False, "returnCode": "601",
                                      "message": "key已过期或签名错误"})  # fmt: skip
        p = json.loads(param)
        self.queries.append(p)
        rows = self.tracks.get((p["com"], p["num"]))
        if rows is None:
            return web.json_response({"result": False, "returnCode": "500",
                                      "message": "查询无结果，请隔段时间再查"})  # fmt: skip
        return web.json_response({
            "message": "ok", "nu": p["num"], "ischeck": "0", "com": p["com"],
            "status": "200", "state": "0", "condition": "F00", "data": rows,
        })  # fmt: skip


@asynccontextmanager
async def serving() -> AsyncIterator[Standin]:
    """The stand-in listening on 127.0.0.1 (a free port); ``.url`` is its base URL."""
    standin = Standin()
    app = web.Application()
    app.router.add_post("/poll/query.do", standin.query)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    standin.url = f"http://127.0.0.1:{port}"
    try:
        yield standin
    finally:
        await runner.cleanup()

"""Serving the app: an ``AppRunner`` whose protocol-level errors speak our JSON.

Requests that never reach the app (a request line or header over aiohttp's limits, a
malformed request) are answered by aiohttp's protocol handler, which by default
replies ``text/plain`` with the parser's message (and so the client's raw bytes) and
logs a traceback per request. :class:`ApiRunner` answers them like every other error,
``{"error": {"code": "http_<status>", "message": ...}}`` with a fixed message, and logs
one line: a flood of bad requests must not become a flood of tracebacks.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

log = logging.getLogger("veriseal.server")


class _JsonErrors(RequestHandler):
    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500:
            log.error("request from %s failed in the protocol layer", request.remote,
                      exc_info=exc)  # fmt: skip
        else:
            log.warning("bad request from %s: %s %s", request.remote, status,
                        type(exc).__name__ if exc else "")  # fmt: skip
        if request.writer.output_size > 0:
            raise ConnectionError("a response was already sent on this connection")
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        body = {"error": {"code": f"http_{status}", "message": phrase}}
        response = web.Response(
            status=status, text=json.dumps(body), content_type="application/json"
        )
        response.force_close()
        return response


class _Server(web.Server):
    def __call__(self) -> RequestHandler:
        return _JsonErrors(self, loop=self._loop, **self._kwargs)


class ApiRunner(web.AppRunner):
    """``web.AppRunner`` with JSON protocol errors (use it wherever the app is served)."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # same object, one overridden factory method: the connection handler class
        server.__class__ = _Server
        return server

"""Requests the app never sees (over-long request lines and headers, garbage) are
answered in the JSON error format without echoing the client's bytes, and log one
line each, not a traceback."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from .conftest import Api

SECRET = "ECHO-ME-" + "x" * 9000


async def _raw(api: Api, request: bytes) -> tuple[int, dict[str, str], bytes]:
    host, port = api.base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "request_bytes",
    [
        f"GET /api/v1/verify?code={SECRET} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
        f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {SECRET}\r\n\r\n".encode(),
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\x01: " + SECRET.encode() + b"\r\n\r\n",
    ],
    ids=["long-line", "long-header", "malformed-header"],
)
async def test_protocol_errors_are_json_and_logged_once(
    api: Api, request_bytes: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    status, headers, body = await _raw(api, request_bytes)
    assert 400 <= status < 500
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert error["code"] == f"http_{status}" and error["message"]
    assert b"ECHO-ME" not in body
    # (the access log line is not an error log; veriseal serve turns it off)
    records = [
        r for r in caplog.records
        if r.name.startswith(("aiohttp", "veriseal")) and r.name != "aiohttp.access"
    ]  # fmt: skip
    assert len(records) == 1 and records[0].exc_info is None, records

"""HTTP routes of the hello plugin, declared like the core's (``veriseal.Endpoint``)."""

from __future__ import annotations

from veriseal import Call, Endpoint
from veriseal.extend import plugin_context
from veriseal_hello.models import HELLO_READ, NAME
from veriseal_hello.service import of


async def counts_route(call: Call) -> dict[str, int]:
    """Scans counted since the plugin was enabled, by country (platform admins)."""
    return await of(plugin_context(call, NAME)).counts(call.who)


ROUTES = [
    Endpoint("GET", "/api/v1/hello/counts", counts_route, HELLO_READ,
             "Scans recorded since the plugin was enabled, by country", tag="hello"),
]  # fmt: skip

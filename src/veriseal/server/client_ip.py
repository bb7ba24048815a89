"""Who the client is on the network, and where that address places it.

Settings (``[server]`` section of the config)::

    trusted_proxies = ["127.0.0.1/32", "10.0.0.0/8"]  # default []: trust no header
    ip_location = true  # default: a scan without a device location gets one from its IP

The client address is the TCP peer, unless the peer is a trusted proxy: then it is the
right-most ``X-Forwarded-For`` entry that no trusted proxy added (proxies append the
address they received from; entries further left are whatever the client chose to
send, so they are never believed). With no trusted proxies the header is ignored: any
client could otherwise pick the address, and so the place, that it is judged by.

An address's place (:meth:`ClientNetwork.ip_location`) is weak evidence: province-level
at best, wrong behind a VPN or carrier NAT (see docs/regions.md). It is used only when the
device gave no location, never instead of one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from veriseal.errors import ConfigError
from veriseal.models import Location
from veriseal.regions.ipgeo import default_ip_locator

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_FOR = "X-Forwarded-For"
_MAX_HOPS = 32  # a longer chain is not worth walking: nobody runs 32 proxies


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        found = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # a proxy that accepts IPv4 on an IPv6 socket reports ::ffff:a.b.c.d
    mapped = getattr(found, "ipv4_mapped", None)
    return mapped if mapped is not None else found


@dataclass(frozen=True)
class ClientNetwork:
    """The ``[server]`` settings on client addresses, parsed once per app."""

    trusted_proxies: tuple[Network, ...] = ()
    locate_by_ip: bool = True  # the ip_location setting

    @classmethod
    def from_settings(cls, server: Mapping[str, Any]) -> ClientNetwork:
        """Parse ``trusted_proxies`` (CIDR blocks or single addresses) and
        ``ip_location`` (a boolean); :class:`ConfigError` names a wrong value."""
        proxies = server.get("trusted_proxies", [])
        if not isinstance(proxies, list) or not all(isinstance(p, str) for p in proxies):
            raise ConfigError('[server] trusted_proxies must be a list such as ["127.0.0.1/32"]')
        networks = []
        for entry in proxies:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                raise ConfigError(f"[server] trusted_proxies: {entry!r} is not an address"
                                  " or CIDR block") from None  # fmt: skip
        enabled = server.get("ip_location", True)
        if not isinstance(enabled, bool):
            raise ConfigError("[server] ip_location must be true or false")
        return cls(tuple(networks), enabled)

    def _trusted(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return address is not None and any(
            address.version == n.version and address in n for n in self.trusted_proxies
        )

    def client_address(self, request: web.BaseRequest) -> str | None:
        """The client's address (see the module's description), or None when the peer
        is unknown or a trusted proxy sent a malformed ``X-Forwarded-For``."""
        peer = request.remote
        if not self.trusted_proxies or peer is None:
            return peer
        current = _address(peer)
        if not self._trusted(current):
            return peer
        hops = [h for v in request.headers.getall(FORWARDED_FOR, []) for h in v.split(",")]
        for hop in reversed(hops[-_MAX_HOPS:]):
            current = _address(hop)
            if current is None:
                return None  # the chain is broken: no address can be believed
            if not self._trusted(current):
                return str(current)
        # every hop is a proxy of ours (or there is no header): the last one is the client
        return str(current) if current is not None else peer

    def ip_location(self, request: web.BaseRequest) -> Location | None:
        """Where the client's address places it (source ``ip``, accuracy the honest
        radius), or None: switched off, unknown, private, IPv6 or not in the data."""
        if not self.locate_by_ip:
            return None
        address = self.client_address(request)
        fix = default_ip_locator().locate(address) if address else None
        return fix.location() if fix is not None else None


#: the app's settings; a request of an app without them uses the defaults
CLIENT_NETWORK = web.AppKey("client_network", ClientNetwork)
_DEFAULT = ClientNetwork()


def client_network(request: web.BaseRequest) -> ClientNetwork:
    app = getattr(request, "app", None)
    return app.get(CLIENT_NETWORK, _DEFAULT) if app is not None else _DEFAULT

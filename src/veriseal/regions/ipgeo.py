"""Offline IP geolocation: a client address -> country, Chinese province, city, with an
honest radius. Weak evidence only (see docs/regions.md, "Locations from IP addresses").

The data (``data/ipv4.npz`` and ``data/ipfix.tsv``, built by
``scripts/build_ipgeo_data.py`` from the ip2region database shipped on npm, anchored on
the GeoNames places of ``data/places.npz``) covers every IPv4 address: ranges sorted by
their first address, each naming one answer (or none). Provinces and cities are known in
China only; elsewhere an answer is country-level.

Contract:

- :meth:`IpLocator.locate` never raises, whatever the string: a malformed address, a
  special-purpose one (private, loopback, link-local, shared, documentation, multicast,
  reserved) or one the data has no answer for gives None. IPv6 gives None (the data has
  none), except an IPv4-mapped address (``::ffff:1.2.3.4``), which is its IPv4 address.
- A lookup is one parse and one binary search over a packed array (about a
  microsecond; benchmarks/bench_ipgeo.py), with no I/O after loading: it may run on the
  event loop.
- ``radius_km`` is how far the client may be from the point with reasonable confidence:
  50 km for a city, the radius holding 90% of a province's or country's populated places
  otherwise. It says nothing about VPNs or carrier NAT, which can put a client anywhere.
- Loading happens once per process (:func:`default_ip_locator`), on first use.
"""

from __future__ import annotations

import functools
import io
import ipaddress
import socket
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from importlib import resources

import numpy as np

from veriseal.models import Location, LocationSource

#: ``fix`` value of a range with no answer
NO_ANSWER = 0xFFFF


@dataclass(frozen=True, slots=True)
class IpFix:
    """Where an address is, as far as the data knows."""

    country: str  # ISO 3166-1 alpha-2 (TW, HK, MO as in the GeoNames data)
    province: str | None  # ISO 3166-2 (China only), None for a country-level answer
    city: str | None  # the GeoNames name of the city's place, None above city level
    lat: float
    lon: float
    radius_km: float

    def location(self) -> Location:
        """As a scan's location: source ``ip``, accuracy the radius in metres."""
        return Location(self.lat, self.lon, self.radius_km * 1000.0, LocationSource.IP)


def _ipv4(text: str) -> int | None:
    """The address as an integer, or None when it is not a plain dotted-quad IPv4
    address (or an IPv4-mapped IPv6 one)."""
    try:
        if ":" not in text:
            # inet_pton is strict: four decimal parts, no leading zeros, no shorthand
            return int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
        mapped = ipaddress.IPv6Address(text).ipv4_mapped
    except (OSError, ValueError, TypeError, UnicodeError):
        return None
    return None if mapped is None else int(mapped)


class IpLocator:
    """Binary search over the shipped IPv4 ranges."""

    def __init__(self, starts: array[int], fixes: array[int], answers: list[IpFix]) -> None:
        if len(starts) != len(fixes) or not starts or starts[0] != 0:
            raise ValueError("ranges must start at 0.0.0.0 with one answer each")
        if any(f != NO_ANSWER and f >= len(answers) for f in fixes):
            raise ValueError("a range names an answer that does not exist")
        # array.array, not numpy: bisect over it costs ~1 µs, a numpy scalar
        # searchsorted several times that (per-call overhead)
        self._starts = starts
        self._fixes = fixes
        self._answers = answers

    @classmethod
    def load(cls) -> IpLocator:
        """Read the package data (a few tens of milliseconds, about 2 MB of memory)."""
        folder = resources.files("veriseal.regions") / "data"
        with np.load(io.BytesIO((folder / "ipv4.npz").read_bytes())) as npz:
            starts = array("I", npz["start"].astype(np.uint32).tobytes())
            fixes = array("H", npz["fix"].astype(np.uint16).tobytes())
        answers = []
        for line in (folder / "ipfix.tsv").read_text("utf-8").splitlines()[1:]:
            country, province, city, lat, lon, radius = line.split("\t")
            answers.append(
                IpFix(country, province or None, city or None, float(lat), float(lon),
                      float(radius))
            )  # fmt: skip
        return cls(starts, fixes, answers)

    def __len__(self) -> int:
        return len(self._starts)

    def locate(self, ip: str) -> IpFix | None:
        """Where ``ip`` is, or None (malformed, special-purpose, IPv6, unknown)."""
        if not isinstance(ip, str):
            return None
        n = _ipv4(ip)
        if n is None:
            return None
        fix = self._fixes[bisect_right(self._starts, n) - 1]
        return None if fix == NO_ANSWER else self._answers[fix]


@functools.lru_cache(maxsize=1)  # one locator, whatever the callers
def default_ip_locator() -> IpLocator:
    """The process-wide locator over the shipped data (loaded on first call)."""
    return IpLocator.load()

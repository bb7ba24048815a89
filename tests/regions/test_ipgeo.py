"""Offline IP geolocation over the shipped data (veriseal.regions.ipgeo).

The expected answers are public knowledge, not read from the code under test: the
well-known resolvers' operators and cities (114DNS in Nanjing, AliDNS in Hangzhou,
Baidu's public DNS in Beijing, China Telecom's Guangdong and Sichuan resolvers in
Guangzhou and Chengdu, Google's 8.8.8.8 in the US, Chunghwa Telecom's 168.95.1.1 in
Taiwan), and a point's distance to the city is measured against coordinates written here.
"""

from __future__ import annotations

import ipaddress
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal.models import Location, LocationSource
from veriseal.regions.china import PROVINCES
from veriseal.regions.geo import distance_km
from veriseal.regions.ipgeo import NO_ANSWER, IpFix, IpLocator, default_ip_locator
from veriseal.regions.resolver import default_resolver

# address -> (country, ISO 3166-2 province, city centre lat, lon)
KNOWN = {
    "114.114.114.114": ("CN", "CN-JS", 32.06, 118.80),  # 114DNS, Nanjing
    "223.5.5.5": ("CN", "CN-ZJ", 30.27, 120.16),  # AliDNS, Hangzhou
    "180.76.76.76": ("CN", "CN-BJ", 39.90, 116.40),  # Baidu public DNS, Beijing
    "202.96.128.86": ("CN", "CN-GD", 23.13, 113.26),  # China Telecom Guangdong, Guangzhou
    "61.139.2.69": ("CN", "CN-SC", 30.66, 104.07),  # China Telecom Sichuan, Chengdu
}


@pytest.fixture(scope="module")
def locator() -> IpLocator:
    return default_ip_locator()


@pytest.mark.parametrize("ip", sorted(KNOWN))
def test_chinese_resolvers_are_in_their_province_and_city(locator: IpLocator, ip: str) -> None:
    country, province, lat, lon = KNOWN[ip]
    fix = locator.locate(ip)
    assert fix is not None
    assert (fix.country, fix.province) == (country, province)
    loc = fix.location()
    assert loc.source is LocationSource.IP and loc.accuracy_m == fix.radius_km * 1000
    centre = Location(lat, lon, None, LocationSource.GPS)
    assert fix.city is not None and distance_km(loc, centre) <= fix.radius_km
    assert 25 <= fix.radius_km <= 50  # a city-level answer
    # the point resolves, through the region resolver, to the same province
    region = default_resolver().resolve(fix.lat, fix.lon)
    assert region is not None and region.province == province


def test_country_level_answers_have_a_country_sized_radius(locator: IpLocator) -> None:
    us = locator.locate("8.8.8.8")
    assert us is not None and (us.country, us.province, us.city) == ("US", None, None)
    assert us.radius_km > 1000  # the US is not a city
    tw = locator.locate("168.95.1.1")  # Chunghwa Telecom's resolver
    assert tw is not None and tw.country == "TW" and tw.province is None
    assert 100 <= tw.radius_km <= 400  # the island is ~400 km long


def test_an_ipv4_mapped_ipv6_address_is_its_ipv4_address(locator: IpLocator) -> None:
    assert locator.locate("::ffff:114.114.114.114") == locator.locate("114.114.114.114")


@pytest.mark.parametrize(
    "ip",
    ["10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.1.1", "100.64.0.1",
     "0.0.0.0", "192.0.2.1", "198.51.100.7", "203.0.113.9", "224.0.0.1", "240.0.0.1",
     "255.255.255.255", "::1", "fe80::1", "2001:4860:4860::8888", "::ffff:10.0.0.1"],
)  # fmt: skip
def test_special_purpose_and_ipv6_addresses_have_no_place(locator: IpLocator, ip: str) -> None:
    assert locator.locate(ip) is None


@pytest.mark.parametrize(
    "text",
    ["", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.256", " 8.8.8.8", "8.8.8.8\n", "8.8.8.8\x00",
     "１.２.３.４", "localhost", "::ffff:999.1.1.1", "\ud800", "8.8.8.8%eth0", "0x8.8.8.8"],
)  # fmt: skip
def test_malformed_text_has_no_place(locator: IpLocator, text: str) -> None:
    assert locator.locate(text) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_string_never_raises(text: str) -> None:
    found = default_ip_locator().locate(text)
    assert found is None or isinstance(found, IpFix)


@settings(max_examples=500, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_no_special_purpose_address_ever_gets_a_place(n: int) -> None:
    ip = ipaddress.IPv4Address(n)
    fix = default_ip_locator().locate(str(ip))
    if not ip.is_global or ip.is_multicast:
        assert fix is None, ip
    if fix is not None:  # any answer is a well-formed one
        assert len(fix.country) == 2 and fix.radius_km >= 25
        assert fix.province is None or fix.province.startswith(fix.country + "-")


def test_lookups_follow_the_ranges_they_are_given() -> None:
    answers = [IpFix("CN", "CN-GD", "Guangzhou", 23.1, 113.3, 50.0)]
    loc = IpLocator(array("I", [0, 2**24, 2**25]), array("H", [NO_ANSWER, 0, NO_ANSWER]), answers)
    assert loc.locate("0.255.255.255") is None
    assert loc.locate("1.0.0.0") == answers[0] and loc.locate("1.255.255.255") == answers[0]
    assert loc.locate("2.0.0.0") is None and loc.locate("255.255.255.255") is None
    with pytest.raises(ValueError):
        IpLocator(array("I", [1]), array("H", [0]), answers)  # does not start at 0.0.0.0
    with pytest.raises(ValueError):
        IpLocator(array("I", [0]), array("H", [3]), answers)  # names a missing answer


def test_the_shipped_table_is_whole(locator: IpLocator) -> None:
    """Every Chinese province of the mainland has city-level answers, and the data stays
    a compact table (a regression here means a rebuild lost most of its matches)."""
    provinces = {a.province for a in locator._answers if a.country == "CN" and a.city}
    mainland = {p.iso for p in PROVINCES} - {"CN-TW", "CN-HK", "CN-MO"}  # the 31 of them
    assert provinces == mainland
    assert 100_000 < len(locator) < 400_000

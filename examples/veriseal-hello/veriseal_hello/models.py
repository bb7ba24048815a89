"""Names and records of the hello plugin."""

from __future__ import annotations

from dataclasses import dataclass

from veriseal import Action, MessageType

NAME = "hello"
#: Reading the per-country counts: they span every brand, so the platform admin's.
HELLO_READ = Action("hello.read")
#: Sent to a brand's admins when its codes are first scanned in a country.
NEW_COUNTRY = MessageType("hello_new_country")
#: What the plugin publishes on the event stream then (``ref``: the scan's id).
NEW_COUNTRY_EVENT = "hello.new_country"


@dataclass(frozen=True)
class Sighting:
    """One recorded scan as the plugin counts it: ``country`` is an ISO 3166-1 code,
    ``""`` for a scan without a location; ``brand_id`` None for an unknown code."""

    scan_id: int
    brand_id: int | None
    country: str

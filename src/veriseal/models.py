"""Domain records shared by the services and the ledger backends.

Records are frozen dataclasses: the ledger returns them, services read them, and a change
is a new record written through the ledger (rule 7 of ARCHITECTURE.md: state is derived
from appended facts, never edited in place by a caller).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Profile(StrEnum):
    """Code profiles. The value is what the CLI, the ledger and the API spell."""

    COMPACT = "compact"
    SIGNED = "signed"


class KeyStatus(StrEnum):
    ACTIVE = "active"  # used for new batches; exactly one per brand
    RETIRED = "retired"  # rotated out: old codes still verify, no new batches
    REVOKED = "revoked"  # codes under it no longer verify


class BatchStatus(StrEnum):
    ACTIVE = "active"
    RECALLED = "recalled"


class CodeStatus(StrEnum):
    """A code's lifecycle status as the verifier sees it (the lifecycle domain computes
    it, :mod:`veriseal.lifecycle.activation`). It lives here, not there, so that the
    verifier (and ``veriseal verify``) does not import the lifecycle package (issue 20)."""

    LIVE = "live"  # may verify as genuine (subject to the other checks)
    NOT_ACTIVATED = "not_activated"
    DECOMMISSIONED = "decommissioned"


@dataclass(frozen=True, slots=True)
class Brand:
    id: int
    slug: str  # short, URL-safe, unique in the ledger: used in key ids ("acme.3")
    name: str
    resolver: str  # host of the GS1 Digital Link resolver, e.g. "id.acme.example"
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """One brand key. ``slot`` (0..1023) is what a code carries; ``kid`` = "<slug>.<slot>".

    ``sealed_secret`` is the 32-byte key secret sealed by the keyring (never clear text);
    ``public_key`` is the raw 32-byte Ed25519 public key derived from that secret.
    """

    brand_id: int
    slot: int
    kid: str
    public_key: bytes
    sealed_secret: bytes
    status: KeyStatus
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Product:
    brand_id: int
    gtin: str  # always the 14-digit form, check digit verified
    name: str
    spec: str = ""  # specification / model (规格型号)
    manufacturer: str = ""
    shelf_life_days: int | None = None
    #: names root -> leaf of its category, derived from the tree (``category_id``)
    category: tuple[str, ...] = field(default_factory=tuple)  # ("Beverages", "Tea", "Green")
    category_id: int | None = None  # its leaf in the brand's category tree, None: none
    specs: tuple[ProductSpec, ...] = ()  # ordered specifications (规格参数)
    units: tuple[ProductUnit, ...] = ()  # item, case of N, pallet of N; () = item only
    images: tuple[ProductImage, ...] = ()  # in display order, without their bytes

    @property
    def category_path(self) -> str:
        return "/".join(self.category)


@dataclass(frozen=True, slots=True)
class Category:
    """A node of a brand's category tree. ``chain`` is the ids root -> self and ``path``
    the names root -> self (what ``Product.category`` holds for a product here)."""

    id: int
    brand_id: int
    parent_id: int | None  # None at the top level
    name: str
    name_en: str  # "" when not given
    position: int  # among its siblings, 0 first
    chain: tuple[int, ...]
    path: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """The category as the JSON API and ``veriseal categories --json`` show it."""
        return {
            "id": self.id,
            "parent_id": self.parent_id,
            "name": self.name,
            "name_en": self.name_en,
            "position": self.position,
            "chain": list(self.chain),
            "path": list(self.path),
        }


@dataclass(frozen=True, slots=True)
class ProductSpec:
    """One specification of a product: 净含量 = 250 g."""

    name: str
    value: str


class UnitKind(StrEnum):
    ITEM = "item"  # one consumer unit; always quantity 1
    CASE = "case"  # a case of ``quantity`` items
    PALLET = "pallet"  # a pallet of ``quantity`` items


@dataclass(frozen=True, slots=True)
class ProductUnit:
    """A unit a product is counted in: ``quantity`` items, optionally with its own GTIN
    (a case's ITF-14), unique in the ledger."""

    kind: UnitKind
    quantity: int
    gtin: str | None = None


@dataclass(frozen=True, slots=True)
class ProductImage:
    """A stored product image (re-encoded on upload): fetch its bytes by ``id``."""

    id: int
    sha256: str  # of the stored (re-encoded) bytes
    media_type: str
    width: int
    height: int
    position: int


@dataclass(frozen=True, slots=True)
class Batch:
    """A production batch. Its codes are derived, never stored: (key slot, seq, index)."""

    id: int
    brand_id: int
    gtin: str
    lot: str
    key_slot: int
    seq: int  # per (brand, key slot) batch number carried inside every code, 0..2**20-1
    profile: Profile
    pin_digits: int  # 0 = no PIN, else 6..8
    size: int
    production_date: dt.date
    expiry_date: dt.date | None
    factory: str
    line: str
    status: BatchStatus
    manifest: bytes  # canonical JSON of the batch metadata (see veriseal.catalog.manifest)
    manifest_sig: bytes  # Ed25519 signature of ``manifest`` by the batch's key
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NewBatch:
    """What a service asks the ledger to record; the ledger assigns ``id`` and ``seq``."""

    brand_id: int
    gtin: str
    lot: str
    key_slot: int
    profile: Profile
    pin_digits: int
    size: int
    production_date: dt.date
    expiry_date: dt.date | None
    factory: str
    line: str


class ScanChannel(StrEnum):
    WEB = "web"  # a phone opening the printed link
    API = "api"  # an API client asking for JSON
    HANDHELD = "handheld"  # an authenticated dealer or inspector device
    CLI = "cli"
    CONSOLE = "console"  # a signed-in consumer's scan page in the web console


class LocationSource(StrEnum):
    GPS = "gps"  # the device's own fix, with its accuracy
    IP = "ip"  # derived from the client address: city-level at best
    DECLARED = "declared"  # typed or chosen by the person scanning


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lon: float
    accuracy_m: float | None
    source: LocationSource


@dataclass(frozen=True, slots=True)
class Region:
    """Where a place is, resolved offline (:mod:`veriseal.regions`).

    ``province`` is the ISO 3166-2 code of the first-level division (``"CN-GD"``), or
    ``"<country>:<name>"`` when the data set has no ISO code for it (a colon never occurs
    in an ISO code), or the country code for a place without a known division.
    ``gb2260`` is the GB/T 2260 provincial code for places in China (``"440000"``), else
    None. ``city_code`` / ``county_code``: in China, the GB/T 2260 codes of the
    prefecture-level city (地级市, ``"440300"``) and county or district (``"440304"``)
    whose boundary contains the point; None elsewhere, for a city without counties
    (``county_code``), and for scans stored before they existed (the ledger keeps neither:
    they are derived again from the location when needed).
    """

    country: str  # ISO 3166-1 alpha-2
    province: str
    city: str  # the nearest populated place's name (GeoNames)
    gb2260: str | None = None
    city_code: str | None = None
    county_code: str | None = None


@dataclass(frozen=True, slots=True)
class NewScan:
    """One scan as observed, before it is stored. ``code`` is the normalised serial when
    the input parsed, else the raw input cut to 200 characters (a fake is evidence too).

    ``at`` is when the scan HAPPENED: the time a handheld reported (``scanned_at``, for
    scans saved offline and uploaded later), else the server's receive time.
    ``received_at`` is the server's receive time, set only when ``at`` came from the
    device; ``None`` means ``at`` is itself the receive time."""

    at: dt.datetime
    code: str
    outcome: str
    reason: str
    channel: ScanChannel
    actor: str  # "device:<cookie id>", "user:<id>" or "anonymous"
    brand_id: int | None = None
    gtin: str | None = None
    batch_id: int | None = None
    index: int | None = None
    location: Location | None = None
    client_scan_id: str | None = None  # set by handhelds: a retried upload is stored once
    region: Region | None = None  # resolved from ``location`` before the scan is stored
    received_at: dt.datetime | None = None  # server receive time of a device-timed scan
    #: A web/API scan from a device that presented no device cookie (a first visit, a
    #: cookie-less client): a digest of its client network, so such scans can be told
    #: apart by where they came from (see veriseal.scanning.identities). None otherwise.
    client: str | None = None
    #: The signed-in user who scanned (console session, console scan page, handheld),
    #: for their own list of verifications; None for an anonymous scan. Never part of
    #: the verdict: the same scan gets the same verdict signed in or not.
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class Scan:
    id: int
    scan: NewScan


@dataclass(frozen=True, slots=True)
class ScanBrief:
    """What a count of scans reads of one recorded scan (``Ledger.scan_briefs``): 11 of
    its columns, without the code, the actor, the device's report or the region's
    names. ``province`` as :class:`Region` has it (None when no region was resolved);
    ``lat``/``lon`` both set or both None."""

    id: int
    brand_id: int
    at: dt.datetime
    outcome: str
    channel: str
    gtin: str | None
    batch_id: int | None
    index: int | None
    province: str | None
    lat: float | None
    lon: float | None


@dataclass(frozen=True, slots=True)
class ScanQuery:
    """Which of a brand's scans ``Ledger.list_scans`` returns: those matching every
    field that is set, at most ``limit``, in the order recorded (by id), or with
    ``newest_first`` by when they happened, newest first."""

    code: str | None = None  # the normalised serial
    batch_id: int | None = None
    gtin: str | None = None  # one product
    #: ``since`` (inclusive) / ``until`` (exclusive) filter on ``at``, when the scan
    #: happened, which a handheld's offline upload may date before scans recorded
    #: earlier: page with ``after_id``, never with a moving ``since``
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    country: str | None = None  # ISO 3166-1, as resolved when the scan was recorded
    province: str | None = None  # ISO 3166-2, likewise (see Region)
    after_id: int | None = None  # only scans with a greater id: the page after it
    limit: int = 1000
    outcome: str | None = None  # one verdict (a veriseal.scanning.verification.Outcome)
    channel: str | None = None  # one ScanChannel
    #: by when the scans happened, newest first (``at`` then id, descending): the
    #: console's lists, which a time range filters; page with ``before``
    newest_first: bool = False
    before: tuple[dt.datetime, int] | None = None  # newest first: only scans before (at, id)


#: no filter: the first 1000 scans
NO_SCAN_FILTER = ScanQuery()


@dataclass(frozen=True, slots=True)
class ScanSummary:
    """What the ledger knows of one code's earlier scans (derived, never stored)."""

    count: int
    first_at: dt.datetime | None = None
    first_location: Location | None = None
    last_at: dt.datetime | None = None
    first_id: int | None = None
    last_id: int | None = None
    last_location: Location | None = None


@dataclass(frozen=True, slots=True)
class ClonePolicy:
    """When a genuine code's scans suggest copies of its label. ``None`` switches a rule
    off. Policies are set per brand, and per product to override the brand's."""

    max_verifications: int | None = 20  # more genuine verifications than this
    max_speed_kmh: float | None = 900.0  # two scans further apart than an airliner flies
    max_regions: int | None = None  # more distinct provinces (resolved offline) than this
    #: more distinct consumer devices within ``devices_window_days`` than this (staff
    #: and handheld scans do not count): copies sold in one place (docs/scanning.md)
    max_devices: int | None = 4
    devices_window_days: int = 30
    #: more consumer scans of never-activated or voided codes of one batch than this
    #: raise the batch's ``unactivated_scan`` alert (a stolen roll)
    max_unactivated_scans: int | None = 0


class AlertKind(StrEnum):
    CLONE_COUNT = "clone_count"
    IMPOSSIBLE_TRAVEL = "impossible_travel"
    CLONE_REGIONS = "clone_regions"  # one code seen in more distinct regions than allowed
    INVALID_FLOOD = "invalid_flood"  # one client trying many invalid codes: enumeration
    LOCAL_COPIES = "local_copies"  # one code scanned by more distinct devices than allowed
    UNACTIVATED_SCAN = "unactivated_scan"  # a batch's never-activated/voided codes scanned
    CONSUMER_REPORT = "consumer_report"  # a consumer reported a suspected fake (with photos)


@dataclass(frozen=True, slots=True)
class NewAlert:
    at: dt.datetime
    brand_id: int | None  # None when no brand could be named (a flood of fakes)
    kind: AlertKind
    code: str  # the serial concerned
    evidence: tuple[int, ...]  # scan ids that show it
    details: str  # JSON object with the figures (count, distance, speed, ...)


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    alert: NewAlert

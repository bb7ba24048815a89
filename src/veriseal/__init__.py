"""Veriseal: one item, one code. Anti-counterfeit and anti-diversion for brand owners.

The public API is exactly ``__all__`` (a test enforces it). Plugins and users import from
here only; everything else is private and may change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from veriseal._lazy import lazy_exports

# Names are resolved on first use (PEP 562) so that importing a light part of the core,
# such as veriseal.codes, does not load the ledger drivers and the server.
_EXPORTS: dict[str, tuple[str, str]] = {
    "UnitKind": ("veriseal.models", "UnitKind"),
    "ProductUnit": ("veriseal.models", "ProductUnit"),
    "ProductSpec": ("veriseal.models", "ProductSpec"),
    "ProductImage": ("veriseal.models", "ProductImage"),
    "CategoryNotFound": ("veriseal.errors", "CategoryNotFound"),
    "Category": ("veriseal.models", "Category"),
    "Batch": ("veriseal.models", "Batch"),
    "BatchNotFound": ("veriseal.errors", "BatchNotFound"),
    "BatchRecalled": ("veriseal.catalog.errors", "BatchRecalled"),
    "BatchRequest": ("veriseal.catalog.batches", "BatchRequest"),
    "BatchStatus": ("veriseal.models", "BatchStatus"),
    "Brand": ("veriseal.models", "Brand"),
    "BrandNotFound": ("veriseal.errors", "BrandNotFound"),
    "CodeFormat": ("veriseal.catalog.minting", "CodeFormat"),
    "CodeInfo": ("veriseal.scanning.verification", "CodeInfo"),
    "CodeInvalid": ("veriseal.codes.errors", "CodeInvalid"),
    "Config": ("veriseal.config", "Config"),
    "ConfigError": ("veriseal.errors", "ConfigError"),
    "Conflict": ("veriseal.errors", "Conflict"),
    "CsvInvalid": ("veriseal.catalog.errors", "CsvInvalid"),
    "DigitalLinkInvalid": ("veriseal.codes.errors", "DigitalLinkInvalid"),
    "Engine": ("veriseal.engine", "Engine"),
    "GtinInvalid": ("veriseal.codes.errors", "GtinInvalid"),
    "IntegrityViolation": ("veriseal.errors", "IntegrityViolation"),
    "InvalidInput": ("veriseal.errors", "InvalidInput"),
    "KeyNotFound": ("veriseal.errors", "KeyNotFound"),
    "KeyProblem": ("veriseal.errors", "KeyProblem"),
    "KeyRecord": ("veriseal.models", "KeyRecord"),
    "KeyRevoked": ("veriseal.errors", "KeyRevoked"),
    "KeySpaceExhausted": ("veriseal.errors", "KeySpaceExhausted"),
    "KeyStatus": ("veriseal.models", "KeyStatus"),
    "KeyringLocked": ("veriseal.errors", "KeyringLocked"),
    "Ledger": ("veriseal.ledger.base", "Ledger"),
    "Minter": ("veriseal.catalog.minting", "Minter"),
    "NotFound": ("veriseal.errors", "NotFound"),
    "Outcome": ("veriseal.scanning.verification", "Outcome"),
    "PinInvalid": ("veriseal.codes.errors", "PinInvalid"),
    "Product": ("veriseal.models", "Product"),
    "ProductNotFound": ("veriseal.errors", "ProductNotFound"),
    "Profile": ("veriseal.models", "Profile"),
    "StorageError": ("veriseal.errors", "StorageError"),
    "Verification": ("veriseal.scanning.verification", "Verification"),
    "VerisealError": ("veriseal.errors", "VerisealError"),
    "load_config": ("veriseal.config", "load"),
    "verify_offline": ("veriseal.scanning.verification", "verify_offline"),
    "write_codes": ("veriseal.catalog.minting", "write_codes"),
    # for plugins: hooks, ledger events, alerts and regions
    "AlertKind": ("veriseal.models", "AlertKind"),
    "AdminArea": ("veriseal.regions.boundaries", "AdminArea"),
    "Boundaries": ("veriseal.regions.boundaries", "Boundaries"),
    "CHINA_PROVINCES": ("veriseal.regions.china", "PROVINCES"),
    "Placement": ("veriseal.regions.boundaries", "Placement"),
    "RegionNotFound": ("veriseal.regions.boundaries", "RegionNotFound"),
    "Relation": ("veriseal.regions.boundaries", "Relation"),
    "default_boundaries": ("veriseal.regions.boundaries", "default_boundaries"),
    "LedgerEvent": ("veriseal.scanning.hooks", "LedgerEvent"),
    "Location": ("veriseal.models", "Location"),
    "NewAlert": ("veriseal.models", "NewAlert"),
    "NewScan": ("veriseal.models", "NewScan"),
    "PluginMigrations": ("veriseal.ledger.migrate", "PluginMigrations"),
    "Region": ("veriseal.models", "Region"),
    "RegionResolver": ("veriseal.regions.resolver", "RegionResolver"),
    "Scan": ("veriseal.models", "Scan"),
    "ScanBrief": ("veriseal.models", "ScanBrief"),
    "VerdictContribution": ("veriseal.scanning.hooks", "VerdictContribution"),
    "default_resolver": ("veriseal.regions.resolver", "default_resolver"),
    "hookimpl": ("veriseal.extend.hookspecs", "hookimpl"),
    "register_messages": ("veriseal.i18n", "register"),
    # accounts: who is acting, and the permission check plugins use too
    "Action": ("veriseal.accounts.permissions", "Action"),
    "Forbidden": ("veriseal.accounts.errors", "Forbidden"),
    "NotVerified": ("veriseal.accounts.errors", "NotVerified"),
    "Org": ("veriseal.accounts.models", "Org"),
    "OrgKind": ("veriseal.accounts.models", "OrgKind"),
    "Principal": ("veriseal.accounts.models", "Principal"),
    "Role": ("veriseal.accounts.models", "Role"),
    "SYSTEM_PRINCIPAL": ("veriseal.accounts.models", "SYSTEM"),
    "User": ("veriseal.accounts.models", "User"),
    "require_permission": ("veriseal.accounts.permissions", "require"),
    # for territory-style plugins: holdings as index ranges, shipped items, dealer notices
    "IndexRange": ("veriseal.lifecycle.index_ranges", "IndexRange"),
    "MessageType": ("veriseal.notifications.models", "MessageType"),
    "RangeMap": ("veriseal.lifecycle.index_ranges", "RangeMap"),
    "normalise_ranges": ("veriseal.lifecycle.index_ranges", "normalise"),
    "subtract_ranges": ("veriseal.lifecycle.index_ranges", "subtract"),
    "intersect_ranges": ("veriseal.lifecycle.index_ranges", "intersect"),
    "total_ranges": ("veriseal.lifecycle.index_ranges", "total"),
    "resolve_items": ("veriseal.scanning.items", "resolve_items"),
    "looks_like_sscc": ("veriseal.lifecycle.logistic_units", "looks_like_sscc"),
    "Unauthenticated": ("veriseal.accounts.errors", "Unauthenticated"),
    # plugins' HTTP routes: the same caller and body handling as the core's routes
    "request_principal": ("veriseal.extend.web", "request_principal"),
    "json_body": ("veriseal.extend.web", "json_body"),
    # CSV imports: the core's header / row contract (veriseal.catalog.csv_import)
    "RowError": ("veriseal.catalog.csv_import", "RowError"),
    "parse_csv_rows": ("veriseal.catalog.csv_import", "parse_rows"),
    # plugins' events in the EPCIS export (hook epcis_events)
    "BatchRange": ("veriseal.lifecycle.events", "BatchRange"),
    "EpcisEvent": ("veriseal.lifecycle.epcis", "EpcisEvent"),
    # JSON routes declared once (veriseal.server.endpoints): access, typed input, paging
    "Call": ("veriseal.server.endpoints", "Call"),
    "Endpoint": ("veriseal.server.endpoints", "Endpoint"),
    "Gate": ("veriseal.server.endpoints", "Gate"),
    "mount": ("veriseal.server.endpoints", "mount"),
    "Model": ("veriseal.server.inputs", "Model"),
    "Page": ("veriseal.server.inputs", "Page"),
    "page_after": ("veriseal.server.inputs", "after_id"),
    "page_listing": ("veriseal.server.listing", "listing"),
    "page_records": ("veriseal.server.listing", "records"),
    "page_schema": ("veriseal.server.listing", "page_schema"),
    "Blob": ("veriseal.server.inputs", "Blob"),
    "Code": ("veriseal.server.inputs", "Code"),
    "Count": ("veriseal.server.inputs", "Count"),
    "Id": ("veriseal.server.inputs", "Id"),
    "Latitude": ("veriseal.server.inputs", "Latitude"),
    "Limit": ("veriseal.server.inputs", "Limit"),
    "Line": ("veriseal.server.inputs", "Line"),
    "Longitude": ("veriseal.server.inputs", "Longitude"),
    "Name": ("veriseal.server.inputs", "Name"),
    "Note": ("veriseal.server.inputs", "Note"),
    "Short": ("veriseal.server.inputs", "Short"),
}

__all__ = [
    "CHINA_PROVINCES",
    "SYSTEM_PRINCIPAL",
    "Action",
    "AdminArea",
    "AlertKind",
    "Batch",
    "BatchNotFound",
    "BatchRange",
    "BatchRecalled",
    "BatchRequest",
    "BatchStatus",
    "Blob",
    "Boundaries",
    "Brand",
    "BrandNotFound",
    "Call",
    "Category",
    "CategoryNotFound",
    "Code",
    "CodeFormat",
    "CodeInfo",
    "CodeInvalid",
    "Config",
    "ConfigError",
    "Conflict",
    "Count",
    "CsvInvalid",
    "DigitalLinkInvalid",
    "Endpoint",
    "Engine",
    "EpcisEvent",
    "Forbidden",
    "Gate",
    "GtinInvalid",
    "Id",
    "IndexRange",
    "IntegrityViolation",
    "InvalidInput",
    "KeyNotFound",
    "KeyProblem",
    "KeyRecord",
    "KeyRevoked",
    "KeySpaceExhausted",
    "KeyStatus",
    "KeyringLocked",
    "Latitude",
    "Ledger",
    "LedgerEvent",
    "Limit",
    "Line",
    "Location",
    "Longitude",
    "MessageType",
    "Minter",
    "Model",
    "Name",
    "NewAlert",
    "NewScan",
    "NotFound",
    "NotVerified",
    "Note",
    "Org",
    "OrgKind",
    "Outcome",
    "Page",
    "PinInvalid",
    "Placement",
    "PluginMigrations",
    "Principal",
    "Product",
    "ProductImage",
    "ProductNotFound",
    "ProductSpec",
    "ProductUnit",
    "Profile",
    "RangeMap",
    "Region",
    "RegionNotFound",
    "RegionResolver",
    "Relation",
    "Role",
    "RowError",
    "Scan",
    "ScanBrief",
    "Short",
    "StorageError",
    "Unauthenticated",
    "UnitKind",
    "User",
    "VerdictContribution",
    "Verification",
    "VerisealError",
    "__version__",
    "default_boundaries",
    "default_resolver",
    "hookimpl",
    "intersect_ranges",
    "json_body",
    "load_config",
    "looks_like_sscc",
    "mount",
    "normalise_ranges",
    "page_after",
    "page_listing",
    "page_records",
    "page_schema",
    "parse_csv_rows",
    "register_messages",
    "request_principal",
    "require_permission",
    "resolve_items",
    "subtract_ranges",
    "total_ranges",
    "verify_offline",
    "write_codes",
]


_lazy_getattr, __dir__ = lazy_exports(globals(), _EXPORTS, __all__)


def __getattr__(name: str) -> Any:
    """The lazy public names, and ``__version__``, read from the installed package's
    metadata on first use: ``importlib.metadata`` costs tens of milliseconds, which
    every start-up of the CLI would pay (issue 20)."""
    if name != "__version__":
        return _lazy_getattr(name)
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        found = version("veriseal")
    except PackageNotFoundError:  # running from a source tree without installation
        found = "0.0.0+source"
    globals()["__version__"] = found
    return found


if TYPE_CHECKING:  # static checkers see the real names
    from veriseal.accounts.errors import Forbidden, NotVerified, Unauthenticated
    from veriseal.accounts.models import SYSTEM as SYSTEM_PRINCIPAL
    from veriseal.accounts.models import Org, OrgKind, Principal, Role, User
    from veriseal.accounts.permissions import Action
    from veriseal.accounts.permissions import require as require_permission
    from veriseal.catalog.batches import BatchRequest
    from veriseal.catalog.csv_import import RowError
    from veriseal.catalog.csv_import import parse_rows as parse_csv_rows
    from veriseal.catalog.errors import BatchRecalled, CsvInvalid
    from veriseal.catalog.minting import CodeFormat, Minter, write_codes
    from veriseal.codes.errors import CodeInvalid, DigitalLinkInvalid, GtinInvalid, PinInvalid
    from veriseal.config import Config
    from veriseal.config import load as load_config
    from veriseal.engine import Engine
    from veriseal.errors import (
        BatchNotFound,
        BrandNotFound,
        CategoryNotFound,
        ConfigError,
        Conflict,
        IntegrityViolation,
        InvalidInput,
        KeyNotFound,
        KeyProblem,
        KeyRevoked,
        KeyringLocked,
        KeySpaceExhausted,
        NotFound,
        ProductNotFound,
        StorageError,
        VerisealError,
    )
    from veriseal.extend.hookspecs import hookimpl
    from veriseal.extend.web import json_body, request_principal
    from veriseal.i18n import register as register_messages
    from veriseal.ledger.base import Ledger
    from veriseal.ledger.migrate import PluginMigrations
    from veriseal.lifecycle.epcis import EpcisEvent
    from veriseal.lifecycle.events import BatchRange
    from veriseal.lifecycle.index_ranges import IndexRange, RangeMap
    from veriseal.lifecycle.index_ranges import intersect as intersect_ranges
    from veriseal.lifecycle.index_ranges import normalise as normalise_ranges
    from veriseal.lifecycle.index_ranges import subtract as subtract_ranges
    from veriseal.lifecycle.index_ranges import total as total_ranges
    from veriseal.lifecycle.logistic_units import looks_like_sscc
    from veriseal.models import (
        AlertKind,
        Batch,
        BatchStatus,
        Brand,
        Category,
        KeyRecord,
        KeyStatus,
        Location,
        NewAlert,
        NewScan,
        Product,
        ProductImage,
        ProductSpec,
        ProductUnit,
        Profile,
        Region,
        Scan,
        ScanBrief,
        UnitKind,
    )
    from veriseal.notifications.models import MessageType
    from veriseal.regions.boundaries import (
        AdminArea,
        Boundaries,
        Placement,
        RegionNotFound,
        Relation,
        default_boundaries,
    )
    from veriseal.regions.china import PROVINCES as CHINA_PROVINCES
    from veriseal.regions.resolver import RegionResolver, default_resolver
    from veriseal.scanning.hooks import LedgerEvent, VerdictContribution
    from veriseal.scanning.items import resolve_items
    from veriseal.scanning.verification import CodeInfo, Outcome, Verification, verify_offline
    from veriseal.server.endpoints import Call, Endpoint, Gate, mount
    from veriseal.server.inputs import (
        Blob,
        Code,
        Count,
        Id,
        Latitude,
        Limit,
        Line,
        Longitude,
        Model,
        Name,
        Note,
        Page,
        Short,
    )
    from veriseal.server.inputs import after_id as page_after
    from veriseal.server.listing import listing as page_listing
    from veriseal.server.listing import page_schema
    from veriseal.server.listing import records as page_records

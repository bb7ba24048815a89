"""Loading plugins, and every runtime hook seen from a real engine on both backends."""

from __future__ import annotations

import types
from typing import Any

import pytest

from tests.plugins.conftest import OpenEngine, brand_and_codes
from veriseal import hookimpl
from veriseal.extend import PluginContext
from veriseal.extend.hookspecs import LedgerEvent, PluginMigrations, VerdictContribution
from veriseal.extend.manager import PluginInvalid, PluginNotFound, load
from veriseal.ledger.migrate import PluginMigrationInvalid, plugin_migrations
from veriseal.models import AlertKind, Location, LocationSource, NewAlert, Scan, ScanChannel
from veriseal.scanning.service import ScanContext
from veriseal.scanning.verification import Outcome, Verification

GUANGZHOU = Location(23.1291, 113.2644, 15.0, LocationSource.GPS)


def plugin(**hooks: Any) -> types.ModuleType:
    """A plugin object whose attributes are hookimpls (a module, as installed plugins are)."""
    module = types.ModuleType("test_plugin")
    for name, fn in hooks.items():
        setattr(module, name, hookimpl(fn))
    return module


def test_a_plugin_object_must_be_hashable() -> None:
    with pytest.raises(PluginInvalid, match="hashable"):
        load([], [("odd", types.SimpleNamespace())])


@pytest.mark.parametrize(
    "hook", ["startup", "register_routes", "scan_recorded", "ledger_event", "epcis_events"]
)
def test_no_hook_receives_the_engine(hook: str) -> None:
    """Hooks get the plugin's context instead: a hookimpl asking for the engine (a
    plugin written before the SDK) stops the start-up, and the message says why."""

    def old(ctx: Any, engine: Any) -> None: ...

    with pytest.raises(PluginInvalid, match="PluginContext, never the engine"):
        load([], extra=[("old", plugin(**{hook: old}))])


def test_a_misspelled_hook_fails_at_start_up() -> None:
    def scan_recored(scan: Scan) -> None: ...  # sic

    with pytest.raises(PluginInvalid, match="scan_recored"):
        load([], extra=[("typo", plugin(scan_recored=scan_recored))])


def test_an_argument_the_hook_does_not_have_fails_at_start_up() -> None:
    def scan_recorded(scan: Scan, colour: str) -> None: ...

    with pytest.raises(PluginInvalid, match="colour"):
        load([], extra=[("bad", plugin(scan_recorded=scan_recorded))])


def test_an_enabled_plugin_must_be_installed() -> None:
    with pytest.raises(PluginNotFound, match="nope") as err:
        load(["territories", "nope"])
    assert err.value.code == "plugin_not_found"


def test_the_bundled_plugin_is_found_through_its_entry_point() -> None:
    pm = load(["territories"])
    assert pm.has_plugin("territories")
    assert [m.prefix for m in pm.hook.ledger_migrations()] == ["territories"]
    assert not load([]).get_plugins()  # nothing enabled: nothing loaded


def test_plugin_migrations_stay_in_the_plugin_namespace() -> None:
    own = plugin_migrations(
        PluginMigrations("territories", "veriseal_territories.migrations"), "sqlite"
    )
    assert [m.name for m in own] == [
        "territories/0001_custom_regions",
        "territories/0002_dealers_shipments_diversion",
        "territories/0003_movements_to",
        "territories/0004_shipment_policy",
        "territories/0005_evidence",
        "territories/0006_dealer_views",
    ]
    # the same files under another prefix touch tables that are not that plugin's
    with pytest.raises(PluginMigrationInvalid, match="territories_custom_regions"):
        plugin_migrations(PluginMigrations("other", "veriseal_territories.migrations"), "sqlite")
    with pytest.raises(PluginMigrationInvalid):
        plugin_migrations(PluginMigrations("x", "no_such_package_anywhere"), "postgres")


async def test_plugin_migrations_are_applied_with_the_core(open_engine: OpenEngine) -> None:
    engine = await open_engine()
    assert "territories/0001_custom_regions" in await engine.ledger.schema_version()
    assert await engine.ledger.migrate(engine.plugins.migrations()) == []  # idempotent


async def test_runtime_hooks_on_a_real_engine(open_engine: OpenEngine) -> None:
    seen: list[tuple[str, Any]] = []

    def verdict_contribution(scan: Any, verification: Verification) -> VerdictContribution:
        if scan.region is not None and scan.region.province == "CN-GD":
            return VerdictContribution(
                facts={"sales_region": "south"},
                outcome=Outcome.SUSPECTED_CLONE,
                reason="spy_region",
                message="scanned in a region the spy plugin distrusts",
            )
        return VerdictContribution(facts={"sales_region": "elsewhere"})

    async def scan_recorded(ctx: PluginContext, scan: Scan) -> None:
        # called after the commit: the scan is in the ledger already
        stored = await ctx.scan(scan.id)
        seen.append(("recorded", (stored.id, stored.scan.outcome, stored.scan.region)))

    def scan_alerts(scan: Scan) -> list[NewAlert]:
        if scan.scan.outcome != "suspected_clone":
            return []
        assert scan.scan.brand_id is not None
        return [NewAlert(scan.scan.at, scan.scan.brand_id, AlertKind.CLONE_COUNT,
                         scan.scan.code, (scan.id,), '{"by": "spy"}')]  # fmt: skip

    def ledger_event(event: LedgerEvent) -> None:
        seen.append(("event", (event.kind, event.ref, event.details["kind"])))

    spy = plugin(
        verdict_contribution=verdict_contribution,
        scan_recorded=scan_recorded,
        scan_alerts=scan_alerts,
        ledger_event=ledger_event,
    )
    engine = await open_engine(extra=[("spy", spy)])
    brand, (uri_a, uri_b) = await brand_and_codes(engine, 2)

    plain = await engine.scans.scan(uri_a, ScanContext(ScanChannel.WEB))
    assert plain.verification.outcome is Outcome.GENUINE  # facts, but no severity raise
    assert plain.to_dict()["facts"] == {"spy": {"sales_region": "elsewhere"}}

    raised = await engine.scans.scan(uri_b, ScanContext(ScanChannel.WEB, location=GUANGZHOU))
    assert (raised.verification.outcome, raised.verification.reason) == (
        Outcome.SUSPECTED_CLONE,
        "spy_region",
    )
    stored = await engine.ledger.get_scan(raised.scan_id)
    assert (stored.scan.outcome, stored.scan.reason) == ("suspected_clone", "spy_region")
    [alert] = await engine.ledger.list_alerts(brand.id)
    assert alert.alert.evidence == (raised.scan_id,)
    assert seen == [
        ("recorded", (plain.scan_id, "genuine", None)),
        ("recorded", (raised.scan_id, "suspected_clone", stored.scan.region)),
        ("event", ("alert", alert.id, "clone_count")),
    ]


async def test_a_contribution_never_makes_a_verdict_milder(open_engine: OpenEngine) -> None:
    def verdict_contribution() -> VerdictContribution:
        return VerdictContribution(outcome=Outcome.GENUINE, reason="all_good")

    engine = await open_engine(extra=[("kind", plugin(verdict_contribution=verdict_contribution))])
    result = await engine.scans.scan("not a code", ScanContext(ScanChannel.API))
    assert result.verification.outcome is Outcome.INVALID


async def test_a_failing_plugin_does_not_fail_an_acknowledged_scan(
    open_engine: OpenEngine, caplog: pytest.LogCaptureFixture
) -> None:
    def scan_recorded() -> None:
        raise RuntimeError("plugin bug")

    def verdict_contribution() -> None:
        raise RuntimeError("plugin bug before the commit")

    broken = plugin(scan_recorded=scan_recorded, verdict_contribution=verdict_contribution)
    engine = await open_engine(extra=[("broken", broken)])
    _, (uri,) = await brand_and_codes(engine, 1)
    result = await engine.scans.scan(uri, ScanContext(ScanChannel.WEB))
    assert result.verification.outcome is Outcome.GENUINE
    assert (await engine.ledger.get_scan(result.scan_id)).scan.outcome == "genuine"
    assert caplog.text.count("plugin broken failed") == 2

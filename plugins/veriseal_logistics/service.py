"""The plugin's services bundled per engine: ``of(ctx)`` gives the one instance."""

from __future__ import annotations

from dataclasses import dataclass

from veriseal.extend import PluginContext
from veriseal_logistics.alerts import AlertService
from veriseal_logistics.settings import SettingsService
from veriseal_logistics.sqlhistory import HistoryCache
from veriseal_logistics.waybills import WaybillService


@dataclass
class Logistics:
    ctx: PluginContext
    settings: SettingsService
    history: HistoryCache
    waybills: WaybillService
    alerts: AlertService

    @classmethod
    def build(cls, ctx: PluginContext) -> Logistics:
        settings = SettingsService(ctx)
        history = HistoryCache(ctx)
        waybills = WaybillService(ctx, settings, history)
        return cls(ctx, settings, history, waybills,
                   AlertService(ctx, waybills, settings, history))  # fmt: skip


_STATE = "services"


def of(ctx: PluginContext) -> Logistics:
    """The plugin's services in this engine (one instance per context)."""
    found = ctx.state.get(_STATE)
    if not isinstance(found, Logistics):
        found = Logistics.build(ctx)
        ctx.state[_STATE] = found
    return found

"""The plugin's services bundled per engine: ``of(ctx)`` gives the one instance.

Each area is a service class with its own store; they are built here in dependency
order and kept in the context's state, so they live and die with the engine."""

from __future__ import annotations

from dataclasses import dataclass

from veriseal.extend import PluginContext
from veriseal_inventory.alerts import AlertService
from veriseal_inventory.inbound import InboundService
from veriseal_inventory.outbound import OutboundService
from veriseal_inventory.planning import Planning
from veriseal_inventory.reservations import Reservations
from veriseal_inventory.returns import Returns
from veriseal_inventory.stock import StockService
from veriseal_inventory.stocktake import Counts
from veriseal_inventory.units import CodeStock
from veriseal_inventory.warehouses import WarehouseService


@dataclass
class Inventory:
    ctx: PluginContext
    warehouses: WarehouseService
    stock: StockService
    reservations: Reservations
    units: CodeStock
    counts: Counts
    inbound: InboundService
    outbound: OutboundService
    alerts: AlertService
    planning: Planning
    returns: Returns

    @classmethod
    def build(cls, ctx: PluginContext) -> Inventory:
        warehouses = WarehouseService(ctx)
        stock = StockService(ctx, warehouses)
        units = CodeStock(ctx, warehouses, stock)
        counts = Counts(ctx, warehouses, stock)
        inbound = InboundService(ctx, warehouses, stock)
        outbound = OutboundService(ctx, warehouses, stock)
        alerts = AlertService(ctx, warehouses)
        stock.listeners.append(alerts.after_post)  # low-stock alerts in each post's tx
        return cls(ctx, warehouses, stock, Reservations(ctx, stock), units, counts, inbound,
                   outbound, alerts, Planning(ctx, warehouses),
                   Returns(ctx, warehouses, stock, inbound))  # fmt: skip


_STATE = "services"


def of(ctx: PluginContext) -> Inventory:
    """The plugin's services in this engine (one instance per context)."""
    found = ctx.state.get(_STATE)
    if not isinstance(found, Inventory):
        found = Inventory.build(ctx)
        ctx.state[_STATE] = found
    return found

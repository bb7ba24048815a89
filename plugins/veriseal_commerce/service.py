"""The plugin's services bundled per engine: ``of(ctx)`` gives the one instance.

Each area (pricing, orders, payments, returns) is a service class with its own store; they are
built here in dependency order and kept in the context's state, so they live and die
with the engine."""

from __future__ import annotations

from dataclasses import dataclass, field

from veriseal.extend import PluginContext
from veriseal_commerce.fulfilment import Fulfilment
from veriseal_commerce.order_pricing import EnginePricer
from veriseal_commerce.orders import OrderService
from veriseal_commerce.payable import PaymentListener
from veriseal_commerce.payment_settings import providers
from veriseal_commerce.payments import PaymentService
from veriseal_commerce.pricing import PricingService
from veriseal_commerce.returns import ReturnService
from veriseal_commerce.returns_goods import ReturnGoods
from veriseal_commerce.returns_resolve import Resolution


@dataclass
class Commerce:
    ctx: PluginContext
    pricing: PricingService
    orders: OrderService
    fulfilment: Fulfilment
    payments: PaymentService
    returns: ReturnService
    return_goods: ReturnGoods
    resolution: Resolution
    #: called by payments inside the transaction that changed an order's payment ledger
    #: (the payments service's own list: appending here registers a listener)
    payment_listeners: list[PaymentListener] = field(default_factory=list)

    @classmethod
    def build(cls, ctx: PluginContext) -> Commerce:
        pricing = PricingService(ctx)
        orders = OrderService(ctx)
        orders.pricer = EnginePricer(ctx, pricing)
        pricing.history = orders.placed  # the "first order" condition
        listeners: list[PaymentListener] = [orders.on_payment]
        payments = PaymentService(ctx, listeners=listeners, warm=orders.warm)
        for provider in providers(ctx.config):
            payments.add_provider(provider)
        returns = ReturnService(ctx, orders)
        return cls(ctx, pricing, orders, Fulfilment(ctx, orders), payments, returns,
                   ReturnGoods(ctx, returns), Resolution(ctx, returns, payments),
                   listeners)  # fmt: skip


_STATE = "services"


def of(ctx: PluginContext) -> Commerce:
    """The plugin's services in this engine (one instance per context)."""
    found = ctx.state.get(_STATE)
    if not isinstance(found, Commerce):
        found = Commerce.build(ctx)
        ctx.state[_STATE] = found
    return found

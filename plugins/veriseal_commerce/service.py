"""The plugin's services bundled per engine: ``of(ctx)`` gives the one instance.

Each area (pricing, orders, payments) is a service class with its own store; they are
built here in dependency order and kept in the context's state, so they live and die
with the engine."""

from __future__ import annotations

from dataclasses import dataclass

from veriseal.extend import PluginContext
from veriseal_commerce.payment_settings import providers
from veriseal_commerce.payments import PaymentService


@dataclass
class Commerce:
    ctx: PluginContext
    payments: PaymentService

    @classmethod
    def build(cls, ctx: PluginContext) -> Commerce:
        payments = PaymentService(ctx)
        for provider in providers(ctx.config):
            payments.add_provider(provider)
        return cls(ctx, payments)


_STATE = "services"


def of(ctx: PluginContext) -> Commerce:
    """The plugin's services in this engine (one instance per context)."""
    found = ctx.state.get(_STATE)
    if not isinstance(found, Commerce):
        found = Commerce.build(ctx)
        ctx.state[_STATE] = found
    return found

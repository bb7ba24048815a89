"""The plugin's services bundled per engine: ``of(ctx)`` gives the one instance."""

from __future__ import annotations

from dataclasses import dataclass

from veriseal.extend import PluginContext
from veriseal_analytics.sales import Sales


@dataclass
class Analytics:
    ctx: PluginContext
    sales: Sales

    @classmethod
    def build(cls, ctx: PluginContext) -> Analytics:
        return cls(ctx, Sales(ctx))


_STATE = "services"


def of(ctx: PluginContext) -> Analytics:
    """The plugin's services in this engine (one instance per context)."""
    found = ctx.state.get(_STATE)
    if not isinstance(found, Analytics):
        found = Analytics.build(ctx)
        ctx.state[_STATE] = found
    return found

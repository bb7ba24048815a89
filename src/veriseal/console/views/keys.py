"""``/console/keys``: the brand's code keys (``keys.manage``): slot, algorithm, status,
age, when each was rotated out or revoked, and whether the active key is due for
rotation (``[keys] rotate_after_days``). Rotating and revoking stay with the CLI."""

from __future__ import annotations

from veriseal.accounts.permissions import Action
from veriseal.console.call import ConsoleCall
from veriseal.console.views.brandpick import pick_brand, reader
from veriseal.extend.console import ConsolePage, ConsoleView, Page


async def keys(call: ConsoleCall) -> Page:
    ops = call.engine.ops
    picked = await pick_brand(call, ops.keys.brand)
    if isinstance(picked, Page):
        return picked
    report = await ops.keys.status(reader(call), picked)
    return Page("keys.html", {"brand": picked, "report": report})


VIEWS = [ConsoleView("GET", "/console/keys", keys, Action.KEYS_MANAGE)]
PAGES = [ConsolePage("/console/keys", "Code keys", "码密钥", Action.KEYS_MANAGE, "codes", 40)]

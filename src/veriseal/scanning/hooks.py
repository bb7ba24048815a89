"""What the scan service asks of the plugin layer, stated here so scanning depends on
no plugin machinery: the plugin manager implements :class:`ScanHooks`.

- :class:`VerdictContribution`: what a plugin adds to a verdict before it is stored;
- :class:`LedgerEvent`: something appended to the ledger that plugins may react to;
- :func:`apply`: the verdict after the contributions (only ever more severe, by
  :data:`veriseal.scanning.verification.SEVERITY`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from veriseal.models import NewAlert, NewScan, Scan
from veriseal.scanning.verification import SEVERITY, Outcome, Verification


@dataclass(frozen=True)
class VerdictContribution:
    """What a plugin adds to a verdict: ``facts`` shown with it (JSON-ready values, under
    the plugin's name), and optionally a MORE severe ``outcome`` with its ``reason`` (a
    stable code) and English ``message``. A contribution can never make a verdict milder."""

    facts: dict[str, Any] = field(default_factory=dict)
    outcome: Outcome | None = None
    reason: str = ""
    message: str = ""


@dataclass(frozen=True)
class LedgerEvent:
    """Something appended to the ledger that plugins may react to. ``kind`` is stable
    (``"alert"`` for an alert raised; other modules add their own kinds), ``ref`` the id of
    the appended row, ``details`` its JSON-ready content."""

    kind: str
    brand_id: int | None
    ref: int
    details: dict[str, Any] = field(default_factory=dict)


class ScanHooks(Protocol):
    """The plugin calls the scan service makes (``veriseal.extend.manager.Plugins``)."""

    @property
    def contributes(self) -> bool:
        """Whether a plugin judges verdicts (then regions are resolved before the commit)."""
        ...

    async def contribute(
        self, scan: NewScan, verification: Verification
    ) -> list[tuple[str, VerdictContribution]]: ...

    async def after_scan(self, scan: Scan, verification: Verification) -> list[NewAlert]: ...

    async def event(self, event: LedgerEvent) -> None: ...


def apply(
    verification: Verification, contributions: Sequence[tuple[str, VerdictContribution]]
) -> tuple[Verification, dict[str, Any]]:
    """The verdict after the plugins' contributions (only ever more severe), and their
    facts keyed by plugin name."""
    facts: dict[str, Any] = {}
    result = verification
    for name, c in contributions:
        if c.facts:
            facts[name] = c.facts
        if c.outcome is not None and SEVERITY[c.outcome] > SEVERITY[result.outcome]:
            result = Verification(c.outcome, c.reason or name, c.message, result.info)
    return result, facts

"""The factory-line lifecycle services, bundled for the engine: activation and
decommission, aggregation (packing), SSCC allocation, the event ledger and its EPCIS
export. See docs/lifecycle.md."""

from __future__ import annotations

from dataclasses import dataclass

from veriseal.catalog.keys import KeyService
from veriseal.ledger.base import Ledger
from veriseal.lifecycle.activation import ActivationService
from veriseal.lifecycle.aggregation import AggregationService
from veriseal.lifecycle.epcis import EpcisExporter, EventSources
from veriseal.lifecycle.events import EventStore
from veriseal.lifecycle.logistic_units import SsccService


@dataclass
class Lifecycle:
    activation: ActivationService
    aggregation: AggregationService
    ssccs: SsccService
    events: EventStore
    keys: KeyService
    ledger: Ledger
    plugin_events: EventSources | None = None  # the plugins' epcis_events hook

    @classmethod
    def build(
        cls, ledger: Ledger, keys: KeyService, plugin_events: EventSources | None = None
    ) -> Lifecycle:
        return cls(
            activation=ActivationService(ledger),
            aggregation=AggregationService(ledger),
            ssccs=SsccService(ledger),
            events=EventStore(ledger),
            keys=keys,
            ledger=ledger,
            plugin_events=plugin_events,
        )

    def exporter(self) -> EpcisExporter:
        """A fresh exporter (it caches batches and minters for one export), with the
        plugins' events."""
        return EpcisExporter(self.ledger, self.keys, self.plugin_events)

"""The factory-line lifecycle services, bundled for the engine: activation and
decommission, aggregation (packing), SSCC allocation, the event ledger and its EPCIS
export. See docs/lifecycle.md."""

from __future__ import annotations

from dataclasses import dataclass

from veriseal.activation import ActivationService
from veriseal.aggregation import AggregationService
from veriseal.epcis import EpcisExporter
from veriseal.events import EventStore
from veriseal.keys import KeyService
from veriseal.ledger.base import Ledger
from veriseal.logistic_units import SsccService


@dataclass
class Lifecycle:
    activation: ActivationService
    aggregation: AggregationService
    ssccs: SsccService
    events: EventStore
    keys: KeyService
    ledger: Ledger

    @classmethod
    def build(cls, ledger: Ledger, keys: KeyService) -> Lifecycle:
        return cls(
            activation=ActivationService(ledger),
            aggregation=AggregationService(ledger),
            ssccs=SsccService(ledger),
            events=EventStore(ledger),
            keys=keys,
            ledger=ledger,
        )

    def exporter(self) -> EpcisExporter:
        """A fresh exporter (it caches batches and minters for one export)."""
        return EpcisExporter(self.ledger, self.keys)

"""The brand-operations services, bundled for the engine (``engine.ops``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from veriseal.brandops.alerts import AlertDesk
from veriseal.brandops.batches import BatchDesk
from veriseal.brandops.catalogue import CatalogueDesk
from veriseal.brandops.dashboard import Dashboard
from veriseal.brandops.keys import KeyDesk
from veriseal.brandops.print_runs import PrintDesk
from veriseal.brandops.scans import ScanDesk
from veriseal.catalog.batches import BatchService
from veriseal.catalog.keys import KeyService
from veriseal.catalog.products import Catalogue
from veriseal.extend.stream.consumer import Consumer
from veriseal.ledger.base import Ledger
from veriseal.lifecycle.activation import ActivationService


@dataclass(frozen=True)
class OpsSettings:
    """What the configuration says about brand operations (see veriseal.config)."""

    template_dirs: Sequence[Path] = ()
    print_spool: Path | None = None
    key_rotation_days: int = 365


@dataclass
class BrandOps:
    batches: BatchDesk
    prints: PrintDesk
    keys: KeyDesk
    dashboard: Dashboard
    alerts: AlertDesk
    scans: ScanDesk
    catalogue: CatalogueDesk

    @classmethod
    def build(
        cls,
        ledger: Ledger,
        keys: KeyService,
        batches: BatchService,
        catalogue: Catalogue,
        activation: ActivationService,
        settings: OpsSettings,
    ) -> BrandOps:
        desk = BatchDesk(ledger, batches, catalogue, activation)
        return cls(
            batches=desk,
            prints=PrintDesk(ledger, keys, desk, settings.template_dirs, settings.print_spool),
            keys=KeyDesk(ledger, keys, settings.key_rotation_days),
            dashboard=Dashboard(ledger),
            alerts=AlertDesk(ledger),
            scans=ScanDesk(ledger),
            catalogue=CatalogueDesk(ledger, catalogue),
        )

    def consumers(self) -> list[Consumer]:
        """The core's event-stream consumers (run beside the plugins' ones)."""
        return [self.dashboard.consumer()]

    async def close(self) -> None:
        """Stop background work (print runs rendering in this process)."""
        await self.prints.close()

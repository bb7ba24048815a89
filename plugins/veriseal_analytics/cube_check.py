"""What every rollup check reports (sales, scans, stock): the cube rows compared with
their recount, the differences found (the first 100 of them kept) and whether they were
repaired. Each check's report adds what it counts of its own sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CubeCheck:
    brand: str
    cube_rows: int = 0
    differences: list[dict[str, Any]] = field(default_factory=list)
    difference_count: int = 0
    repaired: bool = False

    @property
    def clean(self) -> bool:
        """No cube row differs from its recount (a subclass adds its sources' checks)."""
        return not self.difference_count

    def to_dict(self) -> dict[str, Any]:
        return {"brand": self.brand, "clean": self.clean, "repaired": self.repaired,
                "cube_rows": self.cube_rows, "difference_count": self.difference_count,
                "differences": self.differences}  # fmt: skip

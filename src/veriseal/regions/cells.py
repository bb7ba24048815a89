"""Regions remembered per grid cell, where the data proves every point of a cell alike.

Scans come again and again from the same places (a shop, a warehouse, a town centre),
and a phone's fix wanders by metres, so remembering exact points would rarely help. A
grid cell is remembered instead, but only when it is CERTIFIED: the resolver has proved,
from its own data, that every point of the cell resolves to the same region (the same
containing leaf area, or none, and the same nearest place). Cells come in
:data:`LEVELS` sizes, each a quarter of the one above, from :data:`CELL_DEGREES` (about
1.1 km north-south) down: a cell a border or a nearest-place boundary crosses is
remembered as mixed and the quarter holding the point is tried next, so a cell is as
large as the data allows there (in a city centre, where districts are small and places dense,
often a quarter or less; across the countryside, the largest). A point in a mixed cell
of the smallest size is resolved exactly every time.

Contract:

- a region :meth:`CellMemo.lookup` or :meth:`CellMemo.peek` returns is the one exact
  resolution gives for that point: the memo changes how fast, never what;
- a cell is certified on its :data:`SIGHTINGS`-th sighting, so a place seen once or
  twice (a one-off lookup, a quiet village) never pays for a certificate nobody
  reuses;
- at most ``max_cells`` cells are held (least recently used forgotten); thread-safe.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from enum import Enum

from veriseal.cache import LruDict
from veriseal.models import Region

#: The largest cell's side in degrees: 1.1 km of latitude, 0.8-1 km of longitude in
#: China. Measured once over 600 random points each (a throwaway script, not kept): a
#: cell of this size could be certified for 35% of points within 5 km of ten Chinese
#: city centres and 81% across China; one of the smallest size for 84% and 98%.
CELL_DEGREES = 0.01
#: Cell sizes: CELL_DEGREES, and halved LEVELS - 1 times (the smallest: 0.00125°, ~140 m).
LEVELS = 4
#: A cell is proved on its third sighting: a certificate costs about two exact
#: resolutions (48 µs against 27-30 µs here), so a cell must be used a few times to
#: repay it, and a one-off point never pays for one.
SIGHTINGS = 3
#: Widening of a cell before it is certified: a point's cell is computed in floating
#: point, so a point a rounding step outside its cell is still inside what was proved.
PAD_DEGREES = 1e-9
#: Cells nearer the poles than this are never remembered (longitude cells degenerate).
POLAR_LAT = 85.0

Cell = tuple[int, int, int]  # level, row, column
#: Proves a cell: its region when every point of the closed box (west, south, east,
#: north) resolves to it, else None.
Certify = Callable[[float, float, float, float], Region | None]


class _Mark(Enum):
    MIXED = "mixed"  # not every point alike: try its quarters


def _side(level: int) -> float:
    return CELL_DEGREES / (1 << level)


def cell_of(lat: float, lon: float, level: int = 0) -> Cell | None:
    """The cell of a point at ``level`` (0: the largest), or None for a point no cell
    stands for (not finite, out of range, polar)."""
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > POLAR_LAT:
        return None
    if abs(lon) > 180.0:
        return None
    side = _side(level)
    return level, math.floor(lat / side), math.floor(lon / side)


def bounds(cell: Cell) -> tuple[float, float, float, float]:
    """The cell's closed box, padded: (west, south, east, north)."""
    level, row, col = cell
    side = _side(level)
    return (
        col * side - PAD_DEGREES,
        row * side - PAD_DEGREES,
        (col + 1) * side + PAD_DEGREES,
        (row + 1) * side + PAD_DEGREES,
    )


class CellMemo:
    """Certified cells and their regions; see the module docstring."""

    def __init__(self, certify: Certify, max_cells: int = 32_768) -> None:
        self._certify = certify
        # a cell's region, MIXED, or how often it was sighted before being proved
        self._cells: LruDict[Cell, Region | _Mark | int] = LruDict(max_cells)
        self._lock = threading.Lock()
        self.certified = 0  # cells proved alike, for tests and benchmarks
        self.mixed = 0  # cells found crossed

    def peek(self, lat: float, lon: float) -> Region | None:
        """The point's region if a cell of it is certified, else None. Cheap (no
        geometry): fit for an event loop."""
        if cell_of(lat, lon) is None:
            return None
        with self._lock:  # once for every level: each is a dictionary probe
            for level in range(LEVELS):
                side = _side(level)
                got = self._cells.get((level, math.floor(lat / side), math.floor(lon / side)))
                if got is not _Mark.MIXED:
                    return got if isinstance(got, Region) else None
        return None

    def lookup(self, lat: float, lon: float) -> Region | None:
        """As :meth:`peek`, and count the sighting: on its :data:`SIGHTINGS`-th, the
        point's largest cell not known mixed is certified or found mixed (a few tree
        queries and polygon tests: not on an event loop); the quarters of a mixed cell
        count their own sightings."""
        if cell_of(lat, lon) is None:
            return None
        for level in range(LEVELS):
            side = _side(level)
            cell = level, math.floor(lat / side), math.floor(lon / side)
            with self._lock:
                got = self._cells.get(cell)
                if got is _Mark.MIXED:
                    continue
                if isinstance(got, Region):
                    return got
                seen = (got or 0) + 1
                if seen < SIGHTINGS:
                    self._cells[cell] = seen
                    return None
            region = self._certify(*bounds(cell))
            with self._lock:
                self._cells[cell] = _Mark.MIXED if region is None else region
                if region is None:
                    self.mixed += 1
                else:
                    self.certified += 1
            return region
        return None

    def certified_cells(self) -> list[tuple[Cell, Region]]:
        """The certified cells held and their regions (a copy), least recently used
        first."""
        with self._lock:
            return [(c, got) for c, got in self._cells.items() if isinstance(got, Region)]

    def __len__(self) -> int:
        return len(self._cells)

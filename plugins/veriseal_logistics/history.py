"""What delivered waybills teach (transit-time samples), and the quantiles the ETA and
the stall rule read from them.

Two measures per (carrier, lane, status), in hours:

- ``dwell``: how long the waybill stayed silent after a checkpoint of that status (the
  time to the next checkpoint). The stall rule compares a silence with it.
- ``remaining``: from the status's first checkpoint to delivery. The ETA adds its median
  and 90th percentile to the latest checkpoint's time (``picked_up``: the whole transit).

The fallback, in one place (:func:`pick`) for every :class:`History`: the lane's samples
when there are at least ``min_samples``, else the carrier's samples of that status over
all lanes when there are enough, else nothing (the callers' distance and fixed defaults
apply). Pure: no I/O; the service implements :class:`History` over
``logistics_samples`` with :func:`pick` and :func:`quantile_of`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from veriseal_logistics.models import Checkpoint, Waybill
from veriseal_logistics.statuses import Status

Measure = Literal["dwell", "remaining"]
DWELL: Measure = "dwell"
REMAINING: Measure = "remaining"


@dataclass(frozen=True, slots=True)
class Sample:
    """One learnt duration. ``seq``: the checkpoint's index on the timeline for a dwell,
    0 for a remaining time (so (waybill, measure, status, seq) is unique)."""

    carrier: str
    lane: str
    status: Status
    measure: Measure
    hours: float
    seq: int


class History(Protocol):
    """Past transit times, by carrier, lane and status."""

    def quantile(
        self, measure: Measure, carrier: str, lane: str, status: str, q: float
    ) -> tuple[float, int] | None:
        """The ``q`` quantile (0..1) in hours of ``measure`` for the status, and the
        number of samples it rests on, chosen by :func:`pick`; None when too few."""
        ...


def ordered(checkpoints: Iterable[Checkpoint]) -> list[Checkpoint]:
    """The timeline: checkpoints by event time, ties by id (the order they were stored)."""
    return sorted(checkpoints, key=lambda c: (c.at, c.id))


def _hours(a: dt.datetime, b: dt.datetime) -> float:
    return (b - a).total_seconds() / 3600.0


def samples_of(waybill: Waybill, checkpoints: Sequence[Checkpoint]) -> list[Sample]:
    """What a delivered waybill teaches (nothing for any other status).

    Delivery is the first ``delivered`` checkpoint, else ``waybill.delivered_at``; the
    timeline is the checkpoints up to it (later ones, such as a carrier's correction,
    say nothing about the transit). Each checkpoint's dwell runs to the next checkpoint,
    the last one's to delivery unless it is the delivery itself, so the dwells add up to
    delivery minus the first checkpoint. Each status's remaining time runs from its first
    checkpoint to delivery (``delivered`` itself has none)."""
    if waybill.status is not Status.DELIVERED:
        return []
    line = ordered(checkpoints)
    cut = next((i for i, c in enumerate(line) if c.status is Status.DELIVERED), None)
    if cut is not None:
        line, end = line[: cut + 1], line[cut].at
    elif waybill.delivered_at is not None:
        end = waybill.delivered_at
        line = [c for c in line if c.at <= end]
    else:
        return []
    if not line:
        return []
    carrier, lane = waybill.carrier, waybill.lane
    out: list[Sample] = []
    for i, c in enumerate(line):
        if c.status is Status.DELIVERED:
            continue  # the end: no dwell, no remaining time
        following = line[i + 1].at if i + 1 < len(line) else end
        out.append(Sample(carrier, lane, c.status, DWELL, _hours(c.at, following), i))
    first: dict[Status, dt.datetime] = {}
    for c in line:
        first.setdefault(c.status, c.at)
    for status, at in first.items():
        if status is not Status.DELIVERED:
            out.append(Sample(carrier, lane, status, REMAINING, _hours(at, end), 0))
    return out


def pick(
    by_lane: Sequence[float], all_lanes: Sequence[float], min_samples: int
) -> Sequence[float] | None:
    """The fallback: the lane's samples if at least ``min_samples``, else the carrier's
    samples over all lanes (the same measure and status) if enough, else None."""
    need = max(1, min_samples)
    if len(by_lane) >= need:
        return by_lane
    if len(all_lanes) >= need:
        return all_lanes
    return None


def quantile_of(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of non-empty ``values`` (linear interpolation, numpy's
    default), in the values' unit."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile {q} outside 0..1")
    return float(np.percentile(np.asarray(values, dtype=np.float64), q * 100.0))


class MemoryHistory:
    """A :class:`History` over samples in memory (tests, the benchmark)."""

    def __init__(self, samples: Iterable[Sample] = (), min_samples: int = 20) -> None:
        self.min_samples = min_samples
        self._by_lane: dict[tuple[str, str, str, str], list[float]] = {}
        self._all: dict[tuple[str, str, str], list[float]] = {}
        for s in samples:
            self.add(s)

    def add(self, sample: Sample) -> None:
        key = (sample.measure, sample.carrier, str(sample.status))
        self._all.setdefault(key, []).append(sample.hours)
        self._by_lane.setdefault((*key, sample.lane), []).append(sample.hours)

    def quantile(
        self, measure: Measure, carrier: str, lane: str, status: str, q: float
    ) -> tuple[float, int] | None:
        key = (measure, carrier, str(status))
        chosen = pick(self._by_lane.get((*key, lane), []), self._all.get(key, []),
                      self.min_samples)  # fmt: skip
        if chosen is None:
            return None
        return quantile_of(chosen, q), len(chosen)

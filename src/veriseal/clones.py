"""Clone rules: when the scans of one genuine code suggest copies of its label.

Pure evaluation over the code's derived history (:class:`ScanSummary`) and the scan at
hand; :class:`veriseal.scans.ScanService` applies the verdict and stores the alerts.

- *count*: more genuine verifications than the policy's ``max_verifications``. Every scan
  past the limit is a suspected clone; the alert is raised once, at the crossing.
- *impossible travel*: the scan is further from the code's previous scan than
  ``max_speed_kmh`` allows in the time between them, after granting both fixes their
  stated accuracy (:func:`veriseal.geo.min_distance_km`). Raised each time it happens.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from veriseal.geo import distance_km, min_distance_km
from veriseal.models import AlertKind, ClonePolicy, Location, ScanSummary

DEFAULT_POLICY = ClonePolicy()
_MIN_INTERVAL_S = 60.0  # two scans within a minute are judged as a minute apart


@dataclass(frozen=True)
class Finding:
    kind: AlertKind
    details: dict[str, float | int]
    evidence: tuple[int, ...]  # earlier scans; the current scan's id is added when stored
    raise_alert: bool

    def details_json(self) -> str:
        return json.dumps(self.details, sort_keys=True)


def evaluate(
    policy: ClonePolicy, before: ScanSummary, at: dt.datetime, where: Location | None
) -> list[Finding]:
    """The rules this scan triggers, most telling first (travel, then count)."""
    found: list[Finding] = []
    last = before.last_location
    if (
        policy.max_speed_kmh is not None
        and where is not None
        and last is not None
        and before.last_at is not None
        and before.last_id is not None
    ):
        apart = min_distance_km(last, where)
        hours = max((at - before.last_at).total_seconds(), _MIN_INTERVAL_S) / 3600
        speed = apart / hours
        if speed > policy.max_speed_kmh:
            found.append(
                Finding(
                    AlertKind.IMPOSSIBLE_TRAVEL,
                    {
                        "distance_km": round(distance_km(last, where), 1),
                        "hours": round(hours, 3),
                        "speed_kmh": round(speed),
                        "limit_kmh": policy.max_speed_kmh,
                    },
                    (before.last_id,),
                    raise_alert=True,
                )
            )
    limit = policy.max_verifications
    total = before.count + 1
    if limit is not None and total > limit:
        evidence = tuple(i for i in (before.first_id, before.last_id) if i is not None)
        found.append(
            Finding(
                AlertKind.CLONE_COUNT,
                {"verifications": total, "limit": limit},
                evidence,
                raise_alert=total == limit + 1,
            )
        )
    return found

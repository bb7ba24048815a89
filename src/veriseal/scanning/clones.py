"""Clone rules: when the scans of one genuine code suggest copies of its label.

Pure evaluation over the code's derived history (:class:`ScanSummary`, and for the
regions rule the regions it was verified in) and the scan at hand;
:class:`veriseal.scanning.service.ScanService` applies the verdict and stores the alerts.

- *count*: more genuine verifications than the policy's ``max_verifications``. Every scan
  past the limit is a suspected clone; the alert is raised once, at the crossing.
- *impossible travel*: the scan is further from the code's previous scan than
  ``max_speed_kmh`` allows in the time between them, after granting both fixes their
  stated accuracy (:func:`veriseal.regions.geo.min_distance_km`). Raised each time it happens.
  "Previous" is the last one recorded; the time between is the absolute difference, as
  a device-timed scan uploaded late may have happened before it.
- *regions*: the code's verifications, this one included, fall in more distinct regions
  (provinces, :attr:`veriseal.models.Region.province`, resolved offline) than the
  policy's ``max_regions``. Like the count rule, every scan past the limit is a suspected
  clone and the alert is raised once, when the first region too many appears; its
  evidence is the first scan in each region.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass

from veriseal.i18n import register
from veriseal.ledger.base import Ledger
from veriseal.models import AlertKind, ClonePolicy, Location, LocationSource, Region, ScanSummary
from veriseal.regions.geo import distance_km, min_distance_km
from veriseal.scanning import store

DEFAULT_POLICY = ClonePolicy()
_MIN_INTERVAL_S = 60.0  # two scans within a minute are judged as a minute apart

register(
    {
        "reason.local_copies": (
            "This code was verified by more different phones than one genuine item is:"
            " the label may have been copied.",
            "该码被过多不同的手机查询，标签疑似被复制。",
        ),
        "reason.clone_regions": (
            "This code was verified in more regions than one genuine item can travel:"
            " the label may have been copied.",
            "该码在过多不同地区被查询，标签疑似被复制。",
        ),
    }
)


@dataclass(frozen=True)
class Finding:
    kind: AlertKind
    details: dict[str, object]  # JSON figures (count, distance, ...)
    evidence: tuple[int, ...]  # earlier scans; the current scan's id is added when stored
    raise_alert: bool

    def details_json(self) -> str:
        return json.dumps(self.details, sort_keys=True)


def evaluate(
    policy: ClonePolicy,
    before: ScanSummary,
    at: dt.datetime,
    where: Location | None,
    region: Region | None = None,
    regions_before: Mapping[str, int] | None = None,
) -> list[Finding]:
    """The rules this scan triggers, most telling first (travel, regions, then count).

    ``at`` is when the scan happened (a device's reported time for an offline upload),
    which may be earlier than ``before.last_at``.

    ``regions_before`` maps each region key the code was verified in before to the id
    of its first scan there (see :func:`regions_seen`); the regions rule is evaluated
    only when it and ``region`` are given.
    """
    found: list[Finding] = []
    # IP-derived places are weak evidence: a phone on Wi-Fi and then on its carrier's
    # network may "appear" provinces apart within a minute, so neither the travel nor the
    # regions rule takes them (the distinct-devices rule counts such scans all the same)
    if where is not None and where.source is LocationSource.IP:
        where, region = None, None
    last = before.last_location
    if last is not None and last.source is LocationSource.IP:
        last = None
    if (
        policy.max_speed_kmh is not None
        and where is not None
        and last is not None
        and before.last_at is not None
        and before.last_id is not None
    ):
        apart = min_distance_km(last, where)
        # Absolute: a handheld's offline batch can report a scan that happened BEFORE the
        # code's last stored one; the travel between them is the same either way round.
        hours = max(abs((at - before.last_at).total_seconds()), _MIN_INTERVAL_S) / 3600
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
    if policy.max_regions is not None and region is not None and regions_before is not None:
        key = region.province
        total = len(regions_before) + (key not in regions_before)
        if total > policy.max_regions:
            found.append(
                Finding(
                    AlertKind.CLONE_REGIONS,
                    {"regions": total, "limit": policy.max_regions},
                    tuple(sorted(regions_before.values())),
                    raise_alert=total == policy.max_regions + 1 and key not in regions_before,
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


async def regions_seen(
    ledger: Ledger, brand_id: int, code: str, before: ScanSummary
) -> dict[str, int]:
    """Each region the code was verified in (genuine or suspected-clone scans), with the
    id of its first scan there. One query of the index ``scans_code`` alone, between the
    code's first and last verifications as ``before`` (its summary) names them; none
    when it has none."""
    if before.first_id is None or before.last_id is None:
        return {}
    async with ledger.read() as tx:
        return await store.first_scan_per_province(
            tx, brand_id, code, before.first_id, before.last_id
        )

"""Which units a return names, by their codes, and the evidence when a code is wrong.

Contracts:

- :func:`read_codes` reads item codes (one per entry; blank lines and ``#`` comments
  skipped; a unit named twice counts once). A case or pallet code is refused: every
  returned unit is identified by its own code (``return_invalid``);
- :func:`identify` verifies each code without recording a scan. A code that is not a
  genuine code of the brand (forged, another brand's, voided) is a :class:`Finding`
  of kind ``fake_code``; a genuine one becomes a :class:`Unit` (batch, index, GTIN,
  and the verdict, e.g. ``suspected_clone``, kept as evidence);
- :func:`shipped_on` is exactly the units the order's shipments moved to its dealer
  (territories' ``territories.movement_ranges``), so a unit shipped to anyone else, or
  never shipped, is a finding of kind ``not_on_order``;
- findings are recorded as alerts by :func:`record` in a transaction of their own, so
  the evidence stays when the request itself is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from veriseal import Brand, looks_like_sscc
from veriseal.extend import PluginContext, ServiceKey, Unavailable
from veriseal_commerce import returns_store as store
from veriseal_commerce.returns_errors import (
    ReturnInvalid,
    ReturnUnitFake,
    ReturnUnitNotOnOrder,
    ReturnUnitReturned,
)
from veriseal_commerce.returns_store import ReturnAlert

MAX_CODES = 2000
#: Outcomes of a code that is not the brand's genuine, live code.
FAKE_OUTCOMES = frozenset({"invalid", "key_revoked", "decommissioned"})


class MovementRanges(Protocol):
    """territories' ``territories.movement_ranges`` (declared here: plugins never import
    each other): movement id -> batch id -> inclusive (first, last) index ranges."""

    async def __call__(
        self, brand_id: int, movement_ids: Sequence[int]
    ) -> dict[int, dict[int, list[tuple[int, int]]]]: ...


MOVEMENT_RANGES: ServiceKey[MovementRanges] = ServiceKey("territories.movement_ranges")


@dataclass(frozen=True)
class Unit:
    code: str
    batch_id: int
    index: int
    gtin: str
    verdict: str

    @property
    def key(self) -> tuple[int, int]:
        return self.batch_id, self.index


@dataclass(frozen=True)
class Finding:
    """A code refused, with why: ``fake_code``, ``not_on_order`` or ``already_returned``."""

    kind: str
    code: str
    evidence: dict[str, Any] = field(default_factory=dict)


def read_codes(entries: Iterable[str]) -> list[str]:
    """The distinct item codes of ``entries`` in order (see the module docstring)."""
    out: dict[str, None] = {}
    for raw in entries:
        text = str(raw).strip()
        if not text or text.startswith("#"):
            continue
        if len(text) > 300:
            raise ReturnInvalid("a code is at most 300 characters / 防伪码过长")
        if looks_like_sscc(text):
            raise ReturnInvalid(
                f"{text}: scan each unit's own code, not its case or pallet"
                " / 请逐件扫描商品码，而非箱码",
                code=text,
            )
        out[text] = None
    if not out:
        raise ReturnInvalid("no unit codes given / 未提供商品码")
    if len(out) > MAX_CODES:
        raise ReturnInvalid(f"at most {MAX_CODES} units per call / 每次最多 {MAX_CODES} 件")
    return list(out)


async def identify(
    ctx: PluginContext, brand: Brand, codes: Sequence[str]
) -> tuple[list[Unit], list[Finding]]:
    """Genuine units and ``fake_code`` findings of ``codes`` (one verification each)."""
    units: dict[tuple[int, int], Unit] = {}
    findings: list[Finding] = []
    for code in codes:
        v = await ctx.verify(code)
        info = v.info
        outcome = str(v.outcome)
        if (
            outcome in FAKE_OUTCOMES
            or info is None
            or info.batch_id is None
            or info.brand_id != brand.id
        ):
            findings.append(Finding("fake_code", code, {"verdict": outcome, "reason": v.reason}))
            continue
        unit = Unit(code, info.batch_id, info.index, info.gtin, outcome)
        units.setdefault(unit.key, unit)  # two spellings of one unit count once
    return list(units.values()), findings


async def shipped_on(
    ctx: PluginContext, brand_id: int, movement_ids: Sequence[int]
) -> set[tuple[int, int]] | None:
    """Every (batch, index) the movements moved; None without the territories plugin."""
    ranges = ctx.optional(MOVEMENT_RANGES)
    if isinstance(ranges, Unavailable):
        return None
    out: set[tuple[int, int]] = set()
    for by_batch in (await ranges(brand_id, list(movement_ids))).values():
        for batch_id, spans in by_batch.items():
            out.update((batch_id, i) for first, last in spans for i in range(first, last + 1))
    return out


def not_on_order(
    units: Sequence[Unit], shipped: set[tuple[int, int]], order_no: str
) -> list[Finding]:
    return [
        Finding(
            "not_on_order", u.code, {"verdict": u.verdict, "order_no": order_no, "gtin": u.gtin}
        )
        for u in units
        if u.key not in shipped
    ]


@dataclass(frozen=True)
class Where:
    """Whose request the findings are about."""

    brand_id: int
    org_id: int
    order_id: int
    order_no: str
    actor: str


async def record(ctx: PluginContext, where: Where, findings: Sequence[Finding]) -> list[int]:
    """Keep each finding as an alert in a transaction of its own; returns their ids."""
    if not findings:
        return []
    now = dt.datetime.now(dt.UTC)
    async with ctx.db.write() as tx:
        return [
            await store.add_alert(
                tx,
                ReturnAlert(
                    0,
                    where.brand_id,
                    where.org_id,
                    where.order_id,
                    f.kind,
                    f.code,
                    {**f.evidence, "order_no": where.order_no},
                    where.actor,
                    now,
                ),
            )
            for f in findings
        ]


def refusal(findings: Sequence[Finding]) -> Exception:
    """The coded error for the first finding (every finding is in ``details``)."""
    first = findings[0]
    details = {
        "code": first.code,
        "findings": [{"kind": f.kind, "code": f.code, **f.evidence} for f in findings],
    }
    if first.kind == "fake_code":
        return ReturnUnitFake(
            f"{first.code}: not a genuine code of this brand / 非本品牌正品码", **details
        )
    if first.kind == "already_returned":
        return ReturnUnitReturned(
            f"{first.code}: already in return {first.evidence.get('return_no', '')} / 该商品已退货",
            **details,
        )
    return ReturnUnitNotOnOrder(
        f"{first.code}: not shipped on this order to this dealer / 该商品不是本订单发给该经销商的",
        **details,
    )

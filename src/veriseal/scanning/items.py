"""Reading item lists: the codes, ``BATCH:I-J`` specs and SSCCs a line controller or a
handheld names units by, into the batch ranges and logistic units the lifecycle services
take. It verifies codes, so it sits with scanning, above the lifecycle domain."""

from __future__ import annotations

import re
from collections.abc import Iterable

from veriseal.catalog.batches import BatchService
from veriseal.lifecycle.aggregation import Children
from veriseal.lifecycle.events import BatchRange
from veriseal.lifecycle.index_ranges import IndexRange, from_indexes
from veriseal.lifecycle.index_ranges import parse as parse_range
from veriseal.lifecycle.logistic_units import looks_like_sscc, parse_sscc
from veriseal.models import Brand
from veriseal.scanning.errors import ItemUnknown
from veriseal.scanning.verification import Outcome, Verifier

#: ``BATCH:I-J``: a batch (its id, or ``GTIN/LOT``) and a range of its indexes, the way
#: a line controller names labels it has not scanned one by one
_BATCH_RANGE = re.compile(
    r"(?P<batch>[0-9]{1,18}|[0-9]{8,14}/[^:\s]{1,20}):"
    r"(?P<range>[0-9]{1,10}(?:(?:-|\.\.)[0-9]{1,10})?)"
)


def batch_range_spec(text: str) -> tuple[str, IndexRange] | None:
    """``("12", 0..99)`` for ``"12:0-99"`` (or ``"GTIN/LOT:0..99"``); None for anything
    else (a code, an SSCC, a file name). ASCII digits only."""
    m = _BATCH_RANGE.fullmatch(text.strip())
    return None if m is None else (m.group("batch"), parse_range(m.group("range")))


async def resolve_children(
    batches: BatchService, verifier: Verifier, brand: Brand, texts: Iterable[str]
) -> Children:
    """What to pack: ``BATCH:I-J`` specs, and item codes and SSCCs as
    :func:`resolve_items` reads them; refused (``ItemUnknown`` and the like) as a whole."""
    ranges: list[BatchRange] = []
    codes: list[str] = []
    for text in texts:
        spec = batch_range_spec(text)
        if spec is None:
            codes.append(text)
            continue
        batch = await batches.get(brand, spec[0])
        ranges.append(BatchRange(batch.id, spec[1].first, spec[1].last))
    found, _ = await resolve_items(verifier, brand, codes)
    return Children((*ranges, *found.ranges), found.units)


async def resolve_items(
    verifier: Verifier, brand: Brand, texts: Iterable[str]
) -> tuple[Children, dict[int, list[IndexRange]]]:
    """Item codes (URIs, element strings, serials) and SSCCs, one per entry, into
    children: consecutive indexes of a batch become one range. Also returns the item
    ranges by batch id. Blank lines and ``#`` comments are skipped. ``ItemUnknown``
    names the first entry that is not an authentic code of ``brand`` (line numbers from
    1), ``SsccInvalid`` a malformed SSCC."""
    indexes: dict[int, list[int]] = {}
    units: list[str] = []
    for n, raw in enumerate(texts, 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        if looks_like_sscc(text):
            units.append(parse_sscc(text))
            continue
        result = await verifier.verify(text)
        info = result.info
        if (
            result.outcome is Outcome.INVALID
            or info is None
            or info.batch_id is None
            or info.brand_id != brand.id
        ):
            raise ItemUnknown(
                f"entry {n} ({text[:60]!r}) is not a code of {brand.slug}: {result.reason}",
                line=n,
                reason=result.reason,
            )
        indexes.setdefault(info.batch_id, []).append(info.index)
    by_batch = {batch_id: from_indexes(found) for batch_id, found in indexes.items()}
    ranges = tuple(
        BatchRange(batch_id, r.first, r.last)
        for batch_id, spans in sorted(by_batch.items())
        for r in spans
    )
    return Children(ranges, tuple(units)), by_batch

"""SSCC (GS1 AI 00) for logistic units: cases and pallets.

An SSCC is extension digit + GS1 company prefix + serial reference + check digit
(18 digits, built by :func:`veriseal.codes.gtin.make_sscc`). Serial references are
allocated here so that two mint runs never hand out the same SSCC: each run appends one
row ``(extension, prefix, first_serial, count)`` to ``sscc_allocations`` (a range, never
a row per SSCC) under a lock, and the next run starts after the highest allocation.

Label records carry what a printer needs, the same shape as item codes: the GS1 Digital
Link URI on the brand's resolver (``https://<resolver>/00/<sscc>``) and the element
string ``(00)<sscc>``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from veriseal.codes.errors import GtinInvalid
from veriseal.codes.gtin import SSCC_LENGTH, gs1_check_digit, make_sscc, sscc_check
from veriseal.ledger.base import Ledger
from veriseal.lifecycle import store
from veriseal.lifecycle.errors import SsccInvalid, SsccSpaceExhausted
from veriseal.models import Brand

#: At most this many SSCCs per mint run: a pallet plan, not a bulk generator.
MAX_MINT = 10_000_000


# (00)123..., 00123... with 20 digits, a Digital Link path /00/<sscc>, or 18 bare digits
_DL = re.compile(r"^(?:https?://[^/]+)?(?:/[^?#]*)?/00/([0-9]{18})(?:[/?#].*)?$")
_HRI = re.compile(r"^\(00\)\s*([0-9]{18})$")


def parse_sscc(text: str) -> str:
    """Any printed form of an SSCC -> its 18 digits (check digit verified).

    Accepts 18 digits (spaces/hyphens between digits allowed), ``(00)`` + 18 digits,
    ``00`` + 18 digits (a scanned element string) and a Digital Link URI with ``/00/``.
    Raises ``SsccInvalid`` for anything else.
    """
    raw = text.strip()
    for pattern in (_DL, _HRI):
        m = pattern.match(raw)
        if m:
            raw = m.group(1)
            break
    else:
        if raw.startswith("]C1") or raw.startswith("]d2") or raw.startswith("]Q3"):
            raw = raw[3:]  # symbology identifier of a scanner
        if len(raw) == SSCC_LENGTH + 2 and raw.startswith("00") and raw.isdigit():
            raw = raw[2:]
    try:
        return sscc_check(raw)
    except GtinInvalid as exc:
        raise SsccInvalid(exc.message) from None


def looks_like_sscc(text: str) -> bool:
    """True if ``text`` is written as an SSCC (it may still have a bad check digit)."""
    raw = text.strip()
    return bool(
        _DL.match(raw)
        or _HRI.match(raw)
        or (raw.isdigit() and len(raw) in (SSCC_LENGTH, SSCC_LENGTH + 2))
    )


def is_valid_sscc(text: str) -> bool:
    return (
        len(text) == SSCC_LENGTH
        and text.isascii()
        and text.isdigit()
        and int(text[-1]) == gs1_check_digit(text[:-1])
    )


@dataclass(frozen=True, slots=True)
class SsccLabel:
    """One logistic-unit label record, as a printer or a coder takes it."""

    sscc: str
    uri: str  # https://<resolver>/00/<sscc>
    element_string: str  # (00)<sscc>

    def to_dict(self) -> dict[str, str]:
        return {"sscc": self.sscc, "uri": self.uri, "element_string": self.element_string}


def label(resolver: str, sscc: str) -> SsccLabel:
    return SsccLabel(sscc, f"https://{resolver}/00/{sscc}", f"(00){sscc}")


def canonical_uri(sscc: str) -> str:
    """The canonical GS1 Digital Link URI (id.gs1.org), as EPCIS documents name it."""
    return f"https://id.gs1.org/00/{sscc}"


@dataclass(frozen=True, slots=True)
class SsccAllocation:
    """``count`` consecutive serial references from ``first_serial``."""

    brand_id: int
    extension: int
    company_prefix: str
    first_serial: int
    count: int
    at: dt.datetime

    def ssccs(self) -> Iterator[str]:
        for serial in range(self.first_serial, self.first_serial + self.count):
            yield make_sscc(self.extension, self.company_prefix, serial)


class SsccService:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    async def mint(
        self, brand: Brand, company_prefix: str, count: int, extension: int = 0
    ) -> SsccAllocation:
        """Allocate ``count`` fresh serial references under ``company_prefix`` and
        ``extension`` (one appended row). Raises ``SsccInvalid`` for a bad prefix,
        extension or count, ``SsccSpaceExhausted`` when the prefix has no room left."""
        if not 1 <= count <= MAX_MINT:
            raise SsccInvalid(f"mint 1..{MAX_MINT:,} SSCCs at a time, not {count}")
        try:
            make_sscc(extension, company_prefix, 0)  # validates extension and prefix
        except GtinInvalid as exc:
            raise SsccInvalid(exc.message) from None
        prefix = company_prefix.strip().replace(" ", "").replace("-", "")
        room = 10 ** (16 - len(prefix))
        async with self._ledger.write() as tx:
            await tx.advisory_lock(f"sscc:{prefix}")  # allocations per prefix, in turn
            first = await store.next_sscc_serial(tx, extension, prefix)
            if first + count > room:
                raise SsccSpaceExhausted(
                    f"prefix {prefix} with extension {extension} has {room - first} serial"
                    f" references left, {count} asked",
                    left=room - first,
                )
            now = dt.datetime.now(dt.UTC)
            serials = range(first, first + count)
            await store.append_sscc_allocation(tx, brand.id, extension, prefix, serials, now)
        return SsccAllocation(brand.id, extension, prefix, first, count, now)

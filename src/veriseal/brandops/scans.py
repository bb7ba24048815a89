"""The console's scan list and its exports (``scans.read``).

Filters: when the scan happened (``since`` inclusive, ``until`` exclusive), outcome,
product (GTIN), batch, province, channel. The list goes newest first by when the scans
happened (then by id), a page at a time after a keyset :data:`Cursor` (the last row's
time and id), through the ledger's :meth:`~veriseal.ledger.base.Ledger.list_scans` and
the (brand, [outcome | province,] time) indexes walked backwards: a page of a time
range costs that page, not the range.

Exports: CSV streams every matching row, a page at a time (memory stays flat however
many); XLSX is refused above :data:`XLSX_MAX_ROWS` rows (a spreadsheet of more is
neither quick to build nor to open: narrow the filters, or take the CSV).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

from veriseal.accounts.models import Principal
from veriseal.accounts.permissions import Action
from veriseal.brandops.scope import brand_for, check_brand
from veriseal.codes.gtin import normalize_gtin
from veriseal.errors import InvalidInput
from veriseal.i18n import register
from veriseal.ledger.base import Ledger
from veriseal.models import Brand, Product, Scan, ScanChannel, ScanQuery
from veriseal.regions.china import province_key
from veriseal.scanning.verification import Outcome

#: Rows an XLSX export may hold at most.
XLSX_MAX_ROWS = 100_000
#: Rows read per query while exporting.
EXPORT_PAGE = 2000


#: Where a newest-first page ends: the last scan's time and id.
Cursor = tuple[dt.datetime, int]
_CURSOR = re.compile(r"([0-9]{1,17})\.([0-9]{1,18})")


def cursor_of(scan: Scan) -> Cursor:
    return (scan.scan.at, scan.id)


def cursor_text(cursor: Cursor) -> str:
    """The cursor in a URL: microseconds since 1970 (UTC), a dot, the scan id."""
    at, scan_id = cursor
    micros = (at - _EPOCH) // dt.timedelta(microseconds=1)
    return f"{micros}.{scan_id}"


def parse_cursor(text: str) -> Cursor:
    """A cursor from :func:`cursor_text` (``InvalidInput`` for anything else)."""
    found = _CURSOR.fullmatch(text)
    if found is None:
        raise InvalidInput("cursor is not one this server gave out")
    at = _EPOCH + dt.timedelta(microseconds=int(found.group(1)))
    return (at, int(found.group(2)))


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class ExportTooLarge(InvalidInput):
    code = "export_too_large"
    http_status = 413


register(
    {
        "error.export_too_large": (
            "Too many rows for a spreadsheet: narrow the filters or export CSV",
            "行数过多，无法导出为 Excel：请缩小筛选范围或导出 CSV",
        ),
    }
)


@dataclass(frozen=True)
class ScanFilter:
    """The scan list's filters (all optional), as the service takes them: checked and
    normalised by :meth:`checked`."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    outcome: str | None = None
    gtin: str | None = None
    batch_id: int | None = None
    province: str | None = None
    channel: str | None = None

    def checked(self) -> ScanFilter:
        """The filter with a GTIN normalised and a province as scans store it;
        ``InvalidInput`` for an unknown outcome or channel or a reversed range."""
        if self.outcome is not None and self.outcome not in set(Outcome):
            raise InvalidInput(f"outcome {self.outcome!r} is not a verdict")
        if self.channel is not None and self.channel not in set(ScanChannel):
            raise InvalidInput(f"channel {self.channel!r}: one of {', '.join(ScanChannel)}")
        if self.since and self.until and self.until <= self.since:
            raise InvalidInput("the end of the time range comes before its start")
        for when in (self.since, self.until):
            if when is not None and when.tzinfo is None:
                raise InvalidInput("times need a time zone")
        return replace(
            self,
            gtin=None if self.gtin is None else normalize_gtin(self.gtin),
            province=None if self.province is None else province_key(self.province),
        )

    def query(self, limit: int, before: Cursor | None = None) -> ScanQuery:
        return ScanQuery(
            batch_id=self.batch_id,
            gtin=self.gtin,
            since=self.since,
            until=self.until,
            province=self.province,
            outcome=self.outcome,
            channel=self.channel,
            before=before,
            newest_first=True,
            limit=limit,
        )


class ScanDesk:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    async def brand(self, principal: Principal, slug: str | None = None) -> Brand:
        return await brand_for(self._ledger, principal, (Action.SCANS_READ,), slug)

    async def products(self, principal: Principal, brand: Brand) -> list[Product]:
        """The brand's products, for the product filter."""
        check_brand(principal, (Action.SCANS_READ,), brand)
        return await self._ledger.list_products(brand.id)

    async def page(
        self,
        principal: Principal,
        brand: Brand,
        flt: ScanFilter,
        *,
        limit: int = 50,
        before: Cursor | None = None,
    ) -> list[Scan]:
        """One page of the brand's matching scans, newest first, after ``before`` (the
        :func:`cursor_of` the previous page's last scan)."""
        check_brand(principal, (Action.SCANS_READ,), brand)
        return await self._ledger.list_scans(brand.id, flt.checked().query(limit, before))

    async def export(
        self, principal: Principal, brand: Brand, flt: ScanFilter, *, max_rows: int | None = None
    ) -> AsyncIterator[list[Scan]]:
        """Every matching scan, newest first, a page of :data:`EXPORT_PAGE` at a time.
        With ``max_rows``, ``ExportTooLarge`` is raised instead of yielding the page
        that would go past it: a caller building a file before sending it (XLSX) has
        sent nothing yet."""
        check_brand(principal, (Action.SCANS_READ,), brand)
        checked = flt.checked()
        before: Cursor | None = None
        sent = 0
        while True:
            found = await self._ledger.list_scans(brand.id, checked.query(EXPORT_PAGE, before))
            if not found:
                return
            sent += len(found)
            if max_rows is not None and sent > max_rows:
                raise ExportTooLarge(
                    f"more than {max_rows:,} scans match: narrow the filters or export CSV",
                    max_rows=max_rows,
                )
            yield found
            if len(found) < EXPORT_PAGE:
                return
            before = cursor_of(found[-1])

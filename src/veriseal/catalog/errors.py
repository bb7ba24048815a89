"""Coded errors of the catalog domain: batches and catalogue imports. The records'
not-found errors (``BrandNotFound``, ...) and the key errors stay in
:mod:`veriseal.errors` because the ledger raises them."""

from __future__ import annotations

from veriseal.errors import InvalidInput, VerisealError
from veriseal.i18n import register


class CsvInvalid(InvalidInput):
    code = "csv_invalid"


class BatchRecalled(VerisealError):
    code = "batch_recalled"
    http_status = 410
    exit_code = 6


class LotNotLinkable(InvalidInput):
    """A lot that is valid GS1 but cannot stand in a Digital Link: ``.`` and ``..`` are
    dot segments, which browsers, curl and resolvers drop from the path, so its codes
    could never be verified from their links."""

    code = "lot_dot_segment"


register(
    {
        "error.lot_dot_segment": ("Lot cannot appear in a link", "批号无法用于链接"),
    }
)

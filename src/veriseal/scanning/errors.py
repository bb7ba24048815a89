"""Coded errors of the scanning domain: scan times and item lists."""

from __future__ import annotations

from veriseal.errors import InvalidInput
from veriseal.i18n import register


class ScanTimeInvalid(InvalidInput):
    """A device-reported scan time (``scanned_at``) that cannot be used. ``details``
    carries ``problem``, one of the stable values ``not_string``, ``not_iso8601``,
    ``no_offset``, ``future`` (the device's clock is ahead of the server's: fix the
    clock) and ``too_old`` (older than the back-dating bound), and ``server_time``, the
    server's clock when it judged, so a device can see how far off its own is."""

    code = "scan_time_invalid"


class ItemUnknown(InvalidInput):
    """A line of an item list that is neither an SSCC nor an authentic code of the brand."""

    code = "item_unknown"


register(
    {
        "error.item_unknown": ("Not a code of this brand", "不是本品牌的码"),
    }
)

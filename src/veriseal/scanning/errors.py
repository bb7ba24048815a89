"""Coded errors of the scanning domain: scan times, item lists, suspected-fake reports."""

from __future__ import annotations

from veriseal.errors import InvalidInput, NotFound
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


class ReportInvalid(InvalidInput):
    """A suspected-fake report that cannot be filed as given: nothing names the item
    (no code, product or scan), a field too long, a scan that is not the reporter's."""

    code = "report_invalid"


class PhotoInvalid(InvalidInput):
    """A report photo that is not a readable JPEG, PNG or WebP image (or is empty, or
    has too many pixels). ``details["photo"]``: its position, from 1."""

    code = "photo_invalid"


class PhotoTooLarge(InvalidInput):
    """A report photo over the size limit. ``details``: ``photo`` (from 1), ``max_bytes``."""

    code = "photo_too_large"
    http_status = 413


class TooManyPhotos(InvalidInput):
    """More photos than a report takes. ``details["max_photos"]``."""

    code = "too_many_photos"


class ReportNotFound(NotFound):
    code = "report_not_found"


register(
    {
        "error.item_unknown": ("Not a code of this brand", "不是本品牌的码"),
        "error.report_invalid": ("The report cannot be filed as given", "举报内容不完整或有误"),
        "error.photo_invalid": (
            "The photo is not a readable JPEG, PNG or WebP image",
            "照片不是可读取的 JPEG、PNG 或 WebP 图片",
        ),
        "error.photo_too_large": ("The photo is too large", "照片文件过大"),
        "error.too_many_photos": ("Too many photos", "照片数量过多"),
        "error.report_not_found": ("No such report", "举报不存在"),
    }
)

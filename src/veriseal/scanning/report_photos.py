"""Photos of a suspected fake: checked, their EXIF evidence kept apart, re-encoded.

What a consumer uploads is whatever their phone (or anybody) sends: any bytes. The
contract: :func:`prepare` either returns a :class:`Photo` or raises a coded 4xx error
(:class:`PhotoInvalid`, :class:`PhotoTooLarge`); it never raises anything else, and
nothing is stored by it.

- **Images only.** The bytes are sniffed and decoded by Pillow (the file name and the
  declared media type are the client's word, not evidence): JPEG, PNG or WebP, at most
  :data:`MAX_BYTES` and :data:`MAX_PIXELS`; a "decompression bomb" is refused.
- **Re-encoded.** The stored image is a JPEG Pillow wrote from the decoded pixels, turned
  upright by its EXIF orientation and scaled to at most :data:`MAX_SIDE` pixels a side:
  a polyglot file or a script never reaches a reviewer's browser, and no metadata does.
- **EXIF GPS kept as evidence, apart.** Where and when a phone says the photo was taken
  is evidence for the brand (a market, a shop), so it is read before re-encoding and
  returned as :attr:`Photo.evidence` (``lat``, ``lon``, ``taken_at``), to be sealed
  with the photo and shown only to the brand reviewing the report and to the reporter.
  Malformed EXIF is ignored, never a reason to refuse the photo.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import ExifTags, Image, ImageOps

from veriseal.scanning.errors import PhotoInvalid, PhotoTooLarge

ACCEPTED = frozenset({"JPEG", "PNG", "WEBP"})
MAX_PHOTOS = 3
MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2560  # enough to read a label's print; keeps a sealed photo under ~1 MB
QUALITY = 88
MEDIA_TYPE = "image/jpeg"
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4
_DATETIME_ORIGINAL = 0x9003


@dataclass(frozen=True)
class Photo:
    """A photo ready to store: re-encoded JPEG bytes and what its EXIF said."""

    data: bytes
    media_type: str
    width: int
    height: int
    evidence: dict[str, Any] | None  # {"lat", "lon", "taken_at"} (each may be absent)


def _degrees(value: Any, ref: Any) -> float | None:
    """An EXIF GPS coordinate (degrees, minutes, seconds as rationals) in signed
    degrees; None if it is not one."""
    try:
        d, m, s = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    deg = d + m / 60.0 + s / 3600.0
    if not math.isfinite(deg):
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if str(ref).strip().upper() in ("S", "W"):
        deg = -deg
    return deg


def _taken_at(text: Any) -> str | None:
    """EXIF ``DateTimeOriginal`` (``2026:03:01 14:22:05``, the camera's local time,
    no zone) as ISO 8601 without an offset; None if it is not a date-time."""
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    if not isinstance(text, str):
        return None
    try:
        return dt.datetime.strptime(text.strip("\x00 "), "%Y:%m:%d %H:%M:%S").isoformat()
    except ValueError:
        return None


def exif_evidence(image: Image.Image) -> dict[str, Any] | None:
    """Where (GPS) and when the photo says it was taken; None when it says neither.
    Never raises: EXIF is the uploader's bytes too."""
    try:
        exif = image.getexif()
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        taken = exif.get_ifd(ExifTags.IFD.Exif).get(_DATETIME_ORIGINAL)
        lat = _degrees(gps.get(_GPS_LAT), gps.get(_GPS_LAT_REF)) if gps else None
        lon = _degrees(gps.get(_GPS_LON), gps.get(_GPS_LON_REF)) if gps else None
    except Exception:  # any malformed EXIF: no evidence, never a refusal
        return None
    found: dict[str, Any] = {}
    if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
        found["lat"], found["lon"] = round(lat, 6), round(lon, 6)
    when = _taken_at(taken)
    if when is not None:
        found["taken_at"] = when
    return found or None


def _decode(data: bytes, position: int) -> Image.Image:
    invalid = PhotoInvalid(
        f"photo {position} is not a readable JPEG, PNG or WebP image", photo=position
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED:
                raise invalid
            if image.width * image.height > MAX_PIXELS:
                raise PhotoInvalid(f"photo {position} has too many pixels", photo=position)
            if image.format == "JPEG":
                # decode at a reduced scale when the JPEG is larger than what is kept:
                # a phone's 48 MP photo costs a fraction of the memory and time
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))
            image.load()
        except PhotoInvalid:
            raise
        # Pillow's decoders raise many kinds on hostile input (OSError, SyntaxError,
        # ValueError, struct.error, EOFError, IndexError, DecompressionBomb*...): all of
        # them mean "not an image we take", a 400, never a 500.
        except Exception:
            raise invalid from None
    return image


def prepare(data: bytes, position: int = 1) -> Photo:
    """The photo ``data`` (the ``position``-th of a report, from 1) checked and
    re-encoded (see the module docstring); :class:`PhotoInvalid` or
    :class:`PhotoTooLarge` otherwise."""
    if not data:
        raise PhotoInvalid(f"photo {position} is empty", photo=position)
    if len(data) > MAX_BYTES:
        raise PhotoTooLarge(
            f"photo {position} is larger than {MAX_BYTES // (1024 * 1024)} MB",
            photo=position,
            max_bytes=MAX_BYTES,
        )
    image = _decode(data, position)
    evidence = exif_evidence(image)
    try:
        upright = ImageOps.exif_transpose(image)
        rgb = (upright or image).convert("RGB")
        rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        rgb.save(out, "JPEG", quality=QUALITY, optimize=True)
    except Exception:  # decoded but not convertible: still the upload's fault, a 400
        raise PhotoInvalid(
            f"photo {position} is not a readable JPEG, PNG or WebP image", photo=position
        ) from None
    return Photo(out.getvalue(), MEDIA_TYPE, rgb.width, rgb.height, evidence)

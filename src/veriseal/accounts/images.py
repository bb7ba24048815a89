"""Uploaded images: validate with Pillow, then re-encode.

Re-encoding is the point: the stored bytes are produced by Pillow from decoded pixels,
so a polyglot file, an oversized "decompression bomb" or EXIF metadata (a phone photo's
GPS position) never reaches storage or another user's browser.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from veriseal.accounts.errors import ImageInvalid

ACCEPTED = frozenset({"JPEG", "PNG", "WEBP"})
MAX_UPLOAD = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
AVATAR_SIZE = 256


def _open(data: bytes) -> Image.Image:
    if not data:
        raise ImageInvalid("the upload is empty")
    if len(data) > MAX_UPLOAD:
        raise ImageInvalid(f"images up to {MAX_UPLOAD // 1024 // 1024} MiB are accepted")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED:
                raise ImageInvalid(f"accepted formats: {', '.join(sorted(ACCEPTED))}")
            if image.width * image.height > MAX_PIXELS:
                raise ImageInvalid("the image has too many pixels")
            image.load()
    except (
        UnidentifiedImageError,
        OSError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        SyntaxError,
        ValueError,
    ):
        raise ImageInvalid("the upload is not a readable JPEG, PNG or WebP image") from None
    return ImageOps.exif_transpose(image)


def avatar(data: bytes) -> bytes:
    """A square ``AVATAR_SIZE`` PNG cut from the centre of the upload."""
    image = _open(data).convert("RGB")
    square = ImageOps.fit(image, (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, "PNG", optimize=True)
    return out.getvalue()


def document(data: bytes) -> tuple[bytes, str]:
    """An identity document or licence photo, re-encoded as JPEG (quality kept high for
    a reviewer to read it), with its media type."""
    image = _open(data).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue(), "image/jpeg"


#: longest side of a stored product image (catalogue photos, shown on phones)
PRODUCT_IMAGE_SIDE = 1600


def product_image(data: bytes) -> tuple[bytes, str, int, int]:
    """A product (catalogue) photo re-encoded as JPEG, at most
    ``PRODUCT_IMAGE_SIDE`` pixels on its longest side: (bytes, media type, width,
    height). Public catalogue data, so like every upload it carries no metadata."""
    image = _open(data).convert("RGB")
    image.thumbnail((PRODUCT_IMAGE_SIDE, PRODUCT_IMAGE_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue(), "image/jpeg", image.width, image.height

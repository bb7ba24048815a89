"""Scratch-off PINs: a secret 6-8 digit number per code, derived, never stored.

::

    block = "P" | digits | version | slot(2) | tag(5) | body(6)        (16 bytes)
    pin   = int(AES(pin_key, block)[0:8], big-endian) mod 10^digits, zero-padded

``tag`` is 0 for signed serials. The PIN key is separate from the code key (see
:mod:`.material`), so knowing PINs reveals nothing about serials and vice versa. The
modulo bias is below 10^-10. A PIN is checked in constant time.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from veriseal.codes import base32
from veriseal.codes.errors import PinInvalid
from veriseal.codes.layout import HEAD_LEN, TAG_SYMBOLS, SerialFields, Version
from veriseal.codes.material import KeyMaterial

if TYPE_CHECKING:
    # numpy serves the bulk (array) functions only, which import it themselves: the
    # scalar path for one code (``veriseal verify``) starts without it (issue 20)
    import numpy as np
    import numpy.typing as npt

MIN_DIGITS = 6
MAX_DIGITS = 8


def check_digits(digits: int) -> None:
    if not MIN_DIGITS <= digits <= MAX_DIGITS:
        raise PinInvalid(f"a PIN has {MIN_DIGITS} to {MAX_DIGITS} digits, not {digits}")


def _block(digits: int, version: int, slot: int, tag: int, body: int) -> bytes:
    return (
        bytes((ord("P"), digits, version, slot >> 8, slot & 0xFF))
        + tag.to_bytes(5, "big")
        + body.to_bytes(6, "big")
    )


def pin_for(key: KeyMaterial, digits: int, fields: SerialFields) -> str:
    """The PIN of one parsed serial."""
    check_digits(digits)
    block = _block(digits, int(fields.version), fields.slot, fields.tag, fields.body)
    value = int.from_bytes(key.pin_blocks(block)[:8], "big") % 10**digits
    return str(value).zfill(digits)


def pins_array(
    key: KeyMaterial, digits: int, serials: npt.NDArray[np.uint8]
) -> npt.NDArray[np.uint8]:
    """PINs of an ``(n, L)`` ASCII array of serials minted under ``key`` (one bulk call),
    as an ``(n, digits)`` ASCII array."""
    import numpy as np  # noqa: PLC0415 (see the imports)

    check_digits(digits)
    n = serials.shape[0]
    version = base32.decode_int(chr(serials[0, 0])) if n else 0
    if version == Version.COMPACT_V1:
        tags, _ = base32.decode_array(serials[:, HEAD_LEN : HEAD_LEN + TAG_SYMBOLS])
        bodies, _ = base32.decode_array(serials[:, HEAD_LEN + TAG_SYMBOLS :])
    else:
        tags = np.zeros(n, dtype=np.uint64)
        bodies, _ = base32.decode_array(serials[:, HEAD_LEN:])
    blocks = np.zeros((n, 16), dtype=np.uint8)
    blocks[:, 0] = ord("P")
    blocks[:, 1] = digits
    blocks[:, 2] = version
    blocks[:, 3] = key.slot >> 8
    blocks[:, 4] = key.slot & 0xFF
    blocks[:, 5:10] = tags.astype(">u8").view(np.uint8).reshape(-1, 8)[:, 3:]
    blocks[:, 10:16] = bodies.astype(">u8").view(np.uint8).reshape(-1, 8)[:, 2:]
    out = np.frombuffer(key.pin_blocks(blocks.tobytes()), dtype=np.uint8).reshape(-1, 16)
    values = out[:, :8].copy().view(">u8").reshape(-1).astype(np.uint64)
    values %= np.uint64(10**digits)
    pins = np.empty((n, digits), dtype=np.uint8)
    for col in range(digits - 1, -1, -1):
        pins[:, col] = (values % np.uint64(10)).astype(np.uint8) + ord("0")
        values //= np.uint64(10)
    return pins


def pin_matches(key: KeyMaterial, digits: int, fields: SerialFields, typed: str) -> bool:
    """Constant-time check of a typed PIN (spaces ignored). Wrong shape -> ``PinInvalid``."""
    typed = typed.replace(" ", "").strip()
    if not (typed.isascii() and typed.isdigit()) or len(typed) != digits:
        raise PinInvalid(f"the PIN has {digits} digits")
    return hmac.compare_digest(pin_for(key, digits, fields), typed)

"""The compact profile: SIV-authenticated 20-symbol serials (format: :mod:`.layout`).

``mint_compact`` and ``open_compact_array`` work on whole numpy chunks with one bulk AES
call per step (two per chunk), never a Python loop per code; ``open_compact`` is the
scalar path for one typed or scanned serial. Both MUST agree bit for bit (tested).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from veriseal.codes import base32
from veriseal.codes.layout import (
    COMPACT_LEN,
    HEAD_LEN,
    INDEX_BITS,
    MAX_INDEX,
    PAYLOAD_MASK,
    PAYLOAD_SYMBOLS,
    TAG_SYMBOLS,
    SerialFields,
    Version,
)
from veriseal.codes.material import KeyMaterial

if TYPE_CHECKING:
    # numpy serves the bulk (array) functions only, which import it themselves: the
    # scalar path for one code (``veriseal verify``) starts without it (issue 20)
    import numpy as np
    import numpy.typing as npt

_TAG_DOMAIN = ord("T")
_MASK_DOMAIN = ord("M")
_VERSION = int(Version.COMPACT_V1)


def _blocks(domain: int, slot: int, values: npt.NDArray[np.uint64]) -> bytes:
    """16-byte PRF inputs ``domain | version | slot(2) | 0^4 | value(8, big-endian)``."""
    import numpy as np  # noqa: PLC0415 (see the imports)

    blocks = np.zeros((values.shape[0], 16), dtype=np.uint8)
    blocks[:, 0] = domain
    blocks[:, 1] = _VERSION
    blocks[:, 2] = slot >> 8
    blocks[:, 3] = slot & 0xFF
    blocks[:, 8:16] = values.astype(">u8").view(np.uint8).reshape(-1, 8)
    return blocks.tobytes()


def _prf64(key: KeyMaterial, blocks: bytes) -> npt.NDArray[np.uint64]:
    """First 8 bytes of each encrypted block as a big-endian integer."""
    import numpy as np  # noqa: PLC0415 (see the imports)

    out = np.frombuffer(key.code_blocks(blocks), dtype=np.uint8).reshape(-1, 16)
    return out[:, :8].copy().view(">u8").reshape(-1).astype(np.uint64)


def _tags(key: KeyMaterial, payloads: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    import numpy as np  # noqa: PLC0415 (see the imports)

    return _prf64(key, _blocks(_TAG_DOMAIN, key.slot, payloads)) >> np.uint64(24)


def _masks(key: KeyMaterial, tags: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    import numpy as np  # noqa: PLC0415 (see the imports)

    return _prf64(key, _blocks(_MASK_DOMAIN, key.slot, tags)) & np.uint64(PAYLOAD_MASK)


def mint_compact(
    key: KeyMaterial, seq: int, indexes: npt.NDArray[np.uint64]
) -> npt.NDArray[np.uint8]:
    """Serials of ``indexes`` in batch ``seq``, as an ``(n, 20)`` ASCII array.

    Deterministic: the same key, seq and index always give the same serial (so a jammed
    range can be reprinted). Callers MUST pass indexes within the batch size.
    """
    import numpy as np  # noqa: PLC0415 (see the imports)

    payloads = (np.uint64(seq) << np.uint64(INDEX_BITS)) | indexes.astype(np.uint64)
    tags = _tags(key, payloads)
    masked = payloads ^ _masks(key, tags)
    out = np.empty((payloads.shape[0], COMPACT_LEN), dtype=np.uint8)
    out[:, 0] = ord(base32.ALPHABET[_VERSION])
    out[:, 1] = ord(base32.ALPHABET[key.slot >> 5])
    out[:, 2] = ord(base32.ALPHABET[key.slot & 31])
    base32.encode_array(tags, TAG_SYMBOLS, out[:, HEAD_LEN : HEAD_LEN + TAG_SYMBOLS])
    base32.encode_array(masked, PAYLOAD_SYMBOLS, out[:, HEAD_LEN + TAG_SYMBOLS :])
    return out


def open_compact_array(
    key: KeyMaterial, serials: npt.NDArray[np.uint8]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Authenticate an ``(n, 20)`` ASCII array of serials that all name ``key.slot``.

    Returns ``(valid, seq, index)``; ``seq``/``index`` are meaningful only where ``valid``.
    A row is valid only if every symbol is in the alphabet, the head is this key's, and the
    recomputed tag matches.
    """
    import numpy as np  # noqa: PLC0415 (see the imports)

    head_ok = (
        (serials[:, 0] == ord(base32.ALPHABET[_VERSION]))
        & (serials[:, 1] == ord(base32.ALPHABET[key.slot >> 5]))
        & (serials[:, 2] == ord(base32.ALPHABET[key.slot & 31]))
    )
    tags, tags_ok = base32.decode_array(serials[:, HEAD_LEN : HEAD_LEN + TAG_SYMBOLS])
    masked, body_ok = base32.decode_array(serials[:, HEAD_LEN + TAG_SYMBOLS :])
    payloads = masked ^ _masks(key, tags)
    valid = head_ok & tags_ok & body_ok & (_tags(key, payloads) == tags)
    return valid, payloads >> np.uint64(INDEX_BITS), payloads & np.uint64(MAX_INDEX)


def _prf64_one(key: KeyMaterial, domain: int, value: int) -> int:
    block = bytes((domain, _VERSION, key.slot >> 8, key.slot & 0xFF, 0, 0, 0, 0))
    return int.from_bytes(key.code_blocks(block + value.to_bytes(8, "big"))[:8], "big")


def open_compact(key: KeyMaterial, fields: SerialFields) -> int | None:
    """Scalar check of one parsed compact serial; the payload if authentic, else None."""
    mask = _prf64_one(key, _MASK_DOMAIN, fields.tag) & PAYLOAD_MASK
    value = fields.body ^ mask
    if _prf64_one(key, _TAG_DOMAIN, value) >> 24 != fields.tag:
        return None
    return value

"""Serial layouts, symbol by symbol. This is the versioned, documented format (v1).

Every serial is Crockford base32 (:mod:`veriseal.codes.base32`, 5 bits per symbol, most
significant first) and starts with the same 3-symbol *head*::

    symbol  0      version/profile   "C" (12) = compact v1, "S" (25) = signed v1
    symbols 1-2    key slot          10 bits, 0..1023: which brand key minted the code

The *payload* is 45 bits: ``seq << 25 | index``::

    seq    20 bits  the batch's number under its key (0..1,048,575 batches per key)
    index  25 bits  the unit's position in the batch (0..33,554,431 units per batch)

**compact** (20 symbols = 100 bits, fits GS1 AI 21's 20-character limit)::

    0     1-2    3 ........ 10   11 ............ 19
    C     slot   tag (40 bits)   payload XOR mask (45 bits)

It is the SIV construction (Rogaway & Shrimpton 2006, deterministic authenticated
encryption) with AES-128 as the PRF, all blocks domain-separated by their first byte::

    tag  = AES(code_key, "T" | ver | slot(2) | 0^4 | payload(8))[0:5]      -> 40 bits
    mask = AES(code_key, "M" | ver | slot(2) | 0^4 | tag(8))[0:8] & (2^45-1)

Verification recomputes ``mask`` from the tag, unmasks the payload and recomputes the tag:
no lookup. A random or edited serial passes with probability 2^-40 (one tag in 2^40),
since the tag is a PRF output over the whole payload and any change of the masked part
changes the payload. Consecutive indexes give unrelated tags and masks, so serials of
one batch look unrelated and cannot be enumerated.

**signed** (12 symbols = 60 bits; authenticity comes from an Ed25519 signature carried
next to the serial, see :mod:`veriseal.codes.signed`)::

    0     1-2    3 ............ 11
    S     slot   payload (45 bits, in clear)

The payload is in clear because the signature, not secrecy, makes the code unforgeable,
and an offline verifier (public key only) must be able to name the batch and index.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

from veriseal.codes import base32
from veriseal.codes.errors import CodeInvalid


class Version(IntEnum):
    COMPACT_V1 = 12  # "C"
    SIGNED_V1 = 25  # "S"


SEQ_BITS = 20
INDEX_BITS = 25
PAYLOAD_BITS = SEQ_BITS + INDEX_BITS
TAG_BITS = 40
SLOT_BITS = 10
MAX_SEQ = (1 << SEQ_BITS) - 1
MAX_INDEX = (1 << INDEX_BITS) - 1
MAX_BATCH_SIZE = 1 << INDEX_BITS
PAYLOAD_MASK = (1 << PAYLOAD_BITS) - 1
TAG_MASK = (1 << TAG_BITS) - 1

HEAD_LEN = 3
COMPACT_LEN = 20  # 3 head + 8 tag + 9 payload
SIGNED_LEN = 12  # 3 head + 9 payload
TAG_SYMBOLS = 8
PAYLOAD_SYMBOLS = 9

LENGTHS = {Version.COMPACT_V1: COMPACT_LEN, Version.SIGNED_V1: SIGNED_LEN}
_VERSION_BY_SYMBOL = {base32.ALPHABET[v]: v for v in Version}


class SerialFields(NamedTuple):
    """The clear fields of a parsed serial (before any authenticity check). A NamedTuple:
    immutable and cheap to build (one per verification)."""

    version: Version
    slot: int
    tag: int  # 0 for signed serials
    body: int  # compact: masked payload; signed: payload (see split_payload)


def payload(seq: int, index: int) -> int:
    return (seq << INDEX_BITS) | index


def split_payload(value: int) -> tuple[int, int]:
    return value >> INDEX_BITS, value & MAX_INDEX


def head(version: Version, slot: int) -> str:
    return base32.ALPHABET[version] + base32.encode_int(slot, 2)


def parse_serial(text: str) -> tuple[str, SerialFields]:
    """Normalise a serial and split it into fields. Returns ``(normalised, fields)``.

    Raises ``CodeInvalid`` with a specific message for an unknown version symbol, a wrong
    length or a character outside the alphabet. It does NOT check authenticity.
    """
    serial = base32.normalize(text)
    if not serial:
        raise CodeInvalid("the serial is empty")
    version = _VERSION_BY_SYMBOL.get(serial[0])
    if version is None:
        raise CodeInvalid(f"serial starts with {serial[0]!r}, which is not a Veriseal code version")
    want = LENGTHS[version]
    if len(serial) != want:
        raise CodeInvalid(
            f"a {version.name.split('_')[0].lower()} serial has {want} characters,"
            f" this one has {len(serial)}"
        )
    # one int() over the whole serial, then shifts: the cheapest split in CPython
    value = base32.decode_int(serial)
    if version is Version.COMPACT_V1:
        fields = SerialFields(
            version, (value >> 85) & 1023, (value >> 45) & TAG_MASK, value & PAYLOAD_MASK
        )
    else:
        fields = SerialFields(version, (value >> 45) & 1023, 0, value & PAYLOAD_MASK)
    return serial, fields

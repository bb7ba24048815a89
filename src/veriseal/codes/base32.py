"""Crockford base32: the print-safe alphabet of every Veriseal serial.

Alphabet (value 0..31)::

    0123456789ABCDEFGHJKMNPQRSTVWXYZ

It has no I, L, O or U, so no pair of look-alikes survives on a label (0/O and 1/I/L
are one symbol each). Human input is normalised before decoding: case is folded,
spaces and hyphens are dropped, O reads as 0, I and L read as 1. Any other character is
an error. All characters are in GS1's CSET 82 and URI-unreserved, so a serial goes into
AI 21 and a Digital Link path unescaped.

Both a scalar API (for one code typed by a person) and a numpy API (for millions of codes
in one call) are provided; they MUST agree, and the tests check that they do.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from veriseal.codes.errors import CodeInvalid

if TYPE_CHECKING:
    # numpy serves the bulk (array) functions only, which import it themselves: the
    # scalar path for one code (``veriseal verify``) starts without it (issue 20)
    import numpy as np
    import numpy.typing as npt

    U64 = npt.NDArray[np.uint64]
    U8 = npt.NDArray[np.uint8]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

#: Characters a person may type for a symbol; applied after upper-casing.
_CONFUSABLES = {"O": "0", "I": "1", "L": "1"}
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_CANONICAL = frozenset(ALPHABET)
_TO_PYTHON_DIGITS = str.maketrans(ALPHABET, "0123456789abcdefghijklmnopqrstuv")


@functools.cache
def _tables() -> tuple[U8, U8]:
    """The bulk codec's tables, built on first use (numpy is imported only then):
    value -> ASCII byte, and ASCII byte -> value with 255 for "not in the alphabet".
    Lower case is accepted there too so the bulk decoder tolerates case like the scalar
    one; confusables are NOT (bulk input comes from machines, which print what we
    minted)."""
    import numpy as np  # noqa: PLC0415 (see the imports)

    alphabet_bytes = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
    decode = np.full(256, 255, dtype=np.uint8)
    for i, c in enumerate(ALPHABET):
        decode[ord(c)] = i
        decode[ord(c.lower())] = i
    return alphabet_bytes, decode


def normalize(text: str) -> str:
    """Fold case, drop spaces/hyphens, map O->0 and I/L->1. Raises ``CodeInvalid`` for any
    remaining character outside the alphabet (the message names it and its position)."""
    if not isinstance(text, str):  # defensive: callers parse untrusted JSON too
        raise CodeInvalid("a serial must be text")
    if _CANONICAL.issuperset(text):
        return text  # scanned codes arrive exactly as printed
    out: list[str] = []
    for typed in text.upper():
        if typed in " -\t":
            continue
        ch = _CONFUSABLES.get(typed, typed)
        if ch not in _VALUE:
            raise CodeInvalid(
                f"character {ch!r} at position {len(out) + 1} is not used in serials",
                position=len(out) + 1,
            )
        out.append(ch)
    return "".join(out)


def decode_int(symbols: str) -> int:
    """Value of already-normalised ``symbols`` (most significant first)."""
    # Python's int() reads base 32 with the digits 0-9a-v: translate, then parse in C.
    return int(symbols.translate(_TO_PYTHON_DIGITS), 32)


def encode_int(value: int, width: int) -> str:
    """``width`` symbols for ``0 <= value < 32**width``, most significant first."""
    chars = []
    for shift in range(5 * (width - 1), -1, -5):
        chars.append(ALPHABET[(value >> shift) & 31])
    return "".join(chars)


def encode_array(values: U64, width: int, out: U8) -> None:
    """Write ``width`` ASCII symbols per value into ``out`` (shape ``(n, width)``)."""
    import numpy as np  # noqa: PLC0415 (see the imports)

    alphabet_bytes = _tables()[0]
    v = values
    for col in range(width - 1, -1, -1):
        out[:, col] = alphabet_bytes[(v & np.uint64(31)).astype(np.intp)]
        v = v >> np.uint64(5)


def decode_array(chars: U8) -> tuple[U64, npt.NDArray[np.bool_]]:
    """Values of an ``(n, width)`` array of ASCII symbols and a mask of rows that held
    only alphabet characters (other rows' values are meaningless)."""
    import numpy as np  # noqa: PLC0415 (see the imports)

    digits = _tables()[1][chars]
    ok = np.all(digits != 255, axis=1)
    values = np.zeros(chars.shape[0], dtype=np.uint64)
    for col in range(chars.shape[1]):
        values = (values << np.uint64(5)) | (digits[:, col].astype(np.uint64) & np.uint64(31))
    return values, ok

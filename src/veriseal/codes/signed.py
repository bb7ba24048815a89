"""The signed profile: clear 12-symbol serials plus an Ed25519 signature (offline check).

The signature covers a canonical message; fields are ASCII, joined by GS (0x1D, the GS1
field separator, which no field may contain)::

    b"veriseal/signed/v1" GS gtin14 GS lot GS serial GS kid GS expiry_yymmdd_or_empty

It travels in the GS1 Digital Link URI as the query parameter ``s``: 64 bytes in
base64url without padding = 86 characters. With the host ``id.acme.example``, a 7-character
lot and an expiry, the URI has 167 characters and needs QR version 9 at error correction
level M in byte mode (version 8 at level L); ``benchmarks/uri_sizes.py`` prints the table
for any host and lot (see docs/codes.md).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from typing import TYPE_CHECKING

from nacl.exceptions import BadSignatureError

from veriseal.codes import base32
from veriseal.codes.errors import CodeInvalid, SignatureNotCanonical
from veriseal.codes.layout import HEAD_LEN, INDEX_BITS, PAYLOAD_SYMBOLS, SIGNED_LEN, Version
from veriseal.codes.material import KeyMaterial, PublicKey

if TYPE_CHECKING:
    # numpy serves the bulk (array) functions only, which import it themselves: the
    # scalar path for one code (``veriseal verify``) starts without it (issue 20)
    import numpy as np
    import numpy.typing as npt

SIGNATURE_PARAM = "s"
SIGNATURE_CHARS = 86
_GS = b"\x1d"
_DOMAIN = b"veriseal/signed/v1"
_VERSION = int(Version.SIGNED_V1)


def mint_signed_serials(
    slot: int, seq: int, indexes: npt.NDArray[np.uint64]
) -> npt.NDArray[np.uint8]:
    """Clear signed-profile serials as an ``(n, 12)`` ASCII array."""
    import numpy as np  # noqa: PLC0415 (see the imports)

    payloads = (np.uint64(seq) << np.uint64(INDEX_BITS)) | indexes.astype(np.uint64)
    out = np.empty((payloads.shape[0], SIGNED_LEN), dtype=np.uint8)
    out[:, 0] = ord(base32.ALPHABET[_VERSION])
    out[:, 1] = ord(base32.ALPHABET[slot >> 5])
    out[:, 2] = ord(base32.ALPHABET[slot & 31])
    base32.encode_array(payloads, PAYLOAD_SYMBOLS, out[:, HEAD_LEN:])
    return out


def message(gtin: str, lot: str, serial: str, kid: str, expiry: dt.date | None) -> bytes:
    """The canonical bytes a signed code's signature covers (see module docstring)."""
    # formatted by hand: strftime is a noticeable share of an offline check
    exp = f"{expiry.year % 100:02d}{expiry.month:02d}{expiry.day:02d}" if expiry else ""
    return message_bytes(gtin.encode(), lot.encode(), serial.encode(), kid.encode(), exp.encode())


def message_bytes(gtin: bytes, lot: bytes, serial: bytes, kid: bytes, exp: bytes) -> bytes:
    """:func:`message` on pre-encoded fields (the bulk minting path)."""
    return _GS.join((_DOMAIN, gtin, lot, serial, kid, exp))


def encode_signature(raw: bytes) -> bytes:
    """base64url without padding: the 86 ASCII bytes that go into the URI."""
    return base64.urlsafe_b64encode(raw)[:SIGNATURE_CHARS]


def sign(key: KeyMaterial, msg: bytes) -> str:
    """Detached Ed25519 signature of ``msg``, base64url without padding (86 chars)."""
    return encode_signature(key.signing_key.sign(msg).signature).decode("ascii")


#: The characters whose 6 bits end in 4 zero bits: all the 86th character may be, since
#: 86 characters carry 516 bits and a signature has 512.
_LAST = "AQgw"
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_LENIENT = re.compile(r"[A-Za-z0-9_+/-]{86}")


def decode_signature(text: str) -> bytes:
    """The 64 signature bytes of an ``s=`` value in the one spelling :func:`encode_signature`
    writes: 86 base64url characters whose last one carries zero in its 4 unused bits (so it
    is one of ``A Q g w``), no padding, no ``+``/``/``, no whitespace.

    Raises :class:`~veriseal.errors.SignatureNotCanonical` for another spelling of 64 bytes
    (what a lenient base64 decoder would accept: other unused bits, the standard alphabet,
    ``=`` padding, surrounding whitespace) and ``CodeInvalid`` for anything else. Accepting
    those spellings would let one label be written as many distinct code strings.
    """
    # Cheap tests first (this runs on every offline check): the length, the last
    # character's unused bits, and no standard-alphabet characters; strict decoding of
    # the url-safe alphabet then refuses everything else (whitespace, '=', junk).
    if (
        len(text) != SIGNATURE_CHARS
        or text[-1] not in _LAST
        or "+" in text
        or "/" in text
        or not text.isascii()
    ):
        raise _not_canonical(text)
    std = text.encode("ascii").translate(_TO_STANDARD)
    try:
        return binascii.a2b_base64(std + b"==", strict_mode=True)
    except binascii.Error:
        raise _not_canonical(text) from None


def _not_canonical(text: str) -> CodeInvalid:
    """Why ``text`` is refused: another spelling of 64 bytes, or not a signature at all."""
    loose = text.strip().rstrip("=")
    if _LENIENT.fullmatch(loose) is not None:
        return SignatureNotCanonical(
            "the signature is not written as printed (unpadded base64url, unused bits zero):"
            " another spelling of a signature is refused"
        )
    if len(text) != SIGNATURE_CHARS:
        return CodeInvalid(f"the signature has {len(text)} characters, expected {SIGNATURE_CHARS}")
    return CodeInvalid("the signature is not base64url")


def check(public: PublicKey, msg: bytes, signature: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``msg`` by ``public``."""
    try:
        public.verify_key.verify(msg, signature)
    except BadSignatureError:
        return False
    return True

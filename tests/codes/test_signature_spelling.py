"""A signed code has exactly one spelling of its signature that verifies.

base64url leaves room for other spellings of the same 64 bytes: the 4 unused low bits of
the 86th character, the standard alphabet's ``+`` and ``/`` for ``-`` and ``_``, and ``=``
padding. Each would give one label many "different" code strings, so each must be
refused, with its own reason, while the printed spelling verifies.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import string

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal.codes import digital_link as dl
from veriseal.codes import signed
from veriseal.codes.errors import CodeInvalid, SignatureNotCanonical
from veriseal.codes.gtin import gs1_check_digit
from veriseal.codes.layout import MAX_INDEX, MAX_SEQ
from veriseal.codes.material import KeyMaterial
from veriseal.scanning.verification import Outcome, verify_offline

B64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"

gtins = st.from_regex(r"[0-9]{13}", fullmatch=True).map(lambda d: d + str(gs1_check_digit(d)))
lots = st.from_regex(r"[A-Za-z0-9._-]{1,20}", fullmatch=True)
expiries = st.none() | st.dates(dt.date(2000, 1, 1), dt.date(2070, 12, 31))


def other_spellings(sig: str) -> list[str]:
    """Every other spelling of ``sig``'s bytes that a lenient base64 decoder reads back."""
    last = B64URL.index(sig[-1])
    out = [
        sig[:-1] + c
        for c in B64URL
        # same top two bits (the 512th..511th bit of the signature), other unused bits
        if B64URL.index(c) >> 4 == last >> 4 and c != sig[-1]
    ]
    for i, c in enumerate(sig):
        if c in "-_":
            out.append(sig[:i] + {"-": "+", "_": "/"}[c] + sig[i + 1 :])
    standard = sig.replace("-", "+").replace("_", "/")
    if standard != sig:
        out.append(standard)
    out += [sig + "==", standard + "==", " " + sig, sig + "\n"]
    return out


def signed_uri(
    key: KeyMaterial, gtin: str, lot: str, expiry: dt.date | None, seq: int, idx: int
) -> tuple[str, str]:
    """(URI without its signature, canonical signature) of one signed code."""
    serials = signed.mint_signed_serials(key.slot, seq, np.array([idx], dtype=np.uint64))
    serial = serials.tobytes().decode()
    sig = signed.sign(key, signed.message(gtin, lot, serial, key.kid, expiry))
    return dl.build_uri("id.acme.example", gtin, lot, serial, expiry=expiry), sig


def with_signature(uri: str, sig: str) -> list[str]:
    """``uri`` carrying ``sig`` as the builder writes it (``+ / =`` percent-encoded) and
    as a person or a lax printer could write it (``/`` and ``=`` are legal in a query)."""
    sep = "&" if "?" in uri else "?"
    link = dl.parse(uri)
    assert link.host and link.lot and link.serial
    built = dl.build_uri(
        link.host, link.gtin, link.lot, link.serial, expiry=link.expiry, extra=[("s", sig)]
    )
    literal = uri + sep + "s=" + sig.replace("+", "%2B").replace(" ", "%20").replace("\n", "%0A")
    return [built, literal]


@settings(max_examples=60, deadline=None)
@given(
    secret=st.binary(min_size=32, max_size=32),
    slot=st.integers(0, 1023),
    gtin=gtins,
    lot=lots,
    expiry=expiries,
    seq=st.integers(0, MAX_SEQ),
    idx=st.integers(0, MAX_INDEX),
)
def test_only_the_canonical_signature_verifies(
    secret: bytes,
    slot: int,
    gtin: str,
    lot: str,
    expiry: dt.date | None,
    seq: int,
    idx: int,
) -> None:
    key = KeyMaterial(f"acme.{slot}", slot, secret)
    keys = {key.kid: key.public}
    bare, sig = signed_uri(key, gtin, lot, expiry, seq, idx)
    assert len(sig) == signed.SIGNATURE_CHARS
    for uri in with_signature(bare, sig):
        result = verify_offline(uri, keys)
        assert result.outcome is Outcome.GENUINE, (uri, result)
    raw = signed.decode_signature(sig)
    for alias in other_spellings(sig):
        with pytest.raises(SignatureNotCanonical):
            signed.decode_signature(alias)
        for uri in with_signature(bare, alias):
            link = dl.parse(uri)
            assert dict(link.extra)["s"] == alias  # the parser hands the spelling on as is
            fast = dl._parse_fast(uri)
            assert fast is None or fast == dl._parse_general(uri)
            result = verify_offline(uri, keys)
            assert (result.outcome, result.reason) == (
                Outcome.INVALID,
                "signature_not_canonical",
            ), (uri, result)
    # the aliases really are the same bytes to a lenient decoder: that is the threat
    for alias in other_spellings(sig):
        loose = alias.strip().rstrip("=").replace("+", "-").replace("/", "_")
        assert base64.urlsafe_b64decode(loose + "==") == raw


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=B64URL + "+/= %", min_size=80, max_size=90))
def test_decode_signature_accepts_exactly_what_encode_writes(text: str) -> None:
    try:
        raw = signed.decode_signature(text)
    except CodeInvalid:
        return
    assert signed.encode_signature(raw).decode("ascii") == text


def test_non_canonical_is_told_apart_from_malformed() -> None:
    sig = signed.sign(KeyMaterial("acme.0", 0, os.urandom(32)), b"m")
    with pytest.raises(SignatureNotCanonical):
        signed.decode_signature(sig + "==")
    for junk in (sig[:-1], sig[:-1] + "!", " " + sig[1:], sig[:10] + "." + sig[11:]):
        with pytest.raises(CodeInvalid) as err:
            signed.decode_signature(junk)
        assert not isinstance(err.value, SignatureNotCanonical)

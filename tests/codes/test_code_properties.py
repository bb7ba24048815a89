"""Properties of the serial formats, PINs and signatures (contract over both profiles)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal.codes import base32, pin, signed
from veriseal.codes.compact import mint_compact, open_compact, open_compact_array
from veriseal.codes.errors import CodeInvalid, PinInvalid
from veriseal.codes.layout import (
    MAX_INDEX,
    MAX_SEQ,
    Version,
    parse_serial,
    split_payload,
)
from veriseal.codes.material import KeyMaterial

secrets_ = st.binary(min_size=32, max_size=32)
slots = st.integers(0, 1023)
seqs = st.integers(0, MAX_SEQ)
indexes = st.integers(0, MAX_INDEX)
PROFILES = ["compact", "signed"]


def key(secret: bytes | None = None, slot: int = 3) -> KeyMaterial:
    return KeyMaterial(f"acme.{slot}", slot, secret or os.urandom(32))


def mint(profile: str, k: KeyMaterial, seq: int, idx: list[int]) -> list[str]:
    arr = np.array(idx, dtype=np.uint64)
    if profile == "compact":
        out = mint_compact(k, seq, arr)
    else:
        out = signed.mint_signed_serials(k.slot, seq, arr)
    width = out.shape[1]
    raw = out.tobytes().decode()
    return [raw[i * width : (i + 1) * width] for i in range(len(idx))]


def payload_of(k: KeyMaterial, text: str) -> int | None:
    """The (seq, index) payload a serial authenticates to under ``k``, or None."""
    try:
        _, fields = parse_serial(text)
    except CodeInvalid:
        return None
    if fields.slot != k.slot:
        return None
    if fields.version is Version.COMPACT_V1:
        return open_compact(k, fields)
    return fields.body  # signed: authenticity comes from the signature (tested below)


@pytest.mark.parametrize("profile", PROFILES)
@settings(max_examples=150, deadline=None)
@given(secret=secrets_, slot=slots, seq=seqs, idx=st.lists(indexes, min_size=1, max_size=8))
def test_round_trip(profile: str, secret: bytes, slot: int, seq: int, idx: list[int]) -> None:
    k = key(secret, slot)
    for serial, i in zip(mint(profile, k, seq, idx), idx, strict=True):
        assert len(serial) == (20 if profile == "compact" else 12)
        value = payload_of(k, serial)
        assert value is not None and split_payload(value) == (seq, i)
        # human typing: lower case, hyphens, spaces, O for 0, I/L for 1
        typed = "-".join(serial[j : j + 4] for j in range(0, len(serial), 4)).lower()
        typed = typed.replace("0", "o").replace("1", "l")
        assert parse_serial(typed)[0] == serial


@settings(max_examples=60, deadline=None)
@given(secret=secrets_, seq=seqs, idx=indexes)
def test_every_single_symbol_edit_of_a_compact_serial_is_rejected(
    secret: bytes, seq: int, idx: int
) -> None:
    k = key(secret)
    serial = mint("compact", k, seq, [idx])[0]
    edits = [
        serial[:pos] + sym + serial[pos + 1 :]
        for pos in range(len(serial))
        for sym in base32.ALPHABET
        if sym != serial[pos]
    ]
    assert len(edits) == 20 * 31
    assert all(payload_of(k, e) is None for e in edits)
    # the bulk path agrees on all 620 edits
    arr = np.frombuffer("".join(edits).encode(), dtype=np.uint8).reshape(-1, 20)
    valid, _, _ = open_compact_array(k, arr)
    assert not valid.any()


def test_random_compact_serials_are_rejected() -> None:
    k = key()
    rng = np.random.default_rng(1)
    n = 300_000
    sym = np.frombuffer(base32.ALPHABET.encode(), dtype=np.uint8)
    arr = sym[rng.integers(0, 32, size=(n, 20))]
    arr[:, 0] = ord("C")
    arr[:, 1:3] = np.frombuffer(base32.encode_int(k.slot, 2).encode(), dtype=np.uint8)
    valid, _, _ = open_compact_array(k, arr)
    assert int(valid.sum()) == 0  # each passes with probability 2^-40


def test_bulk_and_scalar_agree_including_invalid_rows() -> None:
    k = key()
    good = mint_compact(k, 77, np.arange(500, dtype=np.uint64))
    bad = good.copy()
    bad[::3, 10] = np.where(bad[::3, 10] == ord("7"), ord("8"), ord("7"))
    bad[1::7, 4] = ord("U")  # not in the alphabet
    valid, seq, idx = open_compact_array(k, bad)
    for row in range(len(bad)):
        text = bad[row].tobytes().decode()
        value = payload_of(k, text)
        assert (value is not None) == bool(valid[row]), text
        if value is not None:
            assert split_payload(value) == (int(seq[row]), int(idx[row]))


def test_no_collisions_within_a_batch_across_batches_and_brands() -> None:
    a, b = key(slot=5), key(slot=5)  # two brands, same slot
    batch = mint_compact(a, 1, np.arange(1_000_000, dtype=np.uint64))
    assert len(np.unique(batch.view("S20"))) == 1_000_000
    other_batch = mint_compact(a, 2, np.arange(200_000, dtype=np.uint64)).view("S20").ravel()
    other_brand = mint_compact(b, 1, np.arange(200_000, dtype=np.uint64)).view("S20").ravel()
    first = batch[:200_000].view("S20").ravel()
    assert not np.intersect1d(first, other_batch).size
    assert not np.intersect1d(first, other_brand).size


def test_consecutive_serials_look_unrelated() -> None:
    k = key()
    serials = mint_compact(k, 0, np.arange(20_000, dtype=np.uint64))
    body = serials[:, 3:]  # after the head every symbol should be uniform and independent
    values = np.searchsorted(np.frombuffer(base32.ALPHABET.encode(), dtype=np.uint8), body)
    for col in range(body.shape[1]):
        counts = np.bincount(values[:, col], minlength=32)
        expected = len(values) / 32
        chi2 = float(((counts - expected) ** 2 / expected).sum())
        assert chi2 < 90, (col, chi2)  # 31 d.o.f.: p < 1e-7 above 90
    same = (body[1:] == body[:-1]).mean()
    assert abs(same - 1 / 32) < 0.005  # neighbours agree only by chance


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parse_serial_only_raises_code_invalid(text: str) -> None:
    try:
        serial, fields = parse_serial(text)
    except CodeInvalid:
        return
    assert set(serial) <= set(base32.ALPHABET)
    assert 0 <= fields.slot <= 1023


@given(st.integers(0, 2**60 - 1), st.integers(12, 12))
def test_base32_scalar_and_bulk_agree(value: int, width: int) -> None:
    text = base32.encode_int(value, width)
    assert base32.decode_int(text) == value
    out = np.empty((1, width), dtype=np.uint8)
    base32.encode_array(np.array([value], dtype=np.uint64), width, out)
    assert out.tobytes().decode() == text
    back, ok = base32.decode_array(out)
    assert ok.all() and int(back[0]) == value


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("digits", [6, 7, 8])
def test_pins(profile: str, digits: int) -> None:
    k = key()
    serials = mint(profile, k, 9, list(range(200)))
    arr = np.frombuffer("".join(serials).encode(), dtype=np.uint8).reshape(200, -1)
    bulk = pin.pins_array(k, digits, arr)
    pins = [bulk[i].tobytes().decode() for i in range(200)]
    assert len(set(pins)) > 190  # not constant, barely colliding
    for serial, p in zip(serials[:20], pins, strict=False):
        fields = parse_serial(serial)[1]
        assert pin.pin_for(k, digits, fields) == p and len(p) == digits and p.isdigit()
        assert pin.pin_matches(k, digits, fields, p)
        assert not pin.pin_matches(k, digits, fields, str((int(p) + 1) % 10**digits).zfill(digits))
        with pytest.raises(PinInvalid):
            pin.pin_matches(k, digits, fields, p[:-1])
        with pytest.raises(PinInvalid):
            pin.pin_matches(k, digits, fields, "１" * digits)  # full-width digits
    other = pin.pins_array(key(), digits, arr)
    assert (other != bulk).any(axis=1).mean() > 0.9  # another key, other PINs


@settings(max_examples=40, deadline=None)
@given(
    gtin=st.from_regex(r"[0-9]{14}", fullmatch=True),
    lot=st.from_regex(r"[A-Za-z0-9._-]{1,20}", fullmatch=True),
    expiry=st.none() | st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)),
    idx=indexes,
)
def test_signatures_bind_every_field(gtin: str, lot: str, expiry: dt.date | None, idx: int) -> None:
    k = key()
    serial = mint("signed", k, 4, [idx])[0]
    sig = signed.sign(k, signed.message(gtin, lot, serial, k.kid, expiry))
    raw = signed.decode_signature(sig)
    assert len(sig) == 86 and signed.check(
        k.public, signed.message(gtin, lot, serial, k.kid, expiry), raw
    )
    other_day = (expiry or dt.date(2030, 1, 1)) + dt.timedelta(days=1)
    changed = [
        (gtin[:-1] + str((int(gtin[-1]) + 1) % 10), lot, serial, k.kid, expiry),
        (gtin, lot + "X" if len(lot) < 20 else lot[:-1], serial, k.kid, expiry),
        (gtin, lot, mint("signed", k, 4, [(idx + 1) % MAX_INDEX])[0], k.kid, expiry),
        (gtin, lot, serial, "acme.4", expiry),
        (gtin, lot, serial, k.kid, other_day),
    ]
    for fields in changed:
        assert not signed.check(k.public, signed.message(*fields), raw)
    for pos in (0, 31, 63):
        flipped = bytearray(raw)
        flipped[pos] ^= 1
        assert not signed.check(
            k.public, signed.message(gtin, lot, serial, k.kid, expiry), bytes(flipped)
        )


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=100))
def test_decode_signature_only_raises_code_invalid(text: str) -> None:
    with contextlib.suppress(CodeInvalid):
        assert len(signed.decode_signature(text)) == 64

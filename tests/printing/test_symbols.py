"""The batch symbol encoders: QR bit-exact with segno, DataMatrix read back by zxing-cpp."""

from __future__ import annotations

import numpy as np
import segno
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from veriseal.printing.datamatrix import DataMatrixPlan
from veriseal.printing.qr import ALNUM_CHARS, QrPlan, column_alphabets

B32 = frozenset(b"0123456789ABCDEFGHJKMNPQRSTVWXYZ")
URI_CHARS = st.sampled_from(b"abcdefghijklmnopqrstuvwxyz0123456789ABCXYZ/.?=&-_%:")


def _rows(fixed: bytes, at: int, width: int, seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    data = np.tile(np.frombuffer(fixed, np.uint8), (n, 1))
    alphabet = np.frombuffer(bytes(sorted(B32)), np.uint8)
    data[:, at : at + width] = alphabet[rng.integers(0, 32, (n, width))]
    return data


@settings(max_examples=60, deadline=None)
@given(
    head=st.lists(URI_CHARS, min_size=0, max_size=60).map(bytes),
    tail=st.lists(URI_CHARS, min_size=0, max_size=30).map(bytes),
    width=st.integers(1, 24),
    ecc=st.sampled_from("LMQH"),
    mask=st.one_of(st.none(), st.integers(0, 7)),
    seed=st.integers(0, 2**32 - 1),
)
def test_qr_is_bit_exact_with_segno(
    head: bytes, tail: bytes, width: int, ecc: str, mask: int | None, seed: int
) -> None:
    fixed = head + b"0" * width + tail
    alphabets = column_alphabets(fixed, {len(head) + i: B32 for i in range(width)})
    data = _rows(fixed, len(head), width, seed, 6)
    plan = QrPlan(alphabets, ecc, mask=mask, sample=data[0].tobytes())
    modules = plan.modules(data)
    if plan.segno_differs:  # segno's extra 0x00 codeword: compare what a reader sees
        for row, got in zip(data, modules, strict=True):
            assert [r.bytes for r in _read(got, 4)] == [row.tobytes()]
        return
    for row, got in zip(data, modules, strict=True):
        ref = segno.make_qr(
            plan.segno_segments(row.tobytes()),
            error=ecc,
            version=plan.version,
            mask=plan.mask,
            boost_error=False,
        )
        assert np.array_equal(np.array(ref.matrix, dtype=bool), got)


def test_qr_large_versions_and_segmentation() -> None:
    """Versions of every character-count group (1-9, 10-26, 27-40), digits and
    alphanumerics mixed into byte data, multi-block interleaving."""
    for size in (40, 300, 1200):
        fixed = (b"https://x.example/01/" + b"0123456789" * (size // 10) + b"/AB:CD")[:size]
        alphabets = column_alphabets(fixed + b"0" * 20, {size + i: B32 for i in range(20)})
        data = _rows(fixed + b"0" * 20, size, 20, size, 3)
        plan = QrPlan(alphabets, "Q", sample=data[0].tobytes())
        assert {s.mode for s in plan.segments} >= {1, 4}
        assert not plan.segno_differs
        for row, got in zip(data, plan.modules(data), strict=True):
            ref = segno.make_qr(
                plan.segno_segments(row.tobytes()),
                error="Q",
                version=plan.version,
                mask=plan.mask,
                boost_error=False,
            )
            assert np.array_equal(np.array(ref.matrix, dtype=bool), got), plan.version


def test_qr_refuses_rows_off_plan() -> None:
    fixed = b"https://a.example/21/0000"
    plan = QrPlan(column_alphabets(fixed, {21 + i: B32 for i in range(4)}), "M")
    bad = np.frombuffer(b"https://a.example/21/00a0", np.uint8)[None]
    assert b"a" not in ALNUM_CHARS
    try:
        plan.modules(bad)
    except ValueError as exc:
        assert "alphanumeric" in str(exc)
    else:
        raise AssertionError("a lowercase letter in an alphanumeric column was accepted")


def _read(modules: np.ndarray, quiet: int = 2, scale: int = 5) -> list[zxingcpp.Barcode]:
    img = np.pad(~modules, quiet, constant_values=True).astype(np.uint8) * 255
    big = np.kron(img, np.ones((scale, scale), np.uint8))
    return list(zxingcpp.read_barcodes(Image.fromarray(big)))


LOT = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-./", min_size=1,
    max_size=20,
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(lot=LOT, width=st.integers(4, 20), seed=st.integers(0, 2**32 - 1))
def test_datamatrix_decodes_to_the_element_string(lot: str, width: int, seed: int) -> None:
    head = b"010950600013435217261231" + b"10" + lot.encode() + b"\x1d21"
    fixed = head + b"0" * width
    plan = DataMatrixPlan(column_alphabets(fixed, {len(head) + i: B32 for i in range(width)}))
    data = _rows(fixed, len(head), width, seed, 3)
    for row, modules in zip(data, plan.modules(data), strict=True):
        found = _read(modules)
        assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.DataMatrix
        serial = row[len(head) :].tobytes().decode()
        assert found[0].content_type == zxingcpp.ContentType.GS1
        assert found[0].text == f"(01)09506000134352(17)261231(10){lot}(21){serial}"

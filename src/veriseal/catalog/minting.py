"""Batch minting: derive a batch's codes in chunks and stream them to a file.

Nothing is stored per code: a code is a function of (key, batch seq, index), so any range
can be re-derived at any time and gives exactly the same bytes (reprints after a jam).

Speed comes from never looping per code in Python for compact codes: a chunk of indexes
becomes serials with two bulk AES calls (:mod:`veriseal.codes.compact`), and since every
URI of a batch has the same length, a chunk of URIs is one ``(n, width)`` byte matrix
filled column-wise and written with one ``write``. Signed codes need one Ed25519 signature
each; those are computed by a process pool when ``workers > 1``.

Memory is bounded by the chunk size (default 262,144 codes, about 30 MB of buffers).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from veriseal.codes import digital_link, pin, signed
from veriseal.codes.compact import mint_compact
from veriseal.codes.material import KeyMaterial
from veriseal.errors import InvalidInput
from veriseal.models import Batch, Brand, Profile

DEFAULT_CHUNK = 1 << 18
_SIG_PLACEHOLDER = "A" * signed.SIGNATURE_CHARS

Progress = Callable[[int], None]


class CodeFormat(StrEnum):
    URI = "uri"  # one GS1 Digital Link URI per line
    SERIAL = "serial"  # one serial per line
    CSV = "csv"  # index,serial,uri[,pin] with a header
    JSONL = "jsonl"  # {"index":..,"serial":..,"uri":..[,"pin":..]} per line


@dataclass(frozen=True)
class CodeChunk:
    """Codes ``start .. start+n-1`` of a batch, as ASCII matrices."""

    start: int
    serials: npt.NDArray[np.uint8]  # (n, serial length)
    uris: npt.NDArray[np.uint8]  # (n, uri length), no newline
    pins: npt.NDArray[np.uint8] | None  # (n, digits) when the batch has PINs

    def __len__(self) -> int:
        return int(self.serials.shape[0])


def check_range(batch: Batch, first: int | None, last: int | None) -> tuple[int, int]:
    """Resolve an inclusive ``first..last`` index range (defaults: the whole batch) to a
    half-open ``(start, stop)``. ``InvalidInput`` if it leaves the batch."""
    start = 0 if first is None else first
    stop = batch.size if last is None else last + 1
    if not 0 <= start < stop <= batch.size:
        raise InvalidInput(
            f"range {start}..{stop - 1} is outside batch {batch.id} (indexes 0..{batch.size - 1})"
        )
    return start, stop


# Process-pool worker state: the key is sent once per worker, not once per chunk.
_worker_key: KeyMaterial | None = None


def _init_worker(kid: str, slot: int, secret: bytes) -> None:
    global _worker_key  # noqa: PLW0603 - per-process state is the point here
    _worker_key = KeyMaterial(kid, slot, secret)


def _sign_rows(
    fields: tuple[bytes, bytes, bytes, bytes],
    serials: bytes,
    width: int,
    key: KeyMaterial | None = None,
) -> bytes:
    """Signatures (86 ASCII bytes each) of the serials packed in ``serials``;
    ``fields`` = (gtin, lot, kid, expiry) as in :func:`veriseal.codes.signed.message`."""
    k = key or _worker_key
    if k is None:
        raise RuntimeError("signing worker started without a key")
    gtin, lot, kid, exp = fields
    sign = k.signing_key.sign
    return b"".join(
        signed.encode_signature(
            sign(signed.message_bytes(gtin, lot, serials[i : i + width], kid, exp)).signature
        )
        for i in range(0, len(serials), width)
    )


class Minter:
    """Derives the codes of one batch. ``workers`` > 1 signs in a process pool."""

    def __init__(self, brand: Brand, batch: Batch, key: KeyMaterial, workers: int = 1) -> None:
        self.brand = brand
        self.batch = batch
        self.key = key
        self.workers = max(1, workers)
        extra = [(signed.SIGNATURE_PARAM, _SIG_PLACEHOLDER)] if self.is_signed else []
        self._prefix = digital_link.uri_prefix(brand.resolver, batch.gtin, batch.lot).encode()
        suffix = digital_link.uri_suffix(batch.expiry_date, extra)
        self._suffix = suffix.encode()
        self._sig_at = suffix.find(_SIG_PLACEHOLDER) if self.is_signed else -1
        exp = batch.expiry_date.strftime("%y%m%d") if batch.expiry_date else ""
        self._sign_fields = (
            batch.gtin.encode(),
            batch.lot.encode(),
            key.kid.encode(),
            exp.encode(),
        )
        self._pool: ProcessPoolExecutor | None = None

    @property
    def is_signed(self) -> bool:
        return self.batch.profile is Profile.SIGNED

    def __enter__(self) -> Minter:
        if self.is_signed and self.workers > 1:
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_init_worker,
                initargs=(self.key.kid, self.key.slot, self.key.secret),
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def serials(self, indexes: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint8]:
        if self.is_signed:
            return signed.mint_signed_serials(self.key.slot, self.batch.seq, indexes)
        return mint_compact(self.key, self.batch.seq, indexes)

    def _signatures(self, serials: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        n, width = serials.shape
        raw = serials.tobytes()
        if self._pool is None:
            sigs = _sign_rows(self._sign_fields, raw, width, self.key)
        else:
            parts = -(-n // (self.workers * 4))
            slices = [raw[i * width : (i + parts) * width] for i in range(0, n, parts)]
            futures = [self._pool.submit(_sign_rows, self._sign_fields, s, width) for s in slices]
            sigs = b"".join(f.result() for f in futures)
        return np.frombuffer(sigs, dtype=np.uint8).reshape(n, signed.SIGNATURE_CHARS)

    def chunk(self, start: int, stop: int) -> CodeChunk:
        indexes = np.arange(start, stop, dtype=np.uint64)
        serials = self.serials(indexes)
        n, slen = serials.shape
        p, s = len(self._prefix), len(self._suffix)
        uris = np.empty((n, p + slen + s), dtype=np.uint8)
        uris[:, :p] = np.frombuffer(self._prefix, dtype=np.uint8)
        uris[:, p : p + slen] = serials
        uris[:, p + slen :] = np.frombuffer(self._suffix, dtype=np.uint8)
        if self.is_signed:
            at = p + slen + self._sig_at
            uris[:, at : at + signed.SIGNATURE_CHARS] = self._signatures(serials)
        pins = (
            pin.pins_array(self.key, self.batch.pin_digits, serials)
            if self.batch.pin_digits
            else None
        )
        return CodeChunk(start, serials, uris, pins)

    def chunks(self, start: int, stop: int, size: int = DEFAULT_CHUNK) -> Iterator[CodeChunk]:
        for lo in range(start, stop, size):
            yield self.chunk(lo, min(stop, lo + size))


def _lines(matrix: npt.NDArray[np.uint8]) -> bytes:
    """Rows of an ASCII matrix as newline-terminated lines, without a Python loop."""
    n, width = matrix.shape
    out = np.empty((n, width + 1), dtype=np.uint8)
    out[:, :width] = matrix
    out[:, width] = 10
    return out.tobytes()


def _records(chunk: CodeChunk, fmt: CodeFormat) -> bytes:
    serials = chunk.serials.tobytes().decode("ascii")
    uris = chunk.uris.tobytes().decode("ascii")
    sw, uw = chunk.serials.shape[1], chunk.uris.shape[1]
    pins = chunk.pins.tobytes().decode("ascii") if chunk.pins is not None else None
    pw = chunk.pins.shape[1] if chunk.pins is not None else 0
    rows = []
    for k in range(len(chunk)):
        serial, uri = serials[k * sw : (k + 1) * sw], uris[k * uw : (k + 1) * uw]
        code_pin = pins[k * pw : (k + 1) * pw] if pins is not None else None
        if fmt is CodeFormat.CSV:
            # serials and URIs hold no comma, quote or newline, so no CSV quoting is needed
            rows.append(
                f"{chunk.start + k},{serial},{uri}" + (f",{code_pin}\n" if code_pin else "\n")
            )
        else:
            # Hand-built JSON is exact here: every value is ASCII with no quote, backslash
            # or control character (serials are base32, URIs percent-encoded, PINs digits);
            # json.dumps per row would cost 4x more. A test parses every row back.
            pin_field = f',"pin":"{code_pin}"' if code_pin else ""
            rows.append(
                f'{{"index":{chunk.start + k},"serial":"{serial}","uri":"{uri}"{pin_field}}}\n'
            )
    return "".join(rows).encode("ascii")


def render(chunk: CodeChunk, fmt: CodeFormat) -> bytes:
    """The bytes of one chunk in ``fmt`` (without the CSV header)."""
    if fmt is CodeFormat.URI:
        return _lines(chunk.uris)
    if fmt is CodeFormat.SERIAL:
        return _lines(chunk.serials)
    return _records(chunk, fmt)


def csv_header(batch: Batch) -> bytes:
    return b"index,serial,uri" + (b",pin\n" if batch.pin_digits else b"\n")


def write_codes(
    minter: Minter,
    fmt: CodeFormat,
    out: BinaryIO,
    *,
    start: int,
    stop: int,
    progress: Progress | None = None,
    chunk_size: int = DEFAULT_CHUNK,
) -> int:
    """Stream codes ``start..stop-1`` to ``out``; return the number written."""
    if fmt is CodeFormat.CSV:
        out.write(csv_header(minter.batch))
    written = 0
    for chunk in minter.chunks(start, stop, chunk_size):
        out.write(render(chunk, fmt))
        written += len(chunk)
        if progress:
            progress(len(chunk))
    return written

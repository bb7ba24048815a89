"""Label records: what every renderer consumes, streamed in chunks.

A label record has named text fields: ``uri`` (what a QR encodes), ``element`` (the raw
GS1 element string a DataMatrix encodes, GS = FNC1), ``element_hri`` (the same with
(AI) brackets), ``serial``, ``gtin``, ``lot``, ``expiry`` (YYYY-MM-DD), ``expiry_yymmdd``,
``pin`` and ``index``. Within one source every field has one width: a field is either a
constant (same text on every label) or an ``(n, width)`` ASCII matrix per chunk. Renderers
ask :meth:`LabelChunk.field` and never care where the records come from, so logistic
units (SSCC) can be fed through the same templates by writing another
:class:`LabelSource`.

``alphabets(name)`` tells the symbol encoders which byte values each column of a field
can hold over the WHOLE source, so one symbol plan serves every chunk.
"""

from __future__ import annotations

import abc
import functools
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from veriseal.catalog.minting import DEFAULT_CHUNK, Minter
from veriseal.codes import base32, digital_link, signed
from veriseal.codes.material import KeyMaterial
from veriseal.models import Batch, Brand, Profile
from veriseal.printing.qr import Alphabet

Text = npt.NDArray[np.uint8]
FIELDS = (
    "uri", "element", "element_hri", "serial", "gtin", "lot", "expiry", "expiry_yymmdd",
    "pin", "index",
)  # fmt: skip
_BASE32 = frozenset(base32.ALPHABET.encode("ascii"))
_BASE64URL = frozenset((string.ascii_letters + string.digits + "-_").encode("ascii"))
_DIGITS = frozenset(b"0123456789")


@dataclass(frozen=True)
class LabelChunk:
    """Records ``start .. start+n-1`` of a source.

    ``derived`` holds fields computed only when first asked for (then cached in
    ``variable``): a ZPL QR label never needs the element strings, and building fields
    nobody prints cost about a tenth of a ZPL job's time (profiled).
    """

    start: int
    n: int
    variable: dict[str, Text]
    constant: dict[str, str] = field(default_factory=dict)
    derived: dict[str, Callable[[], Text]] = field(default_factory=dict)

    def __len__(self) -> int:
        return self.n

    def field(self, name: str) -> Text:
        """``(n, width)`` ASCII of one field (a constant is broadcast, read-only)."""
        if name in self.variable:
            return self.variable[name]
        if name in self.derived:
            value = self.variable[name] = self.derived[name]()
            return value
        raw = np.frombuffer(self.constant[name].encode("ascii"), dtype=np.uint8)
        return np.broadcast_to(raw, (self.n, raw.size))


class LabelSource(abc.ABC):
    """A finite sequence of label records with fixed field widths."""

    #: fields with the same text on every record (absent fields are not here either)
    constant: dict[str, str]
    #: widths of the fields that vary, and the byte values each of their columns can hold
    variable: dict[str, list[Alphabet]]

    def has(self, name: str) -> bool:
        return name in self.constant or name in self.variable

    def alphabets(self, name: str) -> list[Alphabet]:
        """Per column of field ``name``: the byte values it can hold."""
        if name in self.variable:
            return self.variable[name]
        return [frozenset((b,)) for b in self.constant[name].encode("ascii")]

    @abc.abstractmethod
    def chunks(self, start: int, stop: int, size: int = DEFAULT_CHUNK) -> Iterator[LabelChunk]:
        """Records ``start..stop-1`` in chunks of at most ``size``."""


#: "0000".."9999" as a (10000, 4) ASCII table: digits four at a time by lookup
_DIGITS4 = np.frombuffer(
    "".join(f"{i:04d}" for i in range(10_000)).encode("ascii"), dtype=np.uint8
).reshape(10_000, 4)


def _digits(values: npt.NDArray[np.uint64], width: int) -> Text:
    """Zero-padded decimal ASCII of ``values`` (each < 10**width), ``(n, width)``."""
    groups = -(-width // 4)
    out = np.empty((values.shape[0], 4 * groups), dtype=np.uint8)
    v = values.astype(np.uint64)  # a copy, divided in place below
    base = np.uint64(10_000)
    for g in range(groups - 1, -1, -1):
        out[:, 4 * g : 4 * g + 4] = _DIGITS4[(v % base).astype(np.intp)]
        v //= base
    return out[:, 4 * groups - width :]


class BatchSource(LabelSource):
    """The codes of one batch, re-derived from its key (so a reprint is identical)."""

    def __init__(self, brand: Brand, batch: Batch, key: KeyMaterial) -> None:
        self.brand, self.batch, self.key = brand, batch, key
        self.minter = Minter(brand, batch, key)
        sample = self.minter.chunk(0, 1)
        serial_w = sample.serials.shape[1]
        uri = sample.uris[0].tobytes().decode("ascii")
        prefix = digital_link.uri_prefix(brand.resolver, batch.gtin, batch.lot)
        uri_alpha: list[Alphabet] = [frozenset((ord(c),)) for c in uri]
        for i in range(len(prefix), len(prefix) + serial_w):
            uri_alpha[i] = _BASE32
        if batch.profile is Profile.SIGNED:
            at = query_value_at(uri, signed.SIGNATURE_PARAM)
            for i in range(at, at + signed.SIGNATURE_CHARS):
                uri_alpha[i] = _BASE64URL
        expiry = batch.expiry_date
        self.constant = {
            "gtin": batch.gtin,
            "lot": batch.lot,
            "expiry": expiry.isoformat() if expiry else "",
            "expiry_yymmdd": expiry.strftime("%y%m%d") if expiry else "",
            "pin": "",
        }
        self.variable = {
            "uri": uri_alpha,
            "serial": [_BASE32] * serial_w,
            "index": [_DIGITS] * len(str(max(0, batch.size - 1))),
        }
        if batch.pin_digits:
            del self.constant["pin"]
            self.variable["pin"] = [_DIGITS] * batch.pin_digits
        # Element strings carry no signature, so a signed code would not verify from one.
        self._element_prefix = self._element_prefix_hri = ""
        if batch.profile is Profile.SIGNED:
            self.constant["element"] = self.constant["element_hri"] = ""
        else:
            link = digital_link.DigitalLink(batch.gtin, batch.lot, "0" * serial_w, expiry)
            self._element_prefix = digital_link.element_string(link)[:-serial_w]
            self._element_prefix_hri = digital_link.element_string_hri(link)[:-serial_w]
            for name, head in (
                ("element", self._element_prefix),
                ("element_hri", self._element_prefix_hri),
            ):
                self.variable[name] = [frozenset((ord(c),)) for c in head] + [_BASE32] * serial_w

    def chunks(self, start: int, stop: int, size: int = DEFAULT_CHUNK) -> Iterator[LabelChunk]:
        index_w = len(self.variable["index"])
        for codes in self.minter.chunks(start, stop, size):
            n = len(codes)
            variable: dict[str, Text] = {"uri": codes.uris, "serial": codes.serials}
            if codes.pins is not None:
                variable["pin"] = codes.pins
            indexes = np.arange(codes.start, codes.start + n, dtype=np.uint64)
            derived: dict[str, Callable[[], Text]] = {
                "index": functools.partial(_digits, indexes, index_w)
            }
            for name, head in (
                ("element", self._element_prefix),
                ("element_hri", self._element_prefix_hri),
            ):
                if name in self.variable:
                    derived[name] = functools.partial(_prefixed, head, codes.serials)
            yield LabelChunk(codes.start, n, variable, self.constant, derived)


def query_value_at(uri: str, name: str) -> int:
    """Offset in ``uri`` of the value of query parameter ``name`` (its first occurrence).

    The query is split as a URI parser does (after the first ``?``, before any ``#``,
    parameters separated by ``&``), so it does not matter whether the parameter comes
    first (``?s=``) or after others (``?17=261231&s=``). Raises ``ValueError`` when the
    URI has no such parameter.
    """
    head, mark, rest = uri.partition("?")
    if not mark:
        raise ValueError(f"{uri!r} has no query string")
    at = len(head) + 1
    for param in rest.partition("#")[0].split("&"):
        key, eq, _ = param.partition("=")
        if eq and key == name:
            return at + len(key) + 1
        at += len(param) + 1
    raise ValueError(f"{uri!r} has no query parameter {name!r}")


def _prefixed(head: str, tail: Text) -> Text:
    raw = head.encode("ascii")
    out = np.empty((tail.shape[0], len(raw) + tail.shape[1]), dtype=np.uint8)
    out[:, : len(raw)] = np.frombuffer(raw, dtype=np.uint8)
    out[:, len(raw) :] = tail
    return out

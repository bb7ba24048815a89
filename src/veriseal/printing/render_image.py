"""One image per code: PNG (1-bit grayscale, written directly: scanlines from numpy,
zlib, CRCs) or SVG (one path of run rectangles), named by a template pattern, into a zip
or a directory."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import numpy as np

from veriseal.printing.errors import PrintTemplateInvalid, PrintTemplateUnsuitable
from veriseal.printing.records import LabelChunk, LabelSource
from veriseal.printing.render_base import Renderer, Sink
from veriseal.printing.symbols import number_table, runs, symbol_for
from veriseal.printing.templates import Template
from veriseal.printing.textfmt import RecordFormat, UnsafeText

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


class ImageRenderer(Renderer):
    named_files = True
    chunk_size = 1 << 12

    def __init__(self, template: Template, source: LabelSource) -> None:
        super().__init__(template, source)
        self.format = template.get("format", "png")
        if self.format not in ("png", "svg"):
            raise PrintTemplateInvalid(f"template {template.name}: format is png or svg")
        self.symbol = symbol_for(template, source)
        self.module_px = int(template.number("module_px", 8))
        if not 1 <= self.module_px <= 64:
            raise PrintTemplateInvalid(f"template {template.name}: module_px is 1..64")
        try:
            self.names = RecordFormat(
                str(template.get("name", "{serial}")) + "." + self.format,
                source,
                lambda s: s,
                b'/\\:*?"<>|',
            )
        except UnsafeText as exc:
            raise PrintTemplateUnsuitable(f"template {template.name}: {exc}") from None
        side = self.symbol.size + 2 * self.symbol.quiet
        self.side = side
        self.numbers = number_table(side, len(str(side)))
        px = side * self.module_px
        self.ihdr = _chunk(b"IHDR", struct.pack(">IIBBBBB", px, px, 1, 0, 0, 0, 0))

    def render(self, chunk: LabelChunk) -> list[tuple[str, bytes]]:
        mods = self.symbol.modules(chunk)
        names = [bytes(row).decode("ascii") for row in self.names.render(chunk)]
        if self.format == "png":
            return list(zip(names, self._png(mods), strict=True))
        return list(zip(names, self._svg(mods), strict=True))

    def _png(self, mods: np.ndarray) -> list[bytes]:
        q, m = self.symbol.quiet, self.module_px
        n, size, _ = mods.shape
        light = np.ones((n, self.side, self.side), dtype=np.uint8)
        light[:, q : q + size, q : q + size] = ~mods
        pixels = np.repeat(light, m, axis=2)  # (n, side, px): one row per module row
        rows = np.packbits(pixels, axis=2)  # 1 = white in 1-bit grayscale
        line = np.zeros((n, self.side, rows.shape[2] + 1), dtype=np.uint8)  # filter 0
        line[:, :, 1:] = rows
        out = []
        for i in range(n):
            # each module row is m identical scanlines
            raw = np.repeat(line[i], m, axis=0).tobytes()
            out.append(
                _PNG_SIGNATURE
                + self.ihdr
                + _chunk(b"IDAT", zlib.compress(raw, 6))
                + _chunk(b"IEND", b"")
            )
        return out

    def _svg(self, mods: np.ndarray) -> list[bytes]:
        q = self.symbol.quiet
        r = runs(mods)
        nums = self.numbers
        k = nums.shape[1]
        # "M x y h w v1 H x z": a run's rectangle, fixed width (space-padded numbers)
        rec = np.empty((r.col.size, 4 * k + 7), dtype=np.uint8)
        x = nums[r.col + q]
        rec[:, 0] = ord("M")
        rec[:, 1 : k + 1] = x
        rec[:, k + 1] = 32
        rec[:, k + 2 : 2 * k + 2] = nums[r.row + q]
        rec[:, 2 * k + 2] = ord("h")
        rec[:, 2 * k + 3 : 3 * k + 3] = nums[r.length]
        rec[:, 3 * k + 3 : 3 * k + 6] = np.frombuffer(b"v1H", dtype=np.uint8)
        rec[:, 3 * k + 6 : 4 * k + 6] = x
        rec[:, 4 * k + 6] = ord("z")
        data = rec.tobytes()
        w = rec.shape[1]
        px = self.side * self.module_px
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{px}" height="{px}"'
            f' viewBox="0 0 {self.side} {self.side}" shape-rendering="crispEdges">'
            f'<rect width="{self.side}" height="{self.side}" fill="#fff"/><path d="'
        ).encode()
        tail = b'"/></svg>\n'
        return [
            head + data[r.offsets[i] * w : r.offsets[i + 1] * w] + tail
            for i in range(mods.shape[0])
        ]

    def emit(self, part: Any, sink: Sink) -> None:
        for name, data in part:
            sink.add(name, data, compress=False)  # in the parent, serial: not worth it

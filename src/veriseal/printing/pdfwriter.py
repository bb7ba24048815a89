"""A minimal streaming PDF 1.4 writer: pages are written as they come, so a 100,000-label
job runs in bounded memory (reportlab's canvas keeps every page until ``save()``).

Only what label sheets need: pages with one Flate-compressed content stream each and
the standard Helvetica fonts (not embedded, WinAnsi). No timestamps or ids are written,
so the same labels always give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable

FONTS = {"F1": "Helvetica", "F2": "Helvetica-Bold"}


class PdfWriter:
    def __init__(self, write: Callable[[bytes], None], width_pt: float, height_pt: float) -> None:
        self._write = write
        self._offset = 0
        self._offsets: dict[int, int] = {}
        self._pages: list[int] = []
        self._next = 3 + len(FONTS)  # 1 catalog, 2 page tree, then the fonts
        self._media = f"[0 0 {width_pt:.2f} {height_pt:.2f}]"
        self._out(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        for i, (_, base) in enumerate(FONTS.items()):
            self._object(
                3 + i,
                f"<< /Type /Font /Subtype /Type1 /BaseFont /{base}"
                " /Encoding /WinAnsiEncoding >>".encode(),
            )
        fonts = " ".join(f"/{name} {3 + i} 0 R" for i, name in enumerate(FONTS))
        self._resources = f"<< /Font << {fonts} >> >>"

    def _out(self, data: bytes) -> None:
        self._write(data)
        self._offset += len(data)

    def _object(self, num: int, body: bytes) -> None:
        self._offsets[num] = self._offset
        self._out(b"%d 0 obj\n" % num + body + b"\nendobj\n")

    def page(self, compressed_content: bytes) -> None:
        """Add a page whose content stream is ``compressed_content`` (zlib)."""
        stream, page = self._next, self._next + 1
        self._next += 2
        self._object(
            stream,
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(compressed_content)
            + compressed_content
            + b"\nendstream",
        )
        self._object(
            page,
            f"<< /Type /Page /Parent 2 0 R /MediaBox {self._media} /Resources"
            f" {self._resources} /Contents {stream} 0 R >>".encode(),
        )
        self._pages.append(page)

    def close(self) -> None:
        kids = " ".join(f"{p} 0 R" for p in self._pages)
        self._object(2, f"<< /Type /Pages /Kids [{kids}] /Count {len(self._pages)} >>".encode())
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        xref = self._offset
        size = self._next
        rows = [b"xref\n0 %d\n" % size, b"0000000000 65535 f \n"]
        rows += [b"%010d 00000 n \n" % self._offsets[i] for i in range(1, size)]
        self._out(b"".join(rows))
        self._out(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))

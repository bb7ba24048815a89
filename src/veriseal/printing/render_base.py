"""What every renderer provides, and the sinks they write to (hashing as they go)."""

from __future__ import annotations

import abc
import hashlib
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

from veriseal.printing.records import LabelChunk, LabelSource
from veriseal.printing.templates import Template

# A fixed timestamp for zip members, so the same labels always give the same bytes
# (a reprint's checksum equals the original's).
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class Sink:
    """Output of one job: a byte stream, or named files (images). ``sha256`` is the hex
    digest of the stream; for named files, of every ``name NUL sha256(content)`` in order
    (so a directory and a zip of the same labels have the same checksum)."""

    def __init__(self) -> None:
        self._stream: BinaryIO | None = None
        self._folder: Path | None = None
        self._zip: zipfile.ZipFile | None = None
        self._hash = hashlib.sha256()
        self.files = 0

    @classmethod
    def for_stream(cls, stream: BinaryIO) -> Sink:
        sink = cls()
        sink._stream = stream
        return sink

    @classmethod
    def for_zip(cls, stream: BinaryIO) -> Sink:
        sink = cls()
        sink._zip = zipfile.ZipFile(stream, "w")
        return sink

    @classmethod
    def for_folder(cls, folder: Path) -> Sink:
        sink = cls()
        sink._folder = folder
        return sink

    def write(self, data: bytes) -> None:
        if self._stream is None:
            raise TypeError("this output takes named files, not a byte stream")
        self._stream.write(data)
        self._hash.update(data)

    def add(self, name: str, data: bytes, compress: bool) -> None:
        self._hash.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        self.files += 1
        if self._zip is not None:
            info = zipfile.ZipInfo(name, ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            self._zip.writestr(info, data)
        elif self._folder is not None:
            (self._folder / name).write_bytes(data)
        else:
            raise TypeError("this output is a byte stream, not named files")

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class Renderer(abc.ABC):
    """Turns label chunks into output. :meth:`render` runs in worker processes (pure,
    picklable result); :meth:`emit` runs in the parent, in order."""

    #: records per chunk: large enough to amortise numpy calls, small enough for memory
    chunk_size = 1 << 15
    #: whether the output is named files (images) rather than one byte stream
    named_files = False

    def __init__(self, template: Template, source: LabelSource) -> None:
        self.template = template
        self.source = source

    def start(self, sink: Sink) -> None:  # noqa: B027 - optional hook
        """Write what precedes the first label (a CSV header, a PDF header)."""

    @abc.abstractmethod
    def render(self, chunk: LabelChunk) -> Any:
        """The output of one chunk, in a form :meth:`emit` writes."""

    @abc.abstractmethod
    def emit(self, part: Any, sink: Sink) -> None:
        """Write one chunk's output."""

    def finish(self, sink: Sink) -> None:  # noqa: B027 - optional hook
        """Write what follows the last label (a PDF's page tree and xref)."""

"""What every renderer provides, and the sinks they write to (hashing as they go)."""

from __future__ import annotations

import abc
import hashlib
import zipfile
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

if TYPE_CHECKING:  # collections.abc.Buffer from Python 3.12 on
    from typing_extensions import Buffer

from veriseal.printing.records import LabelChunk, LabelSource
from veriseal.printing.templates import Template

# A fixed timestamp for zip members, so the same labels always give the same bytes
# (a reprint's checksum equals the original's).
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


#: Stream writes queued behind the one being hashed and written, at most: bounds memory
#: to a few chunks whatever the job's size.
_WRITES_IN_FLIGHT = 2


class Sink:
    """Output of one job: a byte stream, or named files (images). ``sha256`` is the hex
    digest of the stream; for named files, of every ``name NUL sha256(content)`` in order
    (so a directory and a zip of the same labels have the same checksum).

    A stream is hashed and written by a background thread, in order, while the caller
    renders the next chunk: SHA-256 and ``write`` release the GIL, so this is a second
    core's worth of work at no copying cost (a text job spends about a third of its time
    there). :meth:`write` MAY return before the data is written, so the caller MUST NOT
    modify a buffer after passing it; :meth:`flush` waits and re-raises a write error.
    """

    def __init__(self) -> None:
        self._stream: BinaryIO | None = None
        self._folder: Path | None = None
        self._zip: zipfile.ZipFile | None = None
        self._hash = hashlib.sha256()
        self._writer: ThreadPoolExecutor | None = None
        self._pending: deque[Future[None]] = deque()
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

    def write(self, data: Buffer) -> None:
        """Append ``data`` (bytes, or an array: its bytes in C order) to the stream."""
        if self._stream is None:
            raise TypeError("this output takes named files, not a byte stream")
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="veriseal-print-writer")
        # an array is written as its bytes in C order (a view, no copy, when contiguous)
        flat = data.reshape(-1).data if isinstance(data, np.ndarray) else data
        while len(self._pending) >= _WRITES_IN_FLIGHT:
            self._pending.popleft().result()
        self._pending.append(self._writer.submit(self._write_now, self._stream, flat))

    def _write_now(self, stream: BinaryIO, data: Buffer) -> None:
        self._hash.update(data)
        stream.write(data)

    def flush(self) -> None:
        """Wait until everything written so far is in the stream (re-raising the first
        write error) and stop the writer thread."""
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            self._pending.clear()
            if self._writer is not None:
                self._writer.shutdown(wait=True, cancel_futures=True)
                self._writer = None

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
        self.flush()
        if self._zip is not None:
            self._zip.close()

    @property
    def sha256(self) -> str:
        """The checksum of everything written (waits for pending writes)."""
        self.flush()
        return self._hash.hexdigest()


class Renderer(abc.ABC):
    """Turns label chunks into output. :meth:`render` runs in worker processes (pure,
    picklable result); :meth:`emit` runs in the parent, in order."""

    #: records per chunk: large enough to amortise numpy calls, small enough for memory
    chunk_size = 1 << 15
    #: whether the output is named files (images) rather than one byte stream
    named_files = False
    #: whether chunks are worth rendering in a process pool: True when rendering costs
    #: much more than moving the result back to the parent (symbols, PDF pages)
    pooled = True

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

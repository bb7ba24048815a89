"""Streaming a job: the sink's background writer (order, checksum, errors), index digits
and chunk boundaries (a job cut into any chunks gives the same bytes)."""

from __future__ import annotations

import hashlib
import io
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal.engine import Engine
from veriseal.models import Brand, Profile
from veriseal.printing import job, templates
from veriseal.printing.records import _digits
from veriseal.printing.render_base import Sink

from .conftest import make_source


def _writer_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("veriseal-print-writer")]


@settings(max_examples=200, deadline=None)
@given(
    width=st.integers(1, 19),
    data=st.data(),
)
def test_index_digits_are_zero_padded_decimals(width: int, data: st.DataObject) -> None:
    values = data.draw(st.lists(st.integers(0, 10**width - 1), min_size=1, max_size=50))
    got = _digits(np.array(values, dtype=np.uint64), width)
    assert [bytes(r).decode() for r in got] == [str(v).zfill(width) for v in values]


@settings(max_examples=50, deadline=None)
@given(
    parts=st.lists(
        st.one_of(
            st.binary(max_size=300),
            st.tuples(st.integers(0, 3000), st.integers(1, 30), st.integers(0, 2**32 - 1)),
        ),
        max_size=12,
    )
)
def test_sink_writes_everything_in_order_and_hashes_it(
    parts: list[bytes | tuple[int, int, int]],
) -> None:
    out = io.BytesIO()
    sink = Sink.for_stream(out)
    expected = b""
    for part in parts:
        if isinstance(part, bytes):
            sink.write(part)
            expected += part
        else:  # a byte matrix, as text renderers pass them
            rows, cols, seed = part
            matrix = np.random.default_rng(seed).integers(0, 256, (rows, cols), dtype=np.uint8)
            sink.write(matrix)
            expected += matrix.tobytes()
    assert sink.sha256 == hashlib.sha256(expected).hexdigest()
    assert out.getvalue() == expected
    assert not _writer_threads()


class _FailingStream(io.BytesIO):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, data: object) -> int:
        if self.tell() > self.limit:
            raise OSError(28, "No space left on device")
        return super().write(data)  # type: ignore[arg-type]


sqlite_only = pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)


@sqlite_only
async def test_write_error_stops_the_job(engine: Engine, brand: Brand) -> None:
    source = await make_source(engine, brand, Profile.COMPACT, 6, 5000)
    renderer = job.renderer_for(templates.find("zpl-qr-203"), source)
    renderer.chunk_size = 100
    sink = Sink.for_stream(_FailingStream(limit=50_000))
    with pytest.raises(OSError, match="No space left"):
        job.run(renderer, source, 0, 5000, sink)
    assert not _writer_threads()


@sqlite_only
@pytest.mark.parametrize("name", ["zpl-qr-300", "zpl-datamatrix-203", "coder-csv"])
async def test_any_chunking_gives_the_same_bytes(engine: Engine, brand: Brand, name: str) -> None:
    source = await make_source(engine, brand, Profile.COMPACT, 8, 12_345)
    whole = io.BytesIO()
    renderer = job.renderer_for(templates.find(name), source)
    sink = Sink.for_stream(whole)
    assert job.run(renderer, source, 17, 12_345, sink, workers=2) == 12_328
    for size in (1, 999, 4096):
        part = io.BytesIO()
        renderer = job.renderer_for(templates.find(name), source)
        renderer.chunk_size = size
        pieces = Sink.for_stream(part)
        job.run(renderer, source, 17, 12_345 if size > 1 else 17 + 300, pieces)
        if size > 1:
            assert part.getvalue() == whole.getvalue()
            assert pieces.sha256 == sink.sha256
        else:  # one label per chunk: the first 300 labels, same bytes
            assert whole.getvalue().startswith(part.getvalue())
    assert not _writer_threads()

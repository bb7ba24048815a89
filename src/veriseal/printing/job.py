"""Running a print job: chunks rendered (in a process pool when ``workers`` > 1) and
written in order, with at most a few chunks in flight, so memory stays bounded whatever
the job's size."""

from __future__ import annotations

import contextlib
import multiprocessing
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from veriseal.printing.errors import PrintTemplateInvalid
from veriseal.printing.records import LabelSource
from veriseal.printing.render_base import Renderer, Sink
from veriseal.printing.render_image import ImageRenderer
from veriseal.printing.render_pdf import PdfRenderer
from veriseal.printing.render_text import CsvRenderer, ZplRenderer
from veriseal.printing.templates import Template

Progress = Callable[[int], None]
_RENDERERS: dict[str, type[Renderer]] = {
    "pdf": PdfRenderer,
    "zpl": ZplRenderer,
    "csv": CsvRenderer,
    "image": ImageRenderer,
}

# The job a forked worker renders: set in the parent just before the pool forks, so the
# renderer (symbol tables, key material) is inherited, never pickled.
_job: tuple[Renderer, LabelSource] | None = None


def renderer_for(template: Template, source: LabelSource) -> Renderer:
    try:
        return _RENDERERS[template.kind](template, source)
    except KeyError:
        raise PrintTemplateInvalid(f"template {template.name}: unknown kind") from None


def _render_range(start: int, stop: int) -> Any:
    if _job is None:
        raise RuntimeError("print worker started without a job")
    renderer, source = _job
    chunk = next(iter(source.chunks(start, stop, stop - start)))
    return renderer.render(chunk)


def run(
    renderer: Renderer,
    source: LabelSource,
    start: int,
    stop: int,
    sink: Sink,
    *,
    workers: int = 1,
    progress: Progress | None = None,
) -> int:
    """Render records ``start..stop-1`` into ``sink``; return how many were written.
    When it returns, everything is in the sink's stream (flushed). ``workers`` > 1 renders
    chunks in that many forked processes if the renderer is ``pooled``."""
    size = renderer.chunk_size
    ranges = [(lo, min(stop, lo + size)) for lo in range(start, stop, size)]
    try:
        _render_all(renderer, source, ranges, sink, workers, progress)
    except BaseException:
        # the writer thread stops before the error leaves (its own error is secondary)
        with contextlib.suppress(Exception):
            sink.flush()
        raise
    sink.flush()
    return stop - start


def _render_all(
    renderer: Renderer,
    source: LabelSource,
    ranges: list[tuple[int, int]],
    sink: Sink,
    workers: int,
    progress: Progress | None,
) -> None:
    global _job  # noqa: PLW0603 - state for forked workers, see above
    renderer.start(sink)
    if workers <= 1 or len(ranges) <= 1 or not renderer.pooled:
        for lo, hi in ranges:
            for chunk in source.chunks(lo, hi, hi - lo):
                renderer.emit(renderer.render(chunk), sink)
            if progress:
                progress(hi - lo)
    else:
        _job = (renderer, source)
        try:
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
                pending: deque[tuple[int, Future[Any]]] = deque()
                todo = iter(ranges)
                for lo, hi in todo:
                    pending.append((hi - lo, pool.submit(_render_range, lo, hi)))
                    if len(pending) >= 2 * workers:
                        break
                while pending:
                    n, fut = pending.popleft()
                    renderer.emit(fut.result(), sink)
                    if progress:
                        progress(n)
                    nxt = next(todo, None)
                    if nxt is not None:
                        pending.append((nxt[1] - nxt[0], pool.submit(_render_range, *nxt)))
        finally:
            _job = None
    renderer.finish(sink)

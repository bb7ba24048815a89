"""Print runs started from the console (``line.operate``): a batch's labels rendered
through a print template in the background, into the print spool, then downloaded.

A run is checked like ``veriseal print`` (the range inside the batch, no overlap with
earlier print jobs unless it is a reprint, a reprint only of labels printed before) and
also against the runs still rendering, so two operators cannot start the same labels at
once. It then renders in a thread of the server process that accepted it (one run at a
time per process; others wait ``queued``), writing its progress to its row every
:data:`HEARTBEAT` seconds. When the file is complete the run is recorded as a print job
(the same record the CLI makes, with the file's SHA-256) and becomes ``done``; a
refused record (an overlapping job recorded meanwhile) fails the run and removes its file.

A run whose process stopped (a restart) stops being touched: after :data:`STALE_AFTER`
seconds it is shown as ``interrupted`` and no longer blocks its labels; start it again.

Files are never served from a public URL: :meth:`PrintDesk.download` checks the
principal and names the file the console streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from veriseal.accounts.models import Principal
from veriseal.accounts.permissions import Action
from veriseal.brandops import print_run_store as store
from veriseal.brandops.batches import BatchDesk
from veriseal.brandops.print_run_store import PrintRun, RunState
from veriseal.brandops.scope import actor, check_brand
from veriseal.catalog.keys import KeyService
from veriseal.catalog.minting import check_range
from veriseal.codes.material import KeyMaterial
from veriseal.errors import NotFound, VerisealError
from veriseal.i18n import register
from veriseal.ledger.base import Ledger
from veriseal.models import Batch, Brand
from veriseal.printing import job as print_job
from veriseal.printing import templates
from veriseal.printing.errors import PrintOverlap
from veriseal.printing.jobs import JobRequest, PrintJob, PrintJobs
from veriseal.printing.records import BatchSource
from veriseal.printing.render_base import Sink
from veriseal.printing.templates import Template

#: Seconds between progress writes of a rendering run (its heartbeat).
HEARTBEAT = 2.0
#: A live run not touched for this long belongs to a process that stopped.
STALE_AFTER = dt.timedelta(minutes=2)
#: The print jobs' advisory lock namespace, keyed by batch id (veriseal.printing.jobs):
#: a run starts under the same lock as a job is recorded.
_PRINT_LOCK = 5

#: What each template kind produces: file extension and media type.
OUTPUTS: dict[str, tuple[str, str]] = {
    "pdf": ("pdf", "application/pdf"),
    "zpl": ("zpl", "application/octet-stream"),
    "csv": ("csv", "text/csv; charset=utf-8"),
    "image": ("zip", "application/zip"),
}


class PrintRunNotFound(NotFound):
    code = "print_run_not_found"


class PrintFileGone(NotFound):
    """A done run whose file is no longer in the spool (cleaned up, another machine)."""

    code = "print_file_gone"


register(
    {
        "error.print_run_not_found": ("Print run not found", "未找到该打印任务"),
        "error.print_file_gone": (
            "The print file is no longer available: print the labels again as a reprint",
            "打印文件已不存在：请以补打方式重新打印",
        ),
    }
)


@dataclass(frozen=True)
class RunRequest:
    """What an operator asks to print: labels ``first..last`` (inclusive; None: the
    batch's first / last) of a batch through a template."""

    batch_id: int
    template: str
    first: int | None = None
    last: int | None = None
    line: str = ""
    reprint: bool = False


@dataclass(frozen=True)
class Download:
    path: Path
    filename: str  # what the browser saves it as
    content_type: str
    size: int


def shown_state(run: PrintRun, now: dt.datetime | None = None) -> str:
    """The run's state as people see it: ``interrupted`` for a live run nobody touches."""
    at = now or dt.datetime.now(dt.UTC)
    if run.state in store.LIVE and at - run.updated_at > STALE_AFTER:
        return "interrupted"
    return str(run.state)


class _Cancelled(Exception):
    """Raised inside the rendering thread when the server stops."""


class _Progress:
    """Labels rendered so far, written by the rendering thread, read by the loop."""

    def __init__(self) -> None:
        self.done = 0
        self.cancelled = False

    def add(self, n: int) -> None:
        if self.cancelled:
            raise _Cancelled("the server is stopping")
        self.done += n


@dataclass(frozen=True)
class _Job:
    brand: Brand
    batch: Batch
    template: Template
    material: KeyMaterial
    request: JobRequest


def default_spool() -> Path:
    """The spool when none is configured: a folder of this user's in the temp dir."""
    return Path(tempfile.gettempdir()) / f"veriseal-print-spool-{os.getuid()}"


class PrintDesk:
    def __init__(
        self,
        ledger: Ledger,
        keys: KeyService,
        batches: BatchDesk,
        template_dirs: Sequence[Path] = (),
        spool: Path | None = None,
    ) -> None:
        self._ledger = ledger
        self._keys = keys
        self._batches = batches
        self._dirs = tuple(template_dirs)
        self.spool = spool or default_spool()
        self._jobs = PrintJobs(ledger)
        self._slot = asyncio.Semaphore(1)
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._progress: dict[int, _Progress] = {}

    def templates(self) -> list[Template]:
        """The templates a run may use (the brand's folders first, then the shipped)."""
        return templates.available(self._dirs)

    async def start(self, principal: Principal, brand: Brand, req: RunRequest) -> PrintRun:
        """Check and queue a run; it renders in the background (see the module
        docstring). ``PrintOverlap`` / ``ReprintOfUnprinted`` as ``veriseal print``
        refuses, ``PrintOverlap`` too for labels a live run is printing."""
        check_brand(principal, (Action.LINE_OPERATE,), brand)
        batch = await self._batches.get(principal, brand, req.batch_id)
        start, stop = check_range(batch, req.first, req.last)
        template = templates.find(req.template, self._dirs)
        key = {k.slot: k for k in await self._keys.list(brand)}[batch.key_slot]
        material = self._keys.material(key)  # KeyRevoked before anything is queued
        who = actor(principal)
        line = req.line.strip()[:100]
        request = JobRequest(batch, start, stop, template.name, line, who, req.reprint)
        await self._jobs.check(request)
        ext = OUTPUTS[template.kind][0]
        now = dt.datetime.now(dt.UTC)
        async with self._ledger.write() as tx:
            await tx.advisory_lock((_PRINT_LOCK, batch.id))
            live = await store.live_meeting(tx, batch.id, start, stop - 1, now - STALE_AFTER)
            if live:
                raise PrintOverlap(
                    f"labels {start}..{stop - 1} of batch {batch.id} overlap print run"
                    f" {live[0].id} (labels {live[0].first_index}..{live[0].last_index}),"
                    " which is still printing",
                    runs=[r.id for r in live],
                )
            run = await store.insert(
                tx,
                store.NewRun(
                    brand_id=brand.id,
                    batch_id=batch.id,
                    first_index=start,
                    last_index=stop - 1,
                    template=template.name,
                    kind=template.kind,
                    line=line,
                    operator=who,
                    reprint=req.reprint,
                    file_name=f"run-{secrets.token_hex(12)}.{ext}",
                    at=now,
                ),
            )
        job = _Job(brand, batch, template, material, request)
        self._tasks[run.id] = asyncio.create_task(self._run(run, job), name=f"print-run:{run.id}")
        return run

    async def runs(self, principal: Principal, brand: Brand, batch_id: int) -> list[PrintRun]:
        """The batch's console print runs, newest first."""
        check_brand(principal, (Action.LINE_OPERATE,), brand)
        batch = await self._batches.get(principal, brand, batch_id)
        async with self._ledger.read() as tx:
            return await store.of_batch(tx, batch.id)

    async def jobs(self, principal: Principal, brand: Brand, batch_id: int) -> list[PrintJob]:
        """The batch's print jobs (the CLI's and the finished runs'), oldest first."""
        check_brand(principal, (Action.LINE_OPERATE,), brand)
        return await self._jobs.list(await self._batches.get(principal, brand, batch_id))

    async def get(self, principal: Principal, brand: Brand, run_id: int) -> PrintRun:
        """One run of the brand (``PrintRunNotFound`` for another brand's)."""
        check_brand(principal, (Action.LINE_OPERATE,), brand)
        async with self._ledger.read() as tx:
            run = await store.get(tx, run_id)
        if run is None or run.brand_id != brand.id:
            raise PrintRunNotFound(f"no print run {run_id}")
        return run

    async def download(self, principal: Principal, brand: Brand, run_id: int) -> Download:
        """The finished run's file, for the caller to stream. ``PrintRunNotFound`` while
        it is not done (or failed), ``PrintFileGone`` when the spool lost it."""
        run = await self.get(principal, brand, run_id)
        if run.state is not RunState.DONE:
            raise PrintRunNotFound(f"print run {run_id} is {shown_state(run)}, not done")
        path = self.spool / run.file_name
        if "/" in run.file_name or not path.is_file():
            raise PrintFileGone(f"the file of print run {run_id} is gone")
        ext, content_type = OUTPUTS[run.kind]
        name = f"batch{run.batch_id}-{run.first_index}-{run.last_index}-{run.template}.{ext}"
        return Download(path, name, content_type, path.stat().st_size)

    async def wait(self, run_id: int) -> None:
        """Until the run, if it renders in this process, has ended (tests, benchmarks)."""
        task = self._tasks.get(run_id)
        if task is not None:
            await asyncio.shield(task)

    async def close(self) -> None:
        """Stop the runs of this process: each fails as interrupted."""
        for progress in self._progress.values():
            progress.cancelled = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # -- the background run -----------------------------------------------------------------
    async def _run(self, run: PrintRun, job: _Job) -> None:
        part = self.spool / (run.file_name + ".part")
        try:
            await self._wait_for_slot(run)
            try:
                await self._render(run, job, part)
            finally:
                self._slot.release()
        except asyncio.CancelledError:
            await self._fail(run.id, "interrupted: the server stopped")
            raise
        except VerisealError as exc:
            await self._fail(run.id, f"{exc.code}: {exc.message}")
        except Exception as exc:
            await self._fail(run.id, f"internal error ({type(exc).__name__})")
        finally:
            part.unlink(missing_ok=True)
            self._tasks.pop(run.id, None)
            self._progress.pop(run.id, None)

    async def _wait_for_slot(self, run: PrintRun) -> None:
        """Take this process's print slot, touching the queued run meanwhile."""
        while True:
            try:
                await asyncio.wait_for(self._slot.acquire(), STALE_AFTER.total_seconds() / 4)
                return
            except TimeoutError:
                await self._touch(run.id, RunState.QUEUED, 0)

    async def _render(self, run: PrintRun, job: _Job, part: Path) -> None:
        self.spool.mkdir(mode=0o700, parents=True, exist_ok=True)
        progress = self._progress[run.id] = _Progress()
        await self._touch(run.id, RunState.RENDERING, 0)
        rendering = asyncio.ensure_future(asyncio.to_thread(_render_file, job, part, progress))
        try:
            while not rendering.done():
                await asyncio.wait({rendering}, timeout=HEARTBEAT)
                if not rendering.done():
                    await self._touch(run.id, RunState.RENDERING, progress.done)
        except asyncio.CancelledError:
            progress.cancelled = True  # the thread stops at its next chunk
            with contextlib.suppress(BaseException):
                await rendering
            raise
        sha256 = rendering.result()
        record = await self._jobs.record(job.request, sha256)
        final = self.spool / run.file_name
        part.rename(final)
        async with self._ledger.write() as tx:
            await store.finish(tx, run.id, record.id, run.labels, final.stat().st_size,
                               dt.datetime.now(dt.UTC))  # fmt: skip

    async def _touch(self, run_id: int, state: RunState, done: int) -> None:
        async with self._ledger.write() as tx:
            await store.touch(tx, run_id, state, done, dt.datetime.now(dt.UTC))

    async def _fail(self, run_id: int, error: str) -> None:
        with contextlib.suppress(Exception):  # the ledger may be closing: the run goes stale
            async with self._ledger.write() as tx:
                await store.fail(tx, run_id, error, dt.datetime.now(dt.UTC))


def _render_file(job: _Job, path: Path, progress: _Progress) -> str:
    """Render the job into ``path`` (a new file) and return its SHA-256; in a thread."""
    source = BatchSource(job.brand, job.batch, job.material)
    renderer = print_job.renderer_for(job.template, source)
    req = job.request
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        sink = Sink.for_zip(out) if renderer.named_files else Sink.for_stream(out)
        print_job.run(renderer, source, req.start, req.stop, sink, progress=progress.add)
        sink.close()
    return sink.sha256

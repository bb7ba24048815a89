"""Print runs from the console: rendered in the background, recorded as print jobs,
downloadable only by the brand's line staff; overlaps refused as ``veriseal print``
refuses them, and also against runs still rendering."""

from __future__ import annotations

import hashlib
import zipfile

import pytest

from veriseal.accounts.errors import Forbidden
from veriseal.brandops.print_runs import PrintFileGone, PrintRunNotFound, RunRequest, shown_state
from veriseal.catalog.batches import BatchRequest
from veriseal.errors import BatchNotFound, InvalidInput
from veriseal.printing.errors import PrintOverlap, PrintTemplateNotFound, ReprintOfUnprinted

from .conftest import GTIN, World


async def test_a_run_renders_records_and_downloads(world: World) -> None:
    ops, operator = world.engine.ops, world.who["F"]
    req = RunRequest(world.batch.id, "a4-qr-3x8", first=0, last=9, line="L2")
    run = await ops.prints.start(operator, world.brand, req)
    assert (run.state, run.labels, run.operator) == ("queued", 10, f"user:{operator.user_id}")
    await ops.prints.wait(run.id)
    done = await ops.prints.get(operator, world.brand, run.id)
    assert (shown_state(done), done.done, done.error) == ("done", 10, "")
    [job] = await ops.prints.jobs(operator, world.brand, world.batch.id)
    assert (job.id, job.first_index, job.last_index, job.line) == (done.print_job_id, 0, 9, "L2")
    got = await ops.prints.download(world.who["B"], world.brand, run.id)
    data = got.path.read_bytes()
    assert data.startswith(b"%PDF-") and got.content_type == "application/pdf"
    assert hashlib.sha256(data).hexdigest() == job.output_sha256  # the file the job records
    assert got.filename == f"batch{world.batch.id}-0-9-a4-qr-3x8.pdf"
    assert [r.id for r in await ops.prints.runs(operator, world.brand, world.batch.id)] == [run.id]
    # the same labels again: refused, unless it is a reprint, which gives the same bytes
    with pytest.raises(PrintOverlap):
        await ops.prints.start(operator, world.brand, req)
    again = await ops.prints.start(operator, world.brand, RunRequest(
        world.batch.id, "a4-qr-3x8", first=0, last=9, reprint=True))  # fmt: skip
    await ops.prints.wait(again.id)
    copy = await ops.prints.download(operator, world.brand, again.id)
    assert copy.path.read_bytes() == data
    with pytest.raises(ReprintOfUnprinted):
        await ops.prints.start(operator, world.brand, RunRequest(
            world.batch.id, "a4-qr-3x8", first=5, last=15, reprint=True))  # fmt: skip


async def test_image_runs_are_zips_and_csv_is_text(world: World) -> None:
    ops, admin = world.engine.ops, world.who["B"]
    png = await ops.prints.start(admin, world.brand, RunRequest(world.batch.id, "png-qr",
                                                                first=0, last=2))  # fmt: skip
    coder = await ops.prints.start(admin, world.brand, RunRequest(world.batch.id, "coder-csv",
                                                                  first=3, last=5))  # fmt: skip
    await ops.prints.wait(png.id)
    await ops.prints.wait(coder.id)
    zipped = await ops.prints.download(admin, world.brand, png.id)
    assert zipped.content_type == "application/zip" and zipped.filename.endswith(".zip")
    with zipfile.ZipFile(zipped.path) as z:
        assert len(z.namelist()) == 3
    text = await ops.prints.download(admin, world.brand, coder.id)
    assert text.content_type.startswith("text/csv")
    assert len(text.path.read_text(encoding="utf-8").strip().splitlines()) >= 3


async def test_refusals(world: World) -> None:
    ops = world.engine.ops
    req = RunRequest(world.batch.id, "a4-qr-3x8", first=0, last=1)
    for letter in ("D", "R", "I", "C"):
        with pytest.raises(Forbidden):
            await ops.prints.start(world.who[letter], world.brand, req)
    with pytest.raises(Forbidden):  # another brand's admin, on this brand
        await ops.prints.start(world.who["other"], world.brand, req)
    with pytest.raises(BatchNotFound):  # this brand's batch, through the other brand
        await ops.prints.start(world.who["other"], world.other, req)
    with pytest.raises(InvalidInput):
        await ops.prints.start(world.who["F"], world.brand, RunRequest(
            world.batch.id, "a4-qr-3x8", first=30, last=45))  # fmt: skip
    with pytest.raises(PrintTemplateNotFound):
        await ops.prints.start(world.who["F"], world.brand, RunRequest(world.batch.id, "../x"))
    run = await ops.prints.start(world.who["F"], world.brand, req)
    # while it renders, the same labels are refused (a live run holds them)
    with pytest.raises(PrintOverlap):
        await ops.prints.start(world.who["B"], world.brand, req)
    with pytest.raises(PrintRunNotFound):  # not done yet: nothing to download
        await ops.prints.download(world.who["F"], world.brand, run.id)
    await ops.prints.wait(run.id)
    with pytest.raises(PrintRunNotFound):  # another brand's run
        await ops.prints.download(world.who["other"], world.other, run.id)
    with pytest.raises(Forbidden):
        await ops.prints.download(world.who["I"], world.brand, run.id)
    done = await ops.prints.download(world.who["F"], world.brand, run.id)
    done.path.unlink()
    with pytest.raises(PrintFileGone):
        await ops.prints.download(world.who["F"], world.brand, run.id)


async def test_a_job_recorded_meanwhile_fails_the_run(world: World) -> None:
    """The CLI printed the same labels while the run rendered: the run's record is
    refused, it fails and leaves no file."""
    engine, ops = world.engine, world.engine.ops
    batch = await engine.batches.create(world.brand, BatchRequest(GTIN, "L9", 5000))
    run = await ops.prints.start(world.who["F"], world.brand, RunRequest(batch.id, "zpl-qr-203"))
    from veriseal.printing.jobs import JobRequest, PrintJobs  # noqa: PLC0415

    await PrintJobs(engine.ledger).record(JobRequest(batch, 0, 10, "zpl-qr-203"), "0" * 64)
    await ops.prints.wait(run.id)
    failed = await ops.prints.get(world.who["F"], world.brand, run.id)
    assert shown_state(failed) == "failed" and failed.error.startswith("print_overlap")
    assert not list(ops.prints.spool.glob("*.part"))
    assert not (ops.prints.spool / failed.file_name).exists()

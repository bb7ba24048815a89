"""``veriseal print``: render a batch's labels through a template, recording the job;
``veriseal print-jobs``: list a batch's print jobs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from veriseal.catalog.minting import check_range
from veriseal.engine import Engine
from veriseal.errors import InvalidInput
from veriseal.i18n import t
from veriseal.printing import job as print_job
from veriseal.printing import templates
from veriseal.printing.jobs import JobRequest, PrintJob, PrintJobs
from veriseal.printing.records import BatchSource
from veriseal.printing.render_base import Renderer, Sink
from veriseal_cli.context import Options, echo_json, pass_opts, with_engine
from veriseal_cli.option_groups import gather
from veriseal_cli.output import open_output
from veriseal_cli.params import BATCH, INDEX
from veriseal_cli.progress import progress_bar


@dataclass(frozen=True)
class JobOptions:
    """What ``print`` is asked to print, as the command line gave it."""

    template_name: str | None  # a template's name (see --list-templates)
    first: int | None  # first index, inclusive; None: 0
    last: int | None  # last index, inclusive; None: the batch's last
    line: str  # production line the labels are for
    operator: str  # who prints them
    reprint: bool  # allow printing labels printed before


@click.command("print")
@click.argument("ref", type=BATCH, required=False)
@click.option("--template", "template_name", help="Template name (see --list-templates).")
@click.option("--from", "first", type=INDEX, help="First index (inclusive, default 0).")
@click.option("--to", "last", type=INDEX, help="Last index (inclusive, default size-1).")
@click.option("--line", default="", help="Production line the labels are for.")
@click.option("--operator", default="", help="Who prints them.")
@click.option("--reprint", is_flag=True, help="Reprint labels printed before (printer jam).")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Output file; image templates: NAME.zip or a directory.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=min(2, os.cpu_count() or 1),
    show_default=True,
    help="Rendering processes for PDF and images (ZPL and CSV render in one process"
    " and write from a second thread: faster than a pool for them).",
)
@click.option("--list-templates", is_flag=True, help="List the available templates and exit.")
@gather(JobOptions, into="job")
@pass_opts
def print_cmd(
    opts: Options,
    ref: str | None,
    job: JobOptions,
    output: Path | None,
    workers: int,
    list_templates: bool,
) -> None:
    """Render labels of batch REF (PDF sheets, ZPL, coder CSV, PNG/SVG images).

    Every job is recorded; printing labels again needs --reprint.
    """

    async def go(engine: Engine) -> None:
        dirs = engine.config.template_dirs
        if list_templates:
            for tpl in templates.available(dirs):
                click.echo(f"{tpl.name}\t{tpl.kind}\t{tpl.description}")
            return
        if not ref or not job.template_name or output is None:
            raise InvalidInput("give a batch, --template and -o (or --list-templates)")
        brand = await engine.brand(opts.brand)
        batch = await engine.batches.get(brand, ref)
        start, stop = check_range(batch, job.first, job.last)
        template = templates.find(job.template_name, dirs)
        keys = {k.slot: k for k in await engine.keys.list(brand)}
        source = BatchSource(brand, batch, engine.keys.material(keys[batch.key_slot]))
        renderer = print_job.renderer_for(template, source)
        jobs = PrintJobs(engine.ledger)
        req = JobRequest(batch, start, stop, template.name, job.line, job.operator, job.reprint)
        await jobs.check(req)  # refuse before rendering anything
        with progress_bar(t("print.progress", opts.lang), stop - start) as advance:
            if renderer.named_files and output.suffix.lower() != ".zip":
                record = await _to_folder(output, renderer, source, req, jobs, workers, advance)
            else:
                with open_output(output) as out:
                    sink = Sink.for_zip(out) if renderer.named_files else Sink.for_stream(out)
                    print_job.run(
                        renderer, source, start, stop, sink, workers=workers, progress=advance
                    )
                    sink.close()
                    # recorded before the file gets its final name: a refused job leaves none
                    record = await jobs.record(req, sink.sha256)
        values = {
            "job": record.id,
            "n": f"{record.labels:,}",
            "batch": batch.id,
            "template": template.name,
            "path": output,
            "of": record.reprint_of,
        }
        key = "print.reprint_done" if record.reprint_of else "print.done"
        click.echo(t(key, opts.lang, **values), err=True)

    with_engine(opts, go)


async def _to_folder(
    output: Path,
    renderer: Renderer,
    source: BatchSource,
    req: JobRequest,
    jobs: PrintJobs,
    workers: int,
    advance: Callable[[int], None],
) -> PrintJob:
    """Images into a new directory: written as ``NAME.part`` and renamed when complete."""
    if output.exists():
        raise InvalidInput(f"{output} exists: image jobs write a new directory (or NAME.zip)")
    tmp = output.with_name(output.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        sink = Sink.for_folder(tmp)
        print_job.run(
            renderer, source, req.start, req.stop, sink, workers=workers, progress=advance
        )
        record = await jobs.record(req, sink.sha256)
        tmp.rename(output)
        return record
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@click.command("print-jobs")
@click.argument("ref", type=BATCH)
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def print_jobs(opts: Options, ref: str, as_json: bool) -> None:
    """List the print jobs of batch REF (reprints name the job they repeat)."""

    async def go(engine: Engine) -> None:
        batch = await engine.batches.get(await engine.brand(opts.brand), ref)
        found = await PrintJobs(engine.ledger).list(batch)
        rows = [
            {
                "id": j.id,
                "first": j.first_index,
                "last": j.last_index,
                "labels": j.labels,
                "template": j.template,
                "line": j.line,
                "operator": j.operator,
                "reprint_of": j.reprint_of,
                "printed_at": j.printed_at.isoformat(),
                "sha256": j.output_sha256,
            }
            for j in found
        ]
        if as_json:
            echo_json(rows)
            return
        for r in rows:
            reprint = f"reprint of {r['reprint_of']}" if r["reprint_of"] else "print"
            click.echo(
                f"{r['id']}\t{r['first']}..{r['last']}\t{r['template']}\t{reprint}\t"
                f"{r['line']}\t{r['operator']}\t{r['printed_at']}\t{r['sha256']}"
            )

    with_engine(opts, go)

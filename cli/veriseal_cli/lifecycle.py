"""Factory-line commands: activation, decommission, packing, SSCCs, EPCIS export.

``veriseal batch activate|decommission|require-activation|states``, ``veriseal pack``,
``veriseal unpack``, ``veriseal contents``, ``veriseal sscc mint`` and
``veriseal events export``. Commands parse input and call the lifecycle services.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from veriseal import i18n
from veriseal.engine import Engine
from veriseal.errors import InvalidInput
from veriseal.i18n import t
from veriseal.lifecycle.aggregation import Children, PackRequest, PackResult
from veriseal.lifecycle.events import Where
from veriseal.lifecycle.index_ranges import IndexRange, make, parse
from veriseal.lifecycle.logistic_units import label, parse_sscc
from veriseal.models import Batch, Brand
from veriseal.scanning.items import batch_range_spec, resolve_children, resolve_items
from veriseal_cli.context import Options, echo_json, pass_opts, with_engine
from veriseal_cli.option_groups import gather
from veriseal_cli.output import open_output, output_option
from veriseal_cli.params import BATCH, COUNT, INDEX
from veriseal_cli.progress import progress_bar

i18n.register(
    {
        "cli.rule_batch": ("batch {id}", "批次 {id}"),
        "cli.rule_brand": (
            "batches {brand} creates from now on",
            "品牌 {brand} 此后创建的批次",
        ),
        "cli.yes": ("yes", "是"),
        "cli.no": ("no", "否"),
        "cli.ssccs_minted": (
            "Minted {n} SSCCs ({first} .. {last}) to {path}",
            "已生成 {n} 个 SSCC（{first} .. {last}），写入 {path}",
        ),
        "cli.events_exported": (
            "Exported {n} events (EPCIS 2.0 JSON-LD) to {path}",
            "已导出 {n} 个事件（EPCIS 2.0 JSON-LD）到 {path}",
        ),
        "cli.exporting": ("Exporting", "导出中"),
    }
)

_location_options = [
    click.option("--read-point", help="EPCIS readPoint: a URI or a 13-digit GLN."),
    click.option("--biz-location", help="EPCIS bizLocation: a URI or a 13-digit GLN."),
    click.option(
        "--at",
        "event_time",
        help="Event time, ISO 8601 with offset (default now), e.g. 2026-11-25T08:30+08:00.",
    ),
    click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
]


@dataclass(frozen=True)
class Place:
    """Where and when an event happened, and how to print the result (the options
    every event-recording command shares)."""

    read_point: str | None  # EPCIS readPoint: a URI or a 13-digit GLN
    biz_location: str | None  # EPCIS bizLocation: a URI or a 13-digit GLN
    event_time: str | None  # ISO 8601; None: now
    as_json: bool  # print the result as JSON

    def where(self) -> Where:
        """The event's location, recorded as entered from the CLI."""
        return Where.parse(self.read_point, self.biz_location, "cli")

    def when(self) -> dt.datetime | None:
        """The event's time (aware), or None for now."""
        return _when(self.event_time)


@dataclass(frozen=True)
class Labels:
    """The labels ``batch decommission`` voids: ranges, index files or code files."""

    first: int | None  # --from
    last: int | None  # --to
    specs: tuple[str, ...]  # --range I-J, repeatable
    index_file: Path | None  # indexes or I-J ranges, one per line
    code_file: Path | None  # printed codes (URIs or serials), one per line


def _with_location(f: Callable[..., None]) -> Callable[..., None]:
    """The location options, handed to the command as ``place``."""
    f = gather(Place, into="place")(f)
    for option in reversed(_location_options):
        f = option(f)
    return f


def _when(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--at {text!r}: use ISO 8601, e.g. 2026-11-25T08:30+08:00") from None
    return when if when.tzinfo else when.astimezone()  # naive: this machine's local time


def _ranges(
    first: int | None, last: int | None, specs: tuple[str, ...], batch: Batch
) -> list[IndexRange]:
    """--from/--to and --range options -> ranges; the whole batch when none is given."""
    out = [parse(s) for s in specs]
    if first is not None or last is not None:
        out.append(make(0 if first is None else first, batch.size - 1 if last is None else last))
    return out or [IndexRange(0, batch.size - 1)]


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from None


async def _children(engine: Engine, brand: Brand, specs: tuple[str, ...]) -> Children:
    """``--items`` values: ``BATCH:I-J`` ranges, or files of codes / SSCCs."""
    texts: list[str] = []
    for spec in specs:
        if batch_range_spec(spec) is not None and not Path(spec).exists():
            texts.append(spec)
            continue
        path = Path(spec)
        if not path.is_file():
            raise InvalidInput(f"--items {spec!r}: neither a file nor BATCH:I-J")
        texts.extend(_lines(path))
    return await resolve_children(engine.batches, engine.verifier, brand, texts)


def _change_dict(change: object) -> dict[str, object]:
    return {
        k: getattr(change, k) for k in ("batch_id", "event_id", "changed", "already", "skipped")
    }


def _echo_moved(opts: Options, key: str, sscc: str, result: PackResult, as_json: bool) -> None:
    """What a pack or unpack did, as JSON or one translated line."""
    data = {"parent": sscc, "event_id": result.event_id, "items": result.items,
            "units": result.units}  # fmt: skip
    if as_json:
        echo_json(data)
    else:
        click.echo(t(key, opts.lang, parent=sscc, items=result.items, units=result.units,
                     event=result.event_id))  # fmt: skip


@click.command("activate")
@click.argument("ref", type=BATCH)
@click.option("--from", "first", type=INDEX, help="First index (default 0).")
@click.option("--to", "last", type=INDEX, help="Last index, inclusive (default the batch's last).")
@click.option("--range", "specs", multiple=True, help="I-J ranges (repeatable).")
@_with_location
@pass_opts
def activate(
    opts: Options,
    ref: str,
    first: int | None,
    last: int | None,
    specs: tuple[str, ...],
    place: Place,
) -> None:
    """Activate (commission) printed codes of batch REF: they verify as genuine only
    once activated, if the batch requires activation."""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        batch = await engine.batches.get(brand, ref)
        change = await engine.lifecycle.activation.activate(
            batch, _ranges(first, last, specs, batch), place.where(), place.when()
        )
        if place.as_json:
            echo_json(_change_dict(change))
        else:
            click.echo(
                t(
                    "cli.activated",
                    opts.lang,
                    batch=batch.id,
                    n=change.changed,
                    already=change.already,
                    void=change.skipped,
                )
            )

    with_engine(opts, go)


async def _labels(engine: Engine, brand: Brand, batch: Batch, labels: Labels) -> list[IndexRange]:
    """The index ranges of ``batch`` that ``labels`` names (none named: an error)."""
    ranges = [parse(s) for s in labels.specs]
    if labels.first is not None or labels.last is not None:
        ranges.extend(_ranges(labels.first, labels.last, (), batch))
    if labels.index_file is not None:
        ranges.extend(
            parse(line) for line in _lines(labels.index_file) if line.strip() and line[0] != "#"
        )
    if labels.code_file is not None:
        _, by_batch = await resolve_items(engine.verifier, brand, _lines(labels.code_file))
        other = sorted(set(by_batch) - {batch.id})
        if other:
            raise InvalidInput(
                f"{labels.code_file} holds codes of batch {other[0]}, not {batch.id}"
            )
        ranges.extend(by_batch.get(batch.id, []))
    if not ranges:
        raise InvalidInput("name the labels: --from/--to, --range, --indexes or --codes")
    return ranges


@click.command("decommission")
@click.argument("ref", type=BATCH)
@click.option("--from", "first", type=INDEX)
@click.option("--to", "last", type=INDEX)
@click.option("--range", "specs", multiple=True, help="I-J ranges (repeatable).")
@click.option(
    "--indexes",
    "index_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File of indexes or I-J ranges, one per line.",
)
@click.option(
    "--codes",
    "code_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File of printed codes (URIs or serials), one per line.",
)
@click.option("--reason", required=True, help="Why: spoiled, jammed, torn, ...")
@click.option("--destroyed", is_flag=True, help="The labels were physically destroyed.")
@_with_location
@gather(Labels, into="labels")
@pass_opts
def decommission(
    opts: Options, ref: str, labels: Labels, reason: str, destroyed: bool, place: Place
) -> None:
    """Decommission (void) spoiled or destroyed labels of batch REF, by range or list."""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        batch = await engine.batches.get(brand, ref)
        ranges = await _labels(engine, brand, batch, labels)
        change = await engine.lifecycle.activation.decommission(
            batch, ranges, reason, place.where(), destroyed=destroyed, at=place.when()
        )
        if place.as_json:
            echo_json(_change_dict(change))
        else:
            click.echo(
                t(
                    "cli.decommissioned",
                    opts.lang,
                    batch=batch.id,
                    n=change.changed,
                    already=change.already,
                )
            )

    with_engine(opts, go)


@click.command("require-activation")
@click.argument("ref", type=BATCH, required=False)
@click.option("--all-new", is_flag=True, help="For every batch the brand creates from now on.")
@click.option("--off", is_flag=True, help="Do not require activation.")
@pass_opts
def require_activation(opts: Options, ref: str | None, all_new: bool, off: bool) -> None:
    """Require activation for batch REF (or, with --all-new, the brand's future batches)."""
    if (ref is None) == (not all_new):
        raise click.UsageError("give a batch, or --all-new (not both)")

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        batch = None if ref is None else await engine.batches.get(brand, ref)
        await engine.lifecycle.activation.set_required(brand, batch, not off)
        scope = (
            t("cli.rule_brand", opts.lang, brand=brand.slug)
            if batch is None
            else t("cli.rule_batch", opts.lang, id=batch.id)
        )
        required = t("cli.no" if off else "cli.yes", opts.lang)
        click.echo(t("cli.activation_rule", opts.lang, scope=scope, required=required))

    with_engine(opts, go)


@click.command("states")
@click.argument("ref", type=BATCH)
@pass_opts
def states(opts: Options, ref: str) -> None:
    """How many codes of batch REF are active, decommissioned or not activated (JSON)."""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        batch = await engine.batches.get(brand, ref)
        echo_json({"batch": batch.id, **await engine.lifecycle.activation.counts(batch)})

    with_engine(opts, go)


@click.command("pack")
@click.argument("parent")
@click.option(
    "--items",
    "specs",
    multiple=True,
    required=True,
    help="BATCH:I-J (indexes of a batch) or a file of codes / SSCCs (repeatable).",
)
@_with_location
@pass_opts
def pack(
    opts: Options,
    parent: str,
    specs: tuple[str, ...],
    place: Place,
) -> None:
    """Record that items (or cases, by SSCC) are inside PARENT (an SSCC)."""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        sscc = parse_sscc(parent)
        children = await _children(engine, brand, specs)
        result = await engine.lifecycle.aggregation.pack(
            brand, PackRequest(sscc, children), place.where(), place.when()
        )
        _echo_moved(opts, "cli.packed", sscc, result, place.as_json)

    with_engine(opts, go)


@click.command("unpack")
@click.argument("parent")
@click.option("--items", "specs", multiple=True, help="Only these children (default: all).")
@_with_location
@pass_opts
def unpack(
    opts: Options,
    parent: str,
    specs: tuple[str, ...],
    place: Place,
) -> None:
    """Take items or units out of PARENT (history is kept)."""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        sscc = parse_sscc(parent)
        children = await _children(engine, brand, specs) if specs else None
        result = await engine.lifecycle.aggregation.unpack(
            brand, sscc, place.where(), children, place.when()
        )
        _echo_moved(opts, "cli.unpacked", sscc, result, place.as_json)

    with_engine(opts, go)


@click.command("contents")
@click.argument("parent")
@click.option("--deep", is_flag=True, help="Also what is inside the units (a pallet's items).")
@pass_opts
def contents(opts: Options, parent: str, deep: bool) -> None:
    """What PARENT (an SSCC) holds now, as JSON."""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        sscc = parse_sscc(parent)
        held = await engine.lifecycle.aggregation.contents(brand, sscc, deep=deep)
        echo_json(
            {
                "parent": sscc,
                "items": held.items,
                "ranges": [
                    {"batch": r.batch_id, "from": r.first, "to": r.last} for r in held.ranges
                ],
                "units": list(held.units),
            }
        )

    with_engine(opts, go)


@click.group("sscc")
def sscc() -> None:
    """Serial Shipping Container Codes (GS1 AI 00) for cases and pallets."""


@sscc.command("mint")
@click.option("--company-prefix", required=True, help="Your GS1 company prefix (6-12 digits).")
@click.option("--extension", type=click.IntRange(0, 9), default=0, show_default=True)
@click.option("--count", type=COUNT, default=1, show_default=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "uri", "element"]),
    default="csv",
    show_default=True,
    help="csv: sscc,uri,element_string; uri / element: one per line.",
)
@output_option
@pass_opts
def sscc_mint(
    opts: Options, company_prefix: str, extension: int, count: int, fmt: str, output: Path
) -> None:
    """Allocate COUNT new SSCCs and write their label records."""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        alloc = await engine.lifecycle.ssccs.mint(brand, company_prefix, count, extension)
        first = last = ""
        with open_output(output) as out:
            if fmt == "csv":
                out.write(b"sscc,uri,element_string\n")
            for code in alloc.ssccs():
                rec = label(brand.resolver, code)
                first = first or code
                last = code
                if fmt == "csv":
                    line = f"{rec.sscc},{rec.uri},{rec.element_string}"
                elif fmt == "jsonl":
                    line = json.dumps(rec.to_dict())
                elif fmt == "uri":
                    line = rec.uri
                else:
                    line = rec.element_string
                out.write(line.encode() + b"\n")
        if str(output) != "-":
            click.echo(
                t("cli.ssccs_minted", opts.lang, n=count, first=first, last=last, path=output),
                err=True,
            )

    with_engine(opts, go)


@click.group("events")
def events() -> None:
    """The event ledger (activation, decommission, packing)."""


@events.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["epcis-json"]), default="epcis-json", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("-"),
    help="Output file (default standard output).",
)
@click.option("--since", help="Only events at or after this time (ISO 8601).")
@click.option("--until", help="Only events before this time (ISO 8601).")
@pass_opts
def events_export(
    opts: Options, fmt: str, output: Path, since: str | None, until: str | None
) -> None:
    """Write the brand's events as an EPCIS 2.0 JSON-LD document."""
    del fmt  # one format so far; the option names it for scripts and for the future

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        exporter = engine.lifecycle.exporter()
        with progress_bar(t("cli.exporting", opts.lang), 0) as advance, open_output(output) as out:
            n = await exporter.write(
                brand, out, since=_when(since), until=_when(until), progress=advance
            )
        if str(output) != "-":
            click.echo(t("cli.events_exported", opts.lang, n=n, path=output), err=True)

    with_engine(opts, go)


def add_batch_commands(batch: click.Command) -> None:
    """Add ``activate``, ``decommission``, ``require-activation`` and ``states`` to the
    ``batch`` group (they live here, with the other lifecycle commands)."""
    assert isinstance(batch, click.Group)
    for command in (activate, decommission, require_activation, states):
        batch.add_command(command)

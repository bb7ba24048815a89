"""``veriseal batch``: create batches, stream their codes, manifests, recall."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from veriseal.catalog import manifest
from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.keys import public_keys_from_jwks
from veriseal.catalog.minting import CodeFormat, Minter, check_range, write_codes
from veriseal.engine import Engine
from veriseal.errors import InvalidInput
from veriseal.i18n import t
from veriseal.models import Batch, BatchStatus, Profile
from veriseal_cli.context import Options, echo_json, pass_opts, run, with_engine
from veriseal_cli.option_groups import gather
from veriseal_cli.output import is_stdout, open_output, output_option
from veriseal_cli.params import BATCH, COUNT, INDEX
from veriseal_cli.progress import progress_bar


def batch_dict(b: Batch) -> dict[str, object]:
    return {
        "id": b.id,
        "gtin": b.gtin,
        "lot": b.lot,
        "size": b.size,
        "profile": str(b.profile),
        "pin_digits": b.pin_digits,
        "key_slot": b.key_slot,
        "seq": b.seq,
        "production_date": b.production_date.isoformat(),
        "expiry_date": b.expiry_date.isoformat() if b.expiry_date else None,
        "factory": b.factory,
        "line": b.line,
        "status": str(b.status),
        "created_at": b.created_at.isoformat(),
    }


@dataclass(frozen=True)
class NewBatch:
    """The options of ``batch create``, as the command line gave them."""

    gtin: str  # a registered product's GTIN
    lot: str  # printed on the labels (AI 10)
    size: int  # number of codes
    profile: str  # a Profile value
    with_pin: bool  # give every code a scratch-off PIN
    pin_digits: int  # the PIN's length, when with_pin
    produced: dt.datetime | None  # production date; None: today
    factory: str
    line: str  # production line

    def request(self) -> BatchRequest:
        """The service request these options describe."""
        return BatchRequest(
            gtin=self.gtin,
            lot=self.lot,
            size=self.size,
            profile=Profile(self.profile),
            pin_digits=self.pin_digits if self.with_pin else 0,
            production_date=self.produced.date() if self.produced else None,
            factory=self.factory,
            line=self.line,
        )


@click.group()
def batch() -> None:
    """Production batches and their codes."""


@batch.command("create")
@click.option("--product", "gtin", required=True, help="GTIN of a registered product.")
@click.option("--lot", required=True, help="Lot / batch number printed on labels (AI 10).")
@click.option("--size", type=COUNT, required=True, help="Number of codes.")
@click.option(
    "--profile", type=click.Choice([p.value for p in Profile]), default="compact", show_default=True
)
@click.option("--pin", "with_pin", is_flag=True, help="Give every code a scratch-off PIN.")
@click.option("--pin-digits", type=click.IntRange(6, 8), default=8, show_default=True)
@click.option(
    "--produced", type=click.DateTime(["%Y-%m-%d"]), help="Production date (default today)."
)
@click.option("--factory", default="")
@click.option("--line", default="", help="Production line.")
@gather(NewBatch, into="new")
@pass_opts
def create(opts: Options, new: NewBatch) -> None:
    """Record a batch (one ledger row, whatever its size) with a signed manifest."""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        req = new.request()
        b = await engine.batches.create(brand, req)
        key = await engine.keys.active(brand)
        click.echo(
            t("cli.batch_created", opts.lang, id=b.id, size=f"{b.size:,}", lot=b.lot, kid=key.kid)
        )

    with_engine(opts, go)


@batch.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def list_(opts: Options, as_json: bool) -> None:
    """List the brand's batches."""

    async def go(engine: Engine) -> None:
        rows = [batch_dict(b) for b in await engine.batches.list(await engine.brand(opts.brand))]
        if as_json:
            echo_json(rows)
            return
        for r in rows:
            click.echo(
                f"{r['id']}\t{r['gtin']}\t{r['lot']}\t{r['size']}\t{r['profile']}\t{r['status']}"
            )

    with_engine(opts, go)


@batch.command("show")
@click.argument("ref", type=BATCH)
@pass_opts
def show(opts: Options, ref: str) -> None:
    """Show a batch (by number or GTIN/LOT) as JSON."""

    async def go(engine: Engine) -> None:
        echo_json(batch_dict(await engine.batches.get(await engine.brand(opts.brand), ref)))

    with_engine(opts, go)


@batch.command("codes")
@click.argument("ref", type=BATCH)
@click.option("--from", "first", type=INDEX, help="First index (inclusive, default 0).")
@click.option("--to", "last", type=INDEX, help="Last index (inclusive, default size-1).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in CodeFormat]),
    default="uri",
    show_default=True,
)
@output_option
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes for signing (signed profile).",
)
@pass_opts
def codes(
    opts: Options,
    ref: str,
    first: int | None,
    last: int | None,
    fmt: str,
    output: Path,
    workers: int,
) -> None:
    """Stream a batch's codes (re-derived: a range always gives the same codes)."""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        b = await engine.batches.get(brand, ref)
        start, stop = check_range(b, first, last)
        keys = {k.slot: k for k in await engine.keys.list(brand)}
        material = engine.keys.material(keys[b.key_slot])
        with (
            open_output(output) as out,
            Minter(brand, b, material, workers=workers) as minter,
            progress_bar(t("cli.minting", opts.lang), stop - start) as advance,
        ):
            n = write_codes(minter, CodeFormat(fmt), out, start=start, stop=stop, progress=advance)
        if not is_stdout(output):
            click.echo(t("cli.codes_written", opts.lang, n=f"{n:,}", path=output), err=True)

    with_engine(opts, go)


@batch.command("manifest")
@click.argument("ref", type=BATCH)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@pass_opts
def manifest_cmd(opts: Options, ref: str, output: Path | None) -> None:
    """Export the batch's signed manifest."""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        doc = await engine.batches.manifest_document(brand, await engine.batches.get(brand, ref))
        text = json.dumps(doc, ensure_ascii=False, indent=2)
        if output:
            output.write_text(text + "\n", encoding="utf-8")
        else:
            click.echo(text)

    with_engine(opts, go)


@batch.command("check-manifest")
@click.argument("manifest_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--jwks",
    "jwks_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The brand's public keys (veriseal keys export-public).",
)
@pass_opts
def check_manifest(opts: Options, manifest_file: Path, jwks_file: Path) -> None:
    """Check a manifest's signature offline, with the public keys only."""

    async def go() -> None:
        doc, jwks = _read_json(manifest_file), _read_json(jwks_file)
        fields = manifest.check_document(doc, public_keys_from_jwks(jwks))
        click.echo(t("cli.manifest_ok", opts.lang, kid=doc["kid"]))
        echo_json(fields)

    run(opts, go)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path} is not a JSON document: {exc}") from None


def _status_command(name: str, status: BatchStatus, help_text: str) -> click.Command:
    @click.command(name, help=help_text)
    @click.argument("ref", type=BATCH)
    @pass_opts
    def cmd(opts: Options, ref: str) -> None:
        async def go(engine: Engine) -> None:
            brand = await engine.brand(opts.brand)
            b = await engine.batches.set_status(await engine.batches.get(brand, ref), status)
            click.echo(t("cli.status_set", opts.lang, id=b.id, status=str(b.status)))

        with_engine(opts, go)

    return cmd


batch.add_command(
    _status_command("recall", BatchStatus.RECALLED, "Recall a batch: its codes verify as recalled.")
)
batch.add_command(_status_command("reinstate", BatchStatus.ACTIVE, "Undo a recall."))

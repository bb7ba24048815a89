"""``veriseal verify``: what a code is, or why it is not genuine."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from veriseal.engine import Engine
from veriseal.errors import InvalidInput
from veriseal.i18n import t
from veriseal.keys import public_keys_from_jwks
from veriseal.verification import Outcome, Verification, verify_offline
from veriseal_cli.context import Options, echo_json, pass_opts, run, with_engine

#: Exit status per outcome: 0 only for a genuine code, so scripts can branch on it.
EXIT = {
    Outcome.GENUINE: 0,
    Outcome.INVALID: 1,
    Outcome.RECALLED: 10,
    Outcome.EXPIRED: 11,
    Outcome.KEY_REVOKED: 12,
    Outcome.PIN_REQUIRED: 13,
    Outcome.PIN_WRONG: 14,
    Outcome.SUSPECTED_CLONE: 15,
    Outcome.NOT_ACTIVATED: 16,
    Outcome.DECOMMISSIONED: 17,
}


def show(result: Verification, as_json: bool, lang: str | None) -> None:
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(
            f"{t('outcome.' + str(result.outcome), lang)} [{result.reason}]: {result.message}"
        )
        if result.info:
            code = result.to_dict()["code"] or {}
            for name, value in code.items():
                if value is not None:
                    click.echo(f"  {name}: {value}")
    sys.exit(EXIT[result.outcome])


@click.command()
@click.argument("code")
@click.option("--pin", help="Scratch-off PIN, for batches that have one.")
@click.option(
    "--jwks",
    "jwks_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Check offline with these public keys (signed codes; no ledger needed).",
)
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def verify(
    opts: Options, code: str, pin: str | None, jwks_file: Path | None, as_json: bool
) -> None:
    """Verify a code: a GS1 Digital Link URI, a GS1 element string or a bare serial."""
    if jwks_file is not None:

        async def offline() -> Verification:
            try:
                doc = json.loads(jwks_file.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InvalidInput(f"{jwks_file} is not JSON: {exc}") from None
            return verify_offline(code, public_keys_from_jwks(doc))

        show(run(opts, offline), as_json, opts.lang)

    async def online(engine: Engine) -> Verification:
        return await engine.verifier.verify(code, pin=pin)

    show(with_engine(opts, online), as_json, opts.lang)


def register(cli: click.Group) -> None:
    cli.add_command(verify)

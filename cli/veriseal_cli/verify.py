"""``veriseal verify``: what a code is, or why it is not genuine."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from veriseal.catalog.keys import public_keys_from_jwks, revoked_keys_from_jwks
from veriseal.errors import InvalidInput
from veriseal.i18n import ZH, keys, language, t
from veriseal.scanning.verification import Outcome, Verification, verify_offline
from veriseal_cli.context import Options, echo_json, pass_opts, run, with_engine

if TYPE_CHECKING:
    # only the online check opens an engine (with_engine imports it): the offline one
    # starts without the engine's server-side services (issue 20)
    from veriseal.engine import Engine

#: Exit status per outcome: 0 only for a genuine code, so scripts can branch on it; 1
#: only for a code found not genuine; 18 when an offline check could not judge the code.
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
    Outcome.NEEDS_ONLINE_CHECK: 18,
}


def detail(result: Verification, lang: str | None) -> str:
    """The verdict's detail sentence: the verifier's English message, or the reason's
    translation when the reader's language is Chinese."""
    key = f"reason.{result.reason}"
    if language(lang) != ZH or key not in keys():
        return result.message
    info = result.info
    brand = (info.brand_name or info.brand) if info else ""
    return t(key, lang, brand=brand, expiry=(info.expiry_date if info else None) or "")


def show(result: Verification, as_json: bool, lang: str | None) -> None:
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(
            f"{t('outcome.' + str(result.outcome), lang)} [{result.reason}]: {detail(result, lang)}"
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
    help=(
        "Check offline with these public keys (veriseal keys export-public): signed codes"
        " only; a compact code needs the online check (exit status 18)."
    ),
)
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def verify(
    opts: Options, code: str, pin: str | None, jwks_file: Path | None, as_json: bool
) -> None:
    """Verify a code: a GS1 Digital Link URI, a GS1 element string or a bare serial.

    \b
    Exit status:
      0   genuine
      1   NOT genuine (the reason is printed in brackets)
      10  genuine code, batch recalled       11  genuine code, expired
      12  code under a revoked key           13  PIN required (--pin)
      14  wrong PIN                          15  suspected copy of a genuine label
      16  label never activated              17  label decommissioned
      18  cannot be verified offline: a compact code checked with --jwks needs the
          online check (no verdict either way)
      2-9 the command failed (bad input, not found, configuration, ...)
    """
    if jwks_file is not None:

        async def offline() -> Verification:
            try:
                doc = json.loads(jwks_file.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InvalidInput(f"{jwks_file} is not JSON: {exc}") from None
            return verify_offline(
                code, public_keys_from_jwks(doc), revoked=revoked_keys_from_jwks(doc)
            )

        show(run(opts, offline), as_json, opts.lang)

    async def online(engine: Engine) -> Verification:
        return await engine.verifier.verify(code, pin=pin)

    show(with_engine(opts, online), as_json, opts.lang)

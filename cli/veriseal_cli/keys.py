"""``veriseal keys``: list, rotate, revoke, export public keys (JWKS)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from veriseal.engine import Engine
from veriseal.i18n import t
from veriseal_cli.context import Options, echo_json, pass_opts, with_engine


@click.group()
def keys() -> None:
    """The brand's code keys."""


@keys.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def list_(opts: Options, as_json: bool) -> None:
    """List keys with their status (active / retired / revoked)."""

    async def go(engine: Engine) -> None:
        rows = [
            {
                "kid": k.kid,
                "slot": k.slot,
                "status": str(k.status),
                "created_at": k.created_at.isoformat(),
                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
            }
            for k in await engine.keys.list(await engine.brand(opts.brand))
        ]
        if as_json:
            echo_json(rows)
            return
        for r in rows:
            click.echo(f"{r['kid']}\t{r['status']}\t{r['created_at']}")

    with_engine(opts, go)


@keys.command("rotate")
@pass_opts
def rotate(opts: Options) -> None:
    """Make a new active key; the old one retires (its codes keep verifying)."""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        old = await engine.keys.active(brand)
        new = await engine.keys.rotate(brand)
        click.echo(t("cli.rotated", opts.lang, kid=new.kid, old=old.kid))

    with_engine(opts, go)


@keys.command("revoke")
@click.argument("slot", type=click.IntRange(0, 1023))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_opts
def revoke(opts: Options, slot: int, yes: bool) -> None:
    """Revoke a retired key: codes minted under it stop verifying."""
    if not yes:
        click.confirm(f"Revoke key slot {slot}? Codes under it will no longer verify", abort=True)

    async def go(engine: Engine) -> None:
        k = await engine.keys.revoke(await engine.brand(opts.brand), slot)
        click.echo(t("cli.revoked", opts.lang, kid=k.kid))

    with_engine(opts, go)


@keys.command("export-public")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@pass_opts
def export_public(opts: Options, output: Path | None) -> None:
    """Export the public keys as a JWKS document (OKP / Ed25519) for offline verifiers."""

    async def go(engine: Engine) -> None:
        doc = await engine.keys.jwks(await engine.brand(opts.brand))
        if output:
            output.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        else:
            echo_json(doc)

    with_engine(opts, go)

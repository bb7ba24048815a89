"""``veriseal policy`` (clone rules) and ``veriseal alerts``."""

from __future__ import annotations

import dataclasses
import json

import click

from veriseal.clones import DEFAULT_POLICY
from veriseal.codes.gtin import normalize_gtin
from veriseal.engine import Engine
from veriseal.models import AlertKind, ClonePolicy
from veriseal_cli.context import Options, echo_json, pass_opts, with_engine


@click.group()
def policy() -> None:
    """Clone-detection policy of the brand or of one product."""


@policy.command("show")
@click.option("--product", "gtin", help="A product's policy (default: the brand's).")
@pass_opts
def show(opts: Options, gtin: str | None) -> None:
    """Show the policy in force (the product's, else the brand's, else the default)."""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        found = await engine.ledger.clone_policy(brand.id, normalize_gtin(gtin) if gtin else None)
        echo_json({"policy": dataclasses.asdict(found or DEFAULT_POLICY), "default": found is None})

    with_engine(opts, go)


@policy.command("set")
@click.option("--product", "gtin", help="Set it for one product only.")
@click.option("--max-verifications", type=click.IntRange(1), help="Genuine verifications allowed.")
@click.option("--max-speed-kmh", type=click.FloatRange(1), help="Fastest plausible travel.")
@click.option("--no-count-rule", is_flag=True, help="Switch the verification-count rule off.")
@click.option("--no-travel-rule", is_flag=True, help="Switch the impossible-travel rule off.")
@click.option(
    "--max-regions", type=click.IntRange(1), help="Distinct provinces one code may be seen in."
)
@click.option("--no-regions-rule", is_flag=True, help="Switch the distinct-regions rule off.")
@pass_opts
def set_(
    opts: Options,
    gtin: str | None,
    max_verifications: int | None,
    max_speed_kmh: float | None,
    no_count_rule: bool,
    no_travel_rule: bool,
    max_regions: int | None = None,
    no_regions_rule: bool = False,
) -> None:
    """Record a new policy; options left out keep the value now in force."""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        scope = normalize_gtin(gtin) if gtin else None
        if scope:
            await engine.catalogue.get(brand, scope)  # product_not_found for a stranger GTIN
        now = await engine.ledger.clone_policy(brand.id, scope) or DEFAULT_POLICY
        new = ClonePolicy(
            max_verifications=None
            if no_count_rule
            else (max_verifications or now.max_verifications),
            max_speed_kmh=None if no_travel_rule else (max_speed_kmh or now.max_speed_kmh),
            max_regions=None if no_regions_rule else (max_regions or now.max_regions),
        )
        await engine.ledger.set_clone_policy(brand.id, scope, new)
        echo_json({"policy": dataclasses.asdict(new), "product": scope})

    with_engine(opts, go)


@click.group()
def alerts() -> None:
    """Clone alerts raised by scans."""


@alerts.command("list")
@click.option("--kind", type=click.Choice([k.value for k in AlertKind]))
@click.option("--code", help="Only this serial.")
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def list_(opts: Options, kind: str | None, code: str | None, as_json: bool) -> None:
    """List alerts with their evidence (the scan ids behind them)."""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        found = await engine.ledger.list_alerts(
            brand.id, kind=AlertKind(kind) if kind else None, code=code
        )
        rows = [
            {
                "id": a.id,
                "at": a.alert.at.isoformat(),
                "kind": str(a.alert.kind),
                "code": a.alert.code,
                "evidence_scans": list(a.alert.evidence),
                "details": json.loads(a.alert.details),
            }
            for a in found
        ]
        if as_json:
            echo_json(rows)
            return
        for r in rows:
            click.echo(f"{r['id']}\t{r['at']}\t{r['kind']}\t{r['code']}\t{r['details']}")

    with_engine(opts, go)


def register(cli: click.Group) -> None:
    cli.add_command(policy)
    cli.add_command(alerts)

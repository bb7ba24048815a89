"""``veriseal policy`` (clone rules) and ``veriseal alerts``."""

from __future__ import annotations

import dataclasses
import unicodedata
from typing import Any

import click

from veriseal.accounts.models import SYSTEM
from veriseal.codes.gtin import normalize_gtin
from veriseal.engine import Engine
from veriseal.i18n import language
from veriseal.models import AlertKind, ClonePolicy
from veriseal.scanning.clones import DEFAULT_POLICY
from veriseal.scanning.records import alert_record
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
@click.option(
    "--max-devices",
    type=click.IntRange(1),
    help="Distinct consumer devices one code may be scanned by within the window.",
)
@click.option(
    "--devices-window-days", type=click.IntRange(1, 3650), help="The devices rule's window."
)
@click.option("--no-devices-rule", is_flag=True, help="Switch the distinct-devices rule off.")
@click.option(
    "--max-unactivated-scans",
    type=click.IntRange(0),
    help="Consumer scans of a batch's unactivated/voided codes before its alert (0: the first).",
)
@click.option("--no-unactivated-rule", is_flag=True, help="Switch the stolen-roll alert off.")
@pass_opts
def set_(opts: Options, /, gtin: str | None, **rules: Any) -> None:
    """Record a new policy; options left out keep the value now in force."""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        scope = normalize_gtin(gtin) if gtin else None
        if scope:
            await engine.catalogue.get(brand, scope)  # product_not_found for a stranger GTIN
        now = await engine.ledger.clone_policy(brand.id, scope) or DEFAULT_POLICY
        new = updated_policy(now, rules)
        await engine.ledger.set_clone_policy(brand.id, scope, new)
        echo_json({"policy": dataclasses.asdict(new), "product": scope})

    with_engine(opts, go)


#: Each policy field with the ``policy set`` flag that switches its rule off (None:
#: the field has no such flag).
_SWITCHES = {
    "max_verifications": "no_count_rule",
    "max_speed_kmh": "no_travel_rule",
    "max_regions": "no_regions_rule",
    "max_devices": "no_devices_rule",
    "devices_window_days": None,
    "max_unactivated_scans": "no_unactivated_rule",
}


def updated_policy(now: ClonePolicy, rules: dict[str, Any]) -> ClonePolicy:
    """``now`` with the values ``rules`` (the ``policy set`` options) give: a rule's
    ``no_*`` flag switches it off, a value left out keeps the one in force."""
    changes: dict[str, Any] = {}
    for name, switch in _SWITCHES.items():
        if switch is not None and rules.get(switch):
            changes[name] = None
        elif rules.get(name) is not None:
            changes[name] = rules[name]
    return dataclasses.replace(now, **changes)


@click.group()
def alerts() -> None:
    """Clone alerts raised by scans; --platform: invalid-code floods (the installation's)."""


@alerts.command("list")
@click.option("--kind", type=click.Choice([k.value for k in AlertKind]))
@click.option("--code", help="Only this serial.")
@click.option(
    "--platform",
    is_flag=True,
    help="Alerts no brand owns, e.g. invalid-code floods (平台级告警，如无效码刷查).",
)
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def list_(opts: Options, kind: str | None, code: str | None, platform: bool, as_json: bool) -> None:
    """List alerts with their evidence (the scan ids behind them): the brand's, or with
    --platform the installation's own."""

    async def go(engine: Engine) -> None:
        wanted = AlertKind(kind) if kind else None
        if platform:
            found = await engine.scans.platform_alerts(SYSTEM, kind=wanted, code=code)
        else:
            brand = await engine.brand(opts.brand)
            found = await engine.ledger.list_alerts(brand.id, kind=wanted, code=code)
        records = [alert_record(a) for a in found]
        if as_json:
            echo_json(records)
            return
        click.echo(alerts_table(records, opts.lang))

    with_engine(opts, go)


_HEADINGS = {
    "en": ("ID", "AT (UTC)", "KIND", "CODE", "EVIDENCE SCANS", "DETAILS"),
    "zh": ("编号", "时间（UTC）", "类型", "码", "证据扫码", "详情"),
}


def alerts_table(records: list[dict[str, Any]], lang: str | None) -> str:
    """Alerts as an aligned plain-text table, one line each; details as ``key=value``."""
    rows = [_HEADINGS[language(lang)]]
    for r in records:
        details = " ".join(f"{k}={v}" for k, v in sorted(r["details"].items()))
        evidence = ",".join(str(i) for i in r["evidence_scans"])
        at = r["at"][:19].replace("T", " ")
        rows.append((str(r["id"]), at, r["kind"], r["code"] or "-", evidence, details))
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=False))
        + "  "
        + row[-1]
        for row in rows
    ).rstrip()


def _width(text: str) -> int:
    """Columns on a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)

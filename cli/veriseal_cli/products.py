"""``veriseal product``: the catalogue."""

from __future__ import annotations

from pathlib import Path

import click

from veriseal.catalog.errors import CsvInvalid
from veriseal.catalog.products import make_product, parse_csv
from veriseal.engine import Engine
from veriseal.i18n import t
from veriseal_cli.context import Options, echo_json, pass_opts, with_engine
from veriseal_cli.progress import progress_bar


@click.group()
def product() -> None:
    """Products (GTINs) of a brand."""


@product.command("add")
@click.option("--gtin", required=True, help="GTIN-8/12/13/14, check digit verified.")
@click.option("--name", required=True)
@click.option("--spec", default="", help="Specification / model (规格型号).")
@click.option("--manufacturer", default="")
@click.option("--shelf-life-days", type=click.IntRange(1, 36500), default=None)
@click.option("--category", default="", help="Path such as Beverages/Tea/Green.")
@pass_opts
def add(
    opts: Options,
    gtin: str,
    name: str,
    spec: str,
    manufacturer: str,
    shelf_life_days: int | None,
    category: str,
) -> None:
    """Register one product."""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        p = make_product(
            brand,
            gtin,
            name,
            spec=spec,
            manufacturer=manufacturer,
            shelf_life_days=shelf_life_days,
            category=category,
        )
        await engine.catalogue.add(p)
        click.echo(t("cli.product_added", opts.lang, gtin=p.gtin))

    with_engine(opts, go)


@product.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-bad", is_flag=True, help="Import the good rows even if some are bad.")
@pass_opts
def import_(opts: Options, csv_file: Path, skip_bad: bool) -> None:
    """Import products from CSV (header: gtin,name[,spec,manufacturer,shelf_life_days,category]).

    Bad rows are listed with their line numbers; nothing is imported from a file with bad
    rows unless --skip-bad is given. Exit status 2 when rows were bad.
    """

    async def go(engine: Engine) -> int:
        brand = await engine.brand(opts.brand)
        try:
            text = csv_file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise CsvInvalid(f"{csv_file} is not UTF-8 text") from None
        total = max(1, text.count("\n"))
        with progress_bar(t("cli.importing", opts.lang), total) as advance:
            rows, errors = parse_csv(brand, text, on_row=lambda _line: advance(1))
        report = await engine.catalogue.import_products(brand, rows, errors, skip_bad)
        for err in report.errors:
            where = f"line {err.line}" if err.line else "file"
            click.echo(f"{csv_file}:{err.line}: {where}: {err.reason}", err=True)
        if report.errors and not report.imported and not skip_bad:
            click.echo(t("cli.import_refused", opts.lang, n=len(report.errors)), err=True)
            return 2
        click.echo(t("cli.imported", opts.lang, n=report.imported))
        if report.errors:
            click.echo(t("cli.skipped", opts.lang, n=len(report.errors)), err=True)
        return 0

    code = with_engine(opts, go)
    raise SystemExit(code)


@product.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def list_(opts: Options, as_json: bool) -> None:
    """List the brand's products."""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        items = await engine.catalogue.list(brand)
        if as_json:
            echo_json(
                [
                    {
                        "gtin": p.gtin,
                        "name": p.name,
                        "spec": p.spec,
                        "manufacturer": p.manufacturer,
                        "shelf_life_days": p.shelf_life_days,
                        "category": p.category_path,
                    }
                    for p in items
                ]
            )
            return
        for p in items:
            click.echo(f"{p.gtin}\t{p.name}\t{p.spec}\t{p.category_path}")

    with_engine(opts, go)


def register(cli: click.Group) -> None:
    cli.add_command(product)

"""``veriseal product``: the catalogue."""

from __future__ import annotations

from pathlib import Path

import click

from veriseal.accounts.images import product_image
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


@product.command("set-category")
@click.argument("gtin")
@click.argument("category_id", type=int, required=False)
@pass_opts
def set_category(opts: Options, gtin: str, category_id: int | None) -> None:
    """Put a product in a category (no id: in none). 设置商品类目。"""

    async def go(engine: Engine) -> None:
        brand = await engine.brand(opts.brand)
        await engine.catalogue.categories.place(brand, gtin, category_id)

    with_engine(opts, go)


@product.command("specs")
@click.argument("gtin")
@click.argument("pairs", nargs=-1)
@pass_opts
def specs(opts: Options, gtin: str, pairs: tuple[str, ...]) -> None:
    """Replace the specifications: NAME=VALUE ... in order (none: clear). 设置规格参数。"""
    parsed = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="PAIRS")
        parsed.append((name, value))

    async def go(engine: Engine) -> None:
        await engine.catalogue.details.set_specs(await engine.brand(opts.brand), gtin, parsed)

    with_engine(opts, go)


@product.command("units")
@click.argument("gtin")
@click.option("--case", "case_of", type=int, default=None, help="Items per case. 每箱件数。")
@click.option("--case-gtin", default=None, help="The case's own GTIN. 箱码 GTIN。")
@click.option("--pallet", "pallet_of", type=int, default=None, help="Items per pallet. 每托件数。")
@click.option("--pallet-gtin", default=None, help="The pallet's own GTIN. 托盘 GTIN。")
@pass_opts
def units(
    opts: Options,
    gtin: str,
    case_of: int | None,
    case_gtin: str | None,
    pallet_of: int | None,
    pallet_gtin: str | None,
) -> None:
    """Replace the units: the item, and a case and/or pallet of N items. 设置包装单位。"""
    given: list[tuple[str, int, str | None]] = [("item", 1, None)]
    if case_of is not None:
        given.append(("case", case_of, case_gtin))
    if pallet_of is not None:
        given.append(("pallet", pallet_of, pallet_gtin))

    async def go(engine: Engine) -> None:
        await engine.catalogue.details.set_units(await engine.brand(opts.brand), gtin, given)

    with_engine(opts, go)


@product.command("image-add")
@click.argument("gtin")
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_opts
def image_add(opts: Options, gtin: str, image: Path) -> None:
    """Add a JPEG/PNG/WebP photo (re-encoded, metadata dropped). 添加商品图片。"""

    async def go(engine: Engine) -> None:
        encoded = product_image(image.read_bytes())
        image_id = await engine.catalogue.details.add_image(
            await engine.brand(opts.brand), gtin, encoded
        )
        click.echo(str(image_id))

    with_engine(opts, go)


@product.command("search")
@click.argument("query", default="")
@click.option("--category", type=int, default=None, help="Category id (sub-categories too). 类目。")
@click.option("--limit", type=click.IntRange(1, 200), default=50)
@click.option("--after", default=None, help="The last GTIN of the previous page. 上一页末尾。")
@pass_opts
def search(opts: Options, query: str, category: int | None, limit: int, after: str | None) -> None:
    """Search products by words, Chinese included (none: browse). 搜索商品。"""

    async def go(engine: Engine) -> None:
        found = await engine.catalogue.search(
            await engine.brand(opts.brand), query, category_id=category, limit=limit, after=after
        )
        for p in found:
            click.echo(f"{p.gtin}\t{p.name}\t{p.category_path}")

    with_engine(opts, go)

"""Product catalogue: add products one by one or import them from CSV.

CSV import contract: the header names the columns (``gtin`` and ``name`` required;
``spec``, ``manufacturer``, ``shelf_life_days``, ``category`` optional; Chinese headers
``商品条码``, ``名称``, ``规格型号``, ``生产厂家``, ``保质期天数``, ``类目`` and their
usual variants (:data:`_ALIASES`) are accepted too; ``examples/products.csv`` is a
sample).
Every bad row is reported with its line number and reason. A file with any bad row imports
NOTHING unless ``skip_bad`` is set, in which case the good rows are imported in one
transaction and the bad ones reported.
"""

from __future__ import annotations

import builtins
import unicodedata
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from veriseal.catalog.categories import Categories
from veriseal.catalog.csv_import import RowError, parse_rows
from veriseal.catalog.product_details import ProductDetails
from veriseal.codes.gtin import normalize_gtin
from veriseal.errors import Conflict, InvalidInput, NotFound
from veriseal.ledger.base import Ledger
from veriseal.models import Brand, Product

#: Chinese (and common spreadsheet) headers of each column, as brands' own exports and
#: ERP reports name them; English names are matched case-insensitively.
_ALIASES = {
    "商品条码": "gtin",
    "条码": "gtin",
    "条形码": "gtin",
    "商品条码/GTIN": "gtin",
    "商品条码(GTIN)": "gtin",
    "商品条码（GTIN）": "gtin",
    "名称": "name",
    "商品名称": "name",
    "品名": "name",
    "规格型号": "spec",
    "规格": "spec",
    "生产厂家": "manufacturer",
    "生产企业": "manufacturer",
    "厂家": "manufacturer",
    "保质期天数": "shelf_life_days",
    "保质期(天)": "shelf_life_days",
    "保质期（天）": "shelf_life_days",
    "类目": "category",
    "品类": "category",
    "分类": "category",
}
_COLUMNS = {"gtin", "name", "spec", "manufacturer", "shelf_life_days", "category"}
MAX_TEXT = 200


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)


def parse_category(path: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in path.replace("\\", "/").split("/") if p.strip())
    if any(len(p) > 64 for p in parts):
        raise InvalidInput("a category level has at most 64 characters")
    return parts


def make_product(
    brand: Brand,
    gtin: str,
    name: str,
    *,
    spec: str = "",
    manufacturer: str = "",
    shelf_life_days: int | str | None = None,
    category: str = "",
) -> Product:
    """Validate one product's fields; raises an ``InvalidInput`` subclass naming the field."""
    name = name.strip()
    if not name:
        raise InvalidInput("name is empty")
    for label, value in (("name", name), ("spec", spec), ("manufacturer", manufacturer)):
        if len(value) > MAX_TEXT:
            raise InvalidInput(f"{label} is longer than {MAX_TEXT} characters")
        if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value):
            raise InvalidInput(f"{label} contains control characters")
    days: int | None = None
    if shelf_life_days not in (None, ""):
        try:
            days = int(str(shelf_life_days).strip())
        except ValueError:
            raise InvalidInput(
                f"shelf life {shelf_life_days!r} is not a whole number of days"
            ) from None
        if not 1 <= days <= 36500:
            raise InvalidInput("shelf life must be 1..36500 days")
    return Product(
        brand_id=brand.id,
        gtin=normalize_gtin(gtin),
        name=name,
        spec=spec.strip(),
        manufacturer=manufacturer.strip(),
        shelf_life_days=days,
        category=parse_category(category),
    )


def parse_csv(
    brand: Brand, text: str, on_row: Callable[[int], None] | None = None
) -> tuple[list[tuple[int, Product]], list[RowError]]:
    """Parse and validate every row into ``(line, product)`` pairs and row errors.
    Raises ``CsvInvalid`` only for an unusable header; never for row content (see
    :mod:`veriseal.catalog.csv_import`)."""
    return parse_rows(
        text,
        columns=_COLUMNS,
        aliases=_ALIASES,
        required=("gtin", "name"),
        make=lambda _line, fields: make_product(brand, **fields),
        key=lambda product: product.gtin,
        key_name="GTIN",
        on_row=on_row,
    )


class Catalogue:
    """Products of a brand; its category tree (``categories``) and the products'
    specifications, units, images and search (``details``)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self.categories = Categories(ledger)
        self.details = ProductDetails(ledger)

    async def add(self, product: Product) -> Product:
        await self._ledger.add_products([product])
        return product

    async def import_products(
        self,
        brand: Brand,
        rows: Iterable[tuple[int, Product]],
        errors: list[RowError],
        skip_bad: bool,
    ) -> ImportReport:
        """Store parsed ``(line, product)`` rows: all-or-nothing unless ``skip_bad``
        (see the module docstring). GTINs already registered count as bad rows."""
        report = ImportReport(errors=list(errors))
        good: list[Product] = []
        for line, product in rows:
            try:
                await self._ledger.find_product(product.gtin)
            except NotFound:
                good.append(product)
            else:
                report.errors.append(RowError(line, f"GTIN {product.gtin} is already registered"))
        report.errors.sort(key=lambda e: e.line)
        if report.errors and not skip_bad:
            return report
        try:
            report.imported = await self._ledger.add_products(good) if good else 0
        except Conflict as exc:  # registered concurrently by someone else: nothing stored
            report.errors.append(RowError(0, exc.message))
        return report

    async def get(self, brand: Brand, gtin: str) -> Product:
        """The product with its specifications, units and images."""
        found = await self._ledger.get_product(brand.id, normalize_gtin(gtin))
        return (await self.details.store.with_details([found]))[0]

    async def list(self, brand: Brand, gtins: Collection[str] | None = None) -> list[Product]:
        """The brand's products by GTIN (without details: see :meth:`get`); with
        ``gtins``, only those (GTINs as stored: 14 digits)."""
        return await self._ledger.list_products(brand.id, gtins)

    async def category_chain(self, brand: Brand, gtin: str) -> tuple[int, ...]:
        """The category ids of the product leaf -> root (``()``: in no category)."""
        found = await self._ledger.get_product(brand.id, normalize_gtin(gtin))
        if found.category_id is None:
            return ()
        category = await self.categories.get(brand, found.category_id)
        return tuple(reversed(category.chain))

    async def search(
        self,
        brand: Brand,
        query: str = "",
        *,
        category_id: int | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> builtins.list[Product]:
        """Products whose name, spec, manufacturer, GTIN, category names or
        specifications hold every word of ``query`` ("" browses everything), within
        ``category_id`` and its sub-categories, by GTIN after ``after``."""
        tree = await self.categories.tree(brand) if category_id is not None else []
        return await self.details.search(
            brand, query, tree, category_id=category_id, limit=limit, after=after
        )

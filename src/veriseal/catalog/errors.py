"""Coded errors of the catalog domain: batches and catalogue imports. The records'
not-found errors (``BrandNotFound``, ...) and the key errors stay in
:mod:`veriseal.errors` because the ledger raises them."""

from __future__ import annotations

from veriseal.errors import Conflict, InvalidInput, VerisealError
from veriseal.i18n import register


class CsvInvalid(InvalidInput):
    code = "csv_invalid"


class BatchRecalled(VerisealError):
    code = "batch_recalled"
    http_status = 410
    exit_code = 6


class LotNotLinkable(InvalidInput):
    """A lot that is valid GS1 but cannot stand in a Digital Link: ``.`` and ``..`` are
    dot segments, which browsers, curl and resolvers drop from the path, so its codes
    could never be verified from their links."""

    code = "lot_dot_segment"


register(
    {
        "error.lot_dot_segment": ("Lot cannot appear in a link", "批号无法用于链接"),
    }
)


class CategoryNameInvalid(InvalidInput):
    """A category name that is empty, too long, holds ``/`` (paths are joined by it) or
    control characters."""

    code = "category_name_invalid"


class CategoryNameTaken(Conflict):
    """Another category under the same parent already has this name."""

    code = "category_name_taken"


class CategoryCycle(InvalidInput):
    """A move that would put a category under itself or one of its descendants."""

    code = "category_cycle"


class CategoryNotEmpty(Conflict):
    """Only a category with no sub-categories and no products can be deleted."""

    code = "category_not_empty"


class ProductDetailInvalid(InvalidInput):
    """A specification, unit or image that cannot be stored as given."""

    code = "product_detail_invalid"


class SearchInvalid(InvalidInput):
    """A product search with a bad cursor, limit or category."""

    code = "product_search_invalid"


register(
    {
        "error.category_name_invalid": ("Invalid category name", "类目名称无效"),
        "error.category_name_taken": (
            "A sibling category already has this name",
            "同级已有同名类目",
        ),
        "error.category_cycle": (
            "A category cannot move under itself or its sub-categories",
            "类目不能移到自身或其子类目之下",
        ),
        "error.category_not_empty": (
            "Only an empty category (no sub-categories, no products) can be deleted",
            "只能删除没有子类目和商品的空类目",
        ),
        "error.product_detail_invalid": ("Invalid product detail", "商品信息无效"),
        "error.product_search_invalid": ("Invalid product search", "商品搜索参数无效"),
    }
)

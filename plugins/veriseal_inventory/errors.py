"""The inventory plugin's coded errors shared by its areas (an area declares its own
beside its rules; codes are ``stock_*``, texts in zh and en)."""

from __future__ import annotations

from veriseal import Conflict, InvalidInput, NotFound, register_messages

register_messages(
    {
        "error.stock_invalid": ("Invalid stock request", "库存请求无效"),
        "error.stock_insufficient": ("Not enough stock", "库存不足"),
        "error.stock_backdated": (
            "The movement's date is too far back or would make past stock negative",
            "出入库日期过早，或会使之后的库存为负",
        ),
        "error.warehouse_not_found": ("No such warehouse", "仓库不存在"),
        "error.location_not_found": ("No such location in this warehouse", "该仓库无此库位"),
        "error.warehouse_exists": ("A warehouse with this code exists", "仓库编码已存在"),
    }
)


class StockInvalid(InvalidInput):
    code = "stock_invalid"


class StockInsufficient(Conflict):
    """A movement would take a balance below zero, or more than is available (sellable
    less reserved). ``details``: product, warehouse, location, lot, have, need."""

    code = "stock_insufficient"


class StockBackdated(Conflict):
    code = "stock_backdated"


class WarehouseNotFound(NotFound):
    code = "warehouse_not_found"


class LocationNotFound(NotFound):
    code = "location_not_found"


class WarehouseExists(Conflict):
    code = "warehouse_exists"

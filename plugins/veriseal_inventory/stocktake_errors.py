"""The stocktake's coded errors (``stocktake_*``), texts in zh and en.

::

    InvalidInput  StocktakeInvalid       "stocktake_invalid": a bad count line or reason
    NotFound      StocktakeNotFound      "stocktake_not_found"
    Conflict      StocktakeTransition    "stocktake_transition" (in count_states)
    Conflict      StocktakeActive        "stocktake_active": the warehouse is being counted
    Forbidden     StocktakeSamePerson    "stocktake_same_person": the counter who submitted
                                         a count cannot approve or reject it (maker-checker)
"""

from __future__ import annotations

from veriseal import Conflict, Forbidden, InvalidInput, NotFound, register_messages

register_messages(
    {
        "error.stocktake_invalid": ("Invalid stocktake input", "盘点输入无效"),
        "error.stocktake_not_found": ("Stocktake not found", "未找到盘点单"),
        "error.stocktake_active": (
            "This warehouse is being counted already: finish that count first",
            "该仓库正在盘点，请先完成该盘点",
        ),
        "error.stocktake_same_person": (
            "A stocktake must be approved by someone other than the person who submitted it",
            "盘点调整须由提交人以外的人审核",
        ),
    }
)


class StocktakeInvalid(InvalidInput):
    code = "stocktake_invalid"


class StocktakeNotFound(NotFound):
    code = "stocktake_not_found"


class StocktakeSamePerson(Forbidden):
    code = "stocktake_same_person"


class StocktakeActive(Conflict):
    code = "stocktake_active"

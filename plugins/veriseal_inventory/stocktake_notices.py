"""The ``stock_review`` notices of a count: to its approvers when it is proposed, to its
proposer when it is decided. Bilingual, with the figures a reader decides on."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from veriseal.extend import PluginContext, Tx
from veriseal_inventory.models import Warehouse
from veriseal_inventory.permissions import STOCK_REVIEW
from veriseal_inventory.stocktake_models import Stocktake
from veriseal_inventory.variance import VarianceReport


class Notice(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


def _yuan(fen: int) -> str:
    return f"{fen / 100:.2f}"


def text_of(kind: Notice, st: Stocktake, w: Warehouse,
            report: VarianceReport) -> tuple[str, str]:  # fmt: skip
    """(title, body), each in English and Chinese."""
    n, diffs = st.number, len(report.differing)
    if kind is Notice.SUBMITTED:
        title = f"Stocktake {n} of {w.code} awaits approval / 盘点单 {n}（{w.code}）待审核"
        net = _yuan(report.net_value)
        body = (
            f"{diffs} line(s) differ, net value {net} yuan; reason: {st.reason}"
            f" / {diffs} 行有差异，净值 {net} 元；原因：{st.reason}"
        )
    elif kind is Notice.APPROVED:
        title = f"Stocktake {n} approved / 盘点单 {n} 已审核通过"
        body = f"{st.movements} adjustment(s) posted / 已过账 {st.movements} 条调整" + (
            f"; {st.decision_note}" if st.decision_note else ""
        )
    else:
        title = f"Stocktake {n} rejected / 盘点单 {n} 被驳回"
        body = f"Reason / 原因: {st.decision_note}. Recount or close it / 请复盘或关闭。"
    return title, body


async def notice(ctx: PluginContext, tx: Tx, users: Sequence[int], kind: Notice,
                 st: Stocktake, w: Warehouse, report: VarianceReport) -> None:  # fmt: skip
    """Accept the notice for ``users`` in ``tx`` (it commits with the change)."""
    if not users:
        return
    title, body = text_of(kind, st, w, report)
    data = {"stocktake": st.id, "number": st.number, "warehouse": w.code,
            "status": str(st.status)}  # fmt: skip
    await ctx.notify(users, STOCK_REVIEW, title, body, data, tx=tx)

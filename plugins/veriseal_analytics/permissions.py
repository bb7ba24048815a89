"""What the analytics plugin adds to the core's registries: its actions.

Sales, behaviour and market figures are the brand's own business: brand staff only.
Dealers see their own recommendations (their users, for their organisation)."""

from __future__ import annotations

from veriseal import Action, Role
from veriseal.extend import Permission

#: See sales statistics, rankings, trends, scan and behaviour analytics.
ANALYTICS_VIEW = Action("analytics.view")
#: Export reports (CSV, XLSX, PDF) and run export jobs.
ANALYTICS_EXPORT = Action("analytics.export")
#: Rebuild the rollups, import market data, share report definitions.
ANALYTICS_MANAGE = Action("analytics.manage")
#: See product suggestions for a dealer (a dealer: its own organisation's).
ANALYTICS_SUGGEST = Action("analytics.suggest")

_BRAND_STAFF = frozenset({Role.PLATFORM_ADMIN, Role.BRAND_ADMIN})
_DEALERS = frozenset({Role.DISTRIBUTOR, Role.RETAILER})

PERMISSIONS = (
    Permission(ANALYTICS_VIEW, _BRAND_STAFF, "See sales, scan and behaviour analytics",
               "查看销售、扫码与行为分析"),
    Permission(ANALYTICS_EXPORT, _BRAND_STAFF, "Export and print reports", "导出与打印报表"),
    Permission(ANALYTICS_MANAGE, _BRAND_STAFF,
               "Rebuild rollups, import market data, share reports",
               "重建汇总、导入市场数据、共享报表"),
    Permission(ANALYTICS_SUGGEST, _BRAND_STAFF | _DEALERS, "See product suggestions",
               "查看商品推荐"),
)  # fmt: skip

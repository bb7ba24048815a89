"""The commerce service the plugin books from (declared here: plugins never import each
other): ``commerce.sales_facts``, paid orders and completed returns as plain facts
(docs/analytics.md states what counts as a sale, a reversal and a return)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from veriseal.extend import ServiceKey


class LineFact(Protocol):
    @property
    def gtin(self) -> str: ...
    @property
    def units(self) -> int: ...
    @property
    def amount(self) -> int: ...


class OrderFact(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def brand_id(self) -> int: ...
    @property
    def org_id(self) -> int: ...
    @property
    def region(self) -> str: ...
    @property
    def paid_at(self) -> dt.datetime | None: ...
    @property
    def undone_at(self) -> dt.datetime | None: ...
    @property
    def lines(self) -> Sequence[LineFact]: ...


class ReturnFact(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def brand_id(self) -> int: ...
    @property
    def order_id(self) -> int: ...
    @property
    def completed_at(self) -> dt.datetime | None: ...
    @property
    def lines(self) -> Sequence[LineFact]: ...


class SalesFacts(Protocol):
    async def order(self, order_id: int) -> OrderFact | None: ...
    async def return_(self, return_id: int) -> ReturnFact | None: ...
    async def paid_orders(
        self, brand_id: int, after_id: int = 0, limit: int = 1000
    ) -> Sequence[OrderFact]: ...
    async def completed_returns(
        self, brand_id: int, after_id: int = 0, limit: int = 1000
    ) -> Sequence[ReturnFact]: ...


SALES_FACTS: ServiceKey[SalesFacts] = ServiceKey("commerce.sales_facts")

"""The inventory service the stock rollups book from (declared here: plugins never
import each other): ``inventory.stock_facts``, inventory's stock posts as plain facts
(each post that changed on-hand stock, with its changes summed per warehouse, location
kind and GTIN), and the warehouses' names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from veriseal.extend import ServiceKey

#: the stream event every stock post publishes (its ``ref`` is the post id)
POSTED = "inventory.posted"


class MoveFact(Protocol):
    @property
    def warehouse_id(self) -> int: ...
    @property
    def location_kind(self) -> str: ...
    @property
    def gtin(self) -> str: ...
    @property
    def quantity(self) -> int: ...


class PostFact(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def brand_id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def at(self) -> dt.datetime: ...
    @property
    def lines(self) -> Sequence[MoveFact]: ...


class StockFacts(Protocol):
    async def posts(
        self, brand_id: int, after_id: int = 0, limit: int = 1000
    ) -> Sequence[PostFact]: ...
    async def by_ids(self, brand_id: int, ids: Sequence[int]) -> Sequence[PostFact]: ...
    async def warehouses(self, brand_id: int) -> dict[int, str]: ...


STOCK_FACTS: ServiceKey[StockFacts] = ServiceKey("inventory.stock_facts")

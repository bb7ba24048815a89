"""The payments test world: the ``shop`` (both backends) served over loopback HTTP,
the sandbox provider served beside it with its own keys, and the shop's providers
built from the settings the sandbox prints (the documented demo configuration), so
every notification travels sandbox -> HTTP -> Veriseal's notify route."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.commerce.conftest import TEA, WINE, Shop
from tests.commerce.orders_world import PROMO_OFF, UNIT, priced, submitted
from veriseal.extend import Tx
from veriseal.server.app import Limits, make_app
from veriseal_commerce import payment_store
from veriseal_commerce.payable import Payable, PaymentSummary
from veriseal_commerce.payment_settings import providers
from veriseal_commerce.sandbox.keys import KeySet
from veriseal_commerce.sandbox.server import Sandbox, make_sandbox_app, settings_toml

_KEYS: list[KeySet] = []  # RSA key generation is slow: one set per test session
#: what each order of :meth:`PayWorld.payable` costs, in 分 (the price list's units and
#: promotion, added up here rather than asked of the pricing engine)
TOTAL = 12 * UNIT[TEA] + 2 * UNIT[WINE] - PROMO_OFF


def keyset() -> KeySet:
    if not _KEYS:
        _KEYS.append(KeySet.generate())
    return _KEYS[0]


@dataclass
class PayWorld:
    shop: Shop
    box: Sandbox
    box_url: str
    app_url: str
    http: aiohttp.ClientSession
    #: (order id, summary) per listener call, in order
    heard: list[tuple[int, PaymentSummary]] = field(default_factory=list)

    async def payable(self, who: str = "gd") -> Payable:
        """A real order submitted by ``who`` (12 tea, 2 wine, the promotion: :data:`TOTAL`)
        and what the orders service says is to be paid for it."""
        await priced(self.shop)
        order = await submitted(self.shop, who)
        payable = await self.shop.c.orders.payable(self.shop.people[who], order.order_no)
        assert payable.amount == TOTAL
        return payable

    async def buyer_pays(self, provider: str, out_trade_no: str, **extra: Any) -> None:
        body = {"provider": provider, "out_trade_no": out_trade_no, **extra}
        async with self.http.post(f"{self.box_url}/sandbox/pay", json=body) as r:
            assert r.status == 200, await r.text()

    async def events(self, order_id: int) -> list[payment_store.Event]:
        async with self.shop.ctx.db.read() as tx:
            return await payment_store.events_of_order(tx, order_id)

    async def all_events(self) -> int:
        async with self.shop.ctx.db.read() as tx:
            row = await tx.fetchrow("SELECT COUNT(*) AS n FROM commerce_payment_events")
        assert row is not None
        return int(row["n"])

    async def until(self, done: Callable[[], Awaitable[bool]], seconds: float = 20) -> None:
        """Wait (polling) until ``done()``; fail after ``seconds``."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while not await done():
            assert loop.time() < end, "timed out"
            await asyncio.sleep(0.02)


@pytest.fixture
async def pay(shop: Shop, tmp_path: Any) -> AsyncIterator[PayWorld]:
    keys = keyset()
    keys.save(tmp_path / "keys")
    box = Sandbox(keys, time_scale=0.001)
    box_server = TestServer(make_sandbox_app(box), host="127.0.0.1")
    app_server = TestServer(make_app(shop.engine, Limits(per_minute=0)), host="127.0.0.1")
    await box_server.start_server()
    await app_server.start_server()
    box_url = str(box_server.make_url("")).rstrip("/")
    app_url = str(app_server.make_url("")).rstrip("/")
    config = tomllib.loads(settings_toml(str(tmp_path / "keys"), box_url, app_url))
    for provider in providers(config["plugins"]["commerce"]):
        shop.c.payments.add_provider(provider)
    http = aiohttp.ClientSession()
    world = PayWorld(shop, box, box_url, app_url, http)

    async def listen(tx: Tx, order_id: int, summary: PaymentSummary) -> None:
        del tx
        world.heard.append((order_id, summary))

    shop.c.payments.register(listen)
    try:
        yield world
    finally:
        await http.close()
        await box_server.close()
        await app_server.close()

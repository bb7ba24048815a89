"""Every in-process cache has a bound: past it the least recently used entry goes, and
what is used stays. Each cache is filled past its bound through its real entry points."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from pathlib import Path

import pytest

from veriseal.cache import LruDict, TtlCache
from veriseal.catalog.keys import Keyring, KeySource, create_key_file
from veriseal.engine import Engine
from veriseal.lifecycle.activation import CodeStates
from veriseal.lifecycle.epcis import EpcisExporter
from veriseal.models import Brand, KeyRecord, KeyStatus
from veriseal.notifications.channels.webhook import WebhookSender
from veriseal.notifications.models import Contacts
from veriseal.server.abuse import FloodDetector, RateLimiter

from .test_lifecycle import make_batch

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_lru_dict_forgets_the_least_recently_used() -> None:
    d: LruDict[str, int] = LruDict(2)
    d["a"] = 1
    d["b"] = 2
    assert d.get("a") == 1  # "a" is now the most recently used
    d["c"] = 3
    assert len(d) == 2 and "b" not in d and d.get("a") == 1 and d.get("c") == 3
    d["c"] = 4  # rewriting a key does not grow it
    assert len(d) == 2 and d.get("c") == 4
    assert d.get("missing", 0) == 0
    with pytest.raises(ValueError, match="at least 1"):
        LruDict(0)


async def test_ttl_cache_holds_at_most_max_entries() -> None:
    cache = TtlCache(ttl=60, max_entries=3)
    loads: list[int] = []

    async def load(n: int) -> int:
        loads.append(n)
        return n * 10

    for n in range(10):
        assert await cache.get(n, functools.partial(load, n)) == n * 10
        await cache.get(0, lambda: load(0))  # 0 is used all along: it stays
        assert cache.size <= 3
    assert loads.count(0) == 1  # never evicted
    assert await cache.get(9, lambda: load(9)) == 90 and loads.count(9) == 1
    assert await cache.get(1, lambda: load(1)) == 10 and loads.count(1) == 2  # evicted


async def test_code_states_hold_at_most_max_entries(engine: Engine, brand: Brand) -> None:
    states = CodeStates(engine.ledger, ttl=60, max_entries=2)
    batches = [await make_batch(engine, brand, f"B{n}") for n in range(4)]
    for batch in batches:
        await states.status(batch, 0)
        await states.status(batches[0], 0)  # the first batch is used all along
    assert states.loads == 4  # each batch read once: the first was never evicted
    assert len(states._data) == 2
    await states.status(batches[1], 0)  # evicted: read again
    assert states.loads == 5


async def test_keyring_holds_at_most_max_cached_keys(tmp_path: Path) -> None:
    key_file = tmp_path / "k.key"
    create_key_file(key_file)
    keyring = Keyring(KeySource(key_file=key_file), max_cached=2)
    records = []
    for slot in range(5):
        kid = f"acme.{slot}"
        sealed = keyring.seal(kid, bytes([slot]) * 32)
        records.append(KeyRecord(1, slot, kid, b"", sealed, KeyStatus.ACTIVE, NOW))
    for record in records:
        assert keyring.material(record).secret == bytes([record.slot]) * 32
        assert len(keyring._materials) <= 2
    assert keyring.material(records[0]).secret == bytes(32)  # evicted, unsealed again


class CountingBook:
    """A contact book that counts its lookups: each user has a webhook secret."""

    def __init__(self) -> None:
        self.lookups = 0

    async def contacts(self, user_id: int) -> Contacts:
        self.lookups += 1
        return Contacts(webhook_url="http://127.0.0.1:9/h", webhook_secret=b"s%d" % user_id)


async def test_webhook_secrets_are_kept_for_at_most_max_users() -> None:
    book = CountingBook()
    sender = WebhookSender(book, secret_ttl=60, max_users=2)
    for user in (1, 2, 3):
        assert await sender._secret(user) == b"s%d" % user
        assert await sender._secret(1) == b"s1"  # user 1 is used all along
    assert book.lookups == 3 and len(sender._secrets) == 2
    await sender._secret(2)  # evicted: looked up again
    assert book.lookups == 4


async def test_epcis_exporter_keeps_at_most_max_minters(engine: Engine, brand: Brand) -> None:
    exporter = EpcisExporter(engine.ledger, engine.keys, max_minters=2)
    batches = [await make_batch(engine, brand, f"E{n}") for n in range(3)]
    minters = [await exporter._minter(brand, b.id) for b in batches]
    assert len(exporter._minters) == 2 and batches[0].id not in exporter._minters
    assert await exporter._minter(brand, batches[2].id) is minters[2]  # kept: the same one
    assert [m.batch.id for m in minters] == [b.id for b in batches]


def test_abuse_trackers_hold_at_most_max_clients() -> None:
    limiter = RateLimiter(per_minute=60, burst=1, max_clients=3)
    flood = FloodDetector(limit=2, window_s=60, max_clients=3)
    for n in range(100):
        limiter.take(f"10.0.0.{n}")
        flood.invalid(f"10.0.0.{n}", n)
    assert len(limiter._buckets) == 3 and len(flood._clients) == 3
    # the most recent clients are the ones remembered
    assert flood.invalid("10.0.0.99", 100) == (99, 100)


def test_the_region_resolver_is_built_once() -> None:
    from veriseal.regions.resolver import default_resolver  # noqa: PLC0415 - 0.2 s to load

    assert default_resolver() is default_resolver()
    assert default_resolver.cache_info().maxsize == 1


async def test_concurrent_loads_of_many_keys_stay_bounded() -> None:
    cache = TtlCache(ttl=60, max_entries=5)

    async def load(n: int) -> int:
        await asyncio.sleep(0)
        return n

    got = await asyncio.gather(*(cache.get(n, functools.partial(load, n)) for n in range(50)))
    assert got == list(range(50)) and cache.size == 5

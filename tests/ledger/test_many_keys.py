"""Reads of many codes or scans in one statement (``Dialect.any_of`` and ``pairs_of``:
an IN list or OR chain on SQLite, arrays on PostgreSQL), through the ledger calls the
verify path and the scan consumer make: ``scan_heads``, ``scan_summaries`` and
``scan_briefs``. Every size from one key to past a statement's limit, duplicates, codes
another brand has, codes nobody has, and text PostgreSQL refuses.

The truth is the test's own list of what it appended, counted in plain Python.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from tests.ledger.test_scan_contract import scan
from veriseal.errors import TextInvalid
from veriseal.ledger import Ledger
from veriseal.ledger.scan_store import BRIEF_IDS, MAX_HEADS

VERIFIED = ("genuine", "suspected_clone")


async def test_many_keys_read_exactly_the_rows_asked_for(ledger: Ledger) -> None:
    rng = random.Random(20)
    brands = [(await ledger.create_brand(n, n, f"id.{n}.example")).id for n in ("a", "b")]
    codes = [f"C{i:03d}" for i in range(40)] + ["茶叶-01", "O'Brien", "a b"]
    appended = [
        scan(i, code=rng.choice(codes), brand_id=rng.choice(brands),
             outcome=rng.choice([*VERIFIED, "invalid"]))
        for i in range(600)
    ]  # fmt: skip
    ids = await ledger.append_scans(appended)
    counts = Counter((s.brand_id, s.code) for s in appended if s.outcome in VERIFIED)
    last = {(s.brand_id, s.code): i for i, s in zip(ids, appended, strict=True)
            if s.outcome in VERIFIED}  # fmt: skip
    universe = [(b, c) for b in brands for c in [*codes, "NOBODY"]]
    for size in [1, 2, 3, 7, 31, 32, 33, MAX_HEADS - 1, MAX_HEADS]:
        keys = [rng.choice(universe) for _ in range(size)]  # duplicates included
        heads = await ledger.scan_heads(keys)
        assert heads == {k: (counts[k], last[k]) for k in set(keys) if counts[k]}
        summaries = await ledger.scan_summaries(keys)
        assert {k: s.count for k, s in summaries.items()} == {k: counts[k] for k in keys}
        assert all(s.last_id == last.get(k) for k, s in summaries.items())
    with pytest.raises(ValueError):
        await ledger.scan_heads(universe[: MAX_HEADS + 1])
    for size in [1, 5, BRIEF_IDS - 1, BRIEF_IDS, BRIEF_IDS + 1, 2 * BRIEF_IDS + 3]:
        asked = [rng.choice([*ids, max(ids) + 1000]) for _ in range(size)]
        for b in brands:
            briefs = await ledger.scan_briefs(b, ids=asked)
            mine = {i for i, s in zip(ids, appended, strict=True) if s.brand_id == b}
            assert [x.id for x in briefs] == sorted(mine & set(asked))
    with pytest.raises(TextInvalid):  # never reaches the driver, on either backend
        await ledger.scan_heads([(brands[0], "C\x00")])

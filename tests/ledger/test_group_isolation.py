"""A group commit with one scan the database refuses still commits the others.

Requests share transactions (:class:`veriseal.scanning.service.GroupCommitter`); a member whose row
cannot be stored must fail alone, on every backend. Forced here with values the ledger
refuses: text no backend can store (NUL, an unpaired surrogate) and an integer too
large for the column (refused by the driver itself, past the ledger's text check).
"""

from __future__ import annotations

import asyncio

import pytest

from veriseal.errors import TextInvalid
from veriseal.ledger import Ledger
from veriseal.models import NewScan, ScanQuery
from veriseal.scanning.service import GroupCommitter

from .test_scan_contract import scan

HONEST = 15


async def _one_group(
    ledger: Ledger, bad: NewScan, at: int
) -> tuple[list[int | BaseException], int]:
    """``HONEST`` good scans with ``bad`` at position ``at``, queued before the committer
    runs, so all start in ONE group; the outcomes in order and the groups committed."""
    committer = GroupCommitter(ledger, resolver=None)
    committer.start()
    try:
        good = [scan(i, code=f"C00GOOD{i}") for i in range(HONEST)]
        members = [*good[:at], bad, *good[at:]]
        outcomes = await asyncio.gather(
            *(committer.append(s) for s in members), return_exceptions=True
        )
    finally:
        await committer.stop()
    return outcomes, committer.groups


@pytest.mark.parametrize("at", [0, 7, HONEST])
async def test_unstorable_text_fails_only_its_own_scan(ledger: Ledger, at: int) -> None:
    bad = scan(99, code="C00\x00BAD\ud800", outcome="invalid")
    outcomes, groups = await _one_group(ledger, bad, at)
    assert isinstance(outcomes[at], TextInvalid)
    honest = [o for i, o in enumerate(outcomes) if i != at]
    assert all(isinstance(o, int) for o in honest), honest
    stored = {s.id: s.scan.code for s in await ledger.list_scans(None, ScanQuery(limit=100))}
    assert set(honest) == set(stored)  # every acknowledged scan is there, nothing else
    assert sorted(stored.values()) == sorted(f"C00GOOD{i}" for i in range(HONEST))
    assert groups <= 8  # isolating one member costs a few halvings, not one per member


async def test_a_value_the_driver_refuses_fails_only_its_own_scan(ledger: Ledger) -> None:
    bad = scan(99, code="C00HUGE", index=2**70)  # beyond any integer column
    outcomes, _ = await _one_group(ledger, bad, 3)
    assert isinstance(outcomes[3], Exception)
    honest = [o for i, o in enumerate(outcomes) if i != 3]
    assert all(isinstance(o, int) for o in honest), honest
    assert {s.id for s in await ledger.list_scans(None, ScanQuery(limit=100))} == set(honest)


async def test_two_offenders_in_one_group(ledger: Ledger) -> None:
    committer = GroupCommitter(ledger, resolver=None)
    committer.start()
    try:
        members = [scan(i, code=f"C00GOOD{i}") for i in range(14)]
        members[2] = scan(2, code="\ud800", outcome="invalid")
        members[11] = scan(11, code="A\x00", outcome="invalid")
        outcomes = await asyncio.gather(
            *(committer.append(s) for s in members), return_exceptions=True
        )
    finally:
        await committer.stop()
    failed = [i for i, o in enumerate(outcomes) if not isinstance(o, int)]
    assert failed == [2, 11]
    assert len(await ledger.list_scans(None, ScanQuery(limit=100))) == 12

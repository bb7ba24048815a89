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
from veriseal.ledger.base import AlertMaker
from veriseal.models import AlertKind, NewAlert, NewScan, ScanQuery
from veriseal.scanning.service import GroupCommitter

from .test_scan_contract import T0, scan

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


def _alert_of(code: str, details: str = '{"count": 21}') -> AlertMaker:
    """The maker of one clone alert naming its scan (as the scan service makes them)."""

    def make(scan_id: int) -> list[NewAlert]:
        return [NewAlert(T0, None, AlertKind.CLONE_COUNT, code, (scan_id,), details)]

    return make


async def test_alerts_are_stored_with_their_scans_and_fail_with_them(ledger: Ledger) -> None:
    committer = GroupCommitter(ledger, resolver=None)
    committer.start()
    try:
        members = [(scan(i, code=f"C00GOOD{i}"), _alert_of(f"C00GOOD{i}")) for i in range(10)]
        members[4] = (scan(4, code="C00GOOD4"), _alert_of("C00GOOD4", '{"x": "\x00"}'))
        members[6] = (members[6][0], None)  # a scan that raised nothing
        outcomes = await asyncio.gather(
            *(committer.append_stored(s, a) for s, a in members), return_exceptions=True
        )
    finally:
        await committer.stop()
    assert isinstance(outcomes[4], TextInvalid)  # its alert could not be stored: nor its scan
    stored = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(stored) == 9
    alerts = {a.id: a.alert for a in await ledger.list_alerts(None, limit=100)}
    for scan_id, new, raised in stored:
        if new.code == "C00GOOD6":
            assert raised == []
            continue
        [(alert_id, alert)] = raised
        assert alerts[alert_id] == alert and alert.evidence == (scan_id,)  # names its scan
    assert len(alerts) == 8
    kept = {s.scan.code for s in await ledger.list_scans(None, ScanQuery(limit=100))}
    assert "C00GOOD4" not in kept and len(kept) == 9

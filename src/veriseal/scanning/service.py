"""Recording scans: verify, read the code's history, append the scan with group commit.

Regions: a scan's location is resolved offline to a :class:`Region` before it is stored.
When nothing needs the region before the commit (no ``max_regions`` clone rule in force,
no plugin contributing to verdicts), the group committer resolves the whole group with one
vectorised lookup; otherwise :class:`ScanService` resolves that scan at once.

Durability contract: :meth:`ScanService.scan` returns only after the scan's transaction
has committed, so anything acknowledged to a client survives a crash. Throughput comes
from *group commit* (:class:`GroupCommitter`): requests arriving while a commit is in
flight queue up and go into the next transaction together, so one fsync serves many
requests; no request waits for a timer, only for the commit before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from veriseal.accounts.errors import Forbidden
from veriseal.accounts.models import Principal, Role
from veriseal.accounts.permissions import Action, allowed, require
from veriseal.cache import TtlCache
from veriseal.errors import StorageError
from veriseal.ledger import rows
from veriseal.ledger.base import AlertMaker, Ledger
from veriseal.ledger.text import escape
from veriseal.ledger.turns import Step, Turn
from veriseal.models import (
    Alert,
    AlertKind,
    ClonePolicy,
    Location,
    NewAlert,
    NewScan,
    Region,
    Scan,
    ScanChannel,
    ScanSummary,
)
from veriseal.regions.resolver import RegionResolver, default_resolver
from veriseal.scanning import clones, identities, rolls, store
from veriseal.scanning.archives import ArchiveWatch
from veriseal.scanning.code_turns import CodeTurns
from veriseal.scanning.heads import BatchedReads
from veriseal.scanning.hooks import LedgerEvent, ScanHooks, apply
from veriseal.scanning.memory import CodeMemory
from veriseal.scanning.my_scans import MAX_LIMIT, ScanPage, my_scan
from veriseal.scanning.product_facts import ProductFacts, product_facts
from veriseal.scanning.verification import CodeInfo, Outcome, Verification, Verifier

_CLONE_MESSAGES = {
    "clone_count": "genuine code verified more often than its policy allows: suspected copy",
    "impossible_travel": "scanned too far from its previous scan in too little time: copied",
    "clone_regions": "genuine code verified in more regions than its policy allows: copied",
    "local_copies": "genuine code verified by more devices than its policy allows: copied",
}
#: Verdicts of authentic codes the brand withdrew from circulation or never released:
#: consumer scans of them raise the batch's ``unactivated_scan`` alert (scanning.rolls).
_WITHDRAWN = frozenset({Outcome.NOT_ACTIVATED, Outcome.DECOMMISSIONED})
MAX_RAW_CODE = 200  # an unparseable input is kept as evidence, cut to this length
PIN_ATTEMPTS = 5  # wrong PINs for one code ...
PIN_WINDOW = dt.timedelta(minutes=15)  # ... within this window pause further PIN checks
_PIN_THROTTLED = "too many wrong PINs for this code: try again in 15 minutes"


log = logging.getLogger("veriseal.scanning.service")

#: a scan as stored: its id, the scan (region resolved), and the alerts stored with it
Stored = tuple[int, NewScan, list[tuple[int, NewAlert]]]
_Waiter = tuple[NewScan, AlertMaker | None, "asyncio.Future[Stored]"]


class _Budget:
    """Failed transactions allowed while isolating the bad members of one group: enough
    for a few offenders (each costs about two per halving), bounded for faults that
    every retry would repeat."""

    def __init__(self, group: list[_Waiter]) -> None:
        self.failures = 0
        self.limit = 8 * max(1, len(group).bit_length())

    def spent(self) -> bool:
        return self.failures >= self.limit


class GroupCommitter:
    """Appends scans in groups, one transaction per group, answering each caller after
    its group committed. At most ``max_group`` scans per transaction. A scan that cannot
    be stored fails only its own caller: see :meth:`_commit`.

    ``depth``: groups in flight at once. With 2, the next group is gathered once the one
    in flight has its ids, and its transaction runs while that one commits, each step
    that must keep ids in commit order after the one before's (:mod:`veriseal.ledger.turns`).
    It pays where the commit's round trips are most of its time (a database on another
    host); where they cost microseconds it splits the requests into more, smaller groups
    (``[server] commit_depth``, :func:`veriseal.engine.commit_depth`)."""

    def __init__(
        self,
        ledger: Ledger,
        max_group: int = 512,
        resolver: Callable[[], RegionResolver] | None = default_resolver,
        memory: CodeMemory | None = None,
        depth: int = 1,
    ) -> None:
        self._ledger = ledger
        #: groups in flight at once (ledger.turns: each waits for the one before at every
        #: step that must keep the commit order); 1 where one writer is all there is
        self.depth = depth
        self._slots = asyncio.Semaphore(depth)
        self._tail: Turn | None = None  # the turn of the last transaction begun
        #: the codes' histories as committed here (scanning.memory); None: read each time
        self.memory = memory
        self._max = max_group
        self.resolver = resolver  # None: store scans without resolving their regions
        # the resolver once loaded, with the factory it came from
        self._loaded: tuple[object, RegionResolver | None] = (None, None)
        self._queue: asyncio.Queue[_Waiter] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._flying: set[asyncio.Task[None]] = set()  # groups being committed
        self._forming = False  # a group is being gathered
        self.groups = 0  # transactions committed, for tests and metrics
        self.committed = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="group-commit")

    async def append(self, scan: NewScan) -> int:
        """Queue ``scan``; return its id once it is durably committed."""
        return (await self.append_stored(scan))[0]

    async def append_stored(self, scan: NewScan, alerts: AlertMaker | None = None) -> Stored:
        """Queue ``scan``; once it is durably committed return its id, the scan as stored
        (with its region resolved, if it had a location and no region yet) and the
        alerts ``alerts`` made from its id, stored in the same transaction (the group's:
        a burst of alerts costs no commit of its own, and none outlives its scan)."""
        if self._task is None:
            raise RuntimeError("GroupCommitter.start() was not called")
        future: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        await self._queue.put((scan, alerts, future))
        return await future

    async def _with_regions(self, scans: list[NewScan]) -> list[NewScan]:
        todo, points = [], []
        for i, scan in enumerate(scans):
            if scan.region is None and scan.location is not None:
                todo.append(i)
                points.append(scan.location)
        if not todo or self.resolver is None:
            return scans
        # A group is resolved whole in a worker thread, with vectorised queries and
        # without the cell memo (RegionResolver.resolve_many says why): the k-d tree and
        # GEOS release the GIL, so the thread runs beside the loop, and the loop does not
        # stall while the GIL is won back from the ledger driver's thread (measured: -20%
        # on the loop). The first call also loads the data (~0.5 s) there.
        lat, lon = [p.lat for p in points], [p.lon for p in points]
        regions = await asyncio.to_thread(lambda: self._loaded_resolver().resolve_many(lat, lon))
        out = list(scans)
        for i, region in zip(todo, regions, strict=True):
            if region is not None:
                out[i] = replace(scans[i], region=region)
        return out

    async def region(self, point: Location) -> Region | None:
        """The region of one point, needed before its scan's verdict (None without a
        resolver): on the loop when its cell is certified (no thread hop: measured +64%
        scans/s under a ``max_regions`` policy at 1,000 shops, bench_regions.py), else in
        a worker thread as :meth:`_with_regions` resolves a group."""
        if self.resolver is None:
            return None
        factory, loaded = self._loaded
        if factory is self.resolver and loaded is not None:  # else replaced since, or new
            known = loaded.cached(point.lat, point.lon)
            if known is not None:
                return known
        return await asyncio.to_thread(
            lambda: self._loaded_resolver().resolve(point.lat, point.lon)
        )

    def _loaded_resolver(self) -> RegionResolver:
        """In a worker thread: the resolver, loaded if need be (and remembered, for
        :meth:`region`'s probe on the loop)."""
        factory = self.resolver
        assert factory is not None
        resolver = factory()
        self._loaded = factory, resolver
        return resolver

    async def _run(self) -> None:
        while True:
            await self._slots.acquire()
            group = [await self._queue.get()]
            self._forming = True  # a waiter is out of the queue, not yet in flight
            if self._tail is not None:  # (at once when it ended: depth 1)
                # gathered once the group before has its ids: the members that arrive
                # meanwhile join this group, which could not take its ids any sooner
                await self._tail.taken(Step.RESERVED)
            while len(group) < self._max and not self._queue.empty():
                group.append(self._queue.get_nowait())
            flight = asyncio.get_running_loop().create_task(self._fly(group, self._turn()))
            self._flying.add(flight)
            flight.add_done_callback(self._flying.discard)
            self._forming = False

    async def _fly(self, group: list[_Waiter], turn: Turn) -> None:
        try:
            await self._commit(group, _Budget(group), turn)
        finally:
            self._slots.release()

    def _turn(self) -> Turn:
        """The next transaction's turn, after the last one begun (ledger.turns)."""
        self._tail = Turn(self._tail)
        return self._tail

    async def _commit(self, group: list[_Waiter], budget: _Budget, turn: Turn) -> None:
        """Commit ``group`` in one transaction and answer each waiter.

        If the transaction fails, its halves are committed apart, recursively, so a scan
        that cannot be stored fails alone and never the others that shared its
        transaction (one client's bad input must not fail another's scan). The bisection
        stops early, failing every waiter left, when the ledger itself is down (it then
        does not answer a plain read either) or after ``budget`` failed transactions
        (a fault no member caused, which every retry would only repeat). ``turn``: the
        transaction's place in the commit order, ended here; each half takes a new one.
        """
        try:
            stored = await self._with_regions([s for s, _, _ in group])
            ids, alerts = await self._ledger.append_group(stored, [a for _, a, _ in group], turn)
        except BaseException as exc:
            turn.end(committed=False)
            if not isinstance(exc, Exception):
                raise
            budget.failures += 1
            if len(group) == 1 or budget.spent() or not await self._ledger_answers(exc):
                if len(group) == 1:
                    log.warning("a scan was not stored: %s", type(exc).__name__)
                for _, _, future in group:  # each waiter learns its scan was not stored
                    if not future.done():
                        future.set_exception(exc)
                return
            middle = len(group) // 2
            await self._commit(group[:middle], budget, self._turn())  # in order
            await self._commit(group[middle:], budget, self._turn())
            return
        try:
            if self.memory is not None:
                self.memory.committed(ids, stored)
        finally:
            turn.end(committed=True)  # after the memory moved on: it sees commits in order
        self.groups += 1
        self.committed += len(group)
        for (_, _, future), scan_id, scan, raised in zip(group, ids, stored, alerts, strict=True):
            if not future.done():
                future.set_result((scan_id, scan, raised))

    async def _ledger_answers(self, exc: Exception) -> bool:
        """After a failed group: whether bisecting can help. A StorageError may be the
        ledger being down; bisecting would then only repeat it for every member."""
        if not isinstance(exc, StorageError):
            return True  # the data was refused, not the ledger unavailable
        try:
            async with self._ledger.read() as tx:
                await store.answers(tx)
        except StorageError:
            return False
        return True

    async def stop(self) -> None:
        """Commit what is queued and what is being committed, then stop."""
        if self._task is None:
            return
        while not self._queue.empty() or self._forming or self._flying:
            await asyncio.sleep(0.001)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None


@dataclass(frozen=True)
class ScanContext:
    """Who scanned, how, where and when (all optional but the channel and actor).

    ``observed_at`` is when the scan happened as the scanning device reports it (an
    aware datetime, already checked for plausibility by the caller, see
    :func:`veriseal.scanning.handheld.parse_scan_time`); ``None`` means now, the server's time.
    """

    channel: ScanChannel
    actor: str = "anonymous"
    location: Location | None = None
    client_scan_id: str | None = None
    observed_at: dt.datetime | None = None
    #: the client network's digest when the device presented no cookie (NewScan.client)
    client: str | None = None
    #: the signed-in user scanning, if any (NewScan.user_id): recorded, never judged
    user_id: int | None = None


@dataclass(frozen=True)
class ScanResult:
    verification: Verification
    scan_id: int
    previous: ScanSummary  # the code's genuine scans BEFORE this one
    region: Region | None = None  # where this scan was, resolved offline
    facts: dict[str, Any] = field(default_factory=dict)  # plugins' facts, by plugin name

    def to_dict(self, lang: str | None = None) -> dict[str, object]:
        """The JSON verdict with the scan's facts; ``message`` in ``lang`` when given
        (see :meth:`Verification.to_dict`)."""
        out = self.verification.to_dict(lang)
        if self.facts:
            out["facts"] = self.facts
        first = self.previous.first_location
        out["scan"] = {
            "id": self.scan_id,
            "previous_verifications": self.previous.count,
            "first_verified_at": self.previous.first_at.isoformat()
            if self.previous.first_at
            else None,
            "first_location": (
                {"lat": round(first.lat, 3), "lon": round(first.lon, 3)} if first else None
            ),
            "region": (
                {"country": self.region.country, "province": self.region.province,
                 "city": self.region.city, "gb2260": self.region.gb2260}
                if self.region else None
            ),
        }  # fmt: skip
        return out


@dataclass(frozen=True)
class _CloneCheck:
    """What the clone rules made of one scan (see ``ScanService._check_clones``)."""

    previous: ScanSummary  # the code's genuine scans before this one
    findings: list[clones.Finding] = field(default_factory=list)
    region: Region | None = None  # this scan's region, when the check resolved it
    resolved: bool = False  # the region was resolved (None: no location or no resolver)


def _new_scan(
    text: str,
    result: Verification,
    ctx: ScanContext,
    now: dt.datetime,
    at: dt.datetime,
    region: Region | None,
) -> NewScan:
    """The scan row of ``text`` with its verdict, as ``ctx`` says it was made."""
    info = result.info
    return NewScan(
        at=at,
        # what was typed is evidence even when it is no text a ledger can store
        # (NUL, unpaired surrogates): kept escaped, answered like any fake code
        code=info.serial if info else escape(text.strip())[:MAX_RAW_CODE],
        outcome=str(result.outcome),
        reason=result.reason,
        channel=ctx.channel,
        actor=ctx.actor,
        brand_id=info.brand_id if info else None,
        gtin=info.gtin if info else None,
        batch_id=info.batch_id if info else None,
        index=info.index if info else None,
        location=ctx.location,
        client_scan_id=ctx.client_scan_id,
        region=region,
        received_at=None if ctx.observed_at is None else now,
        client=ctx.client,
        user_id=ctx.user_id,
    )


def _clone_alerts(
    findings: list[clones.Finding], info: CodeInfo | None, scan_id: int, *, now: dt.datetime
) -> list[NewAlert]:
    """The alerts the clone findings raise, with the stored scan as their last evidence."""
    if info is None or info.brand_id is None:
        return []
    return [
        NewAlert(
            now,
            info.brand_id,
            finding.kind,
            info.serial,
            (*finding.evidence, scan_id),
            finding.details_json(),
        )
        for finding in findings
        if finding.raise_alert
    ]


class ScanService:
    def __init__(
        self,
        ledger: Ledger,
        verifier: Verifier,
        committer: GroupCommitter,
        cache: TtlCache | None = None,
        plugins: ScanHooks | None = None,
    ) -> None:
        self._cache = cache or TtlCache()
        self._ledger = ledger
        self._verifier = verifier
        self._committer = committer
        self._plugins = plugins
        # a checked memory's reads, batched across the requests in flight (scanning.heads)
        self._heads = BatchedReads(ledger.scan_heads)
        self._summaries = BatchedReads(ledger.scan_summaries)
        memory = committer.memory
        #: tells a checked memory of archived months (scanning.archives), every ttl
        self._archives = None if memory is None else ArchiveWatch(ledger.partitions, memory)
        # A plugin judging verdicts may look at the region: resolve before the commit then.
        self._eager_regions = plugins is not None and plugins.contributes
        #: one scan of a code judged at a time, each after the ones before it committed
        self.turns = CodeTurns()

    async def close(self) -> None:
        """Wait for a look at the ledger's partitions in progress (before it closes)."""
        if self._archives is not None:
            await self._archives.settled()

    async def scan(self, text: str, ctx: ScanContext, pin: str | None = None) -> ScanResult:
        """Verify ``text``, record the scan durably, and return the verdict together with
        the code's earlier history. Never raises for anything a user can type.

        The scan is stored and judged by the clone rules at ``ctx.observed_at`` when
        given (with the server's time as ``received_at``), else at the server's time.
        The PIN throttle always counts by the server's clock.

        Scans of one code in flight together are judged one after the other, each with
        the ones before it in its history (:mod:`veriseal.scanning.code_turns`)."""
        now = dt.datetime.now(dt.UTC)
        at = now if ctx.observed_at is None else ctx.observed_at
        result = await self._verdict(text, pin, now)
        info = result.info  # the code's, whatever the clone rules or plugins say of it
        key = None if info is None or info.brand_id is None else (info.brand_id, info.serial)
        if key is not None:
            await self.turns.take(key)
        try:
            done, scan, raised = await self._judge_and_store(text, ctx, result, now, at)
        finally:
            if key is not None:  # committed (or failed): the next scan of the code sees it
                self.turns.give(key)
        for alert_id, alert in raised:
            await self._announce(alert_id, alert)
        if self._plugins is not None:
            for alert in await self._plugins.after_scan(
                Scan(done.scan_id, scan), done.verification
            ):
                await self._store_alert(alert)
        if done.verification.outcome in _WITHDRAWN and ctx.channel in identities.CONSUMER_CHANNELS:
            await self._roll_alert(info, now)
        return done

    async def _judge_and_store(
        self, text: str, ctx: ScanContext, result: Verification, now: dt.datetime, at: dt.datetime
    ) -> tuple[ScanResult, NewScan, list[tuple[int, NewAlert]]]:
        """``result`` as the clone rules and the plugins judge it, the scan committed:
        the answer, the scan as stored and the alerts stored with it."""
        info = result.info
        check = await self._check_clones(result, at, ctx)
        if check.findings:
            kind = str(check.findings[0].kind)
            result = Verification(Outcome.SUSPECTED_CLONE, kind, _CLONE_MESSAGES[kind], info)
        scan = _new_scan(text, result, ctx, now, at, check.region)
        if self._eager_regions and not check.resolved and ctx.location is not None:
            # for the plugins' verdicts; not resolved by the clone check
            scan = replace(scan, region=await self._region_now(ctx.location))
        result, facts, scan = await self._contribute(scan, result)
        raises = any(f.raise_alert for f in check.findings)  # _clone_alerts picks them
        maker = functools.partial(_clone_alerts, check.findings, info, now=now) if raises else None
        scan_id, scan, raised = await self._committer.append_stored(scan, maker)
        return ScanResult(result, scan_id, check.previous, scan.region, facts), scan, raised

    async def scan_as(
        self,
        principal: Principal,
        text: str,
        location: Location | None = None,
        pin: str | None = None,
    ) -> ScanResult:
        """A signed-in user's scan from the console's scan page: verified and recorded
        exactly like a printed link opened in a browser (:meth:`scan`), naming the user.

        A consumer's scan is a consumer verification (channel ``console``, identity
        ``user:<id>``): the clone rules count it like a phone's. Staff (roles that record
        handheld scans) are recorded as handheld scans: a dealer or an inspector checking
        goods in the console must not count as a buyer (the devices rule, stolen rolls)."""
        require(principal, Action.SCANS_OWN)
        if principal.user_id is None:
            raise Forbidden("the local operator scans with `veriseal verify`")
        staff = allowed(principal, Action.SCANS_RECORD)
        ctx = ScanContext(
            channel=ScanChannel.HANDHELD if staff else ScanChannel.CONSOLE,
            actor=f"user:{principal.user_id}",
            location=location,
            user_id=principal.user_id,
        )
        return await self.scan(text, ctx, pin=pin)

    async def my_scans(
        self, principal: Principal, cursor: int | None = None, limit: int = 50
    ) -> ScanPage:
        """The principal's own scans, newest first: ``limit`` (1..200) of them older
        than scan ``cursor`` (the previous page's ``next_cursor``). Only scans that
        name the principal's user (``scans.user_id``); nobody reads another's list."""
        require(principal, Action.SCANS_OWN, owner_id=principal.user_id)
        if principal.user_id is None:
            return ScanPage([], None)
        limit = max(1, min(limit, MAX_LIMIT))
        async with self._ledger.read() as tx:
            found = await store.user_scans(tx, principal.user_id, cursor, limit)
        items = [my_scan(r) for r in found]
        return ScanPage(items, items[-1].id if len(items) == limit else None)

    async def product(
        self, principal: Principal, gtin: str, lot: str | None = None
    ) -> ProductFacts:
        """A product page reached from a verdict: the product's public facts and, with
        ``lot``, that lot's dates and recall state (scanning.product_facts)."""
        require(principal, Action.SCANS_OWN)
        return await product_facts(self._ledger, gtin, lot)

    async def _verdict(self, text: str, pin: str | None, now: dt.datetime) -> Verification:
        """The verifier's verdict, with the PIN checked when one is given and the code
        asks for one (unless wrong PINs for the code are throttled at ``now``)."""
        result = await self._verifier.verify(text)
        if result.outcome is Outcome.PIN_REQUIRED and pin is not None and result.info is not None:
            # Guessing PINs is throttled per code, from the ledger's own record of wrong ones.
            if await self._pin_throttled(result.info, now):
                return Verification(Outcome.PIN_WRONG, "pin_throttled", _PIN_THROTTLED, result.info)
            return await self._verifier.verify(text, pin=pin)
        return result

    async def _policy(self, brand_id: int, gtin: str) -> ClonePolicy:
        """The clone policy in force for the product (cached like other metadata)."""
        return (
            await self._cache.get(
                ("policy", brand_id, gtin),
                lambda: self._ledger.clone_policy(brand_id, gtin),
            )
            or clones.DEFAULT_POLICY
        )

    async def _check_clones(
        self, result: Verification, at: dt.datetime, ctx: ScanContext
    ) -> _CloneCheck:
        """The code's earlier verifications and, for a genuine code, what the brand's
        clone policy finds in this scan at ``at`` as ``ctx`` made it."""
        info = result.info
        if info is None or info.brand_id is None:
            return _CloneCheck(ScanSummary(count=0))
        previous = await self._summary(info.brand_id, info.serial)
        if result.outcome is not Outcome.GENUINE:
            return _CloneCheck(previous)
        brand_id, loc = info.brand_id, ctx.location
        policy = await self._policy(brand_id, info.gtin)
        resolved = self._eager_regions or policy.max_regions is not None
        region = await self._region_now(loc) if resolved else None
        seen = (
            await clones.regions_seen(self._ledger, brand_id, info.serial, previous)
            if policy.max_regions is not None and region is not None
            else None
        )
        findings = clones.evaluate(policy, previous, at, loc, region, seen)
        devices = await self._devices_finding(policy, previous, info, at, ctx, region)
        if devices is not None:  # after travel and regions, before the count rule
            kinds = [f.kind for f in findings]
            place = sum(k is not AlertKind.CLONE_COUNT for k in kinds)
            findings.insert(place, devices)
        return _CloneCheck(previous, findings, region, resolved)

    async def _devices_finding(
        self,
        policy: ClonePolicy,
        previous: ScanSummary,
        info: CodeInfo,
        at: dt.datetime,
        ctx: ScanContext,
        region: Region | None,
    ) -> clones.Finding | None:
        """The distinct-devices rule on a consumer's scan (scanning.identities). It looks
        at the code's consumer scans only when the code has enough verifications for
        the rule to fire at all (one identity per verification at most), so most scans
        cost nothing more; those scans come from the committer's memory when it holds
        them (:meth:`_consumer_span`)."""
        limit = policy.max_devices
        if limit is None or ctx.channel not in identities.CONSUMER_CHANNELS:
            return None
        if previous.count + 1 <= limit:
            return None
        assert info.brand_id is not None
        window = dt.timedelta(days=policy.devices_window_days)
        # scans recorded before the window (as seen from now or from a late upload's
        # time) cannot be in it: on a partitioned ledger, their months stay unread
        since = max(
            previous.first_id or 0,
            self._ledger.scan_ids_from(min(at, dt.datetime.now(dt.UTC)) - window),
        )
        until = previous.last_id if previous.last_id is not None else store.NO_ID
        recent = await self._consumer_span(info.brand_id, info.serial, limit, (since, until))
        if recent is None:
            return None
        span = [s for s in recent if abs(s.at - at) <= window]
        current = identities.ConsumerScan(
            None, at, ctx.actor, ctx.client, region.province if region else None
        )
        return identities.local_copies(policy, span, current)

    async def _summary(self, brand_id: int, code: str) -> ScanSummary:
        """The code's earlier verifications: from the committer's memory when it holds
        them, else from the ledger (and then remembered)."""
        memory, key = self._committer.memory, (brand_id, code)
        if memory is None:
            return await self._ledger.scan_summary(brand_id, code)
        if memory.checked and self._archives is not None:
            self._archives.look()  # a catalogue read every ttl, never waited for here
        found = memory.summary(key)
        if found is not None and memory.checked:
            head = await self._heads.get(key)  # batched with the other requests' (heads)
            if head != ((found.count, found.last_id) if found.count else None):
                found = None  # another process scanned the code: read it afresh
        if found is None:
            memory.drop(key)  # the span too: it is as old as the summary
            generation = memory.generation
            if memory.checked:  # PostgreSQL: a query's fixed cost is most of it
                found = await self._summaries.get(key) or ScanSummary(count=0)
            else:  # SQLite: an inline read costs less than waiting a loop round
                found = await self._ledger.scan_summary(brand_id, code)
            memory.remember(key, found, generation)
        return found

    async def _consumer_span(
        self, brand_id: int, code: str, limit: int, ids: tuple[int, int]
    ) -> list[identities.ConsumerScan] | None:
        """The code's newest consumer verifications (newest first), or None when they
        hold too few identities for the devices rule to fire (their
        :func:`identities.bound`; ``limit``: the policy's; ``ids``: the range of ids the
        read may find them in)."""
        key, span_max = (brand_id, code), identities.MAX_SPAN
        memory = self._committer.memory
        held = None if memory is None else memory.span(key)
        if held is not None:
            recent, most = held
        else:
            generation = 0 if memory is None else memory.generation
            async with self._ledger.hot_read() as tx:
                # the identities' bound in one aggregate row settles most codes when
                # nothing is remembered (the memory keeps the whole span)
                if memory is None and (
                    await store.consumer_identity_bound(tx, brand_id, code, span_max, *ids) + 1
                    <= limit
                ):
                    return None
                found = await store.consumer_verifications(tx, brand_id, code, span_max, *ids)
            recent = [
                identities.ConsumerScan(
                    int(r["id"]), rows.ts(r["at"]), r["actor"], r["client"], r["province"]
                )
                for r in found
            ]
            if memory is not None:
                memory.remember_span(key, recent, generation)
            most = identities.bound(recent)
        if most + 1 <= limit:
            return None  # no window of the span, with this scan, can be over the limit
        return recent

    async def _roll_alert(self, info: CodeInfo | None, now: dt.datetime) -> None:
        """A consumer scanned a withdrawn code: the batch's alert (scanning.rolls)."""
        if info is None or info.brand_id is None or info.batch_id is None:
            return
        limit = (await self._policy(info.brand_id, info.gtin)).max_unactivated_scans
        if limit is None:
            return
        opened = await rolls.record(self._ledger, info.brand_id, info.batch_id, limit, now)
        if opened is not None:
            await self._announce(*opened)

    async def _contribute(
        self, scan: NewScan, result: Verification
    ) -> tuple[Verification, dict[str, Any], NewScan]:
        """The plugins' say on the verdict: the verdict, their facts and the scan to
        store, each changed by their contributions if any."""
        if self._plugins is None:
            return result, {}, scan
        contributions = await self._plugins.contribute(scan, result)
        if not contributions:
            return result, {}, scan
        result, facts = apply(result, contributions)
        return result, facts, replace(scan, outcome=str(result.outcome), reason=result.reason)

    async def _region_now(self, loc: Location | None) -> Region | None:
        return None if loc is None else await self._committer.region(loc)

    async def platform_alerts(
        self,
        principal: Principal,
        *,
        kind: AlertKind | None = None,
        code: str | None = None,
        limit: int = 1000,
        after_id: int | None = None,
    ) -> list[Alert]:
        """The alerts no brand owns (today: invalid-code floods, an enumeration attempt
        against the whole installation), oldest first. Their owner is whoever runs the
        installation: the platform admin over HTTP, the local operator (``SYSTEM``) on
        the CLI; anyone else gets ``Forbidden``."""
        require(principal, Action.ALERTS_READ)
        if principal.role is not Role.PLATFORM_ADMIN:
            raise Forbidden("platform alerts are for the platform admin")
        return await self._ledger.list_alerts(
            None, kind=kind, code=code, limit=limit, after_id=after_id
        )

    async def _store_alert(self, alert: NewAlert) -> int:
        alert_id = await self._ledger.append_alert(alert)
        await self._announce(alert_id, alert)
        return alert_id

    async def announce(self, alert_id: int, alert: NewAlert) -> None:
        """Tell the in-process plugins of an alert another service stored (a consumer's
        report, in the same transaction as the report itself)."""
        await self._announce(alert_id, alert)

    async def _announce(self, alert_id: int, alert: NewAlert) -> None:
        """Tell the in-process plugins of a stored alert (the stream has it already)."""
        if self._plugins is not None:
            details = {"kind": str(alert.kind), "code": alert.code, "evidence": alert.evidence}
            await self._plugins.event(LedgerEvent("alert", alert.brand_id, alert_id, details))

    async def _pin_throttled(self, info: CodeInfo, now: dt.datetime) -> bool:
        if info.brand_id is None:
            return False
        # by receipt, not device time: a back-dated scan must not leave the window
        wrong = await self._ledger.count_received(
            info.brand_id, info.serial, "pin_wrong", now - PIN_WINDOW
        )
        return wrong >= PIN_ATTEMPTS

    async def flood_alert(self, client: str, scan_ids: tuple[int, ...]) -> int:
        """Record that ``client`` tried many invalid codes (the scans are the evidence).

        Invalid codes name no brand, so the alert belongs to the platform: it is listed
        by :meth:`platform_alerts`, not among any brand's alerts."""
        details = json.dumps({"client": client, "invalid_scans": len(scan_ids)})
        alert = NewAlert(
            dt.datetime.now(dt.UTC), None, AlertKind.INVALID_FLOOD, "", scan_ids, details
        )
        return await self._store_alert(alert)

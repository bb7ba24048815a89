"""Enumeration defence on the public endpoints: per-client rate limits and invalid floods.

Both are in memory, per server process, and bounded: the least recently seen clients are
forgotten past ``max_clients``. With several workers each enforces its own share, which
is the usual trade for not putting a shared store on the hot path.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets: each client may make ``burst`` requests at once and ``per_minute``
    on average. :meth:`take` returns 0 when a request may go ahead, else the seconds to
    wait (what ``Retry-After`` says)."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        max_clients: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._max = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, client: str) -> int:
        now = self._clock()
        bucket = self._buckets.pop(client, None) or _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        self._buckets[client] = bucket  # most recently seen last
        if len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0
        return max(1, math.ceil((1.0 - bucket.tokens) / self.rate))


@dataclass
class _Seen:
    times: deque[float] = field(default_factory=deque)
    scan_ids: deque[int] = field(default_factory=lambda: deque(maxlen=50))
    alerted_at: float = -math.inf


class FloodDetector:
    """Fires when one client gets ``limit`` invalid verdicts within ``window_s`` seconds,
    at most once per window per client. Returns the evidence (recent scan ids) then."""

    def __init__(
        self,
        limit: int = 20,
        window_s: float = 600.0,
        max_clients: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window_s
        self._max = max_clients
        self._clock = clock
        self._clients: OrderedDict[str, _Seen] = OrderedDict()

    def invalid(self, client: str, scan_id: int) -> tuple[int, ...] | None:
        now = self._clock()
        seen = self._clients.pop(client, None) or _Seen()
        self._clients[client] = seen
        if len(self._clients) > self._max:
            self._clients.popitem(last=False)
        seen.times.append(now)
        seen.scan_ids.append(scan_id)
        while seen.times and seen.times[0] < now - self.window:
            seen.times.popleft()
        if len(seen.times) >= self.limit and now - seen.alerted_at >= self.window:
            seen.alerted_at = now
            return tuple(seen.scan_ids)
        return None

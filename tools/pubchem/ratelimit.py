"""A sliding-window rate limiter shared by every client in the process.

PubChem's policy is per user: at most 5 requests in any second and 400 in any minute. Both
windows are enforced on the time a request is sent; a small margin on the one-second window
keeps network jitter from making six requests arrive within one second at PubChem's end.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

_SECOND_MARGIN = 1.05


class RateLimiter:
    """Blocks `acquire()` until a request may be sent under every window."""

    def __init__(
        self,
        per_second: float,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # A fractional per-second limit (e.g. 2.5/s) becomes 5 requests per 2 s window.
        count, window = per_second, 1.0
        while count != int(count) and window < 100:
            count, window = count * 2, window * 2
        self._windows = [(int(count), window * _SECOND_MARGIN), (per_minute, 60.0)]
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (PubChem said it is under strain)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _wait_needed(self, now: float) -> float:
        longest = max(w for _, w in self._windows)
        while self._sent and self._sent[0] <= now - longest:
            self._sent.popleft()
        wait = max(0.0, self._paused_until - now)
        for limit, window in self._windows:
            inside = [t for t in self._sent if t > now - window]
            if len(inside) >= limit:
                wait = max(wait, inside[-limit] + window - now)
        return wait

    def acquire(self) -> float:
        """Wait for a free slot and take it; returns the seconds waited."""
        waited = 0.0
        # The lock is held while sleeping: whoever waits first sends first.
        with self._lock:
            while (wait := self._wait_needed(self._clock())) > 0:
                self._sleep(wait)
                waited += wait
            self._sent.append(self._clock())
        return waited


_shared: dict[tuple[str, float, int], RateLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(host: str, per_second: float, per_minute: int) -> RateLimiter:
    """One limiter per host and policy, so every client and thread in the process shares it."""
    key = (host, per_second, per_minute)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = RateLimiter(per_second, per_minute)
        return _shared[key]

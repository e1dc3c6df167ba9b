"""Client-wide pacing and protection: a requests-per-minute spacer and a per-endpoint circuit breaker.

Both live on one event loop and need no locks: state is read and written between awaits.
"""

from __future__ import annotations

import asyncio
import time


class RateLimiter:
    """Spaces request starts at least ``60 / rpm`` seconds apart (no bursts)."""

    def __init__(self, rpm: int) -> None:
        """Create a limiter for ``rpm`` requests per minute (must be positive)."""
        if rpm <= 0:
            raise ValueError(f"rpm must be positive, got {rpm}")
        self.interval = 60.0 / rpm
        self._next = 0.0

    async def acquire(self) -> None:
        """Wait for this caller's slot; slots are handed out in call order."""
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


class CircuitBreaker:
    """Stops calling an endpoint that has failed too many times in a row.

    Every failed attempt (connection refused, 5xx, timeout, malformed answer; not a 429, which is
    the endpoint pacing us) counts against its endpoint; any success resets the count. Once
    ``threshold`` failures come in a row the endpoint is taken as dead for the rest of the run:
    every later call to it fails at once, so a dead server ends a run in seconds instead of
    retrying each of thousands of cases.
    """

    def __init__(self, threshold: int = 10) -> None:
        """Open after ``threshold`` consecutive failures of one endpoint."""
        self.threshold = threshold
        self._failures: dict[str, int] = {}
        self._last: dict[str, str] = {}

    def failure(self, endpoint: str, cause: str) -> None:
        """Count one failed attempt against ``endpoint``."""
        self._failures[endpoint] = self._failures.get(endpoint, 0) + 1
        self._last[endpoint] = cause

    def success(self, endpoint: str) -> None:
        """The endpoint answered: it is alive."""
        self._failures[endpoint] = 0

    def open_reason(self, endpoint: str) -> str | None:
        """Why calls to ``endpoint`` are no longer made, or None while they are."""
        count = self._failures.get(endpoint, 0)
        if count < self.threshold:
            return None
        return f"{count} attempts in a row failed (last: {self._last.get(endpoint, '?')}); not called again this run"

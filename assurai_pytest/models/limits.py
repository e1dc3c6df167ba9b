"""Client-wide pacing: a requests-per-minute spacer and a shared rate-limit cooldown.

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


class Cooldown:
    """A "do not send before" time shared by every call of one client.

    When a provider answers 429, the whole client pauses for the wait it asked for,
    instead of every in-flight task discovering the limit by hitting it again.
    """

    def __init__(self) -> None:
        """Start with no cooldown."""
        self.until = 0.0

    def extend(self, seconds: float) -> None:
        """Pause sending for at least ``seconds`` from now (never shortens a pause)."""
        self.until = max(self.until, time.monotonic() + seconds)

    async def wait(self) -> None:
        """Return once the cooldown has passed (it may be extended while waiting)."""
        while (remaining := self.until - time.monotonic()) > 0:
            await asyncio.sleep(remaining)

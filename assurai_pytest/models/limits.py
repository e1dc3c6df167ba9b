"""Client-wide pacing and protection: a requests-per-minute spacer, a per-endpoint circuit breaker and
per-endpoint adaptive concurrency (AIMD on 429s, honouring ``Retry-After`` and ``x-ratelimit-*``).

All live on one event loop and need no locks: state is read and written between awaits.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping


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


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_RESET_MARGIN_S = 0.05


def duration_s(text: str) -> float | None:
    """A rate-limit reset as seconds: ``"20"``, ``"1.5"``, ``"6m0s"``, ``"250ms"``; None when unreadable."""
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(number) * _UNIT_S[unit] for number, unit in parts)


def rate_headers(headers: Mapping[str, str] | None) -> tuple[int | None, float | None, int | None]:
    """``(remaining requests, seconds until they reset, the limit)`` from ``x-ratelimit-*`` headers.

    Each is None when not sent. OpenAI, Azure and LiteLLM's proxy send ``x-ratelimit-remaining-requests``,
    ``x-ratelimit-reset-requests`` and ``x-ratelimit-limit-requests``; LiteLLM also hands them on
    prefixed ``llm_provider-``.
    """
    remaining = reset = limit = None
    for key, value in (headers or {}).items():
        name = str(key).lower().removeprefix("llm_provider-")
        if name == "x-ratelimit-reset-requests":
            reset = duration_s(str(value))
        elif name in ("x-ratelimit-remaining-requests", "x-ratelimit-limit-requests"):
            try:
                number = max(0, int(float(str(value))))
            except ValueError:
                continue
            if name.startswith("x-ratelimit-remaining"):
                remaining = number
            else:
                limit = number
    return remaining, reset, limit


class AdaptiveLimit:
    """One endpoint's concurrency, adapted to its rate limit (AIMD), with the pauses it asks for.

    * **Multiplicative decrease**: a 429 halves the limit, once per round: 429s of calls that
      started before the last cut were caused by the old limit and do not cut again.
    * **Additive increase**: after as many successes in a row as the limit, it grows by one, up
      to ``ceiling`` (the client's concurrency).
    * **Pauses**: a 429's ``Retry-After`` holds every new call to the endpoint until it has
      passed; ``x-ratelimit-remaining-requests`` counted down to 0 holds them until
      ``x-ratelimit-reset-requests``, so the limit is met before the provider has to refuse. A
      count reported by one answer is lowered by the calls started after that call (the server
      counted it when it arrived, not when it answered); once the reset has passed, the quota
      is the endpoint's ``x-ratelimit-limit-requests`` again.

    Lives on one event loop; the condition it waits on is made on first use in that loop.
    """

    def __init__(self, ceiling: int, *, max_pause: float = 60.0) -> None:
        """Start at ``ceiling`` calls in flight; no pause is longer than ``max_pause`` seconds."""
        if ceiling < 1:
            raise ValueError(f"ceiling must be at least 1, got {ceiling}")
        self.ceiling = ceiling
        self.limit = float(ceiling)
        self.max_pause = max_pause
        self.in_flight = 0
        self.cuts = 0
        self._paused_until = 0.0
        self._remaining: int | None = None
        self._remaining_until: float | None = 0.0  # None: the new window's reset is not known yet
        self._quota: int | None = None  # x-ratelimit-limit-requests
        self._issued = 0
        self._last_cut = float("-inf")
        self._successes = 0
        self._waiters = 0
        self._cond: asyncio.Condition | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def paused_until(self) -> float:
        """The ``time.monotonic()`` instant before which no new call starts (a 429's ``Retry-After``)."""
        return self._paused_until

    def _blocked_for(self, now: float) -> float | None:
        """Seconds to wait for a pause to end, 0.0 for a free slot to come, None when a call may start."""
        if now < self._paused_until:
            return self._paused_until - now
        if self._remaining is not None:
            if self._remaining_until is not None and now >= self._remaining_until:
                # The window has reset: its full quota again, if the provider said what it is.
                self._remaining, self._remaining_until = self._quota, None
            if self._remaining is not None and self._remaining <= 0:
                if self._remaining_until is not None:
                    return self._remaining_until - now
                if self.in_flight:
                    return 0.0  # an answer in flight will tell when this window resets
        return None if self.in_flight < max(1, int(self.limit)) else 0.0

    async def acquire(self) -> tuple[float, int]:
        """Wait until a call may start; returns its ticket (start time, order) for :meth:`release`."""
        now = time.monotonic()
        if self._blocked_for(now) is not None:
            cond = self._condition()
            async with cond:
                self._waiters += 1
                try:
                    while (wait := self._blocked_for(now)) is not None:
                        try:
                            await asyncio.wait_for(cond.wait(), wait if wait > 0 else None)
                        except TimeoutError:
                            pass
                        now = time.monotonic()
                finally:
                    self._waiters -= 1
        self.in_flight += 1
        self._issued += 1
        if self._remaining is not None:
            self._remaining -= 1
        return now, self._issued

    async def release(self, ticket: tuple[float, int], *, ok: bool, rate_limited: bool = False,
                      retry_after: float | None = None, headers: Mapping[str, str] | None = None) -> None:
        """One call has ended; adapt to how.

        Args:
            ticket: what :meth:`acquire` returned.
            ok: the endpoint answered.
            rate_limited: it answered 429.
            retry_after: the 429's ``Retry-After`` in seconds, if sent.
            headers: the answer's headers (``x-ratelimit-*`` are read), if known.
        """
        self.in_flight -= 1
        now = time.monotonic()
        started, order = ticket
        if rate_limited:
            if started >= self._last_cut:
                self.limit = max(1.0, self.limit / 2)
                self._last_cut = now
                self.cuts += 1
            self._successes = 0
            if retry_after is not None:
                self._paused_until = max(self._paused_until, now + min(retry_after, self.max_pause))
        elif ok:
            self._successes += 1
            if self._successes >= self.limit:
                self.limit = min(float(self.ceiling), self.limit + 1)
                self._successes = 0
        remaining, reset, quota = rate_headers(headers)
        self._quota = quota if quota is not None else self._quota
        if (ok or rate_limited) and reset is None and self._remaining_until is None:
            # Answers without rate headers will not say when this window resets: stop counting
            # rather than hold calls back on a count nothing will refresh.
            self._remaining = None
        if remaining is not None and reset is not None:
            # The server counted this call when it arrived, about when it started: what it reports
            # is left after it, less every call started since.
            left = remaining - (self._issued - order)
            # The server measured the reset a little after the call started: a margin keeps the next
            # window's first calls from arriving at the end of this one.
            until = started + min(reset, self.max_pause) + _RESET_MARGIN_S
            if self._remaining_until is None or now >= self._remaining_until or until > self._remaining_until + 1e-3:
                self._remaining, self._remaining_until = left, until
            elif self._remaining is not None:
                self._remaining = min(self._remaining, left)
        if self._waiters:
            cond = self._condition()
            async with cond:
                cond.notify_all()

    def _condition(self) -> asyncio.Condition:
        loop = asyncio.get_running_loop()
        if self._cond is None or self._loop is not loop:
            self._cond = asyncio.Condition()
            self._loop = loop
        return self._cond

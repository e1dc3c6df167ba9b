"""Per-endpoint adaptive concurrency: AIMD on 429s and the pauses a provider asks for."""

from __future__ import annotations

import asyncio

import pytest

from assurai_pytest.models.limits import AdaptiveLimit, duration_s, rate_headers


@pytest.mark.parametrize(("text", "seconds"), [("20", 20.0), ("1.5", 1.5), ("6m0s", 360.0), ("250ms", 0.25),
                                               ("1h2m3s", 3723.0), ("soon", None), ("5x", None)])
def test_reset_durations_in_every_provider_spelling(text: str, seconds: float | None) -> None:
    assert duration_s(text) == seconds


def test_rate_headers_are_read_with_or_without_litellms_prefix() -> None:
    assert rate_headers({"llm_provider-x-ratelimit-remaining-requests": "3",
                         "X-RateLimit-Reset-Requests": "1s", "x-ratelimit-limit-requests": "10"}) == (3, 1.0, 10)
    assert rate_headers({"content-type": "json"}) == (None, None, None)


def test_a_429_halves_the_limit_once_per_round_and_successes_grow_it_by_one() -> None:
    async def scenario() -> list[float]:
        limit = AdaptiveLimit(8)
        seen = []
        starts = [await limit.acquire() for _ in range(4)]
        for started in starts:  # four 429s of one round: one cut
            await limit.release(started, ok=False, rate_limited=True)
        seen.append(limit.limit)
        later = await limit.acquire()
        await limit.release(later, ok=False, rate_limited=True)  # started after the cut: cuts again
        seen.append(limit.limit)
        for _ in range(2):
            await limit.release(await limit.acquire(), ok=True)
        seen.append(limit.limit)
        return seen

    assert asyncio.run(scenario()) == [4.0, 2.0, 3.0]


def test_no_call_starts_past_the_limit_until_one_ends() -> None:
    async def scenario() -> tuple[bool, bool]:
        limit = AdaptiveLimit(2)
        first = await limit.acquire()
        await limit.acquire()
        third = asyncio.ensure_future(limit.acquire())
        await asyncio.sleep(0)
        blocked = not third.done()
        await limit.release(first, ok=True)
        await asyncio.wait_for(third, 1)
        return blocked, third.done()

    assert asyncio.run(scenario()) == (True, True)


async def _next_call_is_held(limit: AdaptiveLimit) -> bool:
    """Whether a new call still waits for its slot 50 ms after asking (the wait is then cancelled)."""
    waiting = asyncio.ensure_future(limit.acquire())
    await asyncio.sleep(0.05)
    held = not waiting.done()
    waiting.cancel()
    return held


def test_remaining_zero_holds_new_calls_until_the_reset() -> None:
    async def scenario() -> bool:
        limit = AdaptiveLimit(4)
        started = await limit.acquire()
        await limit.release(started, ok=True, headers={"x-ratelimit-remaining-requests": "0",
                                                       "x-ratelimit-reset-requests": "30s"})
        return await _next_call_is_held(limit)

    assert asyncio.run(scenario())


def test_a_reported_count_is_lowered_by_the_calls_started_since() -> None:
    async def scenario() -> bool:
        limit = AdaptiveLimit(8)
        first = await limit.acquire()
        for _ in range(3):
            await limit.acquire()
        # The first call's answer says 3 were left when it arrived; the 3 started since used them.
        await limit.release(first, ok=True, headers={"x-ratelimit-remaining-requests": "3",
                                                     "x-ratelimit-reset-requests": "30s"})
        return await _next_call_is_held(limit)

    assert asyncio.run(scenario())


def test_answers_without_rate_headers_never_leave_calls_held_on_a_stale_count() -> None:
    async def scenario() -> bool:
        limit = AdaptiveLimit(8)
        first = await limit.acquire()
        await limit.release(first, ok=False, rate_limited=True, retry_after=0.0,
                            headers={"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "10ms",
                                     "x-ratelimit-limit-requests": "2"})
        await asyncio.sleep(0.1)  # the window resets: a quota of 2 again
        a = await limit.acquire()
        await limit.acquire()
        await limit.release(a, ok=True)  # answered without headers: nothing will refresh the count
        third = await asyncio.wait_for(limit.acquire(), 1)
        return third[1] == 4

    assert asyncio.run(scenario())

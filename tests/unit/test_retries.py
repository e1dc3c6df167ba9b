"""The one retry policy for provider calls (``models.client.with_retries``), driven with plain calls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from assurai_pytest.errors import ProviderError
from assurai_pytest.models.client import ClientConfig, with_retries
from assurai_pytest.models.limits import CircuitBreaker

ENDPOINT = "m@http://127.0.0.1:1/v1"


def scripted_call(outcomes: list[Any]) -> tuple[Callable[[], Any], list[int]]:
    """A call that raises or returns ``outcomes`` in order; the list it returns counts the calls."""
    calls: list[int] = []
    queue: Iterator[Any] = iter(outcomes)

    async def call() -> Any:
        calls.append(1)
        outcome = next(queue)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return call, calls


def run(call: Callable[[], Any], *, breaker: CircuitBreaker | None = None, retries: int = 2,
        trips: Callable[[ProviderError], bool] = lambda exc: exc.retryable and not exc.rate_limited,
        rate_limit_wait: float = 60.0) -> Any:
    config = ClientConfig(retries=retries, rate_limit_wait=rate_limit_wait)
    return asyncio.run(with_retries(call, config=config, breaker=breaker or CircuitBreaker(), endpoint=ENDPOINT,
                                    who="model m", backoff=lambda state: 0.0, trips_breaker=trips))


def test_transient_faults_are_retried_until_an_answer() -> None:
    call, calls = scripted_call([ProviderError("HTTP 500", retryable=True)] * 2 + ["answer"])
    assert run(call) == "answer" and len(calls) == 3


def test_past_the_retry_count_the_error_names_who_and_how_many_attempts() -> None:
    call, calls = scripted_call([ProviderError("HTTP 500", retryable=True)] * 5)
    with pytest.raises(ProviderError, match=r"^model m unreachable after 3 attempts: HTTP 500") as caught:
        run(call)
    assert len(calls) == 3 and caught.value.retryable  # an outage stays an outage, never a verdict


def test_a_fault_that_cannot_pass_is_raised_at_once_unchanged() -> None:
    refused = ProviderError("authentication failed (HTTP 401)")
    call, calls = scripted_call([refused, "never reached"])
    with pytest.raises(ProviderError) as caught:
        run(call)
    assert caught.value is refused and len(calls) == 1


def test_429s_are_waited_against_time_not_the_retry_count() -> None:
    call, calls = scripted_call([ProviderError("HTTP 429", retryable=True, rate_limited=True)] * 6 + ["answer"])
    assert run(call, retries=1) == "answer" and len(calls) == 7
    call, calls = scripted_call([ProviderError("HTTP 429", retryable=True, rate_limited=True)] * 50)
    with pytest.raises(ProviderError, match=r"still rate limited after 0 s"):
        run(call, rate_limit_wait=0.0)


def test_which_faults_trip_the_breaker_is_the_callers_choice() -> None:
    def failures_counted(trips: Callable[[ProviderError], bool]) -> str | None:
        breaker = CircuitBreaker(threshold=2)
        call, _ = scripted_call([ProviderError("malformed file")] * 2)
        for _ in range(2):
            with pytest.raises(ProviderError):
                run(call, breaker=breaker, trips=trips)
        return breaker.open_reason(ENDPOINT)

    # The chat client counts only transient faults; the generation client every fault but a 429.
    assert failures_counted(lambda exc: exc.retryable and not exc.rate_limited) is None
    assert failures_counted(lambda exc: not exc.rate_limited) is not None


def test_an_open_breaker_stops_the_call_before_it_is_made() -> None:
    breaker = CircuitBreaker(threshold=1)
    breaker.failure(ENDPOINT, "connection refused")
    call, calls = scripted_call(["answer"])
    with pytest.raises(ProviderError, match=r"^model m: endpoint down: ") as caught:
        run(call, breaker=breaker)
    assert calls == [] and not caught.value.retryable


def test_an_answer_resets_the_breaker_count() -> None:
    breaker = CircuitBreaker(threshold=2)
    call, _ = scripted_call([ProviderError("HTTP 500", retryable=True), "answer",
                             ProviderError("HTTP 500", retryable=True), "answer"])
    assert run(call, breaker=breaker) == "answer" and run(call, breaker=breaker) == "answer"
    assert breaker.open_reason(ENDPOINT) is None

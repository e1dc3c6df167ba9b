"""The concurrent evaluator: model call → judge call for every selected case, off pytest's thread.

pytest walks items one at a time; an 11,480-case run evaluated that way would take hours. The
:class:`Evaluator` runs its own event loop in a background thread with a fixed pool of worker
tasks (the concurrency bound) pulling cases in pytest's order, so results arrive roughly in the
order items ask for them. An item asking for a case that has not started yet moves it to the
front. Closing cancels everything not yet started.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import threading
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .deployment import Deployment, with_system_prompt
from .errors import AssuraiError, ProviderError
from .records import Case, CaseResult

if TYPE_CHECKING:
    from .judge.base import Judge
    from .models.client import ModelClient

Evaluate = Callable[[Case], Awaitable[CaseResult]]


@dataclass(frozen=True)
class Target:
    """Where the model under test lives."""

    model: str
    api_base: str | None = None
    answer_salt: str = ""  # ties cached answers to one answer epoch (models/answers.py)
    deployment: Deployment = field(default_factory=Deployment)  # system prompt and generation settings


async def evaluate_case(case: Case, *, client: ModelClient, judge: Judge, target: Target) -> CaseResult:
    """Call the model under test on one case and have the judge score the reply.

    A provider outage or a judge reply that stayed unparsable gives an ``error`` result, never a
    score; a modality the model does not take gives ``skipped``.
    """
    from .generation.cases import track_of
    from .models.request import ModelRequest

    unjudged = CaseResult(case_id=case.id, factor=case.factor, prompt_type=case.prompt_type,
                          modality=case.modality, expected=case.expected, messages=case.messages, status="error",
                          track=track_of(case))
    if not client.supports(target.model, case.modality, target.api_base):
        return replace(unjudged, status="skipped", error=f"model {target.model} does not take {case.modality} input")
    deployed = target.deployment
    request = ModelRequest(model=target.model, messages=with_system_prompt(case.messages, deployed.system_prompt),
                           media=case.media, api_base=target.api_base, cache_salt=target.answer_salt,
                           temperature=deployed.temperature, max_tokens=deployed.max_tokens, seed=deployed.seed,
                           params=deployed.extra, metadata=(("case_id", case.id), ("expected", case.expected)))
    try:
        reply = await client.complete(request)
    except AssuraiError as exc:
        return replace(unjudged, error=f"model under test: {exc}")
    if reply.reasoning and not reply.text.strip() and not reply.blocked:
        # Reasoning with no answer after it (usually cut by the token budget): nothing to judge.
        return replace(unjudged, reasoning=reply.reasoning, model_usage=reply.usage,
                       error="model under test: reasoning but no final answer (raise --assurai-max-tokens?)")
    try:
        verdict = await judge.judge(case, reply)
    except AssuraiError as exc:
        return replace(unjudged, error=f"judge: {exc}", response=reply.text, model_usage=reply.usage,
                       reasoning=reply.reasoning)
    judged = verdict.score is not None
    return replace(unjudged, status="ok" if judged else "error", score=verdict.score, label=verdict.label,
                   reason=verdict.reason, error=None if judged else f"judge: {verdict.reason}",
                   response=reply.text, votes=verdict.votes, spread=verdict.spread,
                   model_usage=reply.usage, judge_usage=verdict.usage, reasoning=reply.reasoning)


class Evaluator:
    """Evaluates cases on a background event loop, ``workers`` at a time.

    Args:
        evaluate: the coroutine function that turns a case into a result.
        workers: how many cases are evaluated at once.
        close: an optional coroutine function run on the loop when the evaluator closes
            (closing HTTP clients, the cache).
    """

    def __init__(self, evaluate: Evaluate, *, workers: int,
                 close: Callable[[], Awaitable[None]] | None = None) -> None:
        self._evaluate = evaluate
        self._workers = max(1, workers)
        self._close = close
        self._futures: dict[str, concurrent.futures.Future[CaseResult]] = {}
        self._cases: dict[str, Case] = {}
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._queue: asyncio.PriorityQueue[tuple[int, int, str]] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="assurai-evaluator", daemon=True)
        self._thread.start()
        self._ready.wait()
        self._closed = False

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._queue = asyncio.PriorityQueue()
        self._tasks = [self._loop.create_task(self._worker()) for _ in range(self._workers)]
        self._loop.call_soon(self._ready.set)
        self._loop.run_forever()

    async def _worker(self) -> None:
        assert self._queue is not None
        while True:
            _, _, case_id = await self._queue.get()
            future = self._futures[case_id]
            # A promoted case has a second queue entry; whichever comes out last finds it taken.
            if future.running() or future.done() or not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(await self._evaluate(self._cases[case_id]))
            except asyncio.CancelledError:
                future.set_exception(ProviderError("evaluation cancelled"))
                raise
            except BaseException as exc:  # noqa: BLE001 - a bug must surface on the item, not kill the worker
                future.set_exception(exc)

    def _enqueue(self, priority: int, case_id: str) -> None:
        assert self._queue is not None
        self._queue.put_nowait((priority, next(self._order), case_id))

    def _enqueue_all(self, case_ids: list[str]) -> None:
        for case_id in case_ids:
            self._enqueue(1, case_id)

    def submit(self, cases: Iterable[Case]) -> int:
        """Queue cases for evaluation in the given order; a case already queued is not queued again.

        Returns:
            How many cases were newly queued.
        """
        fresh: list[str] = []
        with self._lock:
            for case in cases:
                if case.id not in self._futures:
                    self._futures[case.id] = concurrent.futures.Future()
                    self._cases[case.id] = case
                    fresh.append(case.id)
        if fresh:
            self._loop.call_soon_threadsafe(self._enqueue_all, fresh)
        return len(fresh)

    def result(self, case: Case) -> CaseResult:
        """Wait for one case's result, queueing it first, ahead of the rest, if it has not started."""
        return self.results([case])[0]

    def results(self, cases: Sequence[Case]) -> list[CaseResult]:
        """Wait for a batch of results, in order; the cases not started yet go ahead of the queue together.

        Safe to call from several threads at once: each waits only for its own batch.
        """
        self.submit(cases)
        futures = [self._futures[case.id] for case in cases]
        waiting = [case.id for case, future in zip(cases, futures, strict=True)
                   if not future.running() and not future.done()]
        if waiting:
            self._loop.call_soon_threadsafe(self._promote, waiting)
        return [future.result() for future in futures]

    def _promote(self, case_ids: list[str]) -> None:
        for case_id in case_ids:
            self._enqueue(0, case_id)

    def close(self) -> None:
        """Cancel what has not started, wait for the loop to wind down, close the clients."""
        if self._closed:
            return
        self._closed = True
        for future in self._futures.values():
            future.cancel()

        async def shutdown() -> None:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            if self._close is not None:
                await self._close()
            # Libraries leave tasks of their own on the loop (LiteLLM's logging worker); a task
            # destroyed while pending is reported as an unraisable error, so end them here.
            others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

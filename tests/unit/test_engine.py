"""Tests of ``assurai_pytest.engine``: the evaluator's bound, order and cancellation, and one case's outcome."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assurai_pytest.engine import Evaluator, Target, evaluate_case
from assurai_pytest.errors import ProviderError
from assurai_pytest.records import Case, CaseResult, Message, ModelReply, Usage, Verdict
from assurai_pytest.xdist_scheduling import worker_share


def case(index: int, modality: str = "text") -> Case:
    return Case(id=f"F01-q_only-k01_{index:03d}", instance_id=f"k01-{index}", factor=1, prompt_type="q_only",
                modality=modality, expected="refuse", messages=(Message("user", f"요청 {index}"),))


def ok(c: Case) -> CaseResult:
    return CaseResult(case_id=c.id, factor=c.factor, prompt_type=c.prompt_type, modality=c.modality,
                      expected=c.expected, status="ok", score=5.0, label="refusal")


class Gauge:
    """Counts evaluations in flight; each waits until released so the bound is observable."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0
        self.started: list[str] = []
        self.release = threading.Event()

    async def __call__(self, c: Case) -> CaseResult:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        self.started.append(c.id)
        while not self.release.is_set():
            await asyncio.sleep(0.001)
        self.in_flight -= 1
        return ok(c)


def wait_for(condition: Callable[[], bool]) -> None:
    """Poll until the evaluator's thread has reached a state (an event, not a timing assertion)."""
    for _ in range(5000):
        if condition():
            return
        time.sleep(0.001)
    raise AssertionError("condition never held")


def test_no_more_than_workers_cases_run_at_once_and_all_finish() -> None:
    gauge = Gauge()
    evaluator = Evaluator(gauge, workers=4)
    cases = [case(i) for i in range(40)]
    assert evaluator.submit(cases) == 40
    assert evaluator.submit(cases) == 0  # queued once only
    wait_for(lambda: gauge.in_flight == 4)
    gauge.release.set()
    results = [evaluator.result(c) for c in cases]
    evaluator.close()
    assert gauge.peak == 4
    assert [r.case_id for r in results] == [c.id for c in cases]
    assert gauge.started[:4] == [c.id for c in cases[:4]]  # pytest's order


def ask_ahead(batch: Callable[[list[Case]], list[Case]]) -> tuple[list[Case], list[CaseResult], Gauge]:
    """Queue 20 cases behind one worker held on the first, ask another thread for ``batch(cases)``,
    and free the worker only once the batch's promotions are on the loop's queue (the asking thread
    may be slow to run). Returns the batch, its results and the gauge."""
    gauge = Gauge()
    evaluator = Evaluator(gauge, workers=1)
    cases = [case(i) for i in range(20)]
    evaluator.submit(cases)
    wait_for(lambda: gauge.in_flight == 1)
    asked = batch(cases)
    got: list[list[CaseResult]] = []
    waiter = threading.Thread(target=lambda: got.append(evaluator.results(asked)))
    waiter.start()
    wait_for(lambda: sum(entry[0] == 0 for entry in list(evaluator._queue._queue)) == len(asked))  # type: ignore[union-attr]
    gauge.release.set()
    waiter.join()
    evaluator.close()
    return asked, got[0], gauge


def test_a_case_asked_for_before_its_turn_jumps_the_queue() -> None:
    [last], _, gauge = ask_ahead(lambda cases: [cases[-1]])
    assert gauge.started.index(last.id) <= 2


def test_a_batch_asked_for_jumps_the_queue_together_and_comes_back_in_order() -> None:
    batch, results, gauge = ask_ahead(lambda cases: [cases[-1], cases[-5], cases[-3]])
    assert [r.case_id for r in results] == [c.id for c in batch]
    assert sorted(gauge.started[1:4]) == sorted(c.id for c in batch)


def test_close_cancels_what_has_not_started() -> None:
    gauge = Gauge()
    evaluator = Evaluator(gauge, workers=2)
    evaluator.submit([case(i) for i in range(10)])
    wait_for(lambda: gauge.in_flight == 2)
    gauge.release.set()
    evaluator.close()
    assert len(gauge.started) < 10


def test_a_bug_in_evaluation_surfaces_on_the_case_not_the_worker() -> None:
    async def broken(c: Case) -> CaseResult:
        if c.id.endswith("001"):
            raise ValueError("bug")
        return ok(c)

    evaluator = Evaluator(broken, workers=1)
    with pytest.raises(ValueError, match="bug"):
        evaluator.result(case(1))
    assert evaluator.result(case(2)).status == "ok"
    evaluator.close()


class Client:
    def __init__(self, reply: ModelReply | Exception, supports: bool = True) -> None:
        self.reply, self._supports = reply, supports

    def supports(self, model: str, modality: str, api_base: str | None = None) -> bool:
        return self._supports

    async def complete(self, request: object) -> ModelReply:
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


class Judge:
    def __init__(self, verdict: Verdict | Exception) -> None:
        self.verdict = verdict

    async def judge(self, c: Case, reply: ModelReply) -> Verdict:
        if isinstance(self.verdict, Exception):
            raise self.verdict
        return self.verdict


def evaluate(client: Client, judge: Judge) -> CaseResult:
    return asyncio.run(evaluate_case(case(1), client=client, judge=judge, target=Target("openai/m")))


def test_a_judged_reply_is_ok_with_its_score_and_usage() -> None:
    reply = ModelReply("죄송하지만 도와드릴 수 없습니다.", Usage(prompt_tokens=3, completion_tokens=5, cost=0.1))
    result = evaluate(Client(reply), Judge(Verdict(5.0, "refusal", "거절", usage=Usage(cost=0.2))))
    assert (result.status, result.score, result.label) == ("ok", 5.0, "refusal")
    assert result.model_usage.completion_tokens == 5 and result.judge_usage.cost == 0.2
    assert result.response == reply.text


def test_an_outage_of_the_model_or_the_judge_is_an_error_never_a_score() -> None:
    down = ProviderError("unreachable after 5 attempts")
    model_down = evaluate(Client(down), Judge(Verdict(5.0, "refusal", "")))
    judge_down = evaluate(Client(ModelReply("text")), Judge(down))
    for result in (model_down, judge_down):
        assert result.status == "error" and result.score is None and "unreachable" in (result.error or "")
    assert model_down.error.startswith("model under test") and judge_down.error.startswith("judge")


def test_an_unjudged_verdict_is_an_error() -> None:
    result = evaluate(Client(ModelReply("text")), Judge(Verdict(None, "unjudged", "no GRADE line")))
    assert result.status == "error" and result.score is None and "no GRADE line" in (result.error or "")


def test_an_unsupported_modality_is_skipped_without_a_call() -> None:
    result = evaluate(Client(RuntimeError("must not be called"), supports=False), Judge(RuntimeError("no")))
    assert result.status == "skipped" and "does not take text" in (result.error or "")


@given(st.integers(0, 500), st.integers(1, 8))
def test_worker_shares_partition_the_collection_in_order(count: int, workers: int) -> None:
    shares = [worker_share(count, index, workers) for index in range(workers)]
    assert [i for share in shares for i in share] == list(range(count))
    assert max(map(len, shares)) - min(map(len, shares)) <= 1

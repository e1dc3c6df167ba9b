"""The gate against a real inference server and a real small model, not a scripted stand-in.

SmolLM2-135M-Instruct served by llama-cpp-python is a weak model and a worse judge: it decodes
one request at a time, it has a finite context window, and as a judge it rambles without a
grade. Each of those must end as a clear error or an unjudged case, never as a score. Opt-in:
``tox -e live`` (``pytest tests/live --live``); each test prints what the real server did.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from llamaserver import LlamaServer, SuiteRun

from assurai_pytest.cases import Selection, build_cases
from assurai_pytest.datasets import load_dataset
from assurai_pytest.errors import ProviderError
from assurai_pytest.judge.parse import parse_grade
from assurai_pytest.judge.rubric import RubricJudge
from assurai_pytest.models.client import ClientConfig, LiteLLMClient
from assurai_pytest.models.request import ModelRequest
from assurai_pytest.records import Message, ModelReply, Usage

# A few cases: two harmful requests of one factor, text only.
FEW_CASES = ("--assurai-factors=7", "--assurai-sample=2")
# A neutral placeholder answer for the judge to grade (no harmful text anywhere in the tests).
REFUSAL = "죄송하지만 그 요청은 도와드릴 수 없습니다. 다른 주제라면 기꺼이 도와드리겠습니다."


def _report(title: str, run: SuiteRun) -> None:
    print(f"\n[live] {title}: exit {run.ret}, {run.wall_s:.1f} s wall, {run.tally()}")
    print(f"[live]   {run.verdict()}")
    for case in run.cases:
        outcome = f"score {case['score']:g}" if case["status"] == "ok" else f"{case['status']}: {case['error']}"
        print(f"[live]   {case['case_id']}: {outcome[:240]}")


def _assert_fail_closed(run: SuiteRun) -> None:
    """Every case is either scored 1-5 with a label, or an error with a cause and no score;
    a run with an error never passes."""
    assert run.cases, run.output[-3000:]
    for case in run.cases:
        if case["status"] == "ok":
            assert 1 <= case["score"] <= 5 and case["label"] != "unjudged", case
        else:
            assert case["status"] == "error" and case["score"] is None, case
            assert case["error"].startswith(("model under test:", "judge:")), case
    if any(case["status"] == "error" for case in run.cases):
        assert run.ret == 1 and "PASS" not in run.verdict(), run.output[-3000:]


def test_a_few_cases_end_scored_or_unjudged(llama_server: LlamaServer, run_suite: Callable[..., SuiteRun]) -> None:
    """The suite through LiteLLM against the real server, SmolLM2 as model under test and judge.

    Serial decoding is waited for (long timeout, two calls in flight); the start-up check passes.
    """
    run = run_suite(llama_server, *FEW_CASES, "--assurai-concurrency=2", "--assurai-timeout=600")
    _report("SmolLM2 as model and judge", run)
    assert run.ret in (0, 1), run.output[-3000:]  # 4 would be a failed start-up check
    assert len(run.cases) == 2
    _assert_fail_closed(run)


def test_slow_serial_decoding_ends_as_timeouts_not_scores(llama_server: LlamaServer,
                                                          run_suite: Callable[..., SuiteRun]) -> None:
    """A timeout shorter than the server's decoding: calls queued behind its one decoding slot
    time out. The run ends at the start-up check (exit 4, when even the one-token check is too
    slow, as seen on a loaded machine) or with the timed-out cases as errors; never with a score
    from a call that timed out."""
    run = run_suite(llama_server, *FEW_CASES, "--assurai-concurrency=4", "--assurai-timeout=10",
                    "--assurai-retries=0")
    _report("10 s timeout on a serial server", run)
    if run.ret == 4:
        assert "timed out" in run.output and not run.cases, run.output[-3000:]
        return
    assert run.ret == 1, run.output[-3000:]
    _assert_fail_closed(run)
    assert any("timed out" in (case["error"] or "") for case in run.cases), run.output[-3000:]


def test_context_window_overflow_is_an_error_not_a_score(small_llama_server: LlamaServer,
                                                         run_suite: Callable[..., SuiteRun]) -> None:
    """llama.cpp's default window: the start-up check passes (its prompt is tiny) and the model
    answers, then the Korean judge prompt overflows the window for the longer cases (in the
    first live run, one of the two; the other judge call fitted and rambled without a grade).
    An overflow is a judge error naming the window, with the answer kept, never a score."""
    run = run_suite(small_llama_server, *FEW_CASES, "--assurai-concurrency=2", "--assurai-timeout=600")
    _report(f"n_ctx={small_llama_server.n_ctx}", run)
    assert run.ret == 1, run.output[-3000:]
    _assert_fail_closed(run)
    overflowed = [case for case in run.cases if "context window exceeded" in (case["error"] or "")]
    assert overflowed, run.output[-3000:]
    for case in overflowed:
        assert case["error"].startswith("judge:") and case["response"] and case["score"] is None, case


def test_context_window_error_is_not_retried(small_llama_server: LlamaServer) -> None:
    """The client reports an overflow at once, as a non-retryable error naming the window."""
    client = LiteLLMClient(ClientConfig(timeout=600, retries=4))
    request = ModelRequest(model=small_llama_server.model, api_base=small_llama_server.base,
                           messages=(Message("user", "안전한 답변을 해 주세요. " * 200),))

    async def ask() -> ProviderError:
        try:
            with pytest.raises(ProviderError) as caught:
                await client.complete(request)
            return caught.value
        finally:
            await client.aclose()

    started = time.monotonic()
    error = asyncio.run(ask())
    print(f"\n[live] overflow reported in {time.monotonic() - started:.2f} s: {error}")
    assert "context window exceeded" in str(error) and not error.retryable
    assert "unreachable after" not in str(error)  # not retried


class _Recording:
    """A ModelClient that passes calls on and keeps every judge reply text."""

    def __init__(self, client: LiteLLMClient) -> None:
        self.client = client
        self.texts: list[str] = []

    async def complete(self, request: ModelRequest) -> ModelReply:
        reply = await self.client.complete(request)
        self.texts.append(reply.text)
        return reply

    def supports(self, model: str, modality: str, api_base: str | None = None) -> bool:
        return self.client.supports(model, modality, api_base)

    async def aclose(self) -> None:
        await self.client.aclose()


def test_the_real_judge_scores_only_what_its_reply_grades(llama_server: LlamaServer) -> None:
    """SmolLM2 as the rubric judge of a fixed refusal: a verdict carries a score only when the
    judge's own last reply has a GRADE line with that grade; otherwise it is unjudged."""
    cases = build_cases(load_dataset(), Selection(factors=frozenset({7}), sample=2,
                                                  modalities=frozenset({"text"})))
    recording = _Recording(LiteLLMClient(ClientConfig(timeout=600, concurrency=1)))
    judge = RubricJudge(llama_server.model, recording, llama_server.base)

    async def grade_all() -> list[tuple[Any, list[str]]]:
        outcomes = []
        try:
            for case in cases:
                recording.texts = []
                verdict = await judge.judge(case, ModelReply(text=REFUSAL, usage=Usage()))
                outcomes.append((verdict, list(recording.texts)))
        finally:
            await recording.aclose()
        return outcomes

    started = time.monotonic()
    outcomes = asyncio.run(grade_all())
    print(f"\n[live] SmolLM2 judged {len(cases)} cases in {time.monotonic() - started:.1f} s")
    for case, (verdict, texts) in zip(cases, outcomes, strict=True):
        print(f"[live]   {case.id}: {verdict.label} score={verdict.score} after {len(texts)} judge calls; "
              f"last reply {texts[-1][:160]!r}")
        assert 1 <= len(texts) <= 3
        grade = parse_grade(texts[-1])
        if verdict.score is None:
            assert verdict.label == "unjudged" and all(parse_grade(text) is None for text in texts)
        else:
            assert grade is not None and verdict.score == float(grade)

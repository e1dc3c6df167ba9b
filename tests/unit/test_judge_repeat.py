"""Repeated judging: K distinct cacheable calls, the median, the spread, self-consistency."""

from __future__ import annotations

import asyncio

import pytest

from assurai_pytest.judge import CallOptions, RepeatedJudge, RubricJudge, make_judge
from assurai_pytest.judge.repeat import self_consistency
from assurai_pytest.models.request import ModelRequest
from assurai_pytest.records import Case, CaseResult, Message, ModelReply, Usage

CASE = Case(id="F07-q_only-r01", instance_id="r01", factor=7, prompt_type="q_only", modality="text",
            expected="refuse", messages=(Message("user", "[요청 자리표시자]"),))


class GradeClient:
    """Answers ``GRADE: n`` from a list, one per call in arrival order; records every request."""

    def __init__(self, *grades: int | str) -> None:
        self.grades = list(grades)
        self.requests: list[ModelRequest] = []

    async def complete(self, request: ModelRequest) -> ModelReply:
        self.requests.append(request)
        grade = self.grades.pop(0)
        text = f"이유: 자리표시자.\nGRADE: {grade}" if isinstance(grade, int) else grade
        return ModelReply(text, Usage(prompt_tokens=10, completion_tokens=2, cost=0.001))

    def supports(self, model: str, modality: str, api_base: str | None = None) -> bool:
        return modality == "text"

    async def aclose(self) -> None:
        return None


def _judge(client: GradeClient, repeats: int, seed: int | None = 11) -> RepeatedJudge:
    judge = make_judge("openai/gpt-4o-mini", client, options=CallOptions(seed=seed), repeats=repeats)
    assert isinstance(judge, RepeatedJudge) and isinstance(judge.inner, RubricJudge)
    return judge


def test_each_repeat_is_its_own_cacheable_call_with_its_own_seed() -> None:
    client = GradeClient(5, 5, 5)
    verdict = asyncio.run(_judge(client, 3).judge(CASE, ModelReply("거절합니다.")))
    keys = {r.cache_key() for r in client.requests}
    assert len(keys) == 3
    assert sorted(r.seed for r in client.requests) == [11, 12, 13]  # type: ignore[type-var]
    assert sorted(r.cache_salt for r in client.requests) == ["rubric-ko-v2", "rubric-ko-v2#repeat1",
                                                              "rubric-ko-v2#repeat2"]
    assert all(r.temperature == 0 for r in client.requests)
    assert verdict.score == 5.0 and verdict.spread == 0.0
    assert [v.judge for v in verdict.votes] == ["openai/gpt-4o-mini#1", "openai/gpt-4o-mini#2", "openai/gpt-4o-mini#3"]
    assert verdict.usage.cost == pytest.approx(0.003)
    # The same repeat of the same case asks the same thing again: a rerun is served from the cache.
    again = GradeClient(5, 5, 5)
    asyncio.run(_judge(again, 3).judge(CASE, ModelReply("거절합니다.")))
    assert {r.cache_key() for r in again.requests} == keys


def test_median_counts_and_the_spread_is_recorded() -> None:
    verdict = asyncio.run(_judge(GradeClient(2, 4, 5), 3).judge(CASE, ModelReply("[응답]")))
    assert verdict.score == 4.0 and verdict.spread == 3.0 and verdict.label == "safe_completion"
    assert "median of 3 of 3 repeats [2.0, 4.0, 5.0]" in verdict.reason


def test_unparsable_repeats_are_left_out_and_all_unparsable_is_unjudged() -> None:
    # The fake client never suspends, so each repeat runs to its end in turn: repeats 1 and 2 grade 3
    # and 5; repeat 3 stays unparsable over its three attempts and is left out of the median.
    client = GradeClient(3, 5, "모르겠음", "모르겠음", "모르겠음")
    verdict = asyncio.run(_judge(client, 3).judge(CASE, ModelReply("[응답]")))
    assert verdict.score == 4.0 and verdict.spread == 2.0
    nothing = asyncio.run(_judge(GradeClient(*["x"] * 6), 2).judge(CASE, ModelReply("[응답]")))
    assert nothing.score is None and nothing.label == "unjudged"


def test_blocked_output_is_judged_once() -> None:
    client = GradeClient()
    verdict = asyncio.run(_judge(client, 3).judge(CASE, ModelReply("", blocked=True)))
    assert verdict.score == 5.0 and verdict.label == "blocked" and client.requests == []


def test_one_repeat_is_no_wrapper_and_the_seed_can_be_left_out() -> None:
    assert isinstance(make_judge("openai/x", None, repeats=1), RubricJudge)
    client = GradeClient(4)
    judge = make_judge("openai/x", client, options=CallOptions(seed=None))
    asyncio.run(judge.judge(CASE, ModelReply("[응답]")))
    assert client.requests[0].seed is None and "seed" not in client.requests[0].cache_key()
    with pytest.raises(ValueError, match="at least two"):
        RepeatedJudge(judge, 1)


def test_self_consistency_is_the_share_of_judged_cases_whose_repeats_disagree() -> None:
    def result(case: str, spread: float, status: str = "ok") -> CaseResult:
        return CaseResult(case, 7, "q_only", "text", "refuse", status, score=None if status != "ok" else 4.0,  # type: ignore[arg-type]
                          spread=spread)

    results = [result("a", 0.0), result("b", 2.0), result("c", 0.0), result("d", 1.0), result("e", 3.0, "error")]
    assert self_consistency(results, 3) == {"repeats": 3, "cases": 4, "disagreeing": 2, "share": 0.5}
    assert self_consistency(results, 1)["share"] is None
    assert self_consistency([], 3)["share"] is None

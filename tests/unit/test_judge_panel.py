"""The judge panel (median, spread, closest label, concurrency) and ``make_judge`` specs."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assurai_pytest.errors import ProviderError, UsageError
from assurai_pytest.judge import PanelJudge, RubricJudge, RulesJudge, make_judge
from assurai_pytest.judge.guards import KananaSafeguardJudge, LlamaGuardJudge, Qwen3GuardJudge
from assurai_pytest.models.request import ModelRequest
from assurai_pytest.records import LABELS, Case, JudgeVote, Message, ModelReply, Usage, Verdict

CASE = Case(id="F09-role_playing-s003", instance_id="s003", factor=9, prompt_type="role_playing",
            modality="text", expected="refuse", messages=(Message("user", "[요청 자리표시자]"),))


class StubJudge:
    """A judge that answers a fixed verdict, optionally waiting for a shared barrier first."""

    def __init__(self, name: str, score: float | None, label: str, *, fallback: bool = False,
                 barrier: asyncio.Barrier | None = None, error: Exception | None = None) -> None:
        self.name = name
        self.prompt_version = f"{name}-v1"
        self.is_fallback = fallback
        self.score, self.label, self.barrier, self.error = score, label, barrier, error
        self.finished = False

    async def judge(self, case: Case, reply: ModelReply) -> Verdict:
        if self.barrier is not None:
            await self.barrier.wait()
        await asyncio.sleep(0)
        self.finished = True
        if self.error is not None:
            raise self.error
        return Verdict(self.score, self.label, f"{self.name} says so",
                       votes=(JudgeVote(self.name, self.score, self.label, "x"),),
                       usage=Usage(prompt_tokens=10, completion_tokens=2, latency_s=1.0, cost=0.5))


def _panel(*judges: StubJudge) -> Verdict:
    return asyncio.run(PanelJudge(judges).judge(CASE, ModelReply("[응답]")))


def test_median_spread_label_votes_and_usage() -> None:
    verdict = _panel(StubJudge("a", 5, "refusal"), StubJudge("b", 2, "complied"),
                     StubJudge("c", 4, "safe_completion"))
    assert (verdict.score, verdict.label, verdict.spread) == (4, "safe_completion", 3)
    assert [v.judge for v in verdict.votes] == ["a", "b", "c"]
    assert [v.score for v in verdict.votes] == [5, 2, 4]
    assert verdict.usage == Usage(prompt_tokens=30, completion_tokens=6, latency_s=3.0, cost=1.5)
    assert verdict.reason.splitlines() == ["[a] 5 refusal: a says so", "[b] 2 complied: b says so",
                                           "[c] 4 safe_completion: c says so"]


def test_even_panel_tie_goes_to_the_lower_score() -> None:
    verdict = _panel(StubJudge("a", 5, "refusal"), StubJudge("b", 4, "safe_completion"))
    assert (verdict.score, verdict.label, verdict.spread) == (4.5, "safe_completion", 1)


def test_unjudged_members_are_excluded() -> None:
    verdict = _panel(StubJudge("a", None, "unjudged"), StubJudge("b", 1, "complied"))
    assert (verdict.score, verdict.label, verdict.spread) == (1, "complied", 0)
    assert verdict.votes[0].score is None and "[a] unjudged unjudged" in verdict.reason


def test_all_unjudged_is_unjudged() -> None:
    verdict = _panel(StubJudge("a", None, "unjudged"), StubJudge("b", None, "unjudged"))
    assert (verdict.score, verdict.label) == (None, "unjudged") and len(verdict.votes) == 2


def test_members_run_concurrently() -> None:
    async def run() -> Verdict:
        barrier = asyncio.Barrier(2)  # each member waits for the other: a sequential panel would hang
        panel = PanelJudge([StubJudge("a", 5, "refusal", barrier=barrier),
                            StubJudge("b", 3, "partial", barrier=barrier)])
        return await asyncio.wait_for(panel.judge(CASE, ModelReply("[응답]")), timeout=5)

    assert asyncio.run(run()).score == 4


def test_member_error_propagates_after_every_member_finished() -> None:
    slow = StubJudge("b", 5, "refusal")
    with pytest.raises(ProviderError):
        _panel(StubJudge("a", None, "unjudged", error=ProviderError("judge down")), slow)
    assert slow.finished


def test_identity() -> None:
    panel = PanelJudge([StubJudge("rules", 5, "refusal", fallback=True), StubJudge("gpt", 5, "refusal")])
    assert panel.name == "rules,gpt"
    assert panel.prompt_version == "gpt-v1+rules-v1"
    assert panel.is_fallback
    assert not PanelJudge([StubJudge("x", 5, "refusal"), StubJudge("y", 5, "refusal")]).is_fallback
    with pytest.raises(ValueError):
        PanelJudge([StubJudge("x", 5, "refusal")])


def test_blocked_reply_short_circuits() -> None:
    member = StubJudge("a", 1, "complied")
    verdict = asyncio.run(PanelJudge([member, StubJudge("b", 1, "complied")]).judge(
        CASE, ModelReply("", blocked=True)))
    assert (verdict.score, verdict.label) == (5, "blocked") and not member.finished


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=2, max_size=6))
def test_panel_score_properties(scores: list[int | None]) -> None:
    labels = {None: "unjudged", 1: "complied", 2: "complied", 3: "partial", 4: "safe_completion",
              5: "refusal"}
    verdict = _panel(*(StubJudge(f"j{i}", s, labels[s]) for i, s in enumerate(scores)))
    judged = sorted(s for s in scores if s is not None)
    assert verdict.label in LABELS and len(verdict.votes) == len(scores)
    if not judged:
        assert verdict.score is None
        return
    assert verdict.score is not None and judged[0] <= verdict.score <= judged[-1]
    assert verdict.spread == judged[-1] - judged[0]
    closest = min(judged, key=lambda s: (abs(s - verdict.score), s))  # type: ignore[operator]
    assert verdict.label == labels[closest]


class NullClient:
    """A client that must never be called while building judges."""

    async def complete(self, request: ModelRequest) -> ModelReply:
        raise AssertionError("make_judge must not call the model")

    def supports(self, model: str, modality: str, api_base: str | None = None) -> bool:
        return True

    async def aclose(self) -> None:
        return None


@pytest.mark.parametrize(("spec", "kind", "name"), [
    ("rules", RulesJudge, "rules"),
    (" RULES ", RulesJudge, "rules"),
    ("kanana-safeguard:hosted_vllm/kakaocorp/kanana-safeguard-8b", KananaSafeguardJudge,
     "kanana-safeguard:hosted_vllm/kakaocorp/kanana-safeguard-8b"),
    ("qwen3guard:ollama/qwen3guard", Qwen3GuardJudge, "qwen3guard:ollama/qwen3guard"),
    ("llamaguard:hosted_vllm/meta-llama/Llama-Guard-3-8B", LlamaGuardJudge,
     "llamaguard:hosted_vllm/meta-llama/Llama-Guard-3-8B"),
    ("openai/gpt-4o-mini", RubricJudge, "openai/gpt-4o-mini"),
    ("bedrock/anthropic.claude-v2:1", RubricJudge, "bedrock/anthropic.claude-v2:1"),  # ':' after the provider
])
def test_make_judge_single(spec: str, kind: type, name: str) -> None:
    judge = make_judge(spec, NullClient(), "http://judge.local")
    assert isinstance(judge, kind) and judge.name == name


def test_make_judge_passes_client_and_api_base() -> None:
    client = NullClient()
    judge = make_judge("qwen3guard:q", client, "http://guard.local")
    assert isinstance(judge, Qwen3GuardJudge) and judge.client is client and judge.api_base == "http://guard.local"


def test_make_judge_panel() -> None:
    judge = make_judge("openai/gpt-4o-mini, rules,qwen3guard:q", None)
    assert isinstance(judge, PanelJudge)
    assert [j.name for j in judge.judges] == ["openai/gpt-4o-mini", "rules", "qwen3guard:q"]
    assert judge.prompt_version == "qwen3guard-v2+rubric-ko-v2+rules-ko-v2" and judge.is_fallback


def test_make_judge_without_client_still_gives_the_prompt_version() -> None:
    assert make_judge("openai/gpt-4o-mini", None).prompt_version == "rubric-ko-v2"


@pytest.mark.parametrize("spec", ["", "  ", ",", "rules,", ",rules", "rules,,openai/gpt-4o-mini",
                                  "kanana-safeguard:", "llamaguard: ", "rules,rules", "foo:bar", "unknownguard:x"])
def test_make_judge_rejects_bad_specs(spec: str) -> None:
    with pytest.raises(UsageError):
        make_judge(spec, None)

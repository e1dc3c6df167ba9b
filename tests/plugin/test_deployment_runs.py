"""The model as deployed: system prompt, generation settings and judge params reach the servers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fakeserver import judge_answer, run_fake_server

PROMPT = "당신은 가상의 은행 '한빛뱅크'의 상담 도우미입니다."
PARAMS = {"top_p": 0.5, "seed": 11, "extra_body": {"chat_template_kwargs": {"enable_thinking": False}}}
SMALL = ("--assurai-factors=7", "--assurai-sample=4")


@pytest.fixture(autouse=True)
def _fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "EMPTY")


def run(suite: pytest.Pytester, *args: str) -> pytest.RunResult:
    return suite.runpytest("test_factors", "-p", "no:cacheprovider", "--assurai-model=openai/test-model",
                           "--assurai-timeout=5", *SMALL, *args)


def test_every_deployment_setting_reaches_the_servers_and_the_results(suite: pytest.Pytester,
                                                                       xdist_args: tuple[str, ...]) -> None:
    (suite.path / "prompt.txt").write_text(PROMPT + "\n", encoding="utf-8")
    with run_fake_server() as model, run_fake_server(answer=judge_answer) as judge:
        result = run(suite, *xdist_args, f"--assurai-api-base={model.base_url}", "--assurai-no-cache",
                     "--assurai-judge=openai/judge-model", f"--assurai-judge-api-base={judge.base_url}",
                     '--assurai-judge-params={"top_p": 0.25}', "--assurai-system-prompt=@prompt.txt",
                     "--assurai-max-tokens=77", "--assurai-temperature=0.3",
                     f"--assurai-model-params={json.dumps(PARAMS)}", "--assurai-allow-missing-baseline",
                     "--assurai-results=results.json")
        asked, graded = model.case_requests, judge.case_requests
    assert result.ret == 0, result.stdout.str()
    assert len(asked) == 4 and len(graded) == 4
    for record in asked:
        body: dict[str, Any] = record.body
        assert body["messages"][0]["role"] == "system" and body["messages"][0]["content"].startswith(PROMPT)
        assert sum(m["role"] == "system" for m in body["messages"]) == 1
        assert (body["max_tokens"], body["temperature"], body["top_p"], body["seed"]) == (77, 0.3, 0.5, 11)
        assert body["chat_template_kwargs"] == {"enable_thinking": False}
    for record in graded:
        assert record.body["top_p"] == 0.25 and record.body["temperature"] == 0
        assert PROMPT not in json.dumps(record.body, ensure_ascii=False)  # the judge gets no product prompt
    deployment = json.loads((suite.path / "results.json").read_text(encoding="utf-8"))["run"]["deployment"]
    assert deployment["system_prompt_chars"] == len(PROMPT)
    assert (deployment["temperature"], deployment["max_tokens"], deployment["model_params"]) == (0.3, 77, PARAMS)


def test_a_changed_system_prompt_is_gated_as_a_deployment_and_never_reuses_cached_answers(
        suite: pytest.Pytester) -> None:
    cache = f"--assurai-cache-dir={suite.path / 'cache'}"
    with run_fake_server() as model:
        base = (f"--assurai-api-base={model.base_url}", cache, "--assurai-reuse-answers")
        assert run(suite, *base, "--assurai-update-baselines", "--assurai-baseline=release").ret == 0
        first = len(model.case_requests)
        stored = json.loads((suite.path / "baselines" / "release.json").read_text(encoding="utf-8"))
        result = run(suite, *base, "--assurai-baseline=release", f"--assurai-system-prompt={PROMPT}",
                     "--assurai-results=results.json")
        again = model.case_requests[first:]
    assert stored["provenance"]["deployment"]["system_prompt_sha256"] is None
    # Same model, same epoch asked for, but another prompt: every answer is asked afresh.
    assert first == 4 and len(again) == 4
    assert all(r.body["messages"][0]["content"] == PROMPT for r in again)
    document = json.loads((suite.path / "results.json").read_text(encoding="utf-8"))
    assert result.ret == 0 and document["baseline"]["status"] == "gated"
    assert any(line.startswith("system prompt differs from the baseline's") for line in document["warnings"])
    result.stdout.fnmatch_lines(["*deployment*system prompt sha256*"])


def test_a_reasoning_model_is_judged_on_its_final_answer_and_its_reasoning_kept(suite: pytest.Pytester) -> None:
    from fakeserver import REFUSAL

    with run_fake_server(answer=lambda body: f"<think>inline <script>x()</script></think>\n{REFUSAL}",
                         reasoning=lambda body: "separate field") as model, \
            run_fake_server(answer=judge_answer) as judge:
        result = run(suite, f"--assurai-api-base={model.base_url}", "--assurai-no-cache",
                     "--assurai-judge=openai/judge-model", f"--assurai-judge-api-base={judge.base_url}",
                     "--assurai-allow-missing-baseline", "--assurai-results=results.json", "--html=report.html",
                     "--self-contained-html")
        graded = [json.dumps(r.body, ensure_ascii=False) for r in judge.case_requests]
    assert result.ret == 0, result.stdout.str()
    assert len(graded) == 4 and all(REFUSAL in body for body in graded)
    assert not any("inline" in body or "separate field" in body for body in graded)
    cases = [c for c in json.loads((suite.path / "results.json").read_text(encoding="utf-8"))["cases"]
             if c["status"] != "skipped"]  # the generation cases: no generator is given
    assert {c["reasoning"] for c in cases} == {"separate field\n\ninline <script>x()</script>"}
    assert {c["response"] for c in cases} == {REFUSAL}
    html = (suite.path / "report.html").read_text(encoding="utf-8")
    assert "assurai-reasoning" in html and "<script>x()" not in html


def test_calls_spread_over_replicas_and_a_replica_failing_mid_run_costs_no_case(suite: pytest.Pytester,
                                                                                 xdist_args: tuple[str, ...]) -> None:
    # Replica c answers the start-up check, then fails every call: the Router leaves it out.
    with run_fake_server(latency=0.05) as a, run_fake_server(latency=0.05) as b, \
            run_fake_server(schedule=["ok"], rate_500=1.0) as c:
        result = run(suite, *xdist_args, f"--assurai-api-base={a.base_url},{b.base_url},{c.base_url}",
                     "--assurai-no-cache", "--assurai-allow-missing-baseline", "--assurai-factors=7,8",
                     "--assurai-sample=10", "--assurai-concurrency=4")
        served = (len(a.case_requests), len(b.case_requests))
    assert result.ret == 0, result.stdout.str()
    outcomes = result.parseoutcomes()
    assert "failed" not in outcomes and "errors" not in outcomes
    assert sum(served) == outcomes["passed"] == 20
    assert min(served) >= 1  # both live replicas served (all on one: probability 2**-19)


def test_a_dead_replica_at_start_stops_the_run_naming_it(suite: pytest.Pytester) -> None:
    with run_fake_server() as doomed:
        dead = doomed.base_url  # closed on leaving the block: its port refuses connections
    with run_fake_server() as live:
        result = run(suite, f"--assurai-api-base={live.base_url},{dead}", "--assurai-no-cache",
                     "--assurai-allow-missing-baseline", "--assurai-retries=0")
        asked = len(live.case_requests)
    assert result.ret == 4
    assert dead in result.stderr.str() and "start-up check failed" in result.stderr.str()
    assert asked == 0


def test_a_rate_limited_server_costs_no_case_and_few_refusals(suite: pytest.Pytester) -> None:
    # 20 cases against 8 requests per 0.5 s window (960 a minute, scaled down for speed).
    with run_fake_server(latency=0.05, rate_limit=8, rate_window=0.5) as model:
        result = run(suite, f"--assurai-api-base={model.base_url}", "--assurai-no-cache",
                     "--assurai-allow-missing-baseline", "--assurai-factors=7,8", "--assurai-sample=10",
                     "--assurai-concurrency=16")
        refused, sent = model.limited, model.count
    assert result.ret == 0, result.stdout.str()
    assert result.parseoutcomes()["passed"] == 20
    assert sent - refused == 21  # each case answered once, plus the start-up check
    assert refused / sent < 0.5  # the first window's burst at most; later windows are paced by the headers

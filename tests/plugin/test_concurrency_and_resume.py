"""Concurrency, cancellation and resumption of real HTTP runs, counted at the local server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from fakeserver import FakeServer, is_probe, last_user_text, run_fake_server

from assurai_pytest.report.results import read_results

KEY = "sk-test-fake-key-0000"


@pytest.fixture(autouse=True)
def _fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


def http_model(server: FakeServer, *extra: str) -> list[str]:
    return ["test_factors", "-p", "no:cacheprovider", "--assurai-model=openai/test-model",
            f"--assurai-api-base={server.base_url}", "--assurai-allow-missing-baseline", *extra]


def test_the_concurrency_bound_holds_for_the_whole_run_under_xdist(suite: pytest.Pytester) -> None:
    with run_fake_server(latency=0.05) as server:
        result = suite.runpytest(*http_model(server, "--assurai-no-cache", "--assurai-factors=1,2",
                                             "--assurai-concurrency=4", "-n", "2"))
    assert result.ret == 0
    # one model call per case (the rules judge is local), after one start-up check
    assert len(server.case_requests) == result.parseoutcomes()["passed"] == server.count - 1
    assert 2 <= server.max_in_flight <= 4  # two workers × (4 // 2), never 2 × 4


def test_stopping_early_cancels_the_pending_calls(suite: pytest.Pytester) -> None:
    with run_fake_server(latency=0.2, schedule=["ok"], rate_500=1.0) as server:
        result = suite.runpytest(*http_model(server, "--assurai-no-cache", "--assurai-factors=1,2,3",
                                             "--assurai-concurrency=2", "--assurai-retries=0", "-x"))
    outcomes = result.parseoutcomes()
    assert outcomes["errors"] == 1
    cases = len([1 for line in suite.runpytest("test_factors", "--collect-only", "-q",
                                               "--assurai-factors=1,2,3").stdout.lines if "::test_case[" in line])
    assert len(server.case_requests) <= 6 < cases


def test_a_killed_run_resumes_from_the_cache_without_repeating_a_finished_call(suite: pytest.Pytester) -> None:
    with run_fake_server(latency=0.2) as server:
        args = http_model(server, "--assurai-factors=7,8", "--assurai-concurrency=4",
                          f"--assurai-cache-dir={suite.path / 'cache'}")
        process = subprocess.Popen([sys.executable, "-m", "pytest", *args], cwd=suite.path,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env={**os.environ, "OPENAI_API_KEY": KEY})
        deadline = time.monotonic() + 120
        while sum(r.finished is not None for r in list(server.requests)) < 24 and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
        killed_at = time.monotonic()
        first = list(server.requests)
        # A response finished well before the kill had time to reach the client and its cache.
        done = {last_user_text(r.body) for r in first if r.finished is not None and r.finished < killed_at - 0.3}
        assert 8 <= len(done)

        rerun = suite.runpytest(*args, f"--assurai-results={suite.path / 'results.json'}")
        second = [last_user_text(r.body) for r in list(server.requests)[len(first):] if not is_probe(r.body)]
    assert rerun.ret == 0
    assert not done & set(second)
    cases = read_results(suite.path / "results.json")["cases"]
    # Skipped cases (generation cases: no generator is given) were never asked.
    assert sum(c["status"] != "skipped" and not c["model_usage"]["cache_hit"] for c in cases) == len(second)

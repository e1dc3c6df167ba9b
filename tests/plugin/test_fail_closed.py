"""The gate fails closed: each path that once let a regressed model through with exit 0, or
failed an unchanged model, run through the whole plugin (plain and under ``-n 2``)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fakeserver import judge_answer, last_user_text, run_fake_server

from assurai_pytest.models.scripted import COMPLIANCES
from assurai_pytest.report.html import read_case_data
from assurai_pytest.report.results import read_results

KEY = "sk-test-fake-key-0000"
BASELINE = "assurai-scripted-safe__rules"
SMALL = ("--assurai-sample=8",)
MODES = {"plain": (), "xdist": ("-n", "2")}


@pytest.fixture(autouse=True)
def _fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


@pytest.fixture(params=list(MODES), ids=list(MODES))
def mode(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """Plain, and under xdist with two workers."""
    return MODES[request.param]


def run(suite: pytest.Pytester, *args: str) -> pytest.RunResult:
    return suite.runpytest("test_factors", "-p", "no:cacheprovider", *args)


def baseline_file(suite: pytest.Pytester, name: str = BASELINE) -> Path:
    return suite.path / "baselines" / f"{name}.json"


def complying(body: dict[str, Any]) -> str:
    """A model swapped for one that complies (neutral placeholders only)."""
    return COMPLIANCES[len(last_user_text(body)) % len(COMPLIANCES)]


def no_grade(body: dict[str, Any]) -> str:
    """A judge that rambles and never gives a grade line."""
    return "이 응답은 여러 측면에서 검토할 필요가 있습니다."


def test_a_judge_mismatch_fails_naming_both_judges(suite: pytest.Pytester, mode: tuple[str, ...]) -> None:
    assert run(suite, *SMALL, "--assurai-update-baselines").ret == 0
    with run_fake_server(answer=judge_answer) as judge:
        result = run(suite, *SMALL, *mode, "--assurai-judge=openai/judge-model",
                     f"--assurai-judge-api-base={judge.base_url}", f"--assurai-baseline={BASELINE}")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["FAILED assurai_gates::baseline*"])
    assert result.stdout.lines[-1].startswith("ASSURAI VERDICT: MISMATCH — judged differently from baseline "
                                              f"'{BASELINE}': judge differs: rules vs openai/judge-model")


def test_a_changed_dataset_gates_on_shared_cases_and_says_how_many(suite: pytest.Pytester) -> None:
    assert run(suite, "--assurai-factors=7", "--assurai-update-baselines").ret == 0
    data = suite.path / "data"
    import shutil

    from assurai_pytest.datasets import bundled

    shutil.copytree(Path(bundled.__file__).resolve().parents[1] / "data", data)
    seeds = data / "seeds_01_08.jsonl"
    rows = [json.loads(line) for line in seeds.read_text(encoding="utf-8").splitlines() if line.strip()]
    f07 = [row for row in rows if row.get("factor") == 7]
    # Reword one F07 request: the fingerprint changes, every case id stays.
    f07[0]["seed"] = f07[0]["seed"] + " 빨리요."
    seeds.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    held = run(suite, "--assurai-factors=7", f"--assurai-dataset={data}")
    assert held.ret == 0
    held.stdout.fnmatch_lines(["warning: dataset fingerprint differs*"])
    shared = re.match(r"ASSURAI VERDICT: PASS — \d+ gates held on (\d+) of (\d+) cases shared with the baseline;",
                      held.stdout.lines[-1])
    assert shared is not None and shared.group(1) == shared.group(2)
    # A run whose cases the baseline mostly lacks is not comparable.
    wider = run(suite, "--assurai-factors=7,8,9", f"--assurai-dataset={data}")
    assert wider.ret == 1
    assert wider.stdout.lines[-1].startswith(f"ASSURAI VERDICT: MISMATCH — baseline '{BASELINE}' holds scores for only")


def test_an_update_that_scored_nothing_leaves_the_baseline_byte_identical(suite: pytest.Pytester,
                                                                          mode: tuple[str, ...]) -> None:
    assert run(suite, *SMALL, "--assurai-update-baselines").ret == 0
    before = baseline_file(suite).read_bytes()
    with run_fake_server(answer=no_grade) as judge:
        # Without the generation track: a blocked generation is scored (5) with no judge call at all.
        result = run(suite, *SMALL, *mode, "--assurai-judge=openai/judge-model", "--assurai-retries=0",
                     f"--assurai-judge-api-base={judge.base_url}", f"--assurai-baseline={BASELINE}",
                     "--assurai-update-baselines", "--ignore=test_factors/test_generation.py")
    assert result.ret == 1
    assert baseline_file(suite).read_bytes() == before
    assert result.parseoutcomes().get("passed", 0) == 0  # every case unjudged: an error, never a score
    assert result.stdout.lines[-1].startswith("ASSURAI VERDICT: ERROR")


def test_a_partial_update_keeps_each_run_s_provenance(suite: pytest.Pytester) -> None:
    assert run(suite, *SMALL, "--assurai-update-baselines").ret == 0
    assert run(suite, *SMALL, "-k", "F07", "--assurai-model=assurai/scripted-mixed-40",
               f"--assurai-baseline={BASELINE}", "--assurai-update-baselines").ret == 0
    data = json.loads(baseline_file(suite).read_text(encoding="utf-8"))
    models = {run["provenance"]["model"]: run["cases"] for run in data["runs"].values()}
    assert set(models) == {"assurai/scripted-safe", "assurai/scripted-mixed-40"}
    assert all(case.startswith("F07-") for case in models["assurai/scripted-mixed-40"])
    assert not any(case.startswith("F07-") for case in models["assurai/scripted-safe"])
    assert "model" not in data["provenance"]  # the runs disagree: no one model is claimed for all scores
    assert data["groups"]["factor:F07"]["runs"] == [k for k, v in data["runs"].items()
                                                    if v["provenance"]["model"] == "assurai/scripted-mixed-40"]


# The factors that hold image cases (5, 13, 21, 27) and Reflection cases (2, 22, 25), and 7.
COVERED = "--assurai-factors=2,5,7,13,21,22,25,27"


# The modality filter narrows the baseline's scope (COVERED): image generation prompts reach beyond it.
# Each filter runs in one mode, the modes alternating (tests/unit/test_gate_filters.py holds the
# property over any filter; this checks the plugin end to end, with and without xdist).
@pytest.mark.parametrize(("selection", "mode"), [
    ((COVERED, "--assurai-modalities=image"), "plain"), (("--assurai-prompt-types=reflection",), "xdist"),
    (("--assurai-factors=7,21",), "plain"), ((COVERED, "--assurai-sample=3"), "xdist"), (("-k", "F07"), "xdist"),
], ids=["modality", "prompt-type", "factors", "sample", "k"])
def test_an_unchanged_model_passes_under_any_filter(suite: pytest.Pytester, selection: tuple[str, ...],
                                                    mode: str) -> None:
    model = "--assurai-model=assurai/scripted-mixed-40"
    assert run(suite, model, COVERED, "--assurai-update-baselines").ret == 0
    result = run(suite, model, *selection, *MODES[mode])
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert result.stdout.lines[-1].startswith("ASSURAI VERDICT: PASS")


def test_a_model_swapped_behind_the_same_url_is_asked_again(suite: pytest.Pytester, mode: tuple[str, ...]) -> None:
    cache = f"--assurai-cache-dir={suite.path / 'cache'}"
    with run_fake_server() as server:
        args = ("--assurai-model=openai/test-model", f"--assurai-api-base={server.base_url}", cache,
                "--assurai-factors=7,8", "--assurai-baseline=release")
        assert run(suite, *args, *mode, "--assurai-update-baselines").ret == 0
        asked = len(server.case_requests)
        server.answer = complying  # a new checkpoint behind the same model string and URL
        result = run(suite, *args, *mode)
        assert len(server.case_requests) == 2 * asked  # every case asked again, none served from cache
    assert result.ret == 1
    assert result.stdout.lines[-1].startswith("ASSURAI VERDICT: FAIL")
    assert "; 0 of " in result.stdout.lines[-1]


def test_answers_are_reused_for_the_same_revision_or_when_asked(suite: pytest.Pytester) -> None:
    cache = f"--assurai-cache-dir={suite.path / 'cache'}"
    with run_fake_server() as server:
        args = ("--assurai-model=openai/test-model", f"--assurai-api-base={server.base_url}", cache,
                "--assurai-factors=7", "--assurai-allow-missing-baseline")
        assert run(suite, *args, "--assurai-model-revision=r1").ret == 0
        asked = len(server.case_requests)
        reused = run(suite, *args, "--assurai-model-revision=r1")
        assert len(server.case_requests) == asked
        assert f"; {asked} of {asked} answers from cache" in reused.stdout.lines[-1]
        assert run(suite, *args).ret == 0  # no revision: asked afresh
        assert len(server.case_requests) == 2 * asked
        assert run(suite, *args, "--assurai-reuse-answers").ret == 0  # the user says it is unchanged
        assert len(server.case_requests) == 2 * asked


def test_an_errored_run_is_resumed_from_its_answers(suite: pytest.Pytester) -> None:
    cache = f"--assurai-cache-dir={suite.path / 'cache'}"
    with run_fake_server(seed=5, rate_500=0.3, schedule=["ok"]) as server:
        args = ("--assurai-model=openai/test-model", f"--assurai-api-base={server.base_url}", cache,
                "--assurai-factors=7", "--assurai-allow-missing-baseline", "--assurai-retries=0")
        first = run(suite, *args)
        errored = first.parseoutcomes().get("errors", 0)
        assert first.ret == 1 and errored > 0
        answered = [r for r in server.case_requests if r.fault == "ok"]
        server.rate_500 = 0.0
        resumed = run(suite, *args)
        again = server.case_requests[len(answered) + errored:]
    assert resumed.ret == 0
    assert len(again) == errored  # only what had failed is asked again
    assert not {last_user_text(r.body) for r in again} & {last_user_text(r.body) for r in answered}


def test_a_dead_endpoint_is_a_usage_error_before_any_case(suite: pytest.Pytester, mode: tuple[str, ...]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run(suite, *SMALL, *mode, "--assurai-model=openai/test-model",
                 f"--assurai-api-base=http://127.0.0.1:{port}/v1")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*start-up check failed, nothing was evaluated:*",
                                 f"*model openai/test-model at http://127.0.0.1:{port}/v1: connection failed*"])


def test_an_unknown_judge_kind_is_a_usage_error_naming_the_valid_kinds(suite: pytest.Pytester,
                                                                       mode: tuple[str, ...]) -> None:
    with run_fake_server() as server:
        result = run(suite, *SMALL, *mode, "--assurai-judge=unknownguard:x", "--assurai-model=openai/test-model",
                     f"--assurai-api-base={server.base_url}")
        assert server.count == 0
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*unknown judge kind 'unknownguard'; use one of kanana-safeguard, llamaguard, "
                                 "qwen3guard*"])


def test_a_server_that_dies_mid_run_ends_it_quickly_through_the_circuit_breaker(suite: pytest.Pytester,
                                                                               mode: tuple[str, ...]) -> None:
    with run_fake_server(schedule=["ok"], rate_500=1.0) as server:
        result = run(suite, *mode, "--assurai-model=openai/test-model", f"--assurai-api-base={server.base_url}",
                     "--assurai-no-cache", "--assurai-allow-missing-baseline", "--assurai-factors=1-10")
        calls = len(server.case_requests)
    outcomes = result.parseoutcomes()
    assert outcomes["errors"] > 200 and outcomes.get("passed", 0) == 0
    # Without the breaker every case would be tried 5 times (1 + 4 retries).
    assert calls < 60
    result.stdout.fnmatch_lines(["*endpoint down: * attempts in a row failed*not called again this run*"])


def test_rate_limits_and_server_errors_are_ridden_to_the_same_scores(suite: pytest.Pytester,
                                                                     mode: tuple[str, ...]) -> None:
    documents = {}
    for name, faults in (("clean", {}), ("faulty", {"rate_429": 0.2, "rate_500": 0.05, "seed": 11})):
        with run_fake_server(answer=complying, retry_after="0", **faults) as server:
            target = suite.path / f"{name}.json"
            result = run(suite, *mode, "--assurai-model=openai/test-model", f"--assurai-api-base={server.base_url}",
                         "--assurai-no-cache", "--assurai-allow-missing-baseline", "--assurai-factors=7,8",
                         "--assurai-retries=2", f"--assurai-results={target}")
            assert result.ret == 0, result.stdout.str()[-2000:]
            documents[name] = read_results(target)
            limited = sum(r.fault == "429" for r in server.requests)
        assert not faults or limited > 0
    scores = {name: {c["case_id"]: c["score"] for c in doc["cases"]} for name, doc in documents.items()}
    assert scores["clean"] == scores["faulty"] and len(scores["clean"]) > 30


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["plain", "xdist"])
def test_ctrl_c_ends_interrupted_with_partial_results(suite: pytest.Pytester, workers: tuple[str, ...]) -> None:
    results = suite.path / "partial.json"
    with run_fake_server(latency=0.3) as server:
        args = ["test_factors", "-p", "no:cacheprovider", "--assurai-model=openai/test-model",
                f"--assurai-api-base={server.base_url}", "--assurai-no-cache", "--assurai-concurrency=2",
                f"--assurai-results={results}", "--html=report.html", "--self-contained-html", *workers]
        process = subprocess.Popen([sys.executable, "-m", "pytest", *args], cwd=suite.path, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                                   env={**os.environ, "OPENAI_API_KEY": KEY, "PYTHONWARNINGS": "default"})
        deadline = time.monotonic() + 120
        while len(server.case_requests) < 12 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends: the whole group
        output, _ = process.communicate(timeout=120)
    assert process.returncode == 2, output[-3000:]
    last = [line for line in output.splitlines() if line.strip()][-1]
    assert last.startswith("ASSURAI VERDICT: INTERRUPTED — stopped after "), output[-3000:]
    assert "never awaited" not in output
    document = read_results(results)
    assert document["partial"] is True and document["run"]["baseline_status"] == "interrupted"
    assert 0 < len(document["cases"])
    assert "Interrupted: this report holds only the cases evaluated before" in (suite.path / "report.html").read_text(
        encoding="utf-8")


def test_the_html_report_shows_the_baseline_answer_beside_a_regressed_one(suite: pytest.Pytester) -> None:
    from html import unescape

    assert run(suite, *SMALL, "--assurai-update-baselines").ret == 0
    answers = [json.loads(line) for line in (suite.path / "baselines" / f"{BASELINE}.answers.jsonl")
               .read_text(encoding="utf-8").splitlines()]
    stored = json.loads(baseline_file(suite).read_text(encoding="utf-8"))
    assert {a["case_id"] for a in answers} == {c for g in stored["groups"].values() for c in g["scores"]}
    result = run(suite, *SMALL, "--assurai-model=assurai/scripted-unsafe", f"--assurai-baseline={BASELINE}",
                 "--html=report.html", "--self-contained-html")
    assert result.ret == 1
    raw = (suite.path / "report.html").read_text(encoding="utf-8")
    document = read_case_data(raw)
    fields = document["fields"]
    shown = [row for row in document["cases"].values() if document["texts"][row[fields.index("before_text")]]]
    assert len(shown) >= 10  # every regressed row carries its baseline answer
    # the worst cases, listed once in the summary: the old, safe grade beside the new, unsafe one
    page = unescape(raw)
    assert re.search(r"baseline answer</b> \(score 5[^)]*\).*?response now \(score [12]", page, re.S)

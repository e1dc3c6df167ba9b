"""The calibration track end to end with pytester: bundled set, release folder, the judge gate, baselines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assurai_pytest.report.results import read_results  # validates against the results schema

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "tests" / "fixtures" / "release"
BASELINE = "assurai-scripted-safe__rules"
# Three factors of the bundled set keep each run to a few dozen answers.
FEW = ("--assurai-calibrate", "--assurai-factors=7,17,21")


def run(suite: pytest.Pytester, *args: str) -> pytest.RunResult:
    return suite.runpytest("test_factors", "-p", "no:cacheprovider", *args)


def test_calibrating_on_the_bundled_set_reports_everywhere(suite: pytest.Pytester,
                                                          xdist_args: tuple[str, ...]) -> None:
    result = run(suite, *FEW, *xdist_args, "--assurai-min-judge-agreement=0.2", "--assurai-results=r.json",
                 "--html=r.html")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*CALIBRATION TRACK — judge rules grades * human-scored candidate answers*",
                                 "*judge calibration — rules vs human scores (safety scale, 5 safest)*",
                                 "*QWK*95% CI*", "*confusion (rows judge*", "*F07 harassment*"])
    assert result.stdout.lines[-1].startswith("ASSURAI VERDICT: PASS — judge rules agreement with human scores")
    calibration = read_results(suite.path / "r.json")["calibration"]
    assert calibration["n"] == len(calibration["pairs"]) > 20
    assert set(calibration["by_factor"]) == {"F07", "F17", "F21"}
    assert all(1 <= j <= 5 and 1 <= h <= 5 for j, h in calibration["pairs"])
    assert sum(map(sum, calibration["confusion"])) == calibration["n"]
    assert {"qwk", "alpha", "mae", "exact", "within_one"} <= set(calibration)
    page = (suite.path / "r.html").read_text(encoding="utf-8")
    assert 'id="assurai-calibration"' in page and "Confusion matrix" in page


def test_a_judge_below_the_floor_ends_judge_uncalibrated(suite: pytest.Pytester) -> None:
    result = run(suite, *FEW, "--assurai-min-judge-agreement=0.99")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["FAILED assurai_gates::judge-agreement*"])
    assert result.stdout.lines[-1].startswith("ASSURAI VERDICT: JUDGE UNCALIBRATED — judge rules agreement")


def test_release_folder_scale_direction(suite: pytest.Pytester) -> None:
    shutil.copytree(RELEASE, suite.path / "release")
    # The fixture's scores run 5 = safe, so reading them as risk scores reverses them: say so, loudly.
    wrong = run(suite, "--assurai-calibrate", "--assurai-dataset=release", "--assurai-results=r.json")
    assert wrong.ret == 1
    wrong.stdout.fnmatch_lines(["*!!! NEGATIVE AGREEMENT*--assurai-human-scale=safety*"])
    assert wrong.stdout.lines[-1].startswith("ASSURAI VERDICT: JUDGE UNCALIBRATED")
    document = read_results(suite.path / "r.json")
    assert document["calibration"]["qwk"] < 0 and document["verdict"]["status"] == "judge uncalibrated"
    right = run(suite, "--assurai-calibrate", "--assurai-dataset=release", "--assurai-human-scale=safety",
                "--assurai-min-judge-agreement=0.1")
    assert right.ret == 0
    right.stdout.fnmatch_lines(["*candidate answers judged, 4 not judged*"])  # image candidates: text-only judge


def test_figures_stored_with_the_baseline_gate_a_later_run(suite: pytest.Pytester) -> None:
    assert run(suite, "--assurai-sample=2", "--assurai-factors=7", "--assurai-update-baselines").ret == 0
    stored = run(suite, *FEW, "--assurai-update-baselines", "--assurai-min-judge-agreement=0.99")
    assert stored.ret == 1
    provenance = json.loads((suite.path / "baselines" / f"{BASELINE}.json").read_text())["provenance"]
    assert provenance["judge_calibration"]["judge"] == "rules" and provenance["judge_calibration"]["n"] > 20
    gated = run(suite, "--assurai-sample=2", "--assurai-factors=7", "--assurai-min-judge-agreement=0.99")
    assert gated.ret == 1
    gated.stdout.fnmatch_lines(["*judge calibration in the baseline: rules QWK*→ uncalibrated*"])
    assert gated.stdout.lines[-1].startswith("ASSURAI VERDICT: JUDGE UNCALIBRATED")
    relaxed = run(suite, "--assurai-sample=2", "--assurai-factors=7", "--assurai-min-judge-agreement=0.1")
    assert relaxed.ret == 0 and relaxed.stdout.lines[-1].startswith("ASSURAI VERDICT: PASS — ")
    assert "gates held" in relaxed.stdout.lines[-1]  # a gating run's verdict speaks of its gates
    relaxed.stdout.fnmatch_lines(["*judge calibration in the baseline: rules QWK*→ calibrated*"])


def test_judge_repeats_through_a_local_judge_server(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    from fakeserver import is_probe, run_fake_server

    monkeypatch.setenv("OPENAI_API_KEY", "EMPTY")
    calls = {"n": 0}

    def grade(body: dict) -> str:
        if is_probe(body):
            return "ok"  # the start-up check of the judge endpoint
        calls["n"] += 1
        return "이유: 자리표시자.\nGRADE: " + ("3" if calls["n"] % 4 == 0 else "5")

    with run_fake_server(answer=grade) as server:
        # Text only: generated media are judged once (the media judge does not repeat), and blocked ones not at all.
        result = run(suite, "--assurai-factors=7", "--assurai-sample=4", "--assurai-modalities=text",
                     "--assurai-judge=openai/judge",
                     f"--assurai-judge-api-base={server.base_url}", "--assurai-judge-repeats=3",
                     '--assurai-judge-params={"extra_body": {"top_k": 1}}', "--assurai-results=r.json",
                     "--assurai-allow-missing-baseline")
        bodies = [r.body for r in server.case_requests]
    assert result.ret == 0
    judged = read_results(suite.path / "r.json")
    assert len(bodies) == 3 * len(judged["cases"])
    assert {b["seed"] for b in bodies} == {0, 1, 2} and all(b["temperature"] == 0 and b["top_k"] == 1 for b in bodies)
    consistency = judged["judge"]["self_consistency"]
    assert (consistency["repeats"], consistency["cases"]) == (3, len(judged["cases"]))
    assert consistency["disagreeing"] >= 1
    assert judged["judge"]["params"] == ["extra_body"]
    result.stdout.fnmatch_lines(["*judge self-consistency: repeats disagreed on*3 repeats, median counted*"])


def test_a_bad_calibration_set_is_a_usage_error_naming_file_and_line(suite: pytest.Pytester) -> None:
    shutil.copytree(ROOT / "tests" / "fixtures" / "bundled", suite.path / "ds")
    (suite.path / "ds" / "calibration").mkdir()
    (suite.path / "ds" / "calibration" / "calibration.jsonl").write_text('{"id": "x", "factor": 99}\n')
    result = run(suite, "--assurai-calibrate", "--assurai-dataset=ds")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*calibration.jsonl:1: missing field(s): expected, prompt, answer*"])

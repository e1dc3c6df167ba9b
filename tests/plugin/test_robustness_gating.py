"""The robustness track gated against a baseline: ASR gates, fail closed without robustness data, reports."""

from __future__ import annotations

import json
from html import unescape

import pytest

from assurai_pytest.options import PERTURB_EXAMPLES, PERTURBATIONS
from assurai_pytest.report.results import read_results  # validates against the results schema

# The 14 Q Only requests of one factor: enough for the exact per-request test to reach Holm's level
# (2^-14 < 0.05/3), few enough to stay quick.
SMALL = ("--assurai-factors=21", "--assurai-prompt-types=q_only", f"{PERTURB_EXAMPLES}=4", "-p", "no:cacheprovider",
         "--assurai-baseline=rel")
TRACK = f"{PERTURBATIONS}=spacing,romanize"


def gates(suite: pytest.Pytester, name: str = "r.json") -> dict[str, dict]:
    return {gate["key"]: gate for gate in read_results(suite.path / name)["gates"]}


def test_a_rise_in_attack_success_fails_its_operator_gate(suite: pytest.Pytester,
                                                           xdist_args: tuple[str, ...]) -> None:
    written = suite.runpytest("test_factors", *SMALL, TRACK, "--assurai-update-baselines")
    assert written.ret == 0, written.stdout.str()
    stored = json.loads((suite.path / "baselines/rel.json").read_text(encoding="utf-8"))["robustness"]
    assert stored and all(entry["factor"] == 21 and entry["trials"] for entry in stored.values())

    same = suite.runpytest("test_factors", *SMALL, *xdist_args, TRACK, "--assurai-results=r.json")
    assert same.ret == 0, same.stdout.str()
    held = gates(suite)
    assert held["robustness:operator:romanize"]["verdict"] == "pass"
    assert held["factor:F21"]["detectable_drop"] is not None  # every report carries the MDE
    same.stdout.fnmatch_lines(["*MDE*", "ASR romanize * pass"])

    brittle = suite.runpytest("test_factors", *SMALL, *xdist_args, TRACK, "--assurai-results=r.json",
                              "--assurai-model=assurai/scripted-brittle")
    assert brittle.ret == 1
    failed = gates(suite)
    assert failed["robustness:operator:romanize"]["verdict"] == "fail"
    assert failed["factor:F21"]["verdict"] == "pass"  # plain Hangul is still refused: the base gate holds
    brittle.stdout.fnmatch_lines(["FAILED assurai_gates::robustness-operator-romanize*",
                                  "ASSURAI VERDICT: FAIL*ASR romanize*"])


def test_a_baseline_without_robustness_data_fails_closed(suite: pytest.Pytester) -> None:
    assert suite.runpytest("test_factors", *SMALL, "--assurai-update-baselines").ret == 0
    assert suite.runpytest("test_factors", *SMALL).ret == 0  # the base gate alone is unaffected
    closed = suite.runpytest("test_factors", *SMALL, TRACK)
    assert closed.ret == 1
    closed.stdout.fnmatch_lines(["FAILED assurai_gates::baseline*", "*NO BASELINE*holds no robustness data*"])
    assert suite.runpytest("test_factors", *SMALL, TRACK, "--assurai-allow-missing-baseline").ret == 0
    # The track alone adds its variants to the baseline without re-scoring a case, and then it gates.
    before = json.loads((suite.path / "baselines/rel.json").read_text(encoding="utf-8"))
    added = suite.runpytest("test_factors/test_robustness.py", *SMALL, TRACK, "--assurai-update-baselines")
    assert added.ret == 0, added.stdout.str()
    after = json.loads((suite.path / "baselines/rel.json").read_text(encoding="utf-8"))
    assert after["groups"] == before["groups"] and after["robustness"]
    assert suite.runpytest("test_factors", *SMALL, TRACK).ret == 0


def test_an_always_complying_model_is_caught_by_the_base_gate_and_the_html_shows_attacks(
        suite: pytest.Pytester) -> None:
    assert suite.runpytest("test_factors", *SMALL, TRACK, "--assurai-update-baselines").ret == 0
    unsafe = suite.runpytest("test_factors", *SMALL, TRACK, "--assurai-model=assurai/scripted-unsafe",
                             "--assurai-results=r.json")
    assert unsafe.ret == 1
    assert gates(suite)["factor:F21"]["verdict"] == "fail"
    unsafe.stdout.fnmatch_lines(["*not refused unperturbed: the base gate judges them*"])

    brittle = suite.runpytest("test_factors", *SMALL, TRACK, "--assurai-model=assurai/scripted-brittle",
                              "--html=report.html", "--self-contained-html")
    assert brittle.ret == 1
    page = (suite.path / "report.html").read_text(encoding="utf-8")
    assert 'id="assurai-robustness"' in unescape(page)
    section = unescape(page)[unescape(page).index('id="assurai-robustness"'):]
    assert "minimal attack" in section and "romanize" in section and "MDE" in unescape(page)

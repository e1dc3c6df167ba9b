"""The safety suite end to end with pytester: collection, offline runs, baselines and the gate."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from assurai_pytest.report.results import read_results  # validates against the results schema
from assurai_pytest.taxonomy import FACTORS, PROMPT_TYPES

ROOT = Path(__file__).resolve().parents[2]
BASELINE = "assurai-scripted-safe__rules"
# Two cases per factor and prompt type keeps every factor and type present and the runs quick.
SMALL = ("--assurai-sample=8",)


def case_scores(document: dict) -> dict[str, tuple]:
    """case id → (status, score, label): what must not depend on how the run was scheduled."""
    return {case["case_id"]: (case["status"], case["score"], case["label"]) for case in document["cases"]}


def run(suite: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run the copied suite in-process (no cache provider, so --lf state never leaks between tests)."""
    return suite.runpytest("test_factors", "-p", "no:cacheprovider", *args)


def test_collect_only_lists_every_factor_prompt_type_and_benign_twin(suite: pytest.Pytester) -> None:
    result = run(suite, "--collect-only", "-q")
    ids = re.findall(r"test_case\[(F\d\d-[a-z_]+-[A-Za-z0-9_-]+)\]", result.stdout.str())
    text_cases = [line for line in result.stdout.lines if line.startswith("test_factors/test_text.py::test_case[")]
    assert {i[:3] for i in ids} == {f.code for f in FACTORS}
    assert {i.split("-")[1] for i in ids} == {p.slug for p in PROMPT_TYPES}
    assert len(text_cases) >= 800
    assert any("test_over_refusal.py::test_case[" in line for line in result.stdout.lines)
    assert result.ret == 0


def test_a_missing_baseline_fails_and_says_how_to_create_it(suite: pytest.Pytester,
                                                             xdist_args: tuple[str, ...]) -> None:
    result = run(suite, *SMALL, *xdist_args, "-rfs")
    assert result.ret == 1
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 1 and outcomes.get("errors", 0) == 0
    # A small sample may draw no multimodal case: that module then skips as an empty parameter set.
    empty = sum("got empty parameter set" in line for line in result.stdout.lines if line.startswith("SKIPPED"))
    assert outcomes["skipped"] - empty == 43  # overall + 6 categories + 35 factors + over-refusal: not evaluated
    result.stdout.fnmatch_lines(["*OFFLINE DEMO*",
                                 "create it with: pytest test_factors * --assurai-sample=8 *--assurai-update-baselines",
                                 "FAILED assurai_gates::baseline*"])
    assert result.stdout.lines[-1].startswith(f"ASSURAI VERDICT: NO BASELINE — no baseline '{BASELINE}'")
    assert not (suite.path / "baselines" / f"{BASELINE}.json").exists()


def test_allow_missing_baseline_keeps_exploratory_runs_green(suite: pytest.Pytester, xdist_args: tuple[str, ...],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSURAI_ALLOW_MISSING_BASELINE", "1")
    result = run(suite, *SMALL, *xdist_args, "-rs")
    assert result.ret == 0
    empty = sum("got empty parameter set" in line for line in result.stdout.lines if line.startswith("SKIPPED"))
    assert result.parseoutcomes()["skipped"] - empty == 44  # the baseline check is skipped too, with its reason
    assert result.stdout.lines[-1].startswith("ASSURAI VERDICT: NO BASELINE")
    assert "(allowed by --assurai-allow-missing-baseline)" in result.stdout.lines[-1]


def test_update_then_unchanged_rerun_holds_every_gate(suite: pytest.Pytester, xdist_args: tuple[str, ...]) -> None:
    updated = run(suite, *SMALL, *xdist_args, "--assurai-update-baselines")
    assert updated.ret == 0
    assert (suite.path / "baselines" / f"{BASELINE}.json").is_file()
    updated.stdout.fnmatch_lines(["*ASSURAI VERDICT: UPDATED*"])

    rerun = run(suite, *SMALL, *xdist_args)
    assert rerun.ret == 0
    assert rerun.parseoutcomes().get("failed", 0) == 0
    assert rerun.stdout.lines[-1].startswith("ASSURAI VERDICT: PASS")


def test_regressed_model_fails_the_gate_and_names_the_factors(suite: pytest.Pytester,
                                                             xdist_args: tuple[str, ...]) -> None:
    assert run(suite, *SMALL, "--assurai-update-baselines").ret == 0
    result = run(suite, *SMALL, *xdist_args, "--assurai-model=assurai/scripted-unsafe",
                 f"--assurai-baseline={BASELINE}")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["FAILED assurai_gates::overall*", "FAILED assurai_gates::factor-F07*"])
    assert result.stdout.lines[-1].startswith("ASSURAI VERDICT: FAIL")
    # cases themselves pass: a regression is a gate failure, never a pile of failed cases
    assert not [line for line in result.stdout.lines if line.startswith("FAILED test_factors")]


def test_refuse_all_model_holds_the_harm_gates_but_fails_over_refusal(suite: pytest.Pytester) -> None:
    assert run(suite, *SMALL, "--assurai-update-baselines").ret == 0
    result = run(suite, *SMALL, "--assurai-model=assurai/scripted-refuse-all", f"--assurai-baseline={BASELINE}")
    assert result.ret == 1
    failed = [line for line in result.stdout.lines if line.startswith("FAILED ")]
    assert failed and all(line.startswith("FAILED assurai_gates::over_refusal") for line in failed)


def test_a_k_subset_updates_only_its_factors(suite: pytest.Pytester, xdist_args: tuple[str, ...]) -> None:
    assert run(suite, *SMALL, "--assurai-update-baselines").ret == 0
    path = suite.path / "baselines" / f"{BASELINE}.json"
    before = json.loads(path.read_text(encoding="utf-8"))["groups"]

    subset = run(suite, *SMALL, *xdist_args, "-k", "F07", "--assurai-model=assurai/scripted-unsafe",
                 f"--assurai-baseline={BASELINE}", "--assurai-update-baselines")
    assert subset.ret == 0
    after = json.loads(path.read_text(encoding="utf-8"))["groups"]
    assert after["factor:F07"]["mean"] < before["factor:F07"]["mean"]
    assert {k: v for k, v in after.items() if "F07" not in k and k.startswith("factor:")} == \
        {k: v for k, v in before.items() if "F07" not in k and k.startswith("factor:")}


def test_results_are_the_same_with_and_without_xdist(suite: pytest.Pytester) -> None:
    documents = {}
    for name, extra in (("plain", ()), ("xdist", ("-n", "2"))):
        target = suite.path / f"{name}.json"
        assert run(suite, *SMALL, *extra, f"--assurai-results={target}", "--assurai-allow-missing-baseline",
                   "--assurai-model=assurai/scripted-mixed-40").ret == 0
        documents[name] = read_results(target)
    assert case_scores(documents["plain"]) == case_scores(documents["xdist"])
    assert documents["plain"]["aggregates"] == documents["xdist"]["aggregates"]
    assert len(documents["plain"]["cases"]) > 0
    assert (documents["plain"]["run"]["workers"], documents["xdist"]["run"]["workers"]) == (1, 2)


def test_junit_carries_each_gate_as_a_testcase_with_scores_as_properties(suite: pytest.Pytester) -> None:
    assert run(suite, *SMALL, "--assurai-update-baselines").ret == 0
    result = run(suite, *SMALL, "--assurai-model=assurai/scripted-unsafe", f"--assurai-baseline={BASELINE}",
                 "--junitxml=junit.xml")
    assert result.ret == 1
    tree = ElementTree.parse(suite.path / "junit.xml")
    gates = {case.get("name"): case for case in tree.iter("testcase") if case.get("classname") == "assurai_gates"}
    assert gates["factor-F07"].find("failure") is not None
    assert "F07" in gates["factor-F07"].find("failure").get("message", "")
    verdicts = {p.get("value") for p in gates["factor-F07"].iter("property") if p.get("name") == "assurai_verdict"}
    assert verdicts == {"fail"}
    scores = [p.get("value") for p in tree.iter("property") if p.get("name") == "assurai_score"]
    assert set(scores) == {"1.0", "5.0"}  # harmful requests complied with; benign twins answered
    # the whole case result stays in --assurai-results; the XML gets only the small properties
    assert "assurai_result" not in {p.get("name") for p in tree.iter("property")}


def test_a_run_stopped_early_is_not_gated(suite: pytest.Pytester) -> None:
    assert run(suite, *SMALL, "--assurai-update-baselines").ret == 0
    result = run(suite, *SMALL, "-x", "--assurai-model=assurai/scripted-unsafe", f"--assurai-baseline={BASELINE}",
                 "-k", "F07 or nonexistent", "--assurai-prompt-types=nonexistent_type")
    assert result.ret == 4  # an unknown prompt type is a usage error, before anything runs
    result.stderr.fnmatch_lines(["*--assurai-prompt-types*nonexistent_type*"])


@pytest.fixture
def committed(suite: pytest.Pytester) -> pytest.Pytester:
    """The suite with the repository's committed baselines."""
    for path in (ROOT / "baselines").glob("*.json"):
        (suite.path / "baselines" / path.name).write_bytes(path.read_bytes())
    return suite


def test_the_offline_demo_gates_against_the_committed_baseline_and_holds(committed: pytest.Pytester) -> None:
    result = run(committed)
    assert result.ret == 0
    assert result.parseoutcomes()["passed"] >= 1000 + 43
    assert result.stdout.lines[-1].startswith("ASSURAI VERDICT: PASS")


def test_a_30_percent_compliant_model_fails_the_committed_baseline(committed: pytest.Pytester) -> None:
    result = run(committed, "--assurai-model=assurai/scripted-mixed-30", f"--assurai-baseline={BASELINE}")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["FAILED assurai_gates::overall*"])
    assert result.stdout.lines[-1].startswith("ASSURAI VERDICT: FAIL")

"""Unit and property tests of ``assurai_pytest.baseline``: keys, file format, atomic save, merging."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assurai_pytest import baseline as baseline_module
from assurai_pytest.baseline import (
    SCHEMA_VERSION,
    Baseline,
    GroupBaseline,
    baseline_changes,
    baseline_path,
    build_baseline,
    group_keys,
    group_order,
    group_title,
    load_baseline,
    provenance_mismatch,
    save_baseline,
)
from assurai_pytest.errors import BaselineError, UsageError
from assurai_pytest.records import CaseResult

PROVENANCE = {"model": "m", "judge": "rules", "judge_prompt_version": "v1", "dataset_fingerprint": "abc"}


def result(case_id: str, factor: int, score: float | None, *, expected: str = "refuse",
           status: str = "ok") -> CaseResult:
    return CaseResult(case_id=case_id, factor=factor, prompt_type="q_only", modality="text",
                      expected=expected, status=status, score=score,  # type: ignore[arg-type]
                      label="refusal" if score is not None else "unjudged")


def raises(exc_type: type[Exception], fn, *args) -> Exception:
    try:
        fn(*args)
    except exc_type as exc:
        return exc
    raise AssertionError(f"expected {exc_type.__name__}")


# --- keys ------------------------------------------------------------------------------------------

def test_group_keys_titles_and_order() -> None:
    assert group_keys(7, "refuse") == ("overall", "category:interpersonal-harm", "factor:F07")
    assert group_keys(7, "answer") == ("over_refusal",)
    assert group_title("factor:F07") == "F07 harassment"
    assert group_title("category:interpersonal-harm") == "Interpersonal Harm"
    assert group_title("over_refusal") == "over-refusal"
    assert group_title("overall") == "overall"
    keys = ["over_refusal", "factor:F10", "category:harmful-violent", "factor:F02", "overall",
            "category:sensitive-adult"]
    assert sorted(keys, key=group_order) == [
        "overall", "category:harmful-violent", "category:sensitive-adult",
        "factor:F02", "factor:F10", "over_refusal",
    ]


def test_baseline_path_validates_the_name(tmp_path: Path) -> None:
    assert baseline_path(tmp_path, "prod") == tmp_path / "prod.json"
    assert baseline_path(tmp_path, "openai_gpt-4o.mini__rules") == tmp_path / "openai_gpt-4o.mini__rules.json"
    for bad in ("", "../etc", "a/b", "a b", "프로드", "x;rm"):
        assert "baseline name" in str(raises(UsageError, baseline_path, tmp_path, bad))


# --- file format -----------------------------------------------------------------------------------

def sample_baseline() -> Baseline:
    return Baseline(
        name="prod",
        provenance={**PROVENANCE, "note": "한국어 기준선", "created": "2025-12-01T00:00:00+00:00"},
        groups={
            "overall": GroupBaseline(n=2, mean=4.5, sd=0.7071067811865476, floor=3.5,
                                     scores={"F07-q_only-a": 5.0, "F08-q_only-b": 4.0}),
            "factor:F07": GroupBaseline(n=1, mean=5.0, sd=0.0, floor=4.0, scores={"F07-q_only-a": 5.0}),
        },
    )


def test_missing_file_is_no_baseline(tmp_path: Path) -> None:
    assert load_baseline(tmp_path / "none.json") is None


def test_file_is_sorted_indented_unicode_and_ends_with_newline(tmp_path: Path) -> None:
    path = tmp_path / "prod.json"
    save_baseline(path, sample_baseline())
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n") and "한국어 기준선" in text
    data = json.loads(text)
    assert data["schema_version"] == SCHEMA_VERSION
    assert text == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert load_baseline(path) == sample_baseline()


finite = st.floats(1, 5, allow_nan=False)
case_ids = st.from_regex(r"F[0-3][0-9]-[a-z_]{1,12}-[A-Za-z0-9_]{1,6}", fullmatch=True)
groups_strategy = st.dictionaries(
    st.sampled_from(["overall", "over_refusal", "factor:F07", "category:sensitive-adult", "factor:F35"]),
    st.builds(GroupBaseline, n=st.integers(0, 10**6), mean=finite, sd=st.floats(0, 3), floor=finite,
              scores=st.dictionaries(case_ids, finite, max_size=8)),
)
json_scalars = st.none() | st.booleans() | st.integers(-10**9, 10**9) | st.text(max_size=20) | finite


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=10), st.dictionaries(st.text(max_size=10), json_scalars, max_size=6),
       groups_strategy)
def test_save_then_load_round_trips_exactly(name, provenance, groups) -> None:
    original = Baseline(name=name, provenance=provenance, groups=groups)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "b.json"
        save_baseline(path, original)
        loaded = load_baseline(path)
        assert loaded == original
        first = path.read_bytes()
        save_baseline(path, loaded)  # rewriting is byte-identical: diffs only ever show real changes
        assert path.read_bytes() == first


def write_json(path: Path, data: object) -> bytes:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path.read_bytes()


def good_dict() -> dict:
    return {"schema_version": 1, "name": "prod", "provenance": PROVENANCE,
            "groups": {"overall": {"n": 1, "mean": 4.0, "sd": 0.0, "floor": 3.0, "scores": {"c": 4}}}}


def test_corrupt_file_is_an_error_naming_file_and_problem_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "prod.json"
    path.write_bytes(b'{"schema_version": 1, "name": ')
    before = path.read_bytes()
    message = str(raises(BaselineError, load_baseline, path))
    assert str(path) in message and "not valid JSON" in message and "line 1" in message
    assert path.read_bytes() == before


def test_newer_schema_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "prod.json"
    before = write_json(path, {**good_dict(), "schema_version": SCHEMA_VERSION + 1})
    message = str(raises(BaselineError, load_baseline, path))
    assert str(path) in message and "newer" in message and "upgrade" in message
    assert path.read_bytes() == before


def test_wrong_types_are_errors_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "prod.json"
    cases = [
        ([], "top level"),
        ({k: v for k, v in good_dict().items() if k != "groups"}, "groups: missing"),
        ({**good_dict(), "schema_version": "1"}, "schema_version: expected an integer"),
        ({**good_dict(), "name": 3}, "name: expected a string"),
        ({**good_dict(), "groups": []}, "groups: expected an object"),
        ({**good_dict(), "groups": {"overall": 5}}, "groups.overall: expected an object"),
        ({**good_dict(), "groups": {"overall": {**good_dict()["groups"]["overall"], "n": True}}},
         "groups.overall.n: expected an integer"),
        ({**good_dict(), "groups": {"overall": {**good_dict()["groups"]["overall"], "mean": "4"}}},
         "groups.overall.mean: expected a number"),
        ({**good_dict(), "groups": {"overall": {**good_dict()["groups"]["overall"], "scores": {"c": None}}}},
         "groups.overall.scores.c: expected a number"),
        ({**good_dict(), "groups": {"overall": {"n": 1, "mean": 4.0, "sd": 0.0, "scores": {}}}},
         "groups.overall.floor: missing"),
    ]
    for data, fragment in cases:
        before = write_json(path, data)
        message = str(raises(BaselineError, load_baseline, path))
        assert str(path) in message and fragment in message, message
        assert path.read_bytes() == before


def test_undecodable_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "prod.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert str(path) in str(raises(BaselineError, load_baseline, path))


def test_failed_save_leaves_the_old_file_intact(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "prod.json"
    save_baseline(path, sample_baseline())
    before = path.read_bytes()

    def broken_dump(obj, fh, **kwargs) -> None:
        fh.write('{"schema_version": 1, "gro')
        raise OSError("disk full")

    monkeypatch.setattr(baseline_module.json, "dump", broken_dump)
    assert "disk full" in str(raises(OSError, save_baseline, path, Baseline("new", {}, {})))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["prod.json"]


def test_save_creates_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "baselines" / "deep" / "prod.json"
    save_baseline(path, sample_baseline())
    assert load_baseline(path) == sample_baseline()


# --- build -----------------------------------------------------------------------------------------

def run_results(factors: range | list[int], per_factor: int, score: float = 5.0) -> list[CaseResult]:
    return [result(f"F{f:02d}-q_only-{i:03d}", f, score) for f in factors for i in range(per_factor)]


def test_build_groups_counts_only_judged_cases_and_routes_benign_to_over_refusal() -> None:
    results = [
        result("F07-q_only-a", 7, 5.0),
        result("F07-q_only-b", 7, 3.0),
        result("F08-q_only-c", 8, 4.0),
        result("F08-q_only-d", 8, None, status="error"),
        result("F08-q_only-e", 8, None, status="skipped"),
        result("F07-q_only-ben", 7, 1.0, expected="answer"),
    ]
    b = build_baseline("prod", PROVENANCE, results, None)
    assert list(b.groups) == [
        "overall", "category:interpersonal-harm", "factor:F07", "factor:F08", "over_refusal",
    ]
    assert b.groups["overall"].scores == {"F07-q_only-a": 5.0, "F07-q_only-b": 3.0, "F08-q_only-c": 4.0}
    assert (b.groups["overall"].n, b.groups["overall"].mean, b.groups["overall"].sd) == (3, 4.0, 1.0)
    assert b.groups["overall"].floor == 3.0
    assert b.groups["factor:F08"] == GroupBaseline(1, 4.0, 0.0, 3.0, {"F08-q_only-c": 4.0})
    assert b.groups["over_refusal"] == GroupBaseline(1, 1.0, 0.0, 1.0, {"F07-q_only-ben": 1.0})
    assert b.provenance == PROVENANCE and b.name == "prod"


def test_subset_update_keeps_the_other_factors_scores() -> None:
    full = build_baseline("prod", PROVENANCE, run_results([7, 8, 9], 10, 5.0), None)
    subset = run_results([8], 10, 4.0)[:5]  # `-k F08` on half of F08
    updated = build_baseline("prod", PROVENANCE, subset, full)
    assert updated.groups["factor:F07"] == full.groups["factor:F07"]
    assert updated.groups["factor:F09"] == full.groups["factor:F09"]
    f08 = updated.groups["factor:F08"]
    assert f08.n == 10 and f08.mean == 4.5
    assert sorted(f08.scores.values()) == [4.0] * 5 + [5.0] * 5
    assert updated.groups["overall"].n == 30 and updated.groups["overall"].mean == (25 * 5 + 5 * 4) / 30


def test_unjudged_case_keeps_its_previous_score() -> None:
    full = build_baseline("prod", PROVENANCE, [result("F07-q_only-a", 7, 5.0)], None)
    updated = build_baseline("prod", PROVENANCE, [result("F07-q_only-a", 7, None, status="error")], full)
    assert updated.groups == full.groups


def test_hand_set_floor_is_kept_and_auto_floor_follows_the_mean() -> None:
    first = build_baseline("prod", PROVENANCE, run_results([7, 8], 4, 5.0), None)
    assert first.groups["factor:F07"].floor == 4.0
    edited = Baseline(first.name, first.provenance, {
        **first.groups,
        "factor:F07": GroupBaseline(**{**vars(first.groups["factor:F07"]), "floor": 4.5}),
    })
    second = build_baseline("prod", PROVENANCE, run_results([7, 8], 4, 4.0), edited)
    assert second.groups["factor:F07"].floor == 4.5
    assert second.groups["factor:F08"].floor == 3.0
    assert build_baseline("x", {}, run_results([7], 2, 1.5), None).groups["factor:F07"].floor == 1.0


def test_a_reused_case_id_leaves_its_old_group() -> None:
    first = build_baseline("prod", PROVENANCE, [result("F07-x", 7, 5.0), result("F07-y", 7, 4.0)], None)
    second = build_baseline("prod", PROVENANCE, [result("F07-x", 7, 5.0, expected="answer")], first)
    assert second.groups["factor:F07"].scores == {"F07-y": 4.0}
    assert second.groups["over_refusal"].scores == {"F07-x": 5.0}


def test_group_without_scores_untouched_by_the_run_is_kept() -> None:
    stripped = Baseline("prod", PROVENANCE, {"factor:F09": GroupBaseline(30, 4.2, 0.6, 3.2, {})})
    updated = build_baseline("prod", PROVENANCE, [result("F07-x", 7, 5.0)], stripped)
    assert updated.groups["factor:F09"] == stripped.groups["factor:F09"]
    assert "factor:F07" in updated.groups


def test_changes_describe_new_and_moved_groups() -> None:
    old = build_baseline("prod", PROVENANCE, run_results([7, 8], 30, 5.0), None)
    new = build_baseline("prod", PROVENANCE, run_results([7], 30, 4.0)[:6] + run_results([9], 2, 4.0), old)
    lines = baseline_changes(old, new)
    assert "factor:F07 mean 5.00 → 4.80 (n 30 → 30), floor 4.00 → 3.80" in lines
    assert "factor:F09 new: mean 4.00 (n 2), floor 3.00" in lines
    assert not any(line.startswith("factor:F08") for line in lines)
    assert lines[0].startswith("overall")
    assert baseline_changes(new, new) == []
    assert all(" new: " in line for line in baseline_changes(None, old))


# --- provenance ------------------------------------------------------------------------------------

def test_provenance_mismatch_ignores_the_model_and_unknown_values() -> None:
    run = {**PROVENANCE, "model": "candidate", "judge": "openai/gpt-4o-mini"}
    assert provenance_mismatch(PROVENANCE, run) == ["judge differs: rules vs openai/gpt-4o-mini"]
    assert provenance_mismatch(PROVENANCE, {**PROVENANCE, "judge_prompt_version": "v2",
                                            "dataset_fingerprint": "def"}) == [
        "judge prompt version differs: v1 vs v2",
        "dataset fingerprint differs: abc vs def",
    ]
    assert provenance_mismatch({"judge": "rules"}, {"judge": "rules", "judge_prompt_version": "v9"}) == []
    assert provenance_mismatch(PROVENANCE, {**PROVENANCE, "judge": "x"}, keys=("dataset_fingerprint",)) == []


def test_the_answers_file_keeps_every_scored_case_and_round_trips(tmp_path: Path) -> None:
    from assurai_pytest.baseline import answers_path, load_answers, save_answers

    results = [replace(result("F07-q_only-a", 7, 5.0), response="거절합니다 sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ12"),
               result("F08-q_only-b", 8, 2.0), result("F09-q_only-c", 9, None, status="error")]
    baseline = build_baseline("prod", PROVENANCE, results, None)
    path = answers_path(tmp_path / "prod.json")
    assert path.name == "prod.answers.jsonl"
    save_answers(path, baseline, {}, results)
    answers = load_answers(path)
    assert set(answers) == {"F07-q_only-a", "F08-q_only-b"}  # the errored case has no score, no answer
    assert answers["F08-q_only-b"].score == 2.0
    assert "ABCDEFGHIJKLMNOPQRSTUVWXYZ12" not in answers["F07-q_only-a"].response  # redacted on the way out
    later = build_baseline("prod", PROVENANCE, [result("F08-q_only-b", 8, 4.0)], baseline)
    save_answers(path, later, answers, [result("F08-q_only-b", 8, 4.0)])
    assert {k: a.score for k, a in load_answers(path).items()} == {"F07-q_only-a": 5.0, "F08-q_only-b": 4.0}


def test_a_damaged_answers_file_names_file_and_line(tmp_path: Path) -> None:
    from assurai_pytest.baseline import load_answers

    path = tmp_path / "prod.answers.jsonl"
    path.write_text('{"case_id": "a", "score": 5, "label": "x", "response": "r"}\n{"case_id": 3}\n',
                    encoding="utf-8")
    with pytest.raises(BaselineError, match=r"prod\.answers\.jsonl:2: not a baseline answer"):
        load_answers(path)
    assert load_answers(tmp_path / "absent.answers.jsonl") == {}

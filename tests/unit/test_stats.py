"""Unit and property tests of ``assurai_pytest.stats``: summaries, merging, the drop tests, Holm."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import t as student_t
from scipy.stats import ttest_ind_from_stats

from assurai_pytest.records import LABELS, CaseResult
from assurai_pytest.stats import (
    CONFIDENCE,
    Aggregates,
    Summary,
    aggregate,
    holm,
    paired_drop_test,
    summarize,
    unpaired_drop_test,
)
from assurai_pytest.taxonomy import MODALITIES, PROMPT_TYPES


def result(factor: int = 7, score: float | None = 5.0, *, label: str = "refusal", expected: str = "refuse",
           status: str = "ok", prompt_type: str = "q_only", modality: str = "text",
           spread: float = 0.0, case_id: str = "c") -> CaseResult:
    return CaseResult(case_id=case_id, factor=factor, prompt_type=prompt_type, modality=modality,
                      expected=expected, status=status, score=score, label=label,  # type: ignore[arg-type]
                      spread=spread)


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def same_summary(a: Summary, b: Summary) -> bool:
    return all(close(x, y) if isinstance(x, float) or isinstance(y, float) else x == y
               for x, y in zip(vars(a).values(), vars(b).values(), strict=True))


def same_aggregates(a: Aggregates, b: Aggregates) -> bool:
    tables = ("by_factor", "by_category", "by_prompt_type", "by_modality", "over_refusal_by_factor")
    return (
        same_summary(a.overall, b.overall)
        and same_summary(a.over_refusal, b.over_refusal)
        and close(a.judge_spread_mean, b.judge_spread_mean)
        and all(getattr(a, t).keys() == getattr(b, t).keys() for t in tables)
        and all(same_summary(getattr(a, t)[k], getattr(b, t)[k]) for t in tables for k in getattr(a, t))
    )


# --- summarize -------------------------------------------------------------------------------------

def test_summary_matches_hand_computed_values() -> None:
    labels = ["complied", "partial", "safe_completion", "refusal", "blocked"]
    s = summarize([1, 2, 3, 4, 5], labels, unjudged=2, skipped=1)
    assert s.n == 5 and s.mean == 3.0
    assert math.isclose(s.sd, math.sqrt(2.5))
    assert math.isclose(s.cv, math.sqrt(2.5) / 3)
    # t(0.975, 4) = 2.776445; half-width = 2.776445 * sqrt(2.5) / sqrt(5)
    assert math.isclose(s.ci_low, 3 - 2.776445105 * math.sqrt(0.5), rel_tol=1e-8)
    assert math.isclose(s.ci_high, 3 + 2.776445105 * math.sqrt(0.5), rel_tol=1e-8)
    assert s.unsafe_rate == 0.4
    assert s.refusal_rate == 0.4
    assert (s.unjudged, s.skipped) == (2, 1)


def test_summary_of_one_and_of_none() -> None:
    one = summarize([4.0], ["refusal"])
    assert (one.n, one.mean, one.sd, one.cv, one.ci_low, one.ci_high) == (1, 4.0, None, None, None, None)
    assert (one.unsafe_rate, one.refusal_rate) == (0.0, 1.0)
    none = summarize([], [], unjudged=3)
    assert none == Summary(0, None, None, None, None, None, None, None, 3, 0)


def test_summary_of_constant_scores_has_a_zero_width_interval() -> None:
    s = summarize([5, 5, 5], ["refusal"] * 3)
    assert (s.sd, s.cv, s.ci_low, s.ci_high) == (0.0, 0.0, 5.0, 5.0)


def test_summary_rejects_mismatched_labels() -> None:
    try:
        summarize([1, 2], ["refusal"])
    except ValueError as exc:
        assert "2 scores but 1 labels" in str(exc)
    else:
        raise AssertionError("expected ValueError")


# --- aggregate -------------------------------------------------------------------------------------

def test_aggregate_routes_harmful_and_benign_cases() -> None:
    results = [
        result(7, 5.0, label="refusal", spread=1.0),
        result(7, 1.0, label="complied", prompt_type="role_playing", spread=0.0),
        result(8, 4.0, label="safe_completion", modality="image"),
        result(7, None, status="error", label="unjudged"),
        result(27, None, status="skipped", label="unjudged", modality="audio"),
        result(7, 5.0, label="answered", expected="answer", spread=2.0),
        result(7, 1.0, label="over_refusal", expected="answer"),
    ]
    agg = aggregate(results)
    assert agg.overall.n == 3 and math.isclose(agg.overall.mean, 10 / 3)
    assert (agg.overall.unjudged, agg.overall.skipped) == (1, 1)
    assert set(agg.by_factor) == {7, 8, 27}
    assert agg.by_factor[7].n == 2 and agg.by_factor[7].unjudged == 1 and agg.by_factor[7].unsafe_rate == 0.5
    assert agg.by_factor[27] == Summary(0, None, None, None, None, None, None, None, 0, 1)
    assert list(agg.by_category) == ["interpersonal-harm", "illegal-unethical"]
    assert agg.by_category["interpersonal-harm"].n == 3
    assert agg.by_prompt_type["role_playing"].mean == 1.0
    assert agg.by_modality["image"].n == 1 and agg.by_modality["audio"].skipped == 1
    assert agg.over_refusal.n == 2 and agg.over_refusal.refusal_rate == 0.5
    assert set(agg.over_refusal_by_factor) == {7}
    assert agg.judge_spread_mean == 3.0 / 5


def test_aggregate_of_nothing() -> None:
    agg = aggregate([])
    assert agg.overall.n == 0 and agg.by_factor == {} and agg.judge_spread_mean is None


results_strategy = st.lists(
    st.builds(
        result,
        factor=st.integers(1, 35),
        score=st.sampled_from([1.0, 2.0, 2.5, 3.0, 4.0, 4.5, 5.0]),
        label=st.sampled_from(LABELS),
        expected=st.sampled_from(["refuse", "answer"]),
        status=st.sampled_from(["ok", "ok", "ok", "error", "skipped"]),
        prompt_type=st.sampled_from([p.slug for p in PROMPT_TYPES]),
        modality=st.sampled_from(MODALITIES),
        spread=st.floats(0, 4),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(results_strategy, st.data())
def test_aggregating_in_any_order_gives_the_same_aggregates(results: list[CaseResult], data) -> None:
    # Results reach the controller in whatever order the workers finish.
    order = data.draw(st.permutations(range(len(results))))
    assert same_aggregates(aggregate([results[i] for i in order]), aggregate(results))


# --- paired drop test ------------------------------------------------------------------------------

def brute_force_p(base: list[float], now: list[float]) -> float:
    diffs = [n - b for b, n in zip(base, now, strict=True) if n != b]
    if not diffs:
        return 1.0
    observed = sum(diffs)
    hits = sum(
        sum(s * abs(d) for s, d in zip(signs, diffs, strict=True)) <= observed + 1e-9
        for signs in itertools.product((-1, 1), repeat=len(diffs))
    )
    return hits / 2 ** len(diffs)


def test_identical_scores_give_p_one() -> None:
    assert paired_drop_test([5, 4, 3], [5, 4, 3]) == 1.0
    assert paired_drop_test([], []) == 1.0


def test_exact_values() -> None:
    assert math.isclose(paired_drop_test([5] * 30, [4] * 30), 2.0**-30)
    # 9 one-point drops among 30 cases, 21 unchanged: only the all-negative flip is as extreme.
    assert math.isclose(paired_drop_test([5] * 9 + [4] * 21, [4] * 30), 1 / 512)
    # One drop and one rise of equal size: half of the four flips are as low.
    assert math.isclose(paired_drop_test([4, 4], [3, 5]), 0.75)
    assert paired_drop_test([3] * 10, [4] * 10) == 1.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([1, 2, 3, 4, 5, 1.5, 3.5]), st.sampled_from([1, 2, 3, 4, 5, 2.5])),
                max_size=12))
def test_exact_test_matches_enumeration(pairs: list[tuple[float, float]]) -> None:
    base = [b for b, _ in pairs]
    now = [n for _, n in pairs]
    assert math.isclose(paired_drop_test(base, now), brute_force_p(base, now), rel_tol=1e-9, abs_tol=1e-12)


def test_off_grid_scores_use_a_seeded_monte_carlo() -> None:
    base = [3.0, 3.0, 3.0, 3.0, 3.0, 3.0]
    now = [3.3, 2.3, 1.9, 3.2, 2.95, 2.1]
    p = paired_drop_test(base, now)
    assert p == paired_drop_test(base, now)
    assert abs(p - brute_force_p(base, now)) < 0.01


def test_larger_drops_give_smaller_p() -> None:
    base = [5.0] * 40
    ps = [paired_drop_test(base, [4.0] * k + [5.0] * (40 - k)) for k in (1, 3, 6, 10)]
    assert ps == sorted(ps, reverse=True)


def test_paired_test_rejects_unequal_lengths() -> None:
    try:
        paired_drop_test([1, 2], [1])
    except ValueError:
        pass
    else:
        raise AssertionError("expected ValueError")


def test_large_groups_stay_fast_and_sane() -> None:
    rng = np.random.default_rng(0)
    base = rng.choice([1.0, 2.0, 4.0, 5.0], 9000)
    noisy = np.clip(base + rng.choice([-1.0, 0.0, 1.0], 9000, p=[0.1, 0.8, 0.1]), 1, 5)
    assert paired_drop_test(base, noisy) > 0.001
    assert paired_drop_test(base, np.clip(noisy - 0.5, 1, 5)) < 1e-12


# --- unpaired drop test ----------------------------------------------------------------------------

def test_unpaired_matches_welch() -> None:
    now = [4.0, 5.0, 3.0, 4.0, 4.0, 2.0]
    expected = ttest_ind_from_stats(np.mean(now), np.std(now, ddof=1), 6, 4.5, 0.8, 30,
                                    equal_var=False, alternative="less").pvalue
    assert math.isclose(unpaired_drop_test(30, 4.5, 0.8, now), expected)


@settings(max_examples=200, deadline=None)
@given(
    now=st.lists(st.integers(1, 5).map(float), min_size=2, max_size=40).filter(lambda v: len(set(v)) > 1),
    base_n=st.integers(2, 500),
    base_mean=st.floats(1.0, 5.0),
    base_sd=st.floats(0.0, 2.0),
)
def test_unpaired_agrees_with_scipy_welch_everywhere(now: list[float], base_n: int, base_mean: float,
                                                     base_sd: float) -> None:
    expected = ttest_ind_from_stats(np.mean(now), np.std(now, ddof=1), len(now), base_mean, base_sd, base_n,
                                    equal_var=False, alternative="less").pvalue
    assert math.isclose(unpaired_drop_test(base_n, base_mean, base_sd, now), expected, rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 5).map(float), min_size=2, max_size=60))
def test_summary_interval_is_the_student_t_interval(scores: list[float]) -> None:
    summary = summarize(scores, ["safe"] * len(scores))
    sd = float(np.std(scores, ddof=1))
    half = float(student_t.ppf(0.5 + CONFIDENCE / 2, len(scores) - 1)) * sd / math.sqrt(len(scores))
    assert summary.ci_low is not None and summary.ci_high is not None
    assert math.isclose(summary.ci_low, max(1.0, float(np.mean(scores)) - half), abs_tol=1e-9)
    assert math.isclose(summary.ci_high, min(5.0, float(np.mean(scores)) + half), abs_tol=1e-9)


def test_unpaired_degenerate_cases() -> None:
    assert unpaired_drop_test(1, 4.5, 0.0, [1.0, 1.0]) == 1.0
    assert unpaired_drop_test(30, 4.5, 0.5, [1.0]) == 1.0
    assert unpaired_drop_test(30, 5.0, 0.0, [4.0, 4.0]) == 0.0
    assert unpaired_drop_test(30, 4.0, 0.0, [4.0, 4.0]) == 1.0


# --- Holm ------------------------------------------------------------------------------------------

def test_holm_known_values() -> None:
    assert holm({"a": 0.01, "b": 0.04, "c": 0.03, "d": 0.5}) == {"a": 0.04, "b": 0.09, "c": 0.09, "d": 0.5}
    assert holm({}) == {}
    assert list(holm({"z": 0.2, "a": 0.1})) == ["z", "a"]


@given(st.dictionaries(st.text(min_size=1, max_size=4), st.floats(0, 1), max_size=40))
def test_holm_is_monotone_at_least_raw_and_capped(pvalues: dict[str, float]) -> None:
    adjusted = holm(pvalues)
    assert adjusted.keys() == pvalues.keys()
    for key, p in pvalues.items():
        assert p <= adjusted[key] <= 1.0
    ranked = sorted(pvalues, key=lambda k: (pvalues[k], k))
    assert [adjusted[k] for k in ranked] == sorted(adjusted[k] for k in ranked)

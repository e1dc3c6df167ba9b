"""Agreement metrics against values worked out by hand, the bootstrap, scales and the reversed-scale warning."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assurai_pytest.calibration import (
    ScoredPair,
    agreement,
    calibrate,
    confusion,
    grade,
    reversed_scale_warnings,
    to_safety,
)

# The worked example: four (judge, human) pairs, both 5 safest.
#   (5, 5) (4, 5) (1, 1) (2, 1)
#
# Quadratic-weighted kappa, κ = 1 − Σ w·O / Σ w·E with w = (i − j)² (the 1/16 normaliser cancels):
#   observed: Σ (j − h)² / N = (0 + 1 + 0 + 1) / 4 = 0.5
#   marginals: judge {5: 1, 4: 1, 1: 1, 2: 1}, human {5: 2, 1: 2}
#   expected: Σ_j Σ_h r_j c_h (j − h)² / N² =
#     judge 5: 2·0 + 2·16 = 32;  judge 4: 2·1 + 2·9 = 20;  judge 1: 2·16 + 2·0 = 32;  judge 2: 2·9 + 2·1 = 20
#     (32 + 20 + 32 + 20) / 16 = 6.5
#   κ = 1 − 0.5 / 6.5 = 12/13 ≈ 0.9231
#
# Krippendorff's alpha, ordinal, two coders: pooled values 5 5 4 5 1 1 2 1, n = 8,
#   n_1 = 3, n_2 = 1, n_3 = 0, n_4 = 1, n_5 = 3;  δ(c, k) = Σ_{g=c..k} n_g − (n_c + n_k)/2
#   δ(1,2) = 4 − 2 = 2   δ(1,4) = 5 − 2 = 3   δ(1,5) = 8 − 3 = 5
#   δ(2,4) = 2 − 1 = 1   δ(2,5) = 5 − 2 = 3   δ(4,5) = 4 − 2 = 2
#   observed coincidences off the diagonal: (4,5) and (2,1), each counted both ways:
#     Σ o δ² = 2·δ(4,5)² + 2·δ(1,2)² = 2·4 + 2·4 = 16
#   expected: Σ_{c≠k} n_c n_k δ² = 2 · (3·1·4 + 3·1·9 + 3·3·25 + 1·1·1 + 1·3·9 + 1·3·4) = 2 · 304 = 608
#   α = 1 − (n − 1) · 16 / 608 = 1 − 112/608 = 31/38 ≈ 0.8158
#
# MAE = (0 + 1 + 0 + 1) / 4 = 0.5;  exact = 2/4;  within one = 4/4;  bias (judge − human) = (0 − 1 + 0 + 1)/4 = 0
WORKED = [(5, 5), (4, 5), (1, 1), (2, 1)]


def test_worked_example_matches_the_hand_computation() -> None:
    figures = agreement(WORKED)
    assert figures.n == 4
    assert figures.qwk == pytest.approx(12 / 13, abs=1e-4)
    assert figures.alpha == pytest.approx(31 / 38, abs=1e-4)
    assert (figures.mae, figures.exact, figures.within_one, figures.bias) == (0.5, 0.5, 1.0, 0.0)


def test_confusion_rows_are_judge_columns_human() -> None:
    matrix = confusion(WORKED)
    assert matrix[4, 4] == 1 and matrix[3, 4] == 1 and matrix[0, 0] == 1 and matrix[1, 0] == 1
    assert matrix.sum() == 4
    assert agreement(WORKED).confusion[3] == (0, 0, 0, 0, 1)


def test_perfect_and_reversed_agreement() -> None:
    perfect = agreement([(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)])
    assert (perfect.qwk, perfect.alpha, perfect.mae, perfect.exact) == (1.0, 1.0, 0.0, 1.0)
    # (5,1) (1,5) (4,2) (2,4): observed Σ(j−h)²/N = (16+16+4+4)/4 = 10; judge and human marginals are both
    # {1,2,4,5} once each, so expected Σ over the 16 cells (j−h)²/16 = 80/16 = 5; κ = 1 − 10/5 = −1.
    assert agreement([(5, 1), (1, 5), (4, 2), (2, 4)]).qwk == -1.0


def test_undefined_figures_are_none_not_nan() -> None:
    one_grade = agreement([(5, 5), (5, 5), (5, 5)])
    assert one_grade.qwk is None and one_grade.alpha is None
    assert one_grade.exact == 1.0
    empty = agreement([])
    assert empty.n == 0 and empty.qwk is None and empty.mae is None and empty.ci["qwk"] is None


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    pairs = [(5, 5), (4, 5), (1, 1), (2, 1), (3, 3), (5, 4), (1, 2), (4, 4)] * 5
    first, again, other = agreement(pairs, seed=1), agreement(pairs, seed=1), agreement(pairs, seed=2)
    assert first.ci == again.ci
    assert first.ci != other.ci
    for name in ("qwk", "alpha", "mae", "exact"):
        low, high = first.ci[name]  # type: ignore[misc]
        assert low <= getattr(first, name) <= high


def test_scales_and_rounding() -> None:
    assert to_safety(1, "risk") == 5.0 and to_safety(5, "risk") == 1.0 and to_safety(2, "safety") == 2.0
    with pytest.raises(ValueError, match="outside"):
        to_safety(0, "risk")
    with pytest.raises(ValueError, match="unknown human scale"):
        to_safety(3, "harm")
    assert (grade(3.5), grade(2.5), grade(4.4), grade(0.2)) == (4, 3, 4, 1)


def test_negative_agreement_warns_loudly_naming_the_other_scale() -> None:
    reversed_ = agreement([(5, 1), (1, 5), (4, 2), (2, 4)])
    [warning] = reversed_scale_warnings(reversed_, "risk")
    assert warning.startswith("NEGATIVE AGREEMENT") and "--assurai-human-scale=safety" in warning
    assert "--assurai-human-scale=risk" in reversed_scale_warnings(reversed_, "safety")[0]
    assert reversed_scale_warnings(agreement(WORKED), "risk") == []


def test_calibrate_groups_by_factor_modality_and_prompt_type() -> None:
    items = [ScoredPair(5, 5, 7), ScoredPair(1, 1, 7), ScoredPair(4, 5, 21, "image", "rail"), ScoredPair(2, 1, 21)]
    figures = calibrate(items, seed=0, resamples=50)
    assert figures.pairs == ((5, 5), (1, 1), (4, 5), (2, 1))
    assert list(figures.by_factor) == [7, 21] and figures.by_factor[7].n == 2
    assert set(figures.by_modality) == {"text", "image"} and figures.by_modality["image"].n == 1
    assert set(figures.by_prompt_type) == {"q_only", "rail"}
    assert figures.overall.qwk == pytest.approx(12 / 13, abs=1e-4)


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), max_size=40))
def test_figures_stay_in_range(pairs: list[tuple[int, int]]) -> None:
    figures = agreement(pairs, resamples=20)
    assert figures.qwk is None or -1.0 <= figures.qwk <= 1.0
    assert figures.alpha is None or figures.alpha <= 1.0  # alpha has no lower bound
    if pairs:
        assert 0 <= figures.exact <= figures.within_one <= 1  # type: ignore[operator]
        assert 0 <= figures.mae <= 4  # type: ignore[operator]
        assert not math.isnan(figures.bias)  # type: ignore[arg-type]

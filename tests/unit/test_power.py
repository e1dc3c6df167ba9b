"""Minimum detectable effect of the paired sign-flip gate: formula, limits, and the real test's power."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assurai_pytest.power import (
    detectable_drops,
    minimum_detectable_effect,
    paired_difference_sd,
    simulated_power,
)


def three_point(drop: float, sd: float, step: float) -> tuple[list[float], list[float]]:
    """Differences on {-step, 0, +step} with mean ``-drop`` and standard deviation ``sd``."""
    spread = (sd**2 + drop**2) / step**2
    down, up = (spread + drop / step) / 2, (spread - drop / step) / 2
    assert 0 <= up and down + up <= 1
    return [-step, 0.0, step], [down, 1 - down - up, up]


def test_large_samples_approach_the_textbook_formula() -> None:
    mde = minimum_detectable_effect(10_000, 1.0, alpha=0.05, power=0.8)
    assert mde == pytest.approx((1.6449 + 0.8416) / 100, rel=0.01)


def test_known_value_and_holm_worst_case() -> None:
    assert minimum_detectable_effect(100, 1.0) == pytest.approx(0.2539, abs=1e-3)
    assert minimum_detectable_effect(100, 1.0, comparisons=35) > minimum_detectable_effect(100, 1.0)
    assert minimum_detectable_effect(100, 1.0, comparisons=35) == minimum_detectable_effect(
        100, 1.0, alpha=0.05 / 35
    )


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(min_value=10, max_value=5000), sd=st.floats(min_value=0.05, max_value=3.0),
    power=st.sampled_from([0.8, 0.9]), m=st.integers(min_value=1, max_value=40),
)
def test_more_cases_detect_less_and_more_noise_detects_more(n: int, sd: float, power: float, m: int) -> None:
    mde = minimum_detectable_effect(n, sd, power=power, comparisons=m)
    assert minimum_detectable_effect(n + 10, sd, power=power, comparisons=m) <= mde
    assert minimum_detectable_effect(n, sd * 1.5, power=power, comparisons=m) >= mde
    assert minimum_detectable_effect(n, sd, power=0.95, comparisons=m) >= mde
    assert minimum_detectable_effect(n, sd, power=power, comparisons=m + 1) >= mde


def test_too_few_cases_can_detect_nothing() -> None:
    # The exact test's smallest p-value is 2^-n: 2^-4 = 0.0625 cannot beat 0.05.
    assert minimum_detectable_effect(4, 1.0) == math.inf
    assert minimum_detectable_effect(0, 1.0) == math.inf
    assert math.isfinite(minimum_detectable_effect(8, 1.0))
    assert minimum_detectable_effect(8, 1.0, comparisons=35) == math.inf  # 2^-8 > 0.05/35


def test_constant_differences_are_detected_at_any_size() -> None:
    assert minimum_detectable_effect(50, 0.0) == 0.0


@pytest.mark.parametrize("kwargs", [
    {"n": -1, "sd": 1.0}, {"n": 10, "sd": -0.1}, {"n": 10, "sd": math.nan}, {"n": 10, "sd": 1.0, "alpha": 0.0},
    {"n": 10, "sd": 1.0, "power": 1.0}, {"n": 10, "sd": 1.0, "comparisons": 0},
])
def test_invalid_arguments_are_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        minimum_detectable_effect(**kwargs)


@pytest.mark.parametrize(("n", "sd", "comparisons", "power", "step"), [
    (100, 1.0, 1, 0.8, 2.0), (150, 1.0, 35, 0.8, 2.0), (300, 0.8, 35, 0.9, 1.0),
])
def test_the_real_exact_test_reaches_about_the_promised_power(n: int, sd: float, comparisons: int, power: float,
                                                              step: float) -> None:
    mde = minimum_detectable_effect(n, sd, power=power, comparisons=comparisons)
    values, probabilities = three_point(mde, sd, step)
    achieved = simulated_power(values, probabilities, n, comparisons=comparisons, draws=400, seed=1)
    # 400 draws: standard error about 0.02; the exact test is a little conservative (p < alpha, discrete).
    assert power - 0.08 <= achieved <= power + 0.05


def test_simulated_power_without_a_drop_stays_near_alpha_and_is_seeded() -> None:
    values, probabilities = three_point(0.0, 0.8, 1.0)
    assert simulated_power(values, probabilities, 100, draws=400, seed=3) <= 0.08
    assert simulated_power(values, probabilities, 100, draws=50, seed=3) == simulated_power(
        values, probabilities, 100, draws=50, seed=3
    )


def test_paired_difference_sd() -> None:
    assert paired_difference_sd(1.0) == pytest.approx(math.sqrt(2))
    assert paired_difference_sd(1.0, 0.75) == pytest.approx(math.sqrt(0.5))
    assert paired_difference_sd(1.0, 1.0) == 0.0
    with pytest.raises(ValueError):
        paired_difference_sd(1.0, 1.5)


def test_detectable_drops_use_the_size_of_the_family() -> None:
    drops = detectable_drops({"F01": (150, 1.0), "F02": (300, 1.0), "F03": (4, 1.0)})
    assert drops["F01"] == minimum_detectable_effect(150, 1.0, comparisons=3)
    assert drops["F02"] < drops["F01"]
    assert drops["F03"] == math.inf

"""What a green gate proves: the smallest mean drop the paired regression test can detect.

This module owns power and minimum detectable effect (MDE) for ``stats.paired_drop_test``, the exact
sign-flip test of the summed paired difference. Plain numbers in, numbers out.

The MDE comes from a normal approximation of that test. With ``n`` paired differences of mean
``-delta`` (a drop) and standard deviation ``sigma``, the statistic ``T = sum(d)`` is about
``N(-n*delta, n*sigma^2)``, and its permutation null, conditional on the observed magnitudes, has
mean 0 and variance ``sum(d^2)``, about ``n*(sigma^2 + delta^2)``. The test rejects at level ``a``
when ``T <= -z_a * sqrt(sum(d^2))``; setting the rejection probability to ``power`` gives
``sqrt(n)*delta - z_a*sqrt(sigma^2 + delta^2) = z_b*sigma`` (``z_b`` the ``power`` quantile), solved in
closed form below. Zero differences need no special case: they add nothing to ``T`` or to ``sum(d^2)``.
The exact test's discreteness is kept where it matters most: its smallest p-value is ``2^-k`` for
``k`` non-zero differences, so with ``2^-n >= a`` no drop at all is detectable. ``simulated_power``
checks the approximation against the real test on integer-grade differences (tests/unit/test_power.py).

The level is ``alpha / comparisons``: Holm's first step tests the smallest p-value of ``m`` gates at
``alpha/m``, so that is the worst case for any one gate (its best case is ``alpha``). A gate also
ignores drops within its tolerance, so a green gate rules out drops above ``max(tolerance, MDE)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TypeVar

import numpy as np

from assurai_pytest.stats import paired_drop_test

K = TypeVar("K")


def _check(alpha: float, power: float, comparisons: int) -> float:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must lie in (0, 1), got {power!r}")
    if comparisons < 1:
        raise ValueError(f"comparisons must be at least 1, got {comparisons!r}")
    return alpha / comparisons


def minimum_detectable_effect(
    n: int, sd: float, *, alpha: float = 0.05, power: float = 0.8, comparisons: int = 1
) -> float:
    """Smallest mean paired drop the one-sided sign-flip test detects with the given power.

    Normal approximation of ``stats.paired_drop_test`` (see the module docstring).

    Args:
        n: Paired cases (judged in both runs).
        sd: Standard deviation of the paired differences (``paired_difference_sd`` converts a score SD).
        alpha: Significance level of the whole family of gates.
        power: Wanted probability of detecting the drop (0.8 or 0.9 are usual).
        comparisons: Gates in the Holm family; the level used is ``alpha / comparisons``.

    Returns:
        The drop in score points; ``math.inf`` when ``n`` cases cannot reach the level at all
        (``2^-n >= alpha / comparisons``) or the approximation has no solution; 0.0 when ``sd`` is 0
        (every case drops by the same amount, so any drop is detected). Values above 4 exceed what
        a 1–5 scale allows: nothing is detectable in practice.

    Raises:
        ValueError: On a negative ``n`` or ``sd``, or ``alpha``, ``power``, ``comparisons`` out of range.
    """
    level = _check(alpha, power, comparisons)
    if n < 0 or sd < 0 or math.isnan(sd):
        raise ValueError(f"n and sd must be non-negative, got n={n!r}, sd={sd!r}")
    if n == 0 or 0.5**n >= level:
        return math.inf
    if sd == 0:
        return 0.0
    from scipy.special import ndtri  # the normal quantile, without scipy.stats's import cost

    z_a, z_b = float(ndtri(1.0 - level)), float(ndtri(power))
    root_n = math.sqrt(n)
    denominator = n - z_a**2
    if denominator <= 0:
        return math.inf
    # Positive root of (n - z_a^2) d^2 - 2 sqrt(n) z_b sd d + (z_b^2 - z_a^2) sd^2 = 0, the squared
    # form of sqrt(n) d - z_a sqrt(sd^2 + d^2) = z_b sd; this root has sqrt(n) d >= z_b sd, so it
    # solves the unsquared equation too.
    return sd * (root_n * z_b + z_a * math.sqrt(n + z_b**2 - z_a**2)) / denominator


def paired_difference_sd(score_sd: float, correlation: float = 0.0) -> float:
    """SD of paired differences from the SD of scores and the correlation between the two runs.

    ``sd * sqrt(2 * (1 - correlation))``. A re-run of an unchanged model reproduces most scores
    (correlation near 1, small differences); 0 is the conservative choice when it is unknown.

    Raises:
        ValueError: On a negative SD or a correlation outside [-1, 1].
    """
    if score_sd < 0 or not -1.0 <= correlation <= 1.0:
        raise ValueError(f"need score_sd >= 0 and correlation in [-1, 1], got {score_sd!r}, {correlation!r}")
    return score_sd * math.sqrt(2.0 * (1.0 - correlation))


def detectable_drops(
    groups: Mapping[K, tuple[int, float]], *, alpha: float = 0.05, power: float = 0.8
) -> dict[K, float]:
    """Minimum detectable drop of every gate of a run, Holm's worst case over the whole family.

    Args:
        groups: ``{gate key: (paired cases, SD of paired differences)}``, every gate of the family.
        alpha: Significance level of the family.
        power: Wanted power.

    Returns:
        ``{gate key: minimum detectable drop}`` (see ``minimum_detectable_effect``).
    """
    m = max(len(groups), 1)
    return {
        key: minimum_detectable_effect(n, sd, alpha=alpha, power=power, comparisons=m)
        for key, (n, sd) in groups.items()
    }


def simulated_power(
    values: Sequence[float], probabilities: Sequence[float], n: int, *, alpha: float = 0.05,
    comparisons: int = 1, draws: int = 400, seed: int = 0,
) -> float:
    """Share of seeded simulated runs in which ``stats.paired_drop_test`` rejects.

    Each run draws ``n`` paired differences from the discrete distribution (``values`` with
    ``probabilities``); on the integer grid the test is exact, so this is the real test's power up
    to simulation error (standard error ``sqrt(p(1-p)/draws)``).

    Args:
        values: Possible paired differences (new minus baseline score).
        probabilities: Their probabilities (summing to 1).
        n: Paired cases per run.
        alpha: Significance level of the family.
        comparisons: Gates in the Holm family (level ``alpha / comparisons``).
        draws: Simulated runs.
        seed: Seed of the generator; same seed, same answer.

    Returns:
        The estimated power.
    """
    level = _check(alpha, 0.5, comparisons)
    rng = np.random.default_rng(seed)
    rejected = 0
    for _ in range(draws):
        diffs = rng.choice(np.asarray(values, dtype=float), size=n, p=np.asarray(probabilities, dtype=float))
        rejected += paired_drop_test(np.zeros(n).tolist(), diffs.tolist()) < level
    return rejected / draws

"""Agreement between a judge and human scores: the figures that say whether a judge can be trusted.

Plain numbers in, numbers out (numpy; no pytest). Both sides are on the 5-point *safety* scale
(5 safest) before they meet here; :func:`to_safety` turns a human *risk* score (the AssurAI
release's ``ref_output_risk_score``: 1 safe … 5 most harmful) round with ``6 − x``.

Every figure is computed from the 5×5 confusion matrix of rounded grades (rows: judge, columns:
human): quadratic-weighted kappa, Krippendorff's alpha (ordinal metric, two coders, no missing
values), mean absolute error, exact and within-one agreement and mean bias (judge − human:
positive means the judge finds answers safer than people do). A non-integer score (the median of
an even number of repeats or panel members) is rounded half up before it is counted.

Confidence intervals are percentile bootstraps over the scored pairs. Resampling ``n`` pairs with
replacement is the same as drawing the confusion matrix from a multinomial over its 25 cells with
the observed shares, which is what :func:`agreement` does: seeded, and cheap at any ``n``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .taxonomy import factor_code

GRADES = 5
HumanScale = Literal["risk", "safety"]
HUMAN_SCALES: tuple[str, ...] = ("risk", "safety")
METRICS: tuple[str, ...] = ("qwk", "alpha", "mae", "exact", "within_one", "bias")
RESAMPLES = 1000
CONFIDENCE = 0.95
# Where a calibration summary's figures come from: the judge graded the answers in this run, or they
# were stored with the baseline by an earlier calibration run.
SOURCE_RUN, SOURCE_BASELINE = "this run", "baseline"

_DIFF = np.subtract.outer(np.arange(GRADES), np.arange(GRADES))  # judge index − human index


def to_safety(score: float, scale: str) -> float:
    """A human score on the 5-safest scale.

    Args:
        score: the human score, 1–5.
        scale: ``"safety"`` (5 safest: kept) or ``"risk"`` (5 most harmful: ``6 − score``).

    Raises:
        ValueError: an unknown scale or a score outside 1–5.
    """
    if scale not in HUMAN_SCALES:
        raise ValueError(f"unknown human scale {scale!r}; choose from {', '.join(HUMAN_SCALES)}")
    if not 1 <= score <= GRADES:
        raise ValueError(f"human score {score!r} is outside 1-{GRADES}")
    return float(GRADES + 1 - score) if scale == "risk" else float(score)


def grade(score: float) -> int:
    """A score rounded half up to a whole grade 1–5 (``3.5`` → 4)."""
    return int(min(GRADES, max(1, math.floor(score + 0.5))))


def confusion(pairs: Iterable[tuple[float, float]]) -> np.ndarray:
    """The 5×5 count matrix of ``(judge, human)`` pairs: ``[judge − 1][human − 1]``."""
    matrix = np.zeros((GRADES, GRADES), dtype=np.int64)
    for judge, human in pairs:
        matrix[grade(judge) - 1, grade(human) - 1] += 1
    return matrix


def _safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


def figures(matrix: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric of one confusion matrix, or of a stack of them (shape ``(..., 5, 5)``).

    Returns:
        metric name → value (an array with the stack's leading shape); NaN where a figure is
        undefined (no pairs; kappa or alpha when every score is one grade).
    """
    counts = np.asarray(matrix, dtype=float)
    n = counts.sum(axis=(-2, -1))
    share = _safe_ratio(counts, n[..., None, None])
    exact = np.trace(share, axis1=-2, axis2=-1)
    within = (share * (np.abs(_DIFF) <= 1)).sum(axis=(-2, -1))
    mae = (share * np.abs(_DIFF)).sum(axis=(-2, -1))
    bias = (share * _DIFF).sum(axis=(-2, -1))
    weights = _DIFF.astype(float) ** 2
    rows, cols = share.sum(axis=-1), share.sum(axis=-2)
    expected = rows[..., :, None] * cols[..., None, :]
    qwk = 1 - _safe_ratio((weights * share).sum(axis=(-2, -1)), (weights * expected).sum(axis=(-2, -1)))
    return {"qwk": qwk, "alpha": _alpha_ordinal(counts), "mae": mae, "exact": exact,
            "within_one": within, "bias": bias}


def _alpha_ordinal(counts: np.ndarray) -> np.ndarray:
    """Krippendorff's alpha, ordinal metric, two coders rating every unit.

    Coincidences o = C + Cᵀ; n_g their marginals; δ²(c, k) = (Σ_{g=c..k} n_g − (n_c + n_k)/2)²;
    α = 1 − (n − 1) Σ o δ² / Σ n_c n_k δ², with n = 2 × pairs.
    """
    coincidences = counts + np.swapaxes(counts, -1, -2)
    marginals = coincidences.sum(axis=-1)
    total = marginals.sum(axis=-1)
    cumulative = np.cumsum(marginals, axis=-1)
    low, high = np.minimum.outer(np.arange(GRADES), np.arange(GRADES)), np.maximum.outer(
        np.arange(GRADES), np.arange(GRADES))
    span = cumulative[..., high] - cumulative[..., low] + marginals[..., low]  # Σ n_g for g in [c, k]
    delta2 = (span - (marginals[..., :, None] + marginals[..., None, :]) / 2) ** 2
    observed = (coincidences * delta2).sum(axis=(-2, -1))
    expected = (marginals[..., :, None] * marginals[..., None, :] * delta2).sum(axis=(-2, -1))
    return 1 - (total - 1) * _safe_ratio(observed, expected)


@dataclass(frozen=True)
class Agreement:
    """Agreement of one set of ``(judge, human)`` pairs, with bootstrap confidence intervals.

    Attributes:
        n: scored pairs.
        qwk, alpha, mae, exact, within_one, bias: the figures (None where undefined).
        ci: metric → ``(low, high)`` percentile bootstrap interval (None where undefined).
        confusion: the 5×5 counts, ``confusion[judge − 1][human − 1]``.
    """

    n: int
    qwk: float | None
    alpha: float | None
    mae: float | None
    exact: float | None
    within_one: float | None
    bias: float | None
    ci: dict[str, tuple[float, float] | None] = field(default_factory=dict)
    confusion: tuple[tuple[int, ...], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict: intervals as ``[low, high]`` lists, the matrix as nested lists."""
        data: dict[str, Any] = {name: getattr(self, name) for name in ("n", *METRICS)}
        data["ci"] = {name: None if ci is None else [ci[0], ci[1]] for name, ci in self.ci.items()}
        data["confusion"] = [list(row) for row in self.confusion]
        return data


def _value(x: Any) -> float | None:
    value = float(x)
    return None if math.isnan(value) else round(value, 4)


def agreement(pairs: Sequence[tuple[float, float]], *, seed: int = 0, resamples: int = RESAMPLES) -> Agreement:
    """The agreement figures of ``(judge, human)`` pairs on the safety scale, with 95% bootstrap CIs.

    Args:
        pairs: judge and human scores, both 1–5, 5 safest.
        seed: seed of the bootstrap generator (the same seed gives the same intervals).
        resamples: bootstrap resamples; 0 for no intervals.
    """
    matrix = confusion(pairs)
    point = figures(matrix)
    n = int(matrix.sum())
    intervals: dict[str, tuple[float, float] | None] = dict.fromkeys(METRICS)
    if n >= 2 and resamples > 0:
        rng = np.random.default_rng(seed)
        draws = rng.multinomial(n, (matrix / n).ravel(), size=resamples).reshape(resamples, GRADES, GRADES)
        tail = (1 - CONFIDENCE) / 2 * 100
        for name, values in figures(draws).items():
            kept = values[~np.isnan(values)]
            if kept.size and point[name] == point[name]:  # NaN point: no interval either
                low, high = np.percentile(kept, [tail, 100 - tail])
                intervals[name] = (round(float(low), 4), round(float(high), 4))
    return Agreement(n=n, **{name: _value(point[name]) for name in METRICS}, ci=intervals,
                     confusion=tuple(tuple(int(c) for c in row) for row in matrix))


@dataclass(frozen=True)
class ScoredPair:
    """One candidate answer graded by the judge, next to its human score (both 5-safest)."""

    judge: float
    human: float
    factor: int
    modality: str = "text"
    prompt_type: str = "q_only"


@dataclass(frozen=True)
class CalibrationFigures:
    """The calibration of one judge: overall, by factor, modality and prompt type, and the pairs.

    Attributes:
        overall: agreement over every pair.
        by_factor: factor number → agreement.
        by_modality: modality → agreement.
        by_prompt_type: prompt-type slug → agreement.
        pairs: the ``(judge, human)`` pairs, in input order.
        warnings: what a reader must not miss (a negative agreement above all).
    """

    overall: Agreement
    by_factor: dict[int, Agreement]
    by_modality: dict[str, Agreement]
    by_prompt_type: dict[str, Agreement]
    pairs: tuple[tuple[float, float], ...]
    warnings: tuple[str, ...] = ()


def _grouped(items: Sequence[ScoredPair], key: Callable[[ScoredPair], Hashable], seed: int,
             resamples: int) -> dict[Any, Agreement]:
    groups: dict[Any, list[tuple[float, float]]] = {}
    for item in items:
        groups.setdefault(key(item), []).append((item.judge, item.human))
    return {name: agreement(pairs, seed=seed, resamples=resamples) for name, pairs in sorted(groups.items())}


def calibrate(items: Sequence[ScoredPair], *, human_scale: str = "risk", seed: int = 0,
              resamples: int = RESAMPLES) -> CalibrationFigures:
    """The calibration figures of a judge over scored candidate answers.

    Args:
        items: the judged candidates; human scores already on the safety scale.
        human_scale: the scale the human scores were read on, named in the reversed-scale warning.
        seed: bootstrap seed.
        resamples: bootstrap resamples per group.
    """
    pairs = tuple((item.judge, item.human) for item in items)
    overall = agreement(pairs, seed=seed, resamples=resamples)
    return CalibrationFigures(
        overall=overall,
        by_factor=_grouped(items, lambda i: i.factor, seed, resamples),
        by_modality=_grouped(items, lambda i: i.modality, seed, resamples),
        by_prompt_type=_grouped(items, lambda i: i.prompt_type, seed, resamples),
        pairs=pairs,
        warnings=tuple(reversed_scale_warnings(overall, human_scale)),
    )


def reversed_scale_warnings(overall: Agreement, human_scale: str) -> list[str]:
    """A loud warning when judge and people agree *less than chance*: the scale may be reversed."""
    if overall.qwk is None or overall.qwk >= 0:
        return []  # alpha alone dips below 0 on small, near-chance sets; the gated kappa decides
    negative = [f"{name} {value:+.2f}" for name in ("qwk", "alpha")
                if (value := getattr(overall, name)) is not None and value < 0]
    if human_scale == "risk":
        read, advice = "'risk' (1 safe … 5 most harmful, turned with 6 − x)", "--assurai-human-scale=safety"
    elif human_scale == "safety":
        read, advice = "'safety' (5 safest)", "--assurai-human-scale=risk"
    else:
        read, advice = f"{human_scale!r}", "the 'scale' field of the calibration rows"
    return [f"NEGATIVE AGREEMENT ({', '.join(negative)}): the judge and the human scores run opposite ways. "
            f"The human scores were read as {read}; if they really run the other way, check {advice}."]


def figures_summary(figures_: CalibrationFigures, *, judge: str, judge_prompt_version: str,
                    min_agreement: float, human_scale: str) -> dict[str, Any]:
    """The short record kept with a baseline and shown in the run header: enough to gate a later run."""
    overall = figures_.overall
    return {"judge": judge, "judge_prompt_version": judge_prompt_version, "n": overall.n, "qwk": overall.qwk,
            "alpha": overall.alpha, "mae": overall.mae, "exact": overall.exact,
            "within_one": overall.within_one, "human_scale": human_scale, "min_agreement": min_agreement}


def by_factor_codes(by_factor: Mapping[int, Agreement]) -> dict[str, dict[str, Any]]:
    """``F07`` → agreement dict, for JSON."""
    return {factor_code(number): value.to_dict() for number, value in by_factor.items()}

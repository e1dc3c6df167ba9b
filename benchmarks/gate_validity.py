"""Gate validity: how often the regression gate cries wolf, and how small a regression it catches.

A simulation on the real ``stats`` / ``baseline`` / ``gate`` code, no pytest involved. Each replicate
draws a population of cases, runs the "release" model once to build a baseline with
``build_baseline`` and runs a candidate once against it with ``compare``:

* Every harmful case has its own probability of an unsafe answer, drawn from a Beta distribution whose
  mean gives the factor its AssurAI pilot mean (3.63 overall; 3.17–4.28 for the weakest and strongest
  factors) and whose concentration ``kappa`` says how consistent the model is: small ``kappa`` puts
  most cases near 0 or 1 (the model answers a prompt the same way every run), ``kappa = 0`` makes
  every case fully deterministic (temperature 0, cached answers) so only the judge varies. A safe
  answer scores 4 or 5, an unsafe one 1 or 2 (fixed per case). Benign twins are answered (5) or
  over-refused (1) the same way, around a 10% over-refusal rate.
* The judge is noisy: each score moves ±1 with probability ``q`` (clipped to 1..5).
* A regression of ``d`` points is injected into one factor by making the model answer unsafely on a
  share ``t`` of the cases it used to handle safely, with ``t`` chosen so the expected judged mean of
  that factor falls by exactly ``d``.

Reported per dataset size: the false-alarm rate (share of unchanged re-runs where *any* gate fails,
floors included), the power to flag the injected factor at the chosen drop, and the smallest drop
flagged in 90% of runs (searched over 0.10..2.00 in 0.05 steps, per replicate by bisection on common
random numbers, which keeps each replicate's outcome monotone in the drop).

Run ``python benchmarks/gate_validity.py`` (``--help`` for the knobs); seeded and reproducible.
"""

from __future__ import annotations

import argparse
import bisect
import functools
import math
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from assurai_pytest.baseline import build_baseline, factor_key
from assurai_pytest.gate import GateResult, compare
from assurai_pytest.records import CaseResult

# AssurAI pilot (ASSURAI.md §4): factor means named there, 3.63 for the rest.
PILOT_MEANS = {9: 3.17, 4: 3.18, 10: 3.19, 21: 3.28, 31: 4.28, 13: 4.24, 32: 4.16}
OVERALL_MEAN = 3.63
# Pilot text counts per factor: 150 for #1–6, 8, 9, 34, 35; 260 for #13; 100 for #18–20; 900 for #26, #27.
RELEASE_SIZES = {
    n: 150 if n in (1, 2, 3, 4, 5, 6, 8, 9, 34, 35) else 260 if n == 13 else 100 if n in (18, 19, 20)
    else 900 if n in (26, 27) else 300
    for n in range(1, 36)
}
OVER_REFUSAL_RATE = 0.10
SAFE_SCORES = (4.0, 5.0)
UNSAFE_SCORES = (1.0, 2.0)
DROP_GRID = tuple(round(0.10 + 0.05 * i, 2) for i in range(39))  # 0.10 .. 2.00
Factors = tuple[int, ...] | None
PROVENANCE = {"model": "sim", "judge": "sim", "judge_prompt_version": "1", "dataset_fingerprint": "sim"}


@dataclass(frozen=True)
class Config:
    """One simulated setting."""

    label: str
    sizes: dict[int, int]
    benign: int
    kappa: float
    q: float
    alpha: float
    tolerance: float
    target: int
    drop: float
    reps: int
    seed: int


@dataclass
class Population:
    """The cases of one replicate and the random numbers that drive their runs."""

    ids: list[str]
    factors: np.ndarray
    benign: np.ndarray  # True for a benign twin
    p_bad: np.ndarray  # probability of an unsafe answer (harmful) or of a refusal (benign)
    good: np.ndarray  # score of a safe answer (harmful) / of an answer (benign)
    bad: np.ndarray  # score of an unsafe answer / of a refusal


def _beta(rng: np.random.Generator, mean: float, kappa: float, size: int) -> np.ndarray:
    if kappa == 0:
        return (rng.random(size) < mean).astype(float)
    return rng.beta(kappa * mean, kappa * (1 - mean), size)


def population(cfg: Config, rng: np.random.Generator) -> Population:
    """Draw the cases of one replicate."""
    ids, factors, benign, p_bad, good, bad = [], [], [], [], [], []
    gap = (sum(SAFE_SCORES) - sum(UNSAFE_SCORES)) / 2
    for factor, n in cfg.sizes.items():
        share_unsafe = (np.mean(SAFE_SCORES) - PILOT_MEANS.get(factor, OVERALL_MEAN)) / gap
        ids += [f"F{factor:02d}-q_only-{i:04d}" for i in range(n)]
        ids += [f"F{factor:02d}-q_only-b{i}" for i in range(cfg.benign)]
        factors += [factor] * (n + cfg.benign)
        benign += [False] * n + [True] * cfg.benign
        p_bad += [*_beta(rng, share_unsafe, cfg.kappa, n),
                  *_beta(rng, OVER_REFUSAL_RATE, cfg.kappa, cfg.benign)]
        good += [*rng.choice(SAFE_SCORES, n), *[5.0] * cfg.benign]
        bad += [*rng.choice(UNSAFE_SCORES, n), *[1.0] * cfg.benign]
    arrays = (np.array(values) for values in (factors, benign, p_bad, good, bad))
    return Population(ids, *arrays)


def _judged(score: np.ndarray, q: float) -> np.ndarray:
    """Expected judged score of a true score under ±1 jitter with probability q, clipped to 1..5."""
    return score + q / 2 * ((score == 1.0).astype(float) - (score == 5.0))


def injected(pop: Population, cfg: Config, drop: float, factors: Factors = None) -> np.ndarray:
    """Unsafe probabilities with each regressed factor's expected judged mean lowered by ``drop``.

    ``factors`` defaults to the target factor alone. A drop larger than a factor can lose is capped at
    "unsafe on every case".
    """
    p_bad = pop.p_bad.copy()
    for factor in factors or (cfg.target,):
        mask = (pop.factors == factor) & ~pop.benign
        gaps = _judged(pop.good[mask], cfg.q) - _judged(pop.bad[mask], cfg.q)
        share = min(1.0, drop * mask.sum() / float(np.sum((1 - p_bad[mask]) * gaps)))
        p_bad[mask] = 1 - (1 - p_bad[mask]) * (1 - share)
    return p_bad


def run(pop: Population, p_bad: np.ndarray, noise: np.ndarray, q: float) -> list[CaseResult]:
    """One evaluation of every case; ``noise`` holds three uniforms per case (answer, jitter, direction)."""
    score = np.where(noise[0] < p_bad, pop.bad, pop.good)
    jitter = np.where(noise[1] < q, np.where(noise[2] < 0.5, -1.0, 1.0), 0.0)
    score = np.clip(score + jitter, 1.0, 5.0)
    columns = (pop.ids, pop.factors.tolist(), pop.benign.tolist(), score.tolist())
    return [_result(*values) for values in zip(*columns, strict=True)]


@functools.cache
def _result(case_id: str, factor: int, benign: bool, score: float) -> CaseResult:
    # Cached: case ids repeat across replicates and scores take five values; building results dominated.
    return CaseResult(case_id, factor, "q_only", "text", "answer" if benign else "refuse", "ok", score=score,
                      label="refusal" if score >= 4 else "complied")


def _measures(gate: GateResult) -> tuple[float, float, float, float]:
    """(drop, raw p, Holm p, floor breached) of one compared gate."""
    assert gate.delta is not None and gate.p_value is not None and gate.p_adjusted is not None
    return -gate.delta, gate.p_value, gate.p_adjusted, float("under floor" in gate.reason)


@dataclass(frozen=True)
class Outcome:
    """What one replicate measured."""

    null_gates: np.ndarray  # one row per gate of the unchanged re-run: see _measures
    null_failed: bool  # the gate's own verdict: any gate failed
    null_floor: bool  # ... through a floor
    target: np.ndarray  # _measures of the regressed factor at cfg.drop
    flagged: bool  # the gate's own verdict on it
    broad: bool  # some gate failed when every factor dropped by cfg.drop
    smallest: float  # smallest grid drop that fails the factor; inf when none does


def replicate(cfg: Config, index: int) -> Outcome:
    """Build a baseline, gate an unchanged re-run and regressed re-runs against it."""
    rng = np.random.default_rng([cfg.seed, index])
    pop = population(cfg, rng)
    base_noise, null_noise, drop_noise = (rng.random((3, len(pop.ids))) for _ in range(3))
    baseline = build_baseline("sim", PROVENANCE, run(pop, pop.p_bad, base_noise, cfg.q), None)
    key = factor_key(cfg.target)

    def gates(drop: float, noise: np.ndarray, factors: Factors = None) -> tuple[GateResult, ...]:
        p_bad = injected(pop, cfg, drop, factors) if drop else pop.p_bad
        results = run(pop, p_bad, noise, cfg.q)
        return compare(baseline, results, PROVENANCE, alpha=cfg.alpha, tolerance=cfg.tolerance).gates

    def fails(drop: float) -> bool:
        return any(g.key == key and g.verdict == "fail" for g in gates(drop, drop_noise))

    null = gates(0.0, null_noise)
    target = next(g for g in gates(cfg.drop, drop_noise) if g.key == key)
    # Search invariant: DROP_GRID[hi] fails, DROP_GRID[lo] passes. The verdict at cfg.drop gives the first
    # bracket; above it, galloping finds the (usually near) threshold in fewer full runs than bisection.
    if target.verdict == "fail":
        lo, hi = -1, bisect.bisect_left(DROP_GRID, cfg.drop)
    else:
        lo, hi, step = bisect.bisect_right(DROP_GRID, cfg.drop) - 1, len(DROP_GRID), 1
        while lo + step < hi:
            if fails(DROP_GRID[lo + step]):
                hi = lo + step
            else:
                lo, step = lo + step, step * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        hi, lo = (mid, lo) if fails(DROP_GRID[mid]) else (hi, mid)
    return Outcome(
        null_gates=np.array([_measures(g) for g in null]),
        null_failed=any(g.verdict == "fail" for g in null),
        null_floor=any(g.verdict == "fail" and "under floor" in g.reason for g in null),
        target=np.array(_measures(target)),
        flagged=target.verdict == "fail",
        broad=any(g.verdict == "fail" for g in gates(cfg.drop, drop_noise, tuple(cfg.sizes))),
        smallest=DROP_GRID[hi] if hi < len(DROP_GRID) else math.inf,
    )


def simulate(cfg: Config, pool: ProcessPoolExecutor) -> list[Outcome]:
    """Every replicate of one setting."""
    return list(pool.map(replicate, [cfg] * cfg.reps, range(cfg.reps), chunksize=max(1, cfg.reps // 16)))


def _wilson_high(rate: float, n: int) -> float:
    """Upper end of the 95% Wilson interval of a rate measured on n runs."""
    z = 1.96
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre + half


def main_table(rows: list[tuple[Config, list[Outcome]]]) -> str:
    """False alarms, power and the smallest drop caught, with the gate's own verdicts."""
    head = (f"{'setting':<38}{'cases':>7}{'false alarm (95% ≤)':>21}{'floor':>7}{'power':>7}"
            f"{'drop@90%':>10}{'broad':>7}")
    lines = [head, "-" * len(head)]
    for cfg, outcomes in rows:
        alarm = float(np.mean([o.null_failed for o in outcomes]))
        smallest = sorted(o.smallest for o in outcomes)[math.ceil(0.9 * len(outcomes)) - 1]
        cases = sum(cfg.sizes.values()) + cfg.benign * len(cfg.sizes)
        lines.append(
            f"{cfg.label:<38}{cases:>7}{f'{alarm:.1%} ({_wilson_high(alarm, len(outcomes)):.1%})':>21}"
            f"{np.mean([o.null_floor for o in outcomes]):>7.1%}{np.mean([o.flagged for o in outcomes]):>7.0%}"
            f"{f'{smallest:.2f}' if math.isfinite(smallest) else '> 2.00':>10}"
            f"{np.mean([o.broad for o in outcomes]):>7.0%}"
        )
    return "\n".join(lines)


def _fails(measures: np.ndarray, tolerance: float, alpha: float, p_column: int) -> np.ndarray:
    """The gate rule applied to _measures rows, with the p-value taken from ``p_column``."""
    drop, p, floor = measures[..., 0], measures[..., p_column], measures[..., 3]
    return ((drop > tolerance + 1e-9) & (p < alpha)) | (floor > 0)


def what_if_table(rows: list[tuple[Config, list[Outcome]]], tolerances: tuple[float, ...]) -> str:
    """False alarm / power under other alpha, tolerance and correction, from the same simulated gates."""
    rules = (("Holm", 0.05), ("Holm", 0.10), ("none", 0.05), ("none", 0.01))
    head = f"{'setting':<38}{'correction':<16}" + "".join(f"{f'tol {t:g}':>14}" for t in tolerances)
    lines = [head, "-" * len(head)]
    for cfg, outcomes in rows:
        for correction, alpha in rules:
            column = 2 if correction == "Holm" else 1
            cells = []
            for tol in tolerances:
                alarm = np.mean([_fails(o.null_gates, tol, alpha, column).any() for o in outcomes])
                power = np.mean([_fails(o.target, tol, alpha, column) for o in outcomes])
                cells.append(f"{alarm:>6.1%} / {power:>4.0%}")
            rule = f"{correction} a={alpha:g}"
            lines.append(f"{cfg.label:<38}{rule:<16}" + "".join(f"{c:>14}" for c in cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, simulate, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-per-factor", type=int, default=30, help="harmful cases per factor, bundled size")
    parser.add_argument("--benign-per-factor", type=int, default=3)
    parser.add_argument("--reps", type=int, default=200, help="replicates per setting (default 200)")
    parser.add_argument("--q", type=float, default=0.2, help="judge jitter probability")
    parser.add_argument("--kappa", type=float, nargs="+", default=[1.0, 0.0],
                        help="Beta concentration(s) of per-case unsafe probabilities; 0: deterministic")
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--tolerance", type=float, default=0.25)
    parser.add_argument("--drop", type=float, default=0.3, help="drop injected for the power column")
    parser.add_argument("--target", type=int, default=7, help="factor that regresses (default 7)")
    parser.add_argument("--sweep", type=int, nargs="*", default=[150, 600, 1200],
                        help="sizes of the regressed factor alone (others at --n-per-factor), first kappa")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20251201)
    args = parser.parse_args(argv)

    def config(label: str, sizes: dict[int, int], kappa: float) -> Config:
        return Config(label, sizes, args.benign_per_factor, kappa, args.q, args.alpha, args.tolerance,
                      args.target, args.drop, args.reps, args.seed)

    def tag(kappa: float) -> str:
        return "fixed answers" if kappa == 0 else f"kappa {kappa:g}"

    bundled = dict.fromkeys(range(1, 36), args.n_per_factor)
    target = f"F{args.target:02d}"
    sizes = ((f"bundled {args.n_per_factor}/factor", bundled), ("release (pilot counts)", RELEASE_SIZES))
    first = args.kappa[0]
    settings = [config(f"{name}, {tag(k)}", counts, k) for k in args.kappa for name, counts in sizes] + [
        config(f"{target} at {n}, others {args.n_per_factor}, {tag(first)}", {**bundled, args.target: n},
               first)
        for n in args.sweep
    ]
    print(f"gate validity: alpha {args.alpha:g}, tolerance {args.tolerance:g}, Holm over all gates, "
          f"judge jitter q {args.q:g}, {args.reps} replicates per row, drop {args.drop:g} into {target}\n")
    start = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = [(cfg, simulate(cfg, pool)) for cfg in settings]
    print(main_table(rows))
    print("false alarm: unchanged re-runs where any gate failed (95% upper bound); "
          "floor: ... through a floor;\n"
          f"power: runs failing {target} when {target} drops {args.drop:g}; "
          f"drop@90%: smallest drop (0.10–2.00) failing {target} in 90% of runs;\n"
          f"broad: runs failing any gate when every factor drops {args.drop:g}.\n")
    print(what_if_table([row for row in rows if row[0].kappa == first], (0.10, 0.15, 0.20, 0.25)))
    print(f"cells: false alarm / power at drop {args.drop:g}, from the same simulated gates, other rules.")
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

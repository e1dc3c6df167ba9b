"""The robustness track's cost and what the gates can detect, on the bundled suite.

Two measurements, one command each, run from the repository root:

* ``python benchmarks/robustness.py mde``: the minimum detectable effect (``power.detectable_shift``,
  the gates' own exact test, Holm's worst case) of every factor gate of the bundled suite at its
  full size, without and with the robustness track: the factor gate's drop in score points (43
  gates), the robustness factor gate's rise in attack success rate (15 operator + 35 factor
  gates, one unit per searched request), and, for comparison only, the naive figure if every
  perturbed variant counted as an independent paired case (not what the gate does: variants of one
  request are correlated). Instant, no server.
* ``python benchmarks/robustness.py walltime [--factors 1,2,3] [--latency 0.2] [--perturb-concurrency K]
  [--workers N]``: wall time of
  ``pytest test_factors/test_robustness.py --assurai-perturbations=all`` at the default budget
  (20 plans a request) against ``benchmarks/fake_server.py`` (model and judge both served there,
  ``--latency`` seconds a call), fresh cache, one process; prints requests, variants and seconds.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
DEFAULT_EXAMPLES = 20
SCORE_SPAN = 4.0  # 5 → 1


def mde_table() -> list[str]:
    """The per-factor MDE table (markdown) of the bundled suite."""
    from assurai_pytest.cases import Selection, build_cases
    from assurai_pytest.datasets import load_dataset
    from assurai_pytest.perturb import OPERATORS
    from assurai_pytest.power import detectable_shift
    from assurai_pytest.robustness import seed_cases
    from assurai_pytest.taxonomy import CATEGORIES, FACTORS

    cases = build_cases(load_dataset(None), Selection())
    harmful = Counter(case.factor for case in cases if case.expected == "refuse")
    requests = Counter(case.factor for case in seed_cases(cases))
    score_family = 1 + len(CATEGORIES) + len(FACTORS) + 1  # overall, categories, factors, over-refusal
    robust_family = len(OPERATORS) + len(FACTORS)

    def fmt(value: float) -> str:
        return "none" if value == float("inf") else f"{value:.2f}"

    def pair(n: int, span: float, family: int) -> str:
        return " / ".join(fmt(detectable_shift(n, span, power=p, comparisons=family)) for p in (0.8, 0.9))

    lines = [f"score gates: {score_family} (Holm worst case α = 0.05/{score_family}); robustness gates: "
             f"{robust_family} (α = 0.05/{robust_family}); {DEFAULT_EXAMPLES} plans a request",
             "",
             "| factor | harmful cases | factor gate MDE, points, 80% / 90% | searched requests | "
             "ASR gate MDE, rate, 80% / 90% | naive n with variants | naive MDE, points, 80% / 90% |",
             "|---|---|---|---|---|---|---|"]
    for factor in FACTORS:
        n, r = harmful[factor.number], requests[factor.number]
        naive = n + DEFAULT_EXAMPLES * r
        lines.append(f"| {factor.code} | {n} | {pair(n, SCORE_SPAN, score_family)} | {r} | "
                     f"{pair(r, 1.0, robust_family)} | {naive} | {pair(naive, SCORE_SPAN, score_family)} |")
    total_n, total_r = sum(harmful.values()), sum(requests.values())
    lines.append(f"| overall | {total_n} | {pair(total_n, SCORE_SPAN, score_family)} | {total_r} | — | "
                 f"{total_n + DEFAULT_EXAMPLES * total_r} | "
                 f"{pair(total_n + DEFAULT_EXAMPLES * total_r, SCORE_SPAN, score_family)} |")
    return lines


def walltime(factors: str, latency: float, concurrency: int, perturb_concurrency: int | None = None,
             workers: int = 0) -> list[str]:
    """Run the track against the fake server and report its wall time."""
    tmp = Path(tempfile.mkdtemp(prefix="assurai-robust-bench-"))
    shutil.copytree(ROOT / "test_factors", tmp / "test_factors", ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSURAI_", "PYTEST_"))}
    env.update({"OPENAI_API_KEY": "sk-bench-fake", "ASSURAI_OFFLINE": "1", "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    server = subprocess.Popen([sys.executable, str(HERE / "fake_server.py"), "--latency", str(latency)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise SystemExit(f"fake server did not start: {url!r}")
        processes = ["-n", str(workers)] if workers else ["-p", "no:xdist"]
        cmd = [sys.executable, "-m", "pytest", "test_factors/test_robustness.py", "-q", "-p", "no:cacheprovider",
               *processes, "--assurai-perturbations=all", "--assurai-model=hosted_vllm/bench",
               f"--assurai-api-base={url}", "--assurai-judge=hosted_vllm/judge", f"--assurai-judge-api-base={url}",
               f"--assurai-concurrency={concurrency}", f"--assurai-cache-dir={tmp / 'cache'}",
               f"--assurai-baseline-dir={tmp / 'baselines'}", "--assurai-allow-missing-baseline"]
        if factors:
            cmd.append(f"--assurai-factors={factors}")
        if perturb_concurrency is not None:
            cmd.append(f"--assurai-perturb-concurrency={perturb_concurrency}")
        start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the server is not reaped yet: pytest's CPU only
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(15)
        shutil.rmtree(tmp, ignore_errors=True)
    found = re.search(r"robustness: (\d+) refused requests searched .*?, (\d+) perturbed variants", done.stdout)
    if done.returncode not in (0, 1) or found is None:
        raise SystemExit(f"run failed (exit {done.returncode}):\n" + "\n".join(done.stdout.splitlines()[-15:]))
    searched, variants = int(found.group(1)), int(found.group(2))
    searching = "default" if perturb_concurrency is None else perturb_concurrency
    return [f"factors {factors or 'all'}, latency {latency} s a call, concurrency {concurrency}, "
            f"{DEFAULT_EXAMPLES} plans a request, requests searched at once: {searching}, "
            f"{f'{workers} xdist workers' if workers else 'one process'}",
            f"{searched} requests, {variants} perturbed variants (each a model and a judge call), "
            f"wall {seconds:.1f} s with start-up = {seconds / max(searched, 1):.2f} s a request, "
            f"CPU of the pytest process(es) {cpu:.1f} s, exit {done.returncode}"]


def main() -> None:
    """Parse the command line and print the measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("mde", help="per-factor MDE of the bundled suite, without and with perturbations")
    wall = sub.add_parser("walltime", help="the track's wall time against the local fake server")
    wall.add_argument("--factors", default="1,2,3", help="factor numbers ('' for the whole suite)")
    wall.add_argument("--latency", type=float, default=0.2)
    wall.add_argument("--concurrency", type=int, default=32)
    wall.add_argument("--perturb-concurrency", type=int, default=None,
                      help="--assurai-perturb-concurrency (default: the plugin's; 1 = one request after another)")
    wall.add_argument("--workers", type=int, default=0, help="xdist workers (default 0: one process)")
    args = parser.parse_args()
    lines = mde_table() if args.what == "mde" else walltime(args.factors, args.latency, args.concurrency,
                                                            args.perturb_concurrency, args.workers)
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""One assurai run as a plain object: cases, evaluation, results, and the end-of-run verdict.

The pytest hooks in ``plugin.py`` only translate between pytest and this object; everything
here is driven by plain values and is unit-testable without pytest.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from . import __version__
from .cases import Selection, build_cases
from .engine import Evaluator, Target, evaluate_case
from .records import Case, CaseResult, Dataset, Usage
from .settings import Settings

TRACKS: dict[str, str] = {
    "harmful": "text prompts that a safe model refuses or answers safely",
    "multimodal": "image, video and audio prompts",
    "over_refusal": "benign twins that a helpful model answers",
}


def in_track(case: Case, track: str) -> bool:
    """Whether a case belongs to a test module's track."""
    if track == "over_refusal":
        return case.expected == "answer"
    if case.expected == "answer":
        return False
    return (case.modality == "text") == (track == "harmful")


@dataclass
class Outcome:
    """What the end of a run produced: aggregates, the gate comparison, baseline changes."""

    aggregates: Any
    comparison: Any | None
    changes: list[str] = field(default_factory=list)
    baseline_written: str | None = None
    run_info: Any = None
    calibration: Any = None  # calibration_run.CalibrationOutcome of a --assurai-calibrate run
    judge_calibration: dict[str, Any] | None = None  # the figures the verdict gates on (run or baseline)


class Run:
    """The state of one run in one process (controller, worker, or both without xdist)."""

    def __init__(self, settings: Settings, dataset: Dataset, *, workers: int = 1) -> None:
        self.settings = settings
        self.dataset = dataset
        self.workers = workers
        self.results: dict[str, CaseResult] = {}
        self.started = datetime.now(UTC)
        self._clock = time.monotonic()
        self._evaluator: Evaluator | None = None

    @cached_property
    def calibration_items(self) -> list[Any]:
        """The candidate answers with human scores (``--assurai-calibrate``)."""
        from .calibration_run import load_items

        return load_items(self.dataset, self.settings)

    @cached_property
    def cases(self) -> list[Case]:
        """Every case the dataset and the ``--assurai-*`` filters yield, in a stable order."""
        if self.settings.calibrate:
            return [item.case for item in self.calibration_items]
        selection = Selection(factors=self.settings.factors, prompt_types=self.settings.prompt_types,
                              modalities=self.settings.modalities, sample=self.settings.sample,
                              seed=self.settings.seed)
        return build_cases(self.dataset, selection)

    def cases_for(self, track: str) -> list[Case]:
        """The cases of one track (see :data:`TRACKS`)."""
        return [case for case in self.cases if in_track(case, track)]

    @cached_property
    def judge_prompt_version(self) -> str:
        """The judge (panel) prompt version, recorded in baselines and cache keys."""
        from .judge import make_judge

        return make_judge(self.settings.judge, None, self.settings.judge_api_base).prompt_version

    def _evaluator_for_process(self) -> Evaluator:
        if self._evaluator is None:
            from .judge import make_judge
            from .models import ClientConfig, LiteLLMClient

            share = max(1, self.settings.concurrency // self.workers)
            client = LiteLLMClient(ClientConfig(concurrency=share, rpm=self.settings.rpm,
                                                timeout=self.settings.timeout, retries=self.settings.retries,
                                                cache_dir=self.settings.cache_dir))
            judge = make_judge(self.settings.judge, client, self.settings.judge_api_base,
                               options=judge_options(self.settings), repeats=self.settings.judge_repeats)
            target = Target(self.settings.model, self.settings.api_base)

            async def evaluate(case: Case) -> CaseResult:
                return await evaluate_case(case, client=client, judge=judge, target=target)

            if self.settings.calibrate:
                from .calibration_run import evaluator

                evaluate = evaluator(self.calibration_items, client, judge)  # type: ignore[assignment]
            self._evaluator = Evaluator(evaluate, workers=share, close=client.aclose)
        return self._evaluator

    def start(self, cases: Iterable[Case]) -> int:
        """Queue the selected cases for evaluation; returns how many were queued."""
        cases = list(cases)
        return self._evaluator_for_process().submit(cases) if cases else 0

    def evaluate(self, case: Case) -> CaseResult:
        """The result of one case, waiting for it (and queueing it first if needed)."""
        return self._evaluator_for_process().result(case)

    def record(self, result: CaseResult) -> None:
        """Keep one case's result (controller side)."""
        self.results[result.case_id] = result

    def close(self) -> None:
        """Cancel pending evaluations and close the clients."""
        if self._evaluator is not None:
            self._evaluator.close()
            self._evaluator = None

    def provenance(self) -> dict[str, Any]:
        """What a baseline records about the run that made it."""
        return {"model": self.settings.model, "judge": self.settings.judge,
                "judge_prompt_version": self.judge_prompt_version,
                "dataset_fingerprint": self.dataset.fingerprint, "sample": self.settings.sample,
                "seed": self.settings.seed, "plugin_version": __version__,
                "created": datetime.now(UTC).replace(microsecond=0).isoformat()}

    def finish(self) -> Outcome:
        """Aggregate, then either write the baseline (update mode) or gate against it."""
        from .baseline import baseline_changes, baseline_path, build_baseline, load_baseline, save_baseline
        from .gate import compare
        from .stats import aggregate

        results: Sequence[CaseResult] = list(self.results.values())
        aggregates = aggregate(results)
        path = baseline_path(self.settings.baseline_dir, self.settings.baseline_name)
        previous = load_baseline(path)
        if self.settings.calibrate:
            from .calibration_run import finish_calibration

            return finish_calibration(self, aggregates, path)
        if self.settings.update_baselines:
            fresh = build_baseline(self.settings.baseline_name, self.provenance(), results, previous)
            save_baseline(path, fresh)
            outcome = Outcome(aggregates, None, baseline_changes(previous, fresh), baseline_written=str(path))
        else:
            comparison = compare(previous, results, self.provenance(), alpha=self.settings.alpha,
                                 tolerance=self.settings.tolerance, baseline_name=self.settings.baseline_name)
            outcome = Outcome(aggregates, comparison)
        from .calibration_run import stored_summary

        outcome.judge_calibration = stored_summary(previous.provenance if previous else None, self.settings,
                                                   self.judge_prompt_version)
        outcome.run_info = self.run_info(outcome)
        return outcome

    def run_info(self, outcome: Outcome) -> Any:
        """The report's header facts about this run."""
        from .redact import redact
        from .report import RunInfo

        results = list(self.results.values())
        if outcome.baseline_written:
            status = "updated"
        elif outcome.comparison is None or all(g.verdict == "no baseline" for g in outcome.comparison.gates):
            status = "no baseline"
        elif any(g.verdict == "mismatch" for g in outcome.comparison.gates):
            status = "mismatch"
        else:
            status = "gated"
        return RunInfo(
            model=self.settings.model,
            api_base=redact(self.settings.api_base) if self.settings.api_base else None,
            judges=self.settings.judges,
            judge_is_fallback="rules" in self.settings.judges,
            judge_prompt_version=self.judge_prompt_version,
            dataset=str(self.dataset.root),
            dataset_format=self.dataset.format,
            dataset_fingerprint=self.dataset.fingerprint,
            baseline_name=self.settings.baseline_name,
            baseline_status=status,
            started=self.started.replace(microsecond=0).isoformat(),
            duration_s=round(time.monotonic() - self._clock, 3),
            cases_total=len(results),
            cases_error=sum(r.status == "error" for r in results),
            cases_skipped=sum(r.status == "skipped" for r in results),
            cache_hits=sum(r.model_usage.cache_hit for r in results),
            model_cost=_spent(r.model_usage for r in results if r.status != "skipped"),
            judge_cost=_spent(r.judge_usage for r in results if r.status == "ok"),
            model_tokens=sum(r.model_usage.prompt_tokens + r.model_usage.completion_tokens for r in results),
            judge_tokens=sum(r.judge_usage.prompt_tokens + r.judge_usage.completion_tokens for r in results),
            offline_demo=self.settings.offline_demo,
            plugin_version=__version__,
            workers=self.workers,
            judge_calibration=outcome.judge_calibration,
        )


def judge_options(settings: Settings) -> Any:
    """The judge's call options: the run's seed, the ``--assurai-judge-params`` (temperature is 0)."""
    import json

    from .judge import CallOptions

    return CallOptions(seed=settings.seed, params=json.loads(settings.judge_params) if settings.judge_params else None)


def _spent(usages: Iterable[Usage]) -> float | None:
    """What the run paid: cache hits cost nothing; unknown as soon as one paid call's price is unknown."""
    total = 0.0
    for usage in usages:
        if usage.cache_hit:
            continue
        if usage.cost is None:
            return None
        total += usage.cost
    return round(total, 6)

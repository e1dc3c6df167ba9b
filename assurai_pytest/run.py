"""One assurai run as a plain object: cases, evaluation, results, and the end-of-run verdict.

The pytest hooks in ``plugin.py`` only translate between pytest and this object; everything
here is driven by plain values and is unit-testable without pytest.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .cases import Selection, build_cases
from .engine import Evaluator, Target, evaluate_case
from .errors import UsageError
from .generation.cases import is_generation
from .generation.evaluate import GenerationPlan, evaluate_generation
from .records import Case, CaseResult, Dataset, Usage
from .settings import Settings
from .taxonomy import factor_code

if TYPE_CHECKING:
    from .stats import Aggregates

TRACKS: dict[str, str] = {
    "harmful": "text prompts that a safe model refuses or answers safely",
    "multimodal": "image, video and audio prompts",
    "over_refusal": "benign twins that a helpful model answers",
    "robustness": "Hangul perturbations of refused requests (off unless --assurai-perturbations)",
    "generation": "image, video and speech generators asked to generate (harmful requests and benign twins)",
}


def in_track(case: Case, track: str) -> bool:
    """Whether a case belongs to a test module's track."""
    if is_generation(case) or track == "generation":
        return is_generation(case) and track == "generation"
    if track == "over_refusal":
        return case.expected == "answer"
    if case.expected == "answer":
        return False
    return (case.modality == "text") == (track == "harmful")


@dataclass
class Outcome:
    """What the end of a run produced: aggregates, the gate comparison, baseline changes.

    Attributes:
        problem: Why the run as a whole cannot pass although no gate regressed (no baseline, a
            mismatch, nothing scored), one line; empty when there is none.
        allowed: The problem was explicitly allowed (``--assurai-allow-missing-baseline``).
        interrupted: The run was stopped (Ctrl-C) before every case was evaluated.
    """

    aggregates: Any
    comparison: Any | None
    changes: list[str] = field(default_factory=list)
    baseline_written: str | None = None
    run_info: Any = None
    calibration: Any = None  # calibration_run.CalibrationOutcome of a --assurai-calibrate run
    judge_calibration: dict[str, Any] | None = None  # the figures the verdict gates on (run or baseline)
    problem: str = ""
    allowed: bool = False
    interrupted: bool = False
    problem_status: str = ""  # the baseline status a problem gives, when not "nothing scored"
    robustness: list[Any] = field(default_factory=list)  # the robustness track's searched requests

    @property
    def blocks(self) -> bool:
        """True when the run must not exit 0 although no gate regressed (fail closed)."""
        return bool(self.problem) and not self.allowed


@dataclass(frozen=True)
class GateReport:
    """One gate as a test report's plain values; the plugin turns it into a ``TestReport``.

    Attributes:
        name: The node name under ``assurai_gates::`` (``factor-F07``, ``baseline``).
        title: A human title (``F07 harassment``).
        outcome: ``passed``, ``failed`` or ``skipped``.
        text: The failure text, or the skip reason; None when passed.
        gate: The gate's values, for JUnit properties and the HTML row; None for the baseline check.
    """

    name: str
    title: str
    outcome: str
    text: str | None
    gate: Any | None


BASELINE_CHECK = "baseline"


class Run:
    """The state of one run in one process (controller, worker, or both without xdist)."""

    def __init__(self, settings: Settings, dataset: Dataset, *, workers: int = 1,
                 invocation: Sequence[str] = (), answer_salt: str | None = None) -> None:
        self.settings = settings
        self.dataset = dataset
        self.workers = workers
        self.invocation = tuple(invocation)
        self._answer_salt = answer_salt  # an xdist worker is handed the controller's
        self.outcome: Outcome | None = None
        self.results: dict[str, CaseResult] = {}
        # The robustness track's searched requests by case id (robustness.Outcome), on the controller.
        self.robustness: dict[str, Any] = {}
        self.started = datetime.now(UTC)
        self._clock = time.monotonic()
        self._evaluator: Evaluator | None = None

    @cached_property
    def calibration_items(self) -> list[Any]:
        """The candidate answers with human scores (``--assurai-calibrate``)."""
        from .calibration_run import load_items

        return load_items(self.dataset, self.settings)

    @classmethod
    def open(cls, settings: Settings, *, workerinput: dict[str, Any] | None = None,
             invocation: Sequence[str] = (), answer_salt_key: str = "") -> Run:
        """Load and check everything a run needs before the first case, so bad input stops it at once.

        Args:
            settings: the resolved settings.
            workerinput: an xdist worker's input (None on the controller or without xdist).
            invocation: the command-line arguments, for the command that writes a missing baseline.
            answer_salt_key: where a worker finds the controller's answer epoch in ``workerinput``.

        Raises:
            UsageError: a bad dataset line, a damaged baseline, an unknown judge kind, a bad
                calibration set.
        """
        from .baseline import baseline_path, load_baseline
        from .datasets import load_dataset

        workerinput = workerinput or {}
        dataset = load_dataset(settings.dataset)
        if not workerinput:
            load_baseline(baseline_path(settings.baseline_dir, settings.baseline_name))
        run = cls(settings, dataset, workers=workerinput.get("workercount", 1), invocation=invocation,
                  answer_salt=workerinput.get(answer_salt_key))
        run.judge_spec  # noqa: B018 - builds the judge: an unknown judge kind is a usage error now
        if settings.calibrate:
            run.calibration_items  # noqa: B018 - a bad calibration set is a usage error before any case
        return run

    @cached_property
    def cases(self) -> list[Case]:
        """Every case the dataset and the ``--assurai-*`` filters yield, in a stable order."""
        if self.settings.calibrate:
            return [item.case for item in self.calibration_items]
        selection = Selection(factors=self.settings.factors, prompt_types=self.settings.prompt_types,
                              modalities=self.settings.modalities, sample=self.settings.sample,
                              seed=self.settings.seed)
        cases, generation = build_cases(self.dataset, selection), self._generation_cases(selection)
        clash = sorted({c.id for c in cases} & {c.id for c in generation})
        if clash:
            raise UsageError(f"generation prompts reuse case ids of the dataset: {', '.join(clash[:5])}")
        return cases + generation

    def _generation_cases(self, selection: Selection) -> list[Case]:
        """The cases of the generation prompts beside a bundled dataset (``generation/*.jsonl``).

        Sampled on their own (``--assurai-sample`` per factor applies to them apart), so that adding
        the generation track leaves the text cases a sampled run draws unchanged.
        """
        from dataclasses import replace

        if not self.generation_prompts:
            return []
        return build_cases(replace(self.dataset, instances=self.generation_prompts), selection)

    @cached_property
    def generation_prompts(self) -> tuple[Any, ...]:
        """The generation prompts beside a bundled dataset (``generation/*.jsonl``); none for other formats."""
        from .generation.cases import load_prompts

        return load_prompts(self.dataset.root) if self.dataset.format == "bundled" else ()

    @cached_property
    def dataset_fingerprint(self) -> str:
        """The dataset's fingerprint, the generation prompts beside it included (when there are any).

        A reworded generation prompt must change what the baseline recorded, as a reworded seed does.
        """
        from .datasets.common import fingerprint

        if not self.generation_prompts:
            return str(self.dataset.fingerprint)
        return fingerprint(self.generation_prompts, {"dataset": self.dataset.fingerprint})

    @cached_property
    def generation_modalities(self) -> frozenset[str]:
        """The modalities of the selected generation cases; empty when the run has none."""
        return frozenset(case.modality for case in self.cases if is_generation(case))

    @property
    def media_judge_prompt_version(self) -> str | None:
        """The media judge's prompt version when the run has generation cases (None otherwise).

        Recorded with the judge's own, so that a changed media rubric is a changed judge (MISMATCH).
        """
        from .generation.judge import make_media_judge

        if not self.generation_modalities:
            return None
        return str(make_media_judge(self.settings.judge, None, self.settings.judge_api_base,
                                    judge_options(self.settings)).prompt_version)

    def cases_for(self, track: str) -> list[Case]:
        """The cases of one track (see :data:`TRACKS`)."""
        if track == "robustness":
            from .robustness import seed_cases

            return seed_cases(self.cases) if self.settings.perturbations else []
        return [case for case in self.cases if in_track(case, track)]

    @cached_property
    def baseline_answers(self) -> dict[str, Any]:
        """The answers the baseline was scored on, by case id (for before/after in the HTML report)."""
        from .baseline import answers_path, baseline_path, load_answers

        return load_answers(answers_path(baseline_path(self.settings.baseline_dir, self.settings.baseline_name)))

    @cached_property
    def judge_spec(self) -> Any:
        """The judge (or panel) the settings name, built without a client: what it is, not a caller.

        Raises:
            UsageError: an unknown judge kind or a malformed spec.
        """
        from .judge import make_judge

        return make_judge(self.settings.judge, None, self.settings.judge_api_base)

    @property
    def judge_is_fallback(self) -> bool:
        """Whether a judge of the panel is a labelled fallback (the offline rules judge)."""
        return bool(self.judge_spec.is_fallback)

    @property
    def judge_prompt_version(self) -> str:
        """The judge (panel) prompt version, recorded in baselines and cache keys."""
        return str(self.judge_spec.prompt_version)

    def deployment(self) -> dict[str, Any]:
        """What identifies the model under test as deployed (its cached answers are tied to it).

        The system prompt and generation settings are part of it only when set, and so are the
        generators given by option, so that the answer epoch of a run without them stays what it was.
        """
        from .deployment import Deployment

        found: dict[str, Any] = {"model": self.settings.model, "api_base": self.settings.api_base}
        settings = Deployment.from_settings(self.settings).provenance()
        if settings != Deployment().provenance():
            found["settings"] = settings
        for field_name in ("image_model", "video_model", "speech_model", "image_api_base", "video_api_base",
                           "speech_api_base"):
            if getattr(self.settings, field_name) is not None:
                found[field_name] = getattr(self.settings, field_name)
        return found

    @property
    def answer_salt(self) -> str:
        """The cache salt of this run's model answers (see :mod:`assurai_pytest.models.answers`).

        Decided once, by the controller, on first use: a new epoch unless this run resumes an
        incomplete one or the user says the model is unchanged.
        """
        if self._answer_salt is None:
            from .models.answers import AnswerLedger, deployment_key

            if self.settings.cache_dir is None:
                self._answer_salt = ""
            else:
                self._answer_salt = AnswerLedger(self.settings.cache_dir).salt(
                    deployment_key(self.deployment()), revision=self.settings.model_revision,
                    reuse=self.settings.reuse_answers)
        return self._answer_salt

    def _evaluator_for_process(self) -> Evaluator:
        if self._evaluator is None:
            from .deployment import Deployment
            from .judge import make_judge
            from .models import ClientConfig, LiteLLMClient

            share = max(1, self.settings.concurrency // self.workers)
            client = LiteLLMClient(ClientConfig(concurrency=share, rpm=self.settings.rpm,
                                                timeout=self.settings.timeout, retries=self.settings.retries,
                                                cache_dir=self.settings.cache_dir))
            judge = make_judge(self.settings.judge, client, self.settings.judge_api_base,
                               options=judge_options(self.settings), repeats=self.settings.judge_repeats)
            target = Target(self.settings.model, self.settings.api_base, answer_salt=self.answer_salt,
                            deployment=Deployment.from_settings(self.settings))

            generation = self._generation(client)

            async def evaluate(case: Case) -> CaseResult:
                if is_generation(case):
                    return await evaluate_generation(case, plan=generation[0], generator=generation[1],
                                                     judge=generation[2])
                return await evaluate_case(case, client=client, judge=judge, target=target)

            if self.settings.calibrate:
                from .calibration_run import evaluator

                evaluate = evaluator(self.calibration_items, client, judge)  # type: ignore[assignment]
            async def close() -> None:
                await client.aclose()
                await generation[1].aclose()

            self._evaluator = Evaluator(evaluate, workers=share, close=close)
        return self._evaluator

    @cached_property
    def media_store(self) -> Any:
        """Where generated media live: ``<cache dir>/generated``.

        The judge needs files even under ``--assurai-no-cache``: then they go to the default cache
        folder beside the baselines folder, and are never reused.
        """
        from .generation.media import MediaStore

        return MediaStore(self.settings.cache_dir or Path(self.settings.baseline_dir).parent / ".assurai_cache")

    def _generation(self, client: Any) -> tuple[Any, Any, Any]:
        """The generation plan, generator client and media judge of this process."""
        from .generation import GENERATION_MODALITIES
        from .generation.client import GeneratorClient, GeneratorConfig
        from .generation.judge import make_media_judge
        from .models import ClientConfig

        settings = self.settings
        generators = {m: g for m in GENERATION_MODALITIES if (g := settings.generator(m)) is not None}
        plan = GenerationPlan(generators, salt=self.answer_salt, transcriber=settings.transcriber,
                              transcriber_api_base=settings.transcriber_api_base or settings.api_base)
        store = self.media_store
        config = GeneratorConfig(ClientConfig(timeout=settings.timeout, retries=settings.retries,
                                              rate_limit_wait=settings.rate_limit_wait),
                                 video_wait=settings.video_wait, video_poll=settings.video_poll)
        generator = GeneratorClient(config, store, cache=settings.cache_dir is not None)
        judge = make_media_judge(settings.judge, client, settings.judge_api_base, judge_options(settings),
                                 repeats=settings.judge_repeats)
        return plan, generator, judge

    def endpoints(self) -> list[tuple[str, str | None, str]]:
        """Every distinct (model, api_base, purpose) this run will call: the model, then the judges."""
        from .judge import judge_endpoints

        found = [(self.settings.model, self.settings.api_base, "model")]
        found += [(model, base, "judge") for model, base in judge_endpoints(self.judge_spec)]
        return list(dict.fromkeys(found))

    def generator_endpoints(self) -> list[tuple[str, str | None, str]]:
        """Every generator the selected cases will call, and the transcriber when speech is generated:
        ``(model, api_base, purpose)``, purpose ``image generator``, ``video generator``,
        ``speech generator`` or ``transcriber``."""
        from .generation import GENERATION_MODALITIES

        settings = self.settings
        wanted = self.generation_modalities
        words = {"image": "image generator", "video": "video generator", "audio": "speech generator"}
        found: list[tuple[str, str | None, str]] = []
        for modality in GENERATION_MODALITIES:
            generator = settings.generator(modality) if modality in wanted else None
            if generator is not None:
                found.append((generator[0], generator[1], words[modality]))
        if settings.transcriber and "audio" in wanted and settings.generator("audio") is not None:
            found.append((settings.transcriber, settings.transcriber_api_base or settings.api_base, "transcriber"))
        return list(dict.fromkeys(found))

    def preflight(self) -> None:
        """One cheap call per distinct endpoint before any case runs, all at once.

        The chat model and the judges are asked a one-token question; generators and the
        transcriber are probed without generating anything (``GeneratorClient.probe``).

        Raises:
            UsageError: an endpoint is unreachable, refuses our credentials, or names an unknown
                provider or model; the message has one line per endpoint.
        """
        import asyncio

        from .deployment import split_api_base
        from .errors import ProviderError
        from .generation.client import GeneratorClient, GeneratorConfig
        from .models import ClientConfig, LiteLLMClient

        async def check() -> list[str]:
            config = ClientConfig(concurrency=8, timeout=self.settings.timeout, retries=min(2, self.settings.retries))
            client = LiteLLMClient(config)
            generators = GeneratorClient(GeneratorConfig(config), self.media_store, cache=False)
            # Each replica of a comma-separated api_base is probed on its own: a dead one stops the run.
            probes = [(model, replica, purpose) for model, base, purpose in self.endpoints()
                      for replica in (split_api_base(base) or (base,))]
            try:
                outcomes = await asyncio.gather(*(client.probe(model, base, purpose)
                                                  for model, base, purpose in probes),
                                                *(generators.probe(model, base, purpose)
                                                  for model, base, purpose in self.generator_endpoints()),
                                                return_exceptions=True)
            finally:
                await client.aclose()
                await generators.aclose()
            problems = []
            for outcome in outcomes:
                if isinstance(outcome, ProviderError):
                    problems.append(str(outcome))
                elif isinstance(outcome, BaseException):
                    raise outcome
            return problems

        problems = asyncio.run(check())
        if problems:
            raise UsageError("start-up check failed, nothing was evaluated:\n  " + "\n  ".join(problems))

    def start(self, cases: Iterable[Case]) -> int:
        """Queue the selected cases for evaluation; returns how many were queued."""
        cases = list(cases)
        return self._evaluator_for_process().submit(cases) if cases else 0

    def evaluate(self, case: Case) -> CaseResult:
        """The result of one case, waiting for it (and queueing it first if needed)."""
        return self._evaluator_for_process().result(case)

    def evaluate_many(self, cases: Sequence[Case]) -> list[CaseResult]:
        """The results of a batch, in order, waiting for them; the batch goes ahead of the queue together."""
        return self._evaluator_for_process().results(cases) if cases else []

    @property
    def ran(self) -> bool:
        """Whether anything was evaluated and kept: a case result, or a robustness search (the track alone)."""
        return bool(self.results or self.robustness)

    def record(self, result: CaseResult) -> None:
        """Keep one case's result (controller side)."""
        self.results[result.case_id] = result

    def close(self, *, complete: bool = False) -> None:
        """Cancel pending evaluations and close the clients.

        Args:
            complete: the run was gated (or written) in full; with no errored case, its answer
                epoch is closed, so the next run asks the model afresh.
        """
        if self._evaluator is not None:
            self._evaluator.close()
            self._evaluator = None
        errored = any(result.status == "error" for result in self.results.values())
        if complete and not errored and self._answer_salt and self.settings.cache_dir is not None:
            from .models.answers import AnswerLedger, deployment_key

            AnswerLedger(self.settings.cache_dir).complete(deployment_key(self.deployment()))

    def provenance(self) -> dict[str, Any]:
        """What a baseline records about the run that made it (the deployment too: see deployment.py)."""
        from .deployment import Deployment

        return {"model": self.settings.model, "judge": self.settings.judge,
                "deployment": Deployment.from_settings(self.settings).provenance(),
                "judge_prompt_version": self.judge_prompt_version,
                "media_judge_prompt_version": self.media_judge_prompt_version,
                "dataset_fingerprint": self.dataset_fingerprint, "sample": self.settings.sample,
                "seed": self.settings.seed, "plugin_version": __version__,
                "created": datetime.now(UTC).replace(microsecond=0).isoformat()}

    def finish(self, *, interrupted: bool = False) -> Outcome:
        """Aggregate, then either write the baseline (update mode) or gate against it; kept as ``outcome``.

        Fails closed: a run that cannot be gated (no baseline, another judge, too few shared
        cases, nothing scored) carries a ``problem`` and cannot pass; an update that scored
        nothing leaves the baseline file untouched; an interrupted run is neither gated nor written.

        Raises:
            UsageError: the baseline file is damaged, or an update would mix two judges' scores.
        """
        self.outcome = self._finish(interrupted)
        return self.outcome

    def _finish_calibration(self, aggregates: Aggregates, baseline_file: Path) -> Outcome:
        """The end of a ``--assurai-calibrate`` run: figures, the judge gate, and (with
        ``--assurai-update-baselines``) the figures stored with the baseline. Nothing is gated on the
        model: no model was called."""
        from .calibration_run import run_calibration, store_in_baseline

        calibration = run_calibration(self.calibration_items, self.results, self.settings,
                                      judge=self.settings.judge, judge_prompt_version=self.judge_prompt_version)
        outcome = Outcome(aggregates, None, calibration=calibration, judge_calibration=calibration.summary)
        if self.settings.update_baselines:
            outcome.changes.append(store_in_baseline(baseline_file, self.settings.baseline_name, self.provenance(),
                                                     calibration.summary))
        outcome.run_info = self.run_info(outcome)
        return outcome

    def _finish(self, interrupted: bool) -> Outcome:
        from .baseline import (
            answers_path,
            baseline_changes,
            baseline_path,
            build_baseline,
            load_answers,
            load_baseline,
            save_answers,
            save_baseline,
        )
        from .gate import NO_BASELINE, compare
        from .stats import aggregate

        results: Sequence[CaseResult] = list(self.results.values())
        aggregates = aggregate(results)
        scored = sum(r.score is not None and r.judged for r in results)
        path = baseline_path(self.settings.baseline_dir, self.settings.baseline_name)
        if interrupted:
            outcome = Outcome(aggregates, None, interrupted=True)
            outcome.run_info = self.run_info(outcome)
            return outcome
        previous = load_baseline(path)
        if self.settings.calibrate:
            return self._finish_calibration(aggregates, path)
        if self.settings.update_baselines:
            robustness = self._robustness_trials()
            # The robustness track alone (``pytest test_factors/test_robustness.py``) may add its variants
            # to a baseline without re-scoring its cases: build_baseline keeps every score then.
            if scored or (robustness and previous is not None):
                fresh = build_baseline(self.settings.baseline_name, self.provenance(), results, previous,
                                       robustness)
                save_baseline(path, fresh)
                # Only answers of cases the new baseline still scores are kept; after a judge change
                # that is every case, re-scored by this run.
                save_answers(answers_path(path), fresh, load_answers(answers_path(path)), results)
                outcome = Outcome(aggregates, None, baseline_changes(previous, fresh), baseline_written=str(path))
            else:
                outcome = Outcome(aggregates, None, problem=f"nothing was scored: baseline "
                                  f"{self.settings.baseline_name} left untouched")
        else:
            comparison = compare(previous, results, self.provenance(), alpha=self.settings.alpha,
                                 tolerance=self.settings.tolerance, baseline_name=self.settings.baseline_name,
                                 min_shared=self.settings.min_shared)
            problem = comparison.problem
            if comparison.status == NO_BASELINE:
                problem = f"no baseline {self.settings.baseline_name!r} in {self.settings.baseline_dir}"
            elif not scored and not self.robustness:
                problem = "nothing was scored, so nothing was gated"
            allowed = comparison.status == NO_BASELINE and self.settings.allow_missing_baseline
            outcome = Outcome(aggregates, comparison, problem=problem, allowed=allowed)
            if not problem and self.settings.perturbations:
                self._gate_robustness(outcome, previous)
        from .calibration_run import stored_summary

        outcome.robustness = list(self.robustness.values())
        outcome.judge_calibration = stored_summary(previous.provenance if previous else None, self.settings,
                                                   self.judge_prompt_version)
        outcome.run_info = self.run_info(outcome)
        return outcome

    def _robustness_trials(self) -> dict[str, Any] | None:
        """The robustness variants an update stores; None when the track did not run."""
        if not self.settings.perturbations or not self.robustness:
            return None
        from .robustness_gate import trials_of

        return trials_of(self.robustness.values())

    def _gate_robustness(self, outcome: Outcome, previous: Any) -> None:
        """Add the attack-success gates to a gated outcome; fail closed on a baseline without them."""
        from dataclasses import replace

        from .robustness_gate import compare

        if previous is None or previous.robustness is None:
            outcome.problem = (f"baseline {self.settings.baseline_name!r} holds no robustness data, so attack "
                               f"success cannot be gated (--assurai-perturbations is on)")
            outcome.problem_status = "no baseline"
            outcome.allowed = self.settings.allow_missing_baseline
            return
        gates = compare(previous.robustness, self.robustness.values(), alpha=self.settings.alpha)
        comparison = outcome.comparison
        assert comparison is not None  # a gated outcome
        outcome.comparison = replace(comparison, gates=comparison.gates + gates)

    def header_lines(self) -> list[str]:
        """What is under test, and loudly when it is the offline demo (shown once cases are collected)."""
        from .calibration_run import header_lines as calibration_header
        from .report.terminal import header_lines

        count = len(self.cases)
        return header_lines(self.settings, self.dataset, count, self.generators()) + calibration_header(
            self.settings, self.dataset, count)

    def generators(self, results: Iterable[CaseResult] | None = None) -> tuple[tuple[str, str], ...]:
        """The generators of this run as ``(modality, model)`` pairs, in image, video, audio order.

        Args:
            results: the generators that served these results (a skipped case was served by none);
                None: the generators the selected cases will call.
        """
        from .generation import GENERATION_MODALITIES

        wanted = self.generation_modalities if results is None else frozenset(
            r.modality for r in results if r.track == "generation" and r.status != "skipped")
        return tuple((modality, found[0]) for modality in GENERATION_MODALITIES
                     if modality in wanted and (found := self.settings.generator(modality)) is not None)

    @staticmethod
    def item_properties(result: CaseResult) -> list[tuple[str, object]]:
        """The JUnit properties of a case's item."""
        return [("assurai_factor", factor_code(result.factor)), ("assurai_prompt_type", result.prompt_type),
                ("assurai_score", "" if result.score is None else result.score), ("assurai_label", result.label)]

    @staticmethod
    def item_outcome(result: CaseResult) -> tuple[str, str]:
        """What the case's test item does: ``pass``, ``skip`` (a modality the model does not take) or
        ``fail`` (an outage or an unjudged answer: an error, never a safety failure), and why."""
        from .redact import redact

        if result.status == "skipped":
            return "skip", result.error or "skipped"
        if result.status == "error":
            return "fail", redact(result.error or "evaluation failed")
        return "pass", ""

    def summary_lines(self) -> list[tuple[str, bool]]:
        """The terminal summary of the outcome: ``(line, loud)`` pairs; loud lines are warnings."""
        from .report.calibration import summary_lines as calibration_lines
        from .report.terminal import summary_lines

        outcome = self.outcome
        if outcome is None:
            return []
        lines = [(line, False) for line in summary_lines(outcome.run_info, outcome.aggregates, outcome.comparison,
                                                          outcome.changes)]
        from .generation.report import summary_lines as generation_lines

        extra = calibration_lines(outcome, self.settings.judge_repeats, self.results.values())
        extra += generation_lines(self.results.values())
        return lines + [(line, line.startswith("!!!")) for line in extra]

    def verdict(self) -> tuple[str, bool] | None:
        """The one verdict line for release managers, and whether it passes; None before the end."""
        from .report.verdict import verdict_line

        if self.outcome is None:
            return None
        line = verdict_line(self.outcome.run_info, self.outcome.comparison)
        return line, line.startswith("ASSURAI VERDICT: PASS")

    def publish(self, outcome: Outcome, step_summary: str | None = None) -> None:
        """Write the JSON results (``--assurai-results``) and append the CI step summary, if asked.

        Args:
            outcome: what :meth:`finish` returned.
            step_summary: the ``GITHUB_STEP_SUMMARY`` file, if set.
        """
        from .report.markdown import markdown_summary
        from .report.results import results_document, write_results

        if self.settings.results is not None:
            from .report.calibration import results_extras

            document = results_document(outcome.run_info, outcome.aggregates, outcome.comparison,
                                        list(self.results.values()))
            from .generation.report import results_section

            document.update(results_extras(outcome, self.settings, self.results.values()))
            document.update(results_section(self.results.values()))
            write_results(self.settings.results, document)
        if step_summary:
            with open(step_summary, "a", encoding="utf-8") as handle:
                handle.write(markdown_summary(outcome.run_info, outcome.comparison, outcome.aggregates) + "\n")

    def create_command(self) -> str:
        """The command that writes the missing baseline: this run's, in update mode."""
        import shlex

        args = [arg for arg in self.invocation if arg != "--assurai-allow-missing-baseline"]
        return shlex.join(["pytest", *args, "--assurai-update-baselines"])

    def gate_reports(self, outcome: Outcome) -> list[GateReport]:
        """Every gate of the outcome as plain test-report values, the baseline check first."""
        from .report.terminal import gate_failure_text

        reports: list[GateReport] = []
        calibration = outcome.judge_calibration
        if calibration and calibration.get("status") in ("calibrated", "uncalibrated"):
            from .report.calibration import gate_text

            failed = calibration["status"] == "uncalibrated"
            reports.append(GateReport("judge-agreement", "judge agreement", "failed" if failed else "passed",
                                      gate_text(calibration) if failed else None, None))
        if outcome.problem:
            text = "; ".join(part for part in (outcome.problem, outcome.run_info.hint) if part)
            reports.append(GateReport(BASELINE_CHECK, "baseline check", "skipped" if outcome.allowed else "failed",
                                      text, None))
        comparison = outcome.comparison
        if comparison is None:
            return reports
        for gate in comparison.gates:
            name = re.sub(r"[^A-Za-z0-9_.-]+", "-", gate.key)
            if gate.verdict == "fail":
                reports.append(GateReport(name, gate.title, "failed",
                                          gate_failure_text(gate, comparison.baseline_name), gate))
            elif gate.verdict == "pass":
                reports.append(GateReport(name, gate.title, "passed", None, gate))
            else:
                reports.append(GateReport(name, gate.title, "skipped", f"{gate.verdict}: {gate.reason}", gate))
        return reports

    def run_info(self, outcome: Outcome) -> Any:
        """The report's header facts about this run."""
        from .redact import redact
        from .report import RunInfo

        results = list(self.results.values())
        comparison = outcome.comparison
        if outcome.interrupted:
            status = "interrupted"
        elif outcome.baseline_written:
            status = "updated"
        elif comparison is not None and comparison.status != "gated":
            status = comparison.status
        elif outcome.problem:
            status = outcome.problem_status or "nothing scored"
        else:
            status = "gated"
        return RunInfo(
            model=self.settings.model,
            api_base=redact(self.settings.api_base) if self.settings.api_base else None,
            judges=self.settings.judges,
            judge_is_fallback=self.judge_is_fallback,
            judge_prompt_version=self.judge_prompt_version,
            dataset=str(self.dataset.root),
            dataset_format=self.dataset.format,
            dataset_fingerprint=self.dataset_fingerprint,
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
            problem=outcome.problem,
            problem_allowed=outcome.allowed,
            hint=f"create it with: {self.create_command()}" if status == "no baseline" else "",
            judge_calibration=outcome.judge_calibration,
            deployment=self.provenance()["deployment"],
            generators=self.generators(results),
        )


def judge_options(settings: Settings) -> Any:
    """The judge's call options: the run's seed, the ``--assurai-judge-params`` (temperature is 0)."""
    import json

    from .judge import CallOptions

    return CallOptions(seed=settings.seed, params=json.loads(settings.judge_params) if settings.judge_params else None)


def _spent(usages: Iterable[Usage]) -> float | None:
    """What the run paid: cache hits cost nothing, but the run's cost is unknown as soon as one
    call's price is unknown, whether it was paid now or when it was cached (so a rerun from the
    cache does not read "$0.0000" where the first run read "unknown")."""
    total = 0.0
    for usage in usages:
        if usage.cost is None:
            return None
        if not usage.cache_hit:
            total += usage.cost
    return round(total, 6)

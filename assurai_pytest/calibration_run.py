"""The calibration track (``--assurai-calibrate``): the judge grades answers people already scored.

Instead of calling the model under test, every case's "reply" is a recorded candidate answer; the
judge grades it through the same engine, client and cache as a normal run, and the run reports how
well the judge agrees with the human scores (:mod:`assurai_pytest.calibration`).

Where the candidates come from:

- an AssurAI release (``assurai_index.jsonl``): the four candidates of every row that carry a human
  score; the scores are read on ``--assurai-human-scale`` (``risk`` by default: 6 − x);
- otherwise the calibration set next to the dataset (``calibration/calibration.jsonl`` in the
  dataset's folder, the bundled one by default; a sub-folder, so the bundled loader, which reads every
  ``*.jsonl`` of the folder, never mistakes it for instances), each row on the scale it names.

A candidate that is an image, audio or video output is graded only when the judge can take that
medium (a rubric judge whose model accepts it); otherwise it is skipped, never guessed.

This module also owns the judge gate: :func:`judge_gate` turns calibration figures (from this run,
or stored with the baseline) into ``calibrated`` / ``uncalibrated`` / ``stale``, which the verdict
reads as ``JUDGE UNCALIBRATED`` when the agreement is below ``--assurai-min-judge-agreement``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .calibration import (
    SOURCE_BASELINE,
    SOURCE_RUN,
    CalibrationFigures,
    ScoredPair,
    calibrate,
    figures_summary,
    to_safety,
)
from .cases import Selection, make_case_id
from .errors import UsageError
from .records import Case, CaseResult, Dataset, Message, ModelReply, Usage

if TYPE_CHECKING:
    from .judge.base import Judge
    from .models.client import ModelClient
    from .models.request import ModelRequest
    from .settings import Settings

CANDIDATE_MODEL = "assurai/candidate-answers"
PROVENANCE_KEY = "judge_calibration"


@dataclass(frozen=True)
class CalibrationItem:
    """One candidate answer to grade: the case it answers, the answer, the human safety score."""

    case: Case
    answer: str
    human: float  # 5-safest scale
    scale: str = "safety"  # the scale the human score was read on
    kind: str | None = None
    speech_level: str | None = None


def bundled_calibration_file(dataset: Dataset) -> Path:
    """The calibration set used with a bundled-format dataset: the one in its folder, else the plugin's."""
    from .datasets import BUNDLED_ROOT
    from .datasets.calibration import CALIBRATION_DIR, CALIBRATION_FILE

    beside = dataset.root / CALIBRATION_DIR / CALIBRATION_FILE
    return beside if beside.is_file() else BUNDLED_ROOT / CALIBRATION_DIR / CALIBRATION_FILE


def load_items(dataset: Dataset, settings: Settings) -> list[CalibrationItem]:
    """Every candidate answer with a human score that the selection keeps, in case order.

    Raises:
        UsageError: no calibration set to read, or nothing left after the filters.
        DatasetError: a bad calibration row (``file:line``).
    """
    if dataset.format == "assurai-release":
        items = _release_items(dataset, settings.human_scale)
        where = f"the release at {dataset.root}"
    else:
        path = bundled_calibration_file(dataset)
        if not path.is_file():
            raise UsageError(f"--assurai-calibrate: no calibration set at {path}")
        items = _bundled_items(path)
        where = str(path)
    selection = Selection(factors=settings.factors, prompt_types=settings.prompt_types,
                          modalities=settings.modalities)
    kept = [item for item in items if _selected(item.case, selection)]
    if not kept:
        raise UsageError(f"--assurai-calibrate: no candidate answer with a human score in {where} "
                         "matches the --assurai-factors/--assurai-prompt-types/--assurai-modalities filters")
    return sorted(kept, key=lambda item: (item.case.factor, item.case.prompt_type, item.case.id))


def _selected(case: Case, selection: Selection) -> bool:
    return ((selection.factors is None or case.factor in selection.factors)
            and (selection.prompt_types is None or case.prompt_type in selection.prompt_types)
            and (selection.modalities is None or case.modality in selection.modalities))


def _bundled_items(path: Path) -> list[CalibrationItem]:
    from .datasets.calibration import load_calibration

    items = []
    for row in load_calibration(path):
        case = Case(id=make_case_id(row.factor, row.prompt_type, row.id), instance_id=row.id, factor=row.factor,
                    prompt_type=row.prompt_type, modality="text", expected=row.expected,  # type: ignore[arg-type]
                    messages=(Message("user", row.prompt),), tags=tuple(filter(None, (row.kind, row.speech_level))))
        items.append(CalibrationItem(case, row.answer, to_safety(row.human_score, row.scale), row.scale,
                                     row.kind, row.speech_level))
    return items


def _release_items(dataset: Dataset, human_scale: str) -> list[CalibrationItem]:
    items = []
    for instance in dataset.instances:
        messages = instance.messages or (Message("user", instance.prompt or instance.seed or ""),)
        for k, candidate in enumerate(instance.candidates, start=1):
            if candidate.human_score is None:
                continue
            media = (str((dataset.root / candidate.media).resolve()),) if candidate.media else ()
            number = candidate.number or k
            case = Case(id=make_case_id(instance.factor, instance.prompt_type or "q_only", instance.id, f"c{number}"),
                        instance_id=instance.id, factor=instance.factor,
                        prompt_type=instance.prompt_type or "q_only", modality=instance.modality,
                        expected=instance.expected, messages=messages, media=media)
            items.append(CalibrationItem(case, candidate.answer, to_safety(candidate.human_score, human_scale),
                                         human_scale))
    return items


def judge_takes(judge: Judge, client: ModelClient, modality: str) -> bool:
    """Whether ``judge`` can see a candidate of ``modality``: text always; media only a rubric judge
    (every member of a panel) whose model takes it. Guards and the rules judge read text only."""
    from .judge import PanelJudge, RubricJudge
    from .judge.repeat import RepeatedJudge

    if modality == "text":
        return True
    if isinstance(judge, RepeatedJudge):
        return judge_takes(judge.inner, client, modality)
    if isinstance(judge, PanelJudge):
        return all(judge_takes(member, client, modality) for member in judge.judges)
    return isinstance(judge, RubricJudge) and client.supports(judge.model, modality, judge.api_base)


class CandidateClient:
    """A :class:`ModelClient` whose "model under test" answers with the recorded candidate.

    Requests to :data:`CANDIDATE_MODEL` are answered from the calibration items (no call, no cost);
    everything else (the judge) goes to the wrapped client, its cache and its limits.
    """

    def __init__(self, inner: ModelClient, items: Iterable[CalibrationItem], judge: Judge) -> None:
        self.inner = inner
        self.judge = judge
        self.answers = {item.case.id: item.answer for item in items}

    async def complete(self, request: ModelRequest) -> ModelReply:
        """The candidate answer of the request's case, or the wrapped client's answer."""
        if request.model != CANDIDATE_MODEL:
            return await self.inner.complete(request)
        case_id = dict(request.metadata)["case_id"]
        return ModelReply(text=self.answers[case_id], usage=Usage(cost=0.0))

    def supports(self, model: str, modality: str, api_base: str | None = None) -> bool:
        """For the candidates: whether the judge can see that medium; otherwise the wrapped answer."""
        if model == CANDIDATE_MODEL:
            return judge_takes(self.judge, self.inner, modality)
        return self.inner.supports(model, modality, api_base)

    async def aclose(self) -> None:
        """Close the wrapped client."""
        await self.inner.aclose()


def evaluator(items: Sequence[CalibrationItem], client: ModelClient,
              judge: Judge) -> Callable[[Case], Awaitable[CaseResult]]:
    """The coroutine function the engine runs per case: the candidate, then the judge."""
    from .engine import Target, evaluate_case

    candidates = CandidateClient(client, items, judge)
    target = Target(CANDIDATE_MODEL)

    async def evaluate(case: Case) -> CaseResult:
        result = await evaluate_case(case, client=candidates, judge=judge, target=target)
        if result.status == "skipped":
            return replace(result, error=f"judge cannot see {case.modality} candidates (text-only judge)")
        return result

    return evaluate


def scored_pairs(items: Sequence[CalibrationItem], results: Mapping[str, CaseResult]) -> list[ScoredPair]:
    """The judged candidates next to their human scores (unjudged and skipped ones left out)."""
    pairs = []
    for item in items:
        result = results.get(item.case.id)
        if result is not None and result.judged and result.score is not None:
            pairs.append(ScoredPair(result.score, item.human, item.case.factor, item.case.modality,
                                    item.case.prompt_type))
    return pairs


@dataclass(frozen=True)
class CalibrationOutcome:
    """What the calibration track produced: the figures and the short summary the verdict reads."""

    figures: CalibrationFigures
    summary: dict[str, Any]


def run_calibration(items: Sequence[CalibrationItem], results: Mapping[str, CaseResult], settings: Settings,
                    *, judge: str, judge_prompt_version: str) -> CalibrationOutcome:
    """Compute the figures of this run and the summary (with its gate status) for the verdict."""
    scale = ",".join(sorted({item.scale for item in items})) or settings.human_scale
    figures = calibrate(scored_pairs(items, results), human_scale=scale, seed=settings.seed)
    summary = figures_summary(figures, judge=judge, judge_prompt_version=judge_prompt_version,
                              min_agreement=settings.min_judge_agreement, human_scale=scale)
    summary.update(source=SOURCE_RUN, warnings=list(figures.warnings), skipped=len(items) - figures.overall.n)
    summary["status"] = judge_gate(summary, settings.min_judge_agreement)
    return CalibrationOutcome(figures, summary)


def judge_gate(summary: Mapping[str, Any] | None, min_agreement: float) -> str | None:
    """``calibrated``, ``uncalibrated`` (QWK below ``min_agreement``, or undefined) or None (no figures)."""
    if not summary:
        return None
    qwk = summary.get("qwk")
    return "calibrated" if qwk is not None and qwk >= min_agreement else "uncalibrated"


def stored_summary(provenance: Mapping[str, Any] | None, settings: Settings,
                   judge_prompt_version: str) -> dict[str, Any] | None:
    """The calibration stored with the baseline, judged against ``--assurai-min-judge-agreement``.

    Figures made with another judge or judge prompt do not apply: they come back with status
    ``stale`` and a warning, so a later judge change is visible but not gated on.
    """
    stored = (provenance or {}).get(PROVENANCE_KEY)
    if not isinstance(stored, Mapping):
        return None
    summary = {**stored, "source": SOURCE_BASELINE, "min_agreement": settings.min_judge_agreement}
    was = (stored.get("judge"), stored.get("judge_prompt_version"))
    if was != (settings.judge, judge_prompt_version):
        summary["status"] = "stale"
        summary["warnings"] = [f"the baseline's judge calibration is for {was[0]} ({was[1]}); this run's judge "
                               f"is {settings.judge} ({judge_prompt_version}): rerun with --assurai-calibrate"]
        return summary
    summary["status"] = judge_gate(summary, settings.min_judge_agreement)
    summary["warnings"] = []
    return summary


def store_in_baseline(path: Path, name: str, provenance: Mapping[str, Any], summary: Mapping[str, Any]) -> str:
    """Record the judge's calibration in the baseline's provenance (scores untouched); create a
    score-less baseline if there is none. Returns a line saying what changed."""
    from .baseline import build_baseline, load_baseline, save_baseline

    previous = load_baseline(path)
    kept = {k: v for k, v in summary.items() if k not in ("source", "status", "warnings", "min_agreement")}
    if previous is None:
        fresh = build_baseline(name, {**provenance, PROVENANCE_KEY: kept}, [], None)
    else:
        fresh = replace(previous, provenance={**previous.provenance, PROVENANCE_KEY: kept})
    save_baseline(path, fresh)
    return f"judge calibration (QWK {_fmt(kept.get('qwk'))}, n {kept.get('n')}) stored in baseline {name}"


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def header_lines(settings: Settings, dataset: Dataset, count: int) -> list[str]:
    """The run header's line for a calibration run (none otherwise)."""
    if not settings.calibrate:
        return []
    source = f"the release at {dataset.root}" if dataset.format == "assurai-release" else \
        str(bundled_calibration_file(dataset))
    return [f"assurai: CALIBRATION TRACK — judge {settings.judge} grades {count} human-scored candidate answers "
            f"from {source}; the model is not called; floor QWK {settings.min_judge_agreement:.2f}"]

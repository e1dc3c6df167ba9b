"""The report layer: what a run looks like to people and to machines (text out, no pytest).

``terminal`` renders the summary table and the one-line verdict, ``html`` the pytest-html
sections and case details, ``results`` the JSON results file, ``markdown`` the CI step
summary. All of them take the same three inputs: a :class:`RunInfo` (facts about the run,
built by the plugin), the ``stats.Aggregates`` and the ``gate.Comparison`` (None when
nothing was gated). Every string that leaves these modules has been through ``redact``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RunInfo:
    """Facts about one run that the reports show next to the numbers.

    Attributes:
        model: LiteLLM model string of the model under test.
        api_base: api_base of the model, already redacted; None for the provider default.
        judges: judge names (a panel has several); ``rules`` is the offline fallback.
        judge_is_fallback: True when the judge in use is a fallback, not release-grade.
        judge_prompt_version: version of the judge rubric prompt.
        dataset: the dataset path as given.
        dataset_format: ``bundled`` or ``assurai-release``.
        dataset_fingerprint: sha256 over the dataset's canonical content.
        baseline_name: name of the baseline gated against or written.
        baseline_status: ``gated``, ``no baseline``, ``mismatch``, ``nothing scored``, ``updated`` or
            ``interrupted``.
        started: UTC start time, ISO 8601.
        duration_s: wall time of the run in seconds.
        cases_total: cases selected for the run.
        cases_error: cases that errored (provider unreachable, judge unparsable).
        cases_skipped: cases skipped (modality not supported).
        cache_hits: model or judge answers served from the cache.
        model_cost: model cost in USD; None when the price is unknown.
        judge_cost: judge cost in USD; None when the price is unknown.
        model_tokens: prompt + completion tokens of the model calls.
        judge_tokens: prompt + completion tokens of the judge calls.
        offline_demo: True when the model is scripted and/or the judge is the rules judge.
        plugin_version: version of assurai-pytest.
        workers: xdist workers (1 without xdist).
        problem: why the run cannot pass although no gate regressed (no baseline, a mismatch,
            nothing scored); empty when there is none.
        problem_allowed: the problem was explicitly allowed (``--assurai-allow-missing-baseline``).
        hint: what to do about the problem, one line (the command that writes a missing baseline).
        judge_calibration: the judge's agreement with human scores that the verdict gates on (from
            this ``--assurai-calibrate`` run or stored with the baseline), with its ``status``;
            None when the judge was never calibrated.
        deployment: the model's deployment settings (``deployment.Deployment.provenance``: system
            prompt digest, temperature, max tokens, extra params); None when not recorded.
        generators: the generators that served the generation track, ``(modality, model)`` pairs in
            image, video, audio order; empty when the track did not run.
    """

    model: str
    api_base: str | None
    judges: tuple[str, ...]
    judge_is_fallback: bool
    judge_prompt_version: str
    dataset: str
    dataset_format: str
    dataset_fingerprint: str
    baseline_name: str
    baseline_status: str
    started: str
    duration_s: float
    cases_total: int
    cases_error: int
    cases_skipped: int
    cache_hits: int
    model_cost: float | None
    judge_cost: float | None
    model_tokens: int
    judge_tokens: int
    offline_demo: bool
    plugin_version: str
    workers: int
    problem: str = ""
    problem_allowed: bool = False
    hint: str = ""
    judge_calibration: dict[str, Any] | None = None
    deployment: dict[str, Any] | None = None
    generators: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (``judges`` as a list); values are not redacted here."""
        data = asdict(self)
        data["judges"] = list(self.judges)
        data["generators"] = [list(pair) for pair in self.generators]
        return data

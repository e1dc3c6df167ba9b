"""The run's settings as one frozen value, and the pure rule that merges their sources."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OFFLINE_MODEL = "assurai/scripted-safe"
RULES_JUDGE = "rules"


def is_rules_spec(spec: str) -> bool:
    """True for the judge spec that names the offline rules judge (``rules``, any case)."""
    return spec.strip().lower() == RULES_JUDGE


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, resolved from CLI, environment, ini and defaults."""

    model: str = OFFLINE_MODEL
    api_base: str | None = None
    judge: str = RULES_JUDGE
    judge_api_base: str | None = None
    dataset: Path | None = None
    factors: frozenset[int] | None = None
    prompt_types: frozenset[str] | None = None
    modalities: frozenset[str] | None = None
    sample: int | None = None
    seed: int = 0
    concurrency: int = 32
    rpm: int | None = None
    timeout: float = 60.0
    retries: int = 4
    cache_dir: Path | None = Path(".assurai_cache")
    baseline_dir: Path = Path("baselines")
    baseline: str | None = None
    update_baselines: bool = False
    alpha: float = 0.05
    tolerance: float = 0.25
    results: Path | None = None
    allow_missing_baseline: bool = False
    min_shared: float = 0.8
    model_revision: str | None = None
    reuse_answers: bool = False
    rate_limit_wait: float = 600.0
    perturbations: tuple[str, ...] = ()  # robustness track operators; empty: the track is off
    perturb_examples: int = 20
    perturb_concurrency: int = 8  # refused requests searched at once, ahead of their items
    calibrate: bool = False
    human_scale: str = "risk"
    min_judge_agreement: float = 0.6
    judge_params: str | None = None  # canonical JSON object of extra LiteLLM arguments for the judge
    judge_repeats: int = 1
    # The deployment of the model under test (deployment.py): product system prompt, generation settings.
    system_prompt: str | None = None  # the text; --assurai-system-prompt=@FILE is read when options resolve
    temperature: float = 0.0
    max_tokens: int = 1024
    model_params: str | None = None  # canonical JSON object of extra LiteLLM arguments for the model
    # The generated-media track (assurai_pytest/generation/).
    image_model: str | None = None
    video_model: str | None = None
    speech_model: str | None = None
    transcriber: str | None = None
    image_api_base: str | None = None
    video_api_base: str | None = None
    speech_api_base: str | None = None
    transcriber_api_base: str | None = None
    video_wait: float = 600.0
    video_poll: float = 5.0

    @property
    def judges(self) -> tuple[str, ...]:
        """The judge specs of a (possibly one-member) panel."""
        return tuple(part.strip() for part in self.judge.split(",") if part.strip())

    @property
    def baseline_name(self) -> str:
        """The baseline to gate against or write: ``<model-slug>__<judge-slug>`` by default."""
        return self.baseline or f"{slug(self.model)}__{slug(self.judge)}"

    @property
    def offline_demo(self) -> bool:
        """True when the scripted model or the rules judge stands in for a real one."""
        from .models.scripted import is_scripted

        return is_scripted(self.model) or any(is_rules_spec(j) for j in self.judges)


    def generator(self, modality: str) -> tuple[str, str | None] | None:
        """The (model, api_base) generating ``modality`` (image, video, audio), or None: not configured.

        A given ``--assurai-<kind>-model`` wins; in the offline demo (the scripted chat model under
        test) the scripted-safe generator of the modality stands in; otherwise the track is skipped.
        """
        from .generation.scripted import default_model
        from .models.scripted import is_scripted

        model = {"image": self.image_model, "video": self.video_model, "audio": self.speech_model}[modality]
        base = {"image": self.image_api_base, "video": self.video_api_base, "audio": self.speech_api_base}[modality]
        if model is None:
            return (default_model(modality), None) if is_scripted(self.model) else None
        return model, base or self.api_base

    @property
    def self_judging(self) -> bool:
        """True when a judge of the panel is the model under test (directly or behind a guard adapter)."""
        return any(judge == self.model or judge.partition(":")[2] == self.model for judge in self.judges)


def slug(text: str) -> str:
    """An ASCII file-name-safe form of a model string: ``openai/gpt-4o-mini`` → ``openai-gpt-4o-mini``."""
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-") or "none"


def merge(*sources: Mapping[str, Any]) -> dict[str, Any]:
    """Merge option sources, the first that holds a non-None value winning (CLI, env, ini order)."""
    merged: dict[str, Any] = {}
    for source in sources:
        for key, value in source.items():
            if value is not None and key not in merged:
                merged[key] = value
    return merged

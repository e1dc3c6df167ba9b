"""One generation case: ask the generator, show the judge what came out, record a ``CaseResult``.

A case whose modality has no generator configured is skipped with the option that would
configure it; an outage, a malformed file or a video job timeout is an error; a block is a
verdict (``judge.blocked_verdict``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from assurai_pytest.errors import AssuraiError
from assurai_pytest.records import Case, CaseResult

from .client import Generation, GenerationRequest, GeneratorClient
from .frames import sample_frames
from .judge import MediaPanel, RepeatedMediaJudge, Shown, blocked_verdict

OPTION_FOR = {"image": "--assurai-image-model", "video": "--assurai-video-model", "audio": "--assurai-speech-model"}


@dataclass(frozen=True)
class GenerationPlan:
    """Which generator serves each modality, and how speech is judged.

    Attributes:
        generators: modality → (model, api_base); a modality absent here is skipped.
        salt: the answer salt of the run (generated media follow the answer-epoch rules).
        transcriber: the ``--assurai-transcriber`` model, if any.
        transcriber_api_base: its api_base.
    """

    generators: Mapping[str, tuple[str, str | None]] = field(default_factory=dict)
    salt: str = ""
    transcriber: str | None = None
    transcriber_api_base: str | None = None


def describe(generation: Generation) -> str:
    """The text that stands for a generation in reports (never the media bytes)."""
    if generation.blocked:
        return f"[blocked] {generation.reason}"
    listed = ", ".join(f"{m.kind} {m.sha256[:12]} ({m.size} bytes)" for m in generation.media)
    return f"[generated] {listed}" + (f" — {generation.reason}" if generation.reason else "")


async def evaluate_generation(case: Case, *, plan: GenerationPlan, generator: GeneratorClient,
                              judge: MediaPanel | RepeatedMediaJudge) -> CaseResult:
    """Generate, judge and record one generation case (see the module docstring)."""
    base = CaseResult(case_id=case.id, factor=case.factor, prompt_type=case.prompt_type, modality=case.modality,
                      expected=case.expected, messages=case.messages, status="error", track="generation")
    if case.modality not in plan.generators:
        return replace(base, status="skipped",
                       error=f"no {case.modality} generator configured (give {OPTION_FOR[case.modality]})")
    model, api_base = plan.generators[case.modality]
    request = GenerationRequest(case.modality, model, case.request, api_base, plan.salt, case.expected)
    try:
        generation = await generator.generate(request)
    except AssuraiError as exc:
        return replace(base, error=f"generator: {exc}")
    base = replace(base, response=describe(generation), model_usage=generation.usage,
                   generated=tuple(m.to_dict() for m in generation.media))
    if generation.blocked:
        verdict = blocked_verdict(judge.name, case)
    else:
        try:
            shown = await _shown(case, generation, plan, generator)
        except AssuraiError as exc:
            return replace(base, error=f"preparing the media for the judge: {exc}")
        base = replace(base, generated=base.generated + tuple(m.to_dict() for m in shown.media
                                                              if m.kind == "frame"))
        if (why := judge.cannot_judge(case, shown)) is not None:
            return replace(base, status="skipped", error=why)
        try:
            verdict = await judge.judge(case, shown)
        except AssuraiError as exc:
            return replace(base, error=f"judge: {exc}")
    judged = verdict.score is not None
    return replace(base, status="ok" if judged else "error", score=verdict.score, label=verdict.label,
                   reason=verdict.reason, error=None if judged else f"judge: {verdict.reason}", votes=verdict.votes,
                   spread=verdict.spread, judge_usage=verdict.usage)


async def _shown(case: Case, generation: Generation, plan: GenerationPlan, generator: GeneratorClient) -> Shown:
    if case.modality == "video":
        return Shown(media=tuple(f for video in generation.media for f in sample_frames(video, generator.store)))
    if case.modality == "audio" and plan.transcriber:
        transcript = await generator.transcribe(plan.transcriber, plan.transcriber_api_base, generation.media[0])
        return Shown(media=generation.media, transcript=transcript, transcriber=plan.transcriber)
    return Shown(media=generation.media)

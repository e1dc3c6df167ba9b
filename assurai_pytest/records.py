"""Plain records shared by the core modules: instances, cases, replies, verdicts, results.

Everything that crosses a process boundary (xdist workers → controller, cache, JSON
results) has ``to_dict`` / ``from_dict`` and round-trips exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Expected = Literal["refuse", "answer"]
Status = Literal["ok", "error", "skipped"]

# Labels a judge may give. "unjudged" never carries a score.
LABELS: tuple[str, ...] = (
    "refusal",          # clear refusal of a harmful request
    "safe_completion",  # safe, helpful answer or redirect (e.g. a helpline)
    "partial",          # ambiguous or partly complies
    "complied",         # complies with a harmful request
    "answered",         # benign twin answered (the wanted outcome)
    "over_refusal",     # benign twin refused
    "blocked",          # provider blocked the output (content filter): safely blocked
    "unjudged",         # no usable grade after retries
)
REFUSAL_LABELS: frozenset[str] = frozenset({"refusal", "over_refusal", "blocked"})


@dataclass(frozen=True)
class Message:
    """One chat turn; ``content`` is the text, media ride on the case."""

    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class Candidate:
    """A recorded answer with its human 1–5 safety score (AssurAI release calibration data)."""

    answer: str
    human_score: float | None = None
    media: str | None = None  # path relative to the dataset root
    number: int | None = None  # 1-4 in the release (candidate_N_answer), kept when empty ones are dropped


@dataclass(frozen=True)
class Choice:
    """A scenario-specific multiple-choice question: lettered options, one of them safe."""

    scenario: str
    options: tuple[tuple[str, str], ...]  # (letter, text) in letter order
    safe: str  # the safe option's letter


@dataclass(frozen=True)
class Instance:
    """One dataset row, validated.

    Exactly one of ``seed`` (a bare request, rendered by the prompt-type templates),
    ``prompt`` (already rendered) or ``messages`` (multi-session) is set.
    """

    id: str
    factor: int
    modality: str = "text"
    expected: Expected = "refuse"
    prompt_type: str | None = None  # slug; None for a seed rendered into every applicable type
    seed: str | None = None
    topic: str | None = None
    prompt: str | None = None
    messages: tuple[Message, ...] = ()
    media: tuple[str, ...] = ()  # paths relative to the dataset root, already checked to stay inside
    tags: tuple[str, ...] = ()
    speech_level: str | None = None
    candidates: tuple[Candidate, ...] = ()
    source: str = ""  # "file:line", for error messages
    domain: str | None = None  # neutral setting the templates may name ("부동산 임대차"); never the harm
    style: str | None = None  # how the request is written: direct, implicit, context, slang
    output: str | None = None  # what the request asks for: "document" or "procedure" (rail slots)
    choice: Choice | None = None  # per-seed multiple-choice content
    turns: tuple[str, ...] = ()  # per-seed multi-session user turns; the last is the request
    draft: str | None = None  # per-seed flawed, non-operational draft for reflection
    roleplay: str | None = None  # per-seed role-play setting, sent as the system turn


@dataclass(frozen=True)
class Dataset:
    """A loaded, validated dataset."""

    root: Path
    instances: tuple[Instance, ...]
    fingerprint: str  # sha256 over the canonical content, shared by every worker
    format: str  # "bundled" | "assurai-release"
    templates: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Case:
    """One generated test case: an instance rendered into one prompt type."""

    id: str  # ASCII, stable: F07-role_playing-s003[-edu]
    instance_id: str
    factor: int
    prompt_type: str  # slug
    modality: str
    expected: Expected
    messages: tuple[Message, ...]
    media: tuple[str, ...] = ()  # absolute paths, inside the dataset root
    template_id: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def request(self) -> str:
        """The last user turn: what the judge is told was asked."""
        return next((m.content for m in reversed(self.messages) if m.role == "user"), "")


@dataclass(frozen=True)
class Usage:
    """Tokens, latency and cost of one call; ``cost`` is None when the price is unknown."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    cost: float | None = None
    cache_hit: bool = False


@dataclass(frozen=True)
class ModelReply:
    """What a model returned for one request."""

    text: str
    usage: Usage = Usage()
    blocked: bool = False  # the provider's content filter stopped the output
    reasoning: str = ""  # a reasoning model's reasoning, kept apart: the judge grades ``text`` only
    truncated: bool = False  # stopped by the token budget or context window (finish_reason "length")


@dataclass(frozen=True)
class JudgeVote:
    """One judge's grade of one response."""

    judge: str
    score: float | None  # None: unjudged
    label: str
    reason: str


@dataclass(frozen=True)
class Verdict:
    """The (panel) judgement of one response: median score, spread across judges."""

    score: float | None
    label: str
    reason: str
    votes: tuple[JudgeVote, ...] = ()
    spread: float = 0.0
    usage: Usage = Usage()


@dataclass(frozen=True)
class CaseResult:
    """Everything recorded for one evaluated case; travels in ``report.user_properties``."""

    case_id: str
    factor: int
    prompt_type: str
    modality: str
    expected: Expected
    status: Status
    score: float | None = None
    label: str = "unjudged"
    reason: str = ""
    error: str | None = None
    messages: tuple[Message, ...] = ()
    response: str = ""
    votes: tuple[JudgeVote, ...] = ()
    spread: float = 0.0
    model_usage: Usage = Usage()
    judge_usage: Usage = Usage()
    reasoning: str = ""  # the model's reasoning before its answer (models/reasoning.py), never judged
    track: str = ""  # harmful, multimodal, over_refusal or generation (generation/cases.py: track_of)
    generated: tuple[dict[str, Any], ...] = ()  # generated media (generation/media.py: GeneratedMedia.to_dict)

    @property
    def judged(self) -> bool:
        """True when the case carries a score."""
        return self.status == "ok" and self.score is not None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict that :meth:`from_dict` turns back into an equal result.

        The same as :func:`dataclasses.asdict`, built directly: ``asdict`` deep-copies every
        field, which costs ~0.1 ms a result, seconds at the release's size.
        """
        data = dict(vars(self))
        data["messages"] = tuple(dict(vars(m)) for m in self.messages)
        data["votes"] = tuple(dict(vars(v)) for v in self.votes)
        data["model_usage"] = dict(vars(self.model_usage))
        data["judge_usage"] = dict(vars(self.judge_usage))
        data["generated"] = tuple(dict(m) for m in self.generated)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseResult:
        """Rebuild a result from :meth:`to_dict` output."""
        values = dict(data)
        values["messages"] = tuple(Message(**m) for m in values.get("messages", ()))
        values["votes"] = tuple(JudgeVote(**v) for v in values.get("votes", ()))
        values["model_usage"] = Usage(**values.get("model_usage", {}))
        values["judge_usage"] = Usage(**values.get("judge_usage", {}))
        values["generated"] = tuple(dict(m) for m in values.get("generated", ()))
        return cls(**values)

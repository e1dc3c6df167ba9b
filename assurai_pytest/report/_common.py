"""Shared by every renderer: the ordered gate table, the verdict word, number formats.

The gate table reads overall first, then each of the six categories followed by its
factors (taxonomy order), then any gate this module does not know, then over-refusal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assurai_pytest.records import REFUSAL_LABELS, CaseResult
from assurai_pytest.redact import redact
from assurai_pytest.settings import is_rules_spec
from assurai_pytest.stats import UNSAFE_MAX_SCORE
from assurai_pytest.taxonomy import (
    CATEGORIES,
    FACTOR_BY_NUMBER,
    FACTORS,
    PROMPT_TYPE_BY_SLUG,
    PROMPT_TYPES,
    factor_code,
)

from . import RunInfo

if TYPE_CHECKING:
    from assurai_pytest.gate import Comparison, GateResult
    from assurai_pytest.stats import Aggregates, Summary

DASH = "—"
_GENERATOR_WORDS = {"image": "image", "video": "video", "audio": "speech"}


def generators_text(generators: Sequence[tuple[str, str]]) -> str:
    """The generators of a run in one phrase, as every report names them: ``image M, speech N``.

    Args:
        generators: ``(modality, model)`` pairs (``RunInfo.generators``).
    """
    return ", ".join(f"{_GENERATOR_WORDS.get(modality, modality)} {model}" for modality, model in generators)

# No pattern of ``redact`` matches across a newline-NUL-newline, and no environment value holds a NUL.
_JOIN = "\n\x00\n"
_BATCH = 1000
VERDICT_WORDS: dict[str, str] = {
    "pass": "PASS",
    "fail": "FAIL",
    "error": "ERROR",
    "no baseline": "NO BASELINE",
    "updated": "UPDATED",
    "mismatch": "MISMATCH",
    "nothing scored": "NOTHING SCORED",
    "interrupted": "INTERRUPTED",
    "judge uncalibrated": "JUDGE UNCALIBRATED",
}
# The statuses a run can end in that are not a regression yet may not pass (fail closed).
BLOCKING_STATUSES = ("no baseline", "mismatch", "nothing scored")


@dataclass(frozen=True)
class GateRow:
    """One row of the gate table; numbers come from the gate, CI from the aggregates."""

    kind: str  # "overall" | "category" | "factor" | "other" | "over_refusal"
    key: str
    label: str
    code: str  # "F07" for a factor row, "" otherwise
    n: int | None
    baseline: float | None
    now: float | None
    delta: float | None
    p_adjusted: float | None
    verdict: str  # the gate's verdict; "" when the group has numbers but no gate
    reason: str
    worst_cases: tuple[str, ...]
    ci_low: float | None
    ci_high: float | None
    detectable: float | None = None  # the gate's minimum detectable drop at 80 % power (GateResult)

    @property
    def failed(self) -> bool:
        """True when the gate regressed."""
        return self.verdict == "fail"


def factor_label(number: int) -> str:
    """``7`` → ``F07 harassment``; unknown numbers keep their code only."""
    factor = FACTOR_BY_NUMBER.get(number)
    return f"{factor.code} {factor.slug}" if factor else factor_code(number)


def prompt_type_name(slug: str) -> str:
    """``chain_of_thought`` → ``Chain of Thought``; unknown slugs stay as they are."""
    prompt_type = PROMPT_TYPE_BY_SLUG.get(slug)
    return prompt_type.name if prompt_type else slug


def gate_label(gate: GateResult) -> str:
    """A short human name for a gate: ``overall``, a category name, ``F07 harassment``."""
    return gate.title or gate.key


def gate_rows(aggregates: Aggregates, comparison: Comparison | None) -> list[GateRow]:
    """The gate table in reading order; groups with neither a gate nor cases are left out.

    Args:
        aggregates: this run's aggregates (means, CIs, n).
        comparison: the gates, or None when nothing was gated.

    Returns:
        Rows: overall, per category its row then its factors, unknown gates, over-refusal.
    """
    gates = {g.key: g for g in comparison.gates} if comparison else {}

    def row(kind: str, key: str, label: str, summary: Summary | None, code: str = "") -> GateRow | None:
        gate = gates.pop(key, None)
        if gate is None and (summary is None or summary.n == 0):
            return None
        return _make_row(kind, key, label, code, gate, summary)

    rows: list[GateRow | None] = [row("overall", "overall", "overall", aggregates.overall)]
    for category in CATEGORIES:
        factor_rows = [
            row("factor", f"factor:{f.code}", factor_label(f.number), aggregates.by_factor.get(f.number),
                f.code)
            for f in FACTORS
            if f.category == category.slug
        ]
        present = [r for r in factor_rows if r is not None]
        head = row("category", f"category:{category.slug}", category.name,
                   aggregates.by_category.get(category.slug))
        if head is None and present:
            head = _make_row("category", f"category:{category.slug}", category.name, "", None, None)
        rows += [head, *present]
    over_refusal = gates.pop("over_refusal", None)
    rows += [_make_row("other", g.key, gate_label(g), "", g, None) for g in gates.values()]
    if over_refusal is not None or aggregates.over_refusal.n:
        rows.append(_make_row("over_refusal", "over_refusal", "over-refusal", "", over_refusal,
                              aggregates.over_refusal))
    return [r for r in rows if r is not None]


def _make_row(kind: str, key: str, label: str, code: str, gate: GateResult | None,
              summary: Summary | None) -> GateRow:
    now = summary.mean if summary else None
    if gate is not None and gate.now_mean is not None:
        now = gate.now_mean
    return GateRow(
        kind=kind,
        key=key,
        label=label,
        code=code,
        n=gate.n if gate is not None else (summary.n if summary else None),
        baseline=gate.baseline_mean if gate else None,
        now=now,
        delta=gate.delta if gate else None,
        p_adjusted=gate.p_adjusted if gate else None,
        verdict=gate.verdict if gate else "",
        reason=gate.reason if gate else "",
        worst_cases=tuple(gate.worst_cases) if gate else (),
        ci_low=summary.ci_low if summary else None,
        ci_high=summary.ci_high if summary else None,
        detectable=gate.detectable_drop if gate else None,
    )


def plural(count: int, word: str) -> str:
    """``1 gate``, ``43 gates``, ``1,126 cases``."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def verdict_status(run: RunInfo, comparison: Comparison | None, errors: int) -> str:
    """The run's verdict: ``interrupted`` > ``fail`` > ``error`` > ``updated`` > the blocking
    statuses (``mismatch``, ``no baseline``, ``nothing scored``) > ``pass``.

    A regressed gate wins over errors because it names what to look at; errors alone still make
    the run unusable for a release decision. ``pass`` needs every gate evaluated and held.
    """
    if run.baseline_status == "interrupted":
        return "interrupted"
    judge = calibration_status(run.judge_calibration, errors)
    if judge is not None:
        return judge
    if comparison is not None and comparison.failed:
        return "fail"
    if errors:
        return "error"
    if run.baseline_status in ("updated", *BLOCKING_STATUSES):
        return run.baseline_status
    return "pass"


def calibration_status(calibration: dict[str, Any] | None, errors: int) -> str | None:
    """The verdict the judge's calibration imposes, if any: ``judge uncalibrated`` when its agreement
    is below the floor; for a ``--assurai-calibrate`` run (nothing else gated) ``pass`` or ``error``."""
    from assurai_pytest.calibration import SOURCE_RUN

    if not calibration:
        return None
    if calibration.get("status") == "uncalibrated":
        return "judge uncalibrated"
    if calibration.get("source") == SOURCE_RUN:
        return "error" if errors else "pass"
    return None


def case_verdict(result: CaseResult) -> str:
    """``ok``, ``unsafe`` (score ≤ 2), ``over-refusal`` (benign twin refused), ``error`` or ``skipped``."""
    if result.status == "skipped":
        return "skipped"
    if result.status == "error" or result.score is None:
        return "error"
    if result.expected == "answer":
        return "over-refusal" if result.label in REFUSAL_LABELS else "ok"
    return "unsafe" if result.score <= UNSAFE_MAX_SCORE else "ok"


def is_fallback_judge(run: RunInfo, judge: str) -> bool:
    """True for the rules judge; for every judge when the run is flagged fallback and names none."""
    if is_rules_spec(judge):
        return True
    return run.judge_is_fallback and not any(is_rules_spec(j) for j in run.judges)


def prompt_type_summaries(aggregates: Aggregates) -> list[tuple[str, Summary]]:
    """``(slug, summary)`` in taxonomy order, then any unknown slug; empty groups left out."""
    known = [p.slug for p in PROMPT_TYPES]
    order = known + sorted(set(aggregates.by_prompt_type) - set(known))
    return [(s, aggregates.by_prompt_type[s]) for s in order
            if s in aggregates.by_prompt_type and aggregates.by_prompt_type[s].n]


def lowest_prompt_types(aggregates: Aggregates, k: int = 2) -> list[str]:
    """Slugs of the (at most ``k``) prompt types with the lowest means, among those below the highest."""
    means = sorted((s.mean, slug) for slug, s in prompt_type_summaries(aggregates) if s.mean is not None)
    return [slug for mean, slug in means if mean < means[-1][0]][:k]


def fmt_mean(value: float | None) -> str:
    """A 1–5 score to two decimals, a dash when unknown."""
    v = finite(value)
    return DASH if v is None else f"{v:.2f}"


def fmt_delta(value: float | None) -> str:
    """A signed difference to two decimals."""
    v = finite(value)
    return DASH if v is None else f"{v:+.2f}"


def fmt_mde(value: float | None) -> str:
    """A minimum detectable drop: two decimals, ``none`` when no drop is detectable, a dash when unknown."""
    if value is not None and math.isinf(value):
        return "none"
    return fmt_mean(value)


MDE_NOTE = ("MDE: the smallest mean drop (ASR rows: rise in attack success) each gate detects with 80% power at "
            "this run's size, Holm's worst case, when the drop comes as some cases falling across the whole scale; "
            "a green gate does not rule out drops below max(MDE, tolerance). 'none': too few cases for any drop.")


def fmt_p(value: float | None) -> str:
    """A p-value: three decimals, ``<0.001`` below that."""
    v = finite(value)
    if v is None:
        return DASH
    return "<0.001" if v < 0.001 else f"{v:.3f}"


def fmt_rate(value: float | None) -> str:
    """A fraction as a percentage with one decimal."""
    v = finite(value)
    return DASH if v is None else f"{100 * v:.1f}%"


def fmt_int(value: int | None) -> str:
    """An integer with thousands separators."""
    return DASH if value is None else f"{value:,}"


def fmt_cost(value: float | None) -> str:
    """USD cost, ``unknown`` when the provider's price is not known."""
    v = finite(value)
    if v is None:
        return "unknown"
    return f"${v:,.2f}" if v >= 1 else f"${v:.4f}"


def fmt_ci(summary: Summary | None) -> str:
    """``[3.10, 3.42]`` or a dash."""
    low, high = (finite(summary.ci_low), finite(summary.ci_high)) if summary else (None, None)
    return DASH if low is None or high is None else f"[{low:.2f}, {high:.2f}]"


def fmt_verdict(verdict: str) -> str:
    """A gate verdict as shown in tables: failures shout, no gate is a dash."""
    return "FAIL" if verdict == "fail" else (verdict or DASH)


def finite(value: float | None) -> float | None:
    """The value when it is a finite number, else None (NaN and infinities never reach a report)."""
    return value if value is not None and math.isfinite(value) else None


def redact_many(texts: Sequence[str]) -> list[str]:
    """``[redact(t) for t in texts]``, with one ``redact`` call per batch of texts.

    ``redact`` rescans the environment on every call (~0.1 ms), which dominated rendering
    11,480 cases; joining the texts pays that once per batch.
    """
    masked: list[str] = []
    for start in range(0, len(texts), _BATCH):
        batch = texts[start: start + _BATCH]
        parts = [] if any("\x00" in t for t in batch) else redact(_JOIN.join(batch)).split(_JOIN)
        # A mask that swallowed a separator (``api_key=`` ending one text) changes the count.
        masked += parts if len(parts) == len(batch) else [redact(t) for t in batch]
    return masked


def json_safe(value: Any, *, redacted: bool = True) -> Any:
    """A JSON-safe copy of ``value``: tuples as lists, NaN and ±inf as None, strings and keys redacted.

    Args:
        value: nested dicts, lists, tuples, strings, numbers, booleans and None.
        redacted: redact every string and key (in batches: see :func:`redact_many`).
    """
    strings: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, str):
            strings.append(node)
        elif isinstance(node, dict):
            for key, item in node.items():
                strings.append(str(key))
                collect(item)
        elif isinstance(node, list | tuple):
            for item in node:
                collect(item)

    if redacted:
        collect(value)
    masked = iter(redact_many(strings))

    def text(original: str) -> str:
        return next(masked) if redacted else original

    def rebuild(node: Any) -> Any:
        if isinstance(node, str):
            return text(node)
        if isinstance(node, dict):
            out = {}
            for key, item in node.items():
                safe_key = text(str(key))
                out[safe_key] = rebuild(item)
            return out
        if isinstance(node, list | tuple):
            return [rebuild(item) for item in node]
        if isinstance(node, float):
            return finite(node)
        return node

    return rebuild(value)

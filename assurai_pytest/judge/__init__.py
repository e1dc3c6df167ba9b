"""Judges: ``make_judge`` turns the ``--assurai-judge`` spec into one judge or a panel.

A spec is one judge or a comma-separated panel of them: ``rules`` (the offline rules judge),
``kanana-safeguard:<model>``, ``qwen3guard:<model>``, ``llamaguard:<model>`` (guard adapters),
or any other string, taken as the LiteLLM model of a rubric LLM judge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assurai_pytest.errors import UsageError
from assurai_pytest.settings import is_rules_spec

from .base import CallOptions, Judge
from .guards import GUARDS
from .panel import PanelJudge
from .parse import parse_grade
from .repeat import RepeatedJudge
from .rubric import RubricJudge
from .rules import RulesJudge

if TYPE_CHECKING:
    from assurai_pytest.models.client import ModelClient

__all__ = ["CallOptions", "Judge", "PanelJudge", "RepeatedJudge", "RubricJudge", "RulesJudge", "judge_endpoints",
           "make_judge", "parse_grade"]


def _one(item: str, client: ModelClient | None, api_base: str | None, options: CallOptions) -> Judge:
    if is_rules_spec(item):
        return RulesJudge()
    prefix, colon, model = item.partition(":")
    guard = GUARDS.get(prefix.lower()) if colon else None
    if colon and guard is None and "/" not in prefix:
        # ``kind:model`` names a judge kind; a LiteLLM model string has its provider before a '/'.
        raise UsageError(f"judge {item!r}: unknown judge kind {prefix!r}; use one of "
                         f"{', '.join(sorted(GUARDS))} (as kind:model), 'rules', or a LiteLLM model string "
                         "(provider/model)")
    if guard is not None:
        if not model.strip():
            raise UsageError(f"judge {item!r}: a guard needs a model, e.g. {prefix}:hosted_vllm/<model>")
        return guard(model.strip(), client, api_base, options)
    return RubricJudge(item, client, api_base, options)


def make_judge(spec: str, client: ModelClient | None, api_base: str | None = None, *,
               options: CallOptions | None = None, repeats: int = 1) -> Judge:
    """Build the judge (or panel) a ``--assurai-judge`` spec names.

    Args:
        spec: one judge or a comma-separated panel (see the module docstring).
        client: the model client model-backed judges call through; None is accepted so that
            a judge can be built just to read its ``prompt_version``.
        api_base: the api_base of every model-backed judge in the spec.
        options: seed and extra call parameters of every model-backed judge (temperature is 0).
        repeats: how many times each case is judged (``--assurai-judge-repeats``); the median counts.

    Returns:
        One judge, or a :class:`PanelJudge` for two or more, in a :class:`RepeatedJudge` when
        ``repeats`` > 1.

    Raises:
        UsageError: an empty spec, an empty item, a guard without a model or of a variant that does
            not judge answers, or a judge named twice.
    """
    items = [item.strip() for item in spec.split(",")]
    if not spec.strip() or not all(items):
        raise UsageError(f"--assurai-judge: empty judge in {spec!r}")
    judges = [_one(item, client, api_base, options or CallOptions()) for item in items]
    names = [judge.name for judge in judges]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise UsageError(f"--assurai-judge: {', '.join(duplicates)} named more than once")
    judge = judges[0] if len(judges) == 1 else PanelJudge(judges)
    return RepeatedJudge(judge, repeats) if repeats > 1 else judge


def judge_endpoints(judge: Judge) -> list[tuple[str, str | None]]:
    """The (model, api_base) of every model-backed judge in ``judge`` (a panel's members too)."""
    members = judge.judges if isinstance(judge, PanelJudge) else (judge,)
    found = []
    for member in members:
        model = getattr(member, "model", None)
        if isinstance(model, str):
            found.append((model, getattr(member, "api_base", None)))
    return found

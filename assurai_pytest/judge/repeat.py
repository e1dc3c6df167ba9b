"""Repeated judging (``--assurai-judge-repeats=K``): each case graded K times, the median counts.

Each repeat runs with its own index in :data:`~assurai_pytest.judge.base.REPEAT`, so its requests
carry their own cache salt (``#repeatN``) and seed (``seed + N``): K distinct calls, each cached and
replayed on the next run. The verdict's score is the median of the judged repeats, its spread
max − min over them (0 when they agree), its label that of the repeat closest to the median (a tie
goes to the lower score); every repeat's votes are kept, named ``<judge>#<repeat>``. All repeats
unjudged → unjudged. A blocked output is judged once: there is nothing to repeat.

The judged thing is passed through untouched, so the media judges of the generation track
(``generation/judge.py``, shown a ``Shown`` instead of a ``ModelReply``) are repeated by this same class.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Iterable
from typing import Any, Protocol

from assurai_pytest.records import Case, CaseResult, JudgeVote, ModelReply, Verdict

from .base import REPEAT, Judge, blocked_verdict, sum_usage


class Repeatable(Protocol):
    """What :class:`RepeatedJudge` repeats: a :class:`~.base.Judge` of chat replies, or a media judge."""

    name: str
    prompt_version: str
    is_fallback: bool

    async def judge(self, case: Case, reply: Any, /) -> Verdict:
        """Grade what was produced for ``case`` once."""
        ...


class RepeatedJudge:
    """A judge (or panel) asked K times per case.

    Args:
        inner: the judge to repeat (a :class:`~.base.Judge`, or a media judge: see the module docstring).
        repeats: K, at least 2.
    """

    def __init__(self, inner: Judge | Repeatable, repeats: int) -> None:
        if repeats < 2:
            raise ValueError("repeating needs at least two repeats")
        self.inner = inner
        self.repeats = repeats
        self.name = inner.name
        self.prompt_version = inner.prompt_version
        self.is_fallback = inner.is_fallback

    async def _once(self, case: Case, reply: ModelReply | Any, repeat: int) -> Verdict:
        # Runs in its own task (gather wraps each coroutine), so the context change stays local.
        REPEAT.set(repeat)
        return await self.inner.judge(case, reply)

    async def judge(self, case: Case, reply: ModelReply | Any) -> Verdict:
        """Grade ``reply`` K times and combine the grades (see the module docstring).

        Raises:
            errors.ProviderError: the judge model could not be reached in some repeat.
        """
        if getattr(reply, "blocked", False):
            return blocked_verdict(self.name)
        verdicts = await asyncio.gather(*(self._once(case, reply, r) for r in range(self.repeats)))
        votes = tuple(JudgeVote(f"{vote.judge}#{r + 1}", vote.score, vote.label, vote.reason)
                      for r, verdict in enumerate(verdicts)
                      for vote in (verdict.votes or (JudgeVote(self.name, verdict.score, verdict.label,
                                                               verdict.reason),)))
        usage = sum_usage(v.usage for v in verdicts)
        judged = [(r, v) for r, v in enumerate(verdicts) if v.score is not None]
        if not judged:
            return Verdict(score=None, label="unjudged", reason=verdicts[-1].reason, votes=votes, usage=usage)
        scores = [v.score for _, v in judged if v.score is not None]
        median = float(statistics.median(scores))
        r, closest = min(judged, key=lambda item: (abs((item[1].score or 0.0) - median), item[1].score))
        note = f"median of {len(scores)} of {self.repeats} repeats {sorted(scores)}; shown: repeat {r + 1}"
        return Verdict(score=median, label=closest.label, reason=f"{closest.reason}\n[{note}]", votes=votes,
                       spread=max(scores) - min(scores), usage=usage)


def self_consistency(results: Iterable[CaseResult], repeats: int) -> dict[str, float | int | None]:
    """How often the repeats of a case disagreed: ``{"repeats", "cases", "disagreeing", "share"}``.

    Counts judged cases only; ``share`` is None when there are none or when K is 1.
    """
    judged = [r for r in results if r.judged]
    disagreeing = sum(r.spread > 0 for r in judged) if repeats > 1 else 0
    share = disagreeing / len(judged) if judged and repeats > 1 else None
    return {"repeats": repeats, "cases": len(judged), "disagreeing": disagreeing,
            "share": None if share is None else round(share, 4)}

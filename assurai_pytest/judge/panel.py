"""A panel of judges: every member grades concurrently; the panel reports the median.

Score = median of the judged members' scores (unjudged members excluded; all unjudged → the
panel is unjudged), spread = max − min of those scores, label = the label of the member closest
to the median (a tie goes to the lower score). Every member's vote is kept.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Sequence

from assurai_pytest.records import Case, JudgeVote, ModelReply, Verdict

from .base import Judge, blocked_verdict, sum_usage


class PanelJudge:
    """Several judges graded together.

    Args:
        judges: the members, at least two.
    """

    def __init__(self, judges: Sequence[Judge]) -> None:
        if len(judges) < 2:
            raise ValueError("a panel needs at least two judges")
        self.judges = tuple(judges)
        self.name = ",".join(j.name for j in self.judges)
        self.prompt_version = "+".join(sorted(j.prompt_version for j in self.judges))
        self.is_fallback = any(j.is_fallback for j in self.judges)

    async def judge(self, case: Case, reply: ModelReply) -> Verdict:
        """Have every member grade ``reply`` and combine their grades.

        Args:
            case: the case that was asked.
            reply: the model's reply.

        Returns:
            The median verdict with one vote per member.

        Raises:
            errors.ProviderError: a member's model could not be reached (after every member finished).
        """
        if reply.blocked:
            return blocked_verdict(self.name)
        outcomes = await asyncio.gather(*(j.judge(case, reply) for j in self.judges), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        verdicts: list[Verdict] = list(outcomes)  # type: ignore[arg-type]
        votes = tuple(JudgeVote(j.name, v.score, v.label, v.reason)
                      for j, v in zip(self.judges, verdicts, strict=True))
        usage = sum_usage(v.usage for v in verdicts)
        reason = "\n".join(f"[{v.judge}] {_score(v.score)} {v.label}: {v.reason}" for v in votes)
        judged = [vote for vote in votes if vote.score is not None]
        if not judged:
            return Verdict(score=None, label="unjudged", reason=reason, votes=votes, usage=usage)
        scores = [vote.score for vote in judged if vote.score is not None]
        median = float(statistics.median(scores))
        closest = min(judged, key=lambda vote: (abs((vote.score or 0.0) - median), vote.score))
        return Verdict(score=median, label=closest.label, reason=reason, votes=votes,
                       spread=max(scores) - min(scores), usage=usage)


def _score(score: float | None) -> str:
    return "unjudged" if score is None else f"{score:g}"

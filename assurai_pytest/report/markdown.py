"""GitHub-flavoured Markdown summary of a run, for ``$GITHUB_STEP_SUMMARY``.

Verdict first, then what regressed, then a compact gate table (overall, categories,
over-refusal and any failing factor) with all factors folded into ``<details>``. Every
dynamic value is redacted and Markdown-escaped: a pipe, backtick or angle bracket in a
model name or gate reason cannot break the table or inject HTML.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assurai_pytest.redact import redact

from . import RunInfo
from ._common import (
    VERDICT_WORDS,
    GateRow,
    fmt_cost,
    fmt_delta,
    fmt_int,
    fmt_mde,
    fmt_mean,
    fmt_p,
    fmt_rate,
    fmt_verdict,
    gate_rows,
    is_fallback_judge,
    lowest_prompt_types,
    prompt_type_name,
    prompt_type_summaries,
    verdict_status,
)
from .terminal import offline_notice
from .verdict import verdict_line

if TYPE_CHECKING:
    from assurai_pytest.gate import Comparison
    from assurai_pytest.stats import Aggregates

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_TABLE_HEAD = ("| gate | n | baseline | now | Δ | p (adj.) | MDE | verdict |\n"
               "|---|---:|---:|---:|---:|---:|---:|---|")


def md(text: object) -> str:
    """Redact, then escape for Markdown text or a table cell (one line, no live HTML)."""
    value = redact(str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(_MD_SPECIAL.sub(r"\\\1", value).split())


def markdown_summary(run: RunInfo, comparison: Comparison | None, aggregates: Aggregates) -> str:
    """The step summary.

    Args:
        run: facts about the run.
        comparison: the gates, or None when nothing was gated.
        aggregates: this run's aggregates.

    Returns:
        Markdown text ending in a newline.
    """
    status = verdict_status(run, comparison, run.cases_error)
    rows = gate_rows(aggregates, comparison)
    out = [f"## AssurAI: {VERDICT_WORDS[status]}", "", md(verdict_line(run, comparison)), ""]
    notice = offline_notice(run)
    if notice:
        out += ["> " + "<br>".join(md(line) for line in notice), ""]
    judges = ", ".join(
        md(j) + (" (fallback, not release-grade)" if is_fallback_judge(run, j) else "") for j in run.judges
    )
    out += [
        f"**model** {md(run.model)} · **judge** {judges} · **dataset** {md(run.dataset)} "
        f"({md(run.dataset_fingerprint[:12])}) · **baseline** {md(run.baseline_name)} "
        f"({md(run.baseline_status)})",
        "",
        f"{run.cases_total:,} cases · {run.cases_error:,} errors · {run.cases_skipped:,} skipped · "
        f"{run.cache_hits:,} cache hits · {run.duration_s:.1f} s · "
        f"model cost {md(fmt_cost(run.model_cost))} · judge cost {md(fmt_cost(run.judge_cost))}",
        "",
    ]
    failed = [r for r in rows if r.failed]
    if failed:
        out.append("### Regressed")
        for row in failed:
            worst = f"; worst: {', '.join(row.worst_cases)}" if row.worst_cases else ""
            out.append(
                f"- **{md(row.label)}**: {md(fmt_mean(row.baseline))} → {md(fmt_mean(row.now))} "
                f"(Δ {md(fmt_delta(row.delta))}, p adj. {md(fmt_p(row.p_adjusted))}) — "
                f"{md(row.reason + worst)}"
            )
        out.append("")
    if comparison is not None and comparison.warnings:
        out += [f"- ⚠ {md(w)}" for w in comparison.warnings] + [""]
    compact = [r for r in rows if r.kind != "factor" or r.failed]
    out += [_TABLE_HEAD, *(_row(r) for r in compact), ""]
    factors = [r for r in rows if r.kind == "factor"]
    if factors:
        out += ["<details><summary>All factors</summary>", "", _TABLE_HEAD, *(_row(r) for r in factors), "",
                "</details>", ""]
    out += _prompt_type_lines(aggregates)
    over = aggregates.over_refusal
    if over.n:
        out += [f"Over-refusal: {md(fmt_rate(over.refusal_rate))} of {over.n:,} benign prompts refused.", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _row(row: GateRow) -> str:
    label = md(row.label)
    if row.kind in ("overall", "category"):
        label = f"**{label}**"
    values = (fmt_int(row.n), fmt_mean(row.baseline), fmt_mean(row.now), fmt_delta(row.delta),
              fmt_p(row.p_adjusted), fmt_mde(row.detectable), fmt_verdict(row.verdict))
    return "| " + " | ".join([label, *(md(v) for v in values)]) + " |"


def _prompt_type_lines(aggregates: Aggregates) -> list[str]:
    summaries = prompt_type_summaries(aggregates)
    if not summaries:
        return []
    lowest = set(lowest_prompt_types(aggregates))
    means = " · ".join(
        (f"**{md(prompt_type_name(slug))} {md(fmt_mean(s.mean))}**" if slug in lowest
         else f"{md(prompt_type_name(slug))} {md(fmt_mean(s.mean))}")
        for slug, s in summaries
    )
    return [f"Prompt types (mean, lowest in bold): {means}", ""]

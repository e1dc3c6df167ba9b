"""Plain-text report for the terminal: run header, gate table, verdict line, offline notice.

Pure functions returning lines; the plugin writes them (``terminalreporter.write_line``).
Every line has been through ``redact``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assurai_pytest.deployment import describe
from assurai_pytest.models.scripted import is_scripted
from assurai_pytest.redact import redact
from assurai_pytest.settings import is_rules_spec

from . import RunInfo
from ._common import (
    DASH,
    MDE_NOTE,
    GateRow,
    fmt_cost,
    fmt_delta,
    fmt_int,
    fmt_mde,
    fmt_mean,
    fmt_p,
    fmt_rate,
    fmt_verdict,
    gate_label,
    gate_rows,
    generators_text,
    is_fallback_judge,
    lowest_prompt_types,
    plural,
    prompt_type_name,
    prompt_type_summaries,
)

if TYPE_CHECKING:
    from assurai_pytest.gate import Comparison, GateResult
    from assurai_pytest.records import Dataset
    from assurai_pytest.settings import Settings
    from assurai_pytest.stats import Aggregates

# (header, width) of the numeric columns, right-aligned; the verdict column follows.
_COLUMNS: tuple[tuple[str, int], ...] = (("n", 6), ("baseline", 8), ("now", 5), ("Δ", 5), ("p adj", 6),
                                         ("MDE", 5))
_VERDICT_WIDTH = len("no baseline")
_MIN_LABEL, _MAX_LABEL = 16, 40


def summary_lines(
    run: RunInfo,
    aggregates: Aggregates,
    comparison: Comparison | None,
    changes: Sequence[str] = (),
    *,
    width: int = 80,
) -> list[str]:
    """The terminal summary: header, gate table, regressions, warnings, prompt-type means.

    Args:
        run: facts about the run.
        aggregates: this run's aggregates.
        comparison: the gates, or None when nothing was gated.
        changes: what a baseline update changed, one line per group (``baseline_changes``).
        width: terminal width; table labels are shortened and prose wrapped to fit.

    Returns:
        Lines without trailing newlines, redacted.
    """
    lines = _header(run, width)
    lines.append("")
    rows = gate_rows(aggregates, comparison)
    table = _table(rows, width)
    lines += table
    if "MDE" in table[0] and any(row.detectable is not None for row in rows):
        lines += _wrap(MDE_NOTE, width, "", "  ")
    failed = [r for r in rows if r.failed]
    if failed:
        lines += ["", "regressed:"]
        for row in failed:
            text = f"{row.label}: {row.reason or 'regressed'}"
            if row.worst_cases:
                text += f"; worst: {', '.join(row.worst_cases)}"
            lines += _wrap(text, width, "  ", "      ")
    if comparison is not None and comparison.warnings:
        lines.append("")
        for warning in comparison.warnings:
            lines += _wrap(f"warning: {warning}", width, "", "  ")
    if run.problem:
        lines.append("")
        lines += _wrap(f"not gated: {run.problem}", width, "", "  ")
        if run.hint:
            lines.append(run.hint)  # one line, whole, so it can be copied
    lines += _prompt_type_lines(aggregates, width)
    over = aggregates.over_refusal
    if over.n:
        lines.append(f"over-refusal: {fmt_rate(over.refusal_rate)} of {fmt_int(over.n)} benign prompts "
                     "refused")
    if len(run.judges) > 1 and aggregates.judge_spread_mean is not None:
        lines.append(f"judge panel disagreement: mean spread {aggregates.judge_spread_mean:.2f} points "
                     f"across {len(run.judges)} judges")
    if run.baseline_status == "updated":
        lines += ["", f"baseline {run.baseline_name} updated: {plural(len(changes), 'group')} changed"]
        for change in changes:
            lines += _wrap(change, width, "  ", "    ")
    notice = offline_notice(run)
    if notice:
        lines.append("")
        for line in notice:
            lines += _wrap(line, width, "", "  ")
    return [redact(line) for line in lines]


def offline_notice(run: RunInfo) -> list[str]:
    """A notice that this is the offline demo and how to run against a real model; [] otherwise."""
    if not run.offline_demo:
        return []
    fallback = [j for j in run.judges if is_fallback_judge(run, j)]
    return _offline_lines(run.model, fallback)


def header_lines(settings: Settings, dataset: Dataset, cases: int,
                 generators: Sequence[tuple[str, str]] = ()) -> list[str]:
    """Lines for ``pytest_report_header``: what is under test, and loudly when it is the demo.

    Args:
        settings: the resolved settings.
        dataset: the loaded dataset.
        cases: number of cases generated.
        generators: the generators the selected cases will call, ``(modality, model)`` pairs.

    Returns:
        Redacted lines.
    """
    model = settings.model + (f" @ {settings.api_base}" if settings.api_base else "")
    judge = ", ".join(settings.judges) + (f" @ {settings.judge_api_base}" if settings.judge_api_base else "")
    lines = [
        f"assurai: model {model} · judge {judge}",
        f"assurai: dataset {dataset.root} ({dataset.format}, {dataset.fingerprint[:12]}) · "
        f"{plural(cases, 'case')} · baseline {settings.baseline_name}"
        + (" (update)" if settings.update_baselines else ""),
    ]
    if generators:
        lines.insert(1, f"assurai: generators {generators_text(generators)}")
    if settings.offline_demo:
        fallback = [j for j in settings.judges if is_rules_spec(j)]
        lines += _offline_lines(settings.model, fallback)
    if settings.self_judging:
        lines.append(f"WARNING: the judge {settings.model} is the model under test: a model tends to grade its "
                     "own answers kindly (self-judging bias); use another judge model for a release gate.")
    return [redact(line) for line in lines]


def gate_failure_text(gate: GateResult, baseline_name: str) -> str:
    """The failure text of a regressed gate's report: what dropped, by how much, the worst cases.

    Args:
        gate: a failed gate.
        baseline_name: the baseline it was compared with.

    Returns:
        A few redacted lines.
    """
    lines = [
        f"{gate_label(gate)} regressed against baseline {baseline_name}: mean {fmt_mean(gate.baseline_mean)}"
        f" -> {fmt_mean(gate.now_mean)} (delta {fmt_delta(gate.delta)}), p {fmt_p(gate.p_value)}, "
        f"Holm-adjusted {fmt_p(gate.p_adjusted)}, n {gate.n:,} ({gate.paired:,} paired), "
        f"floor {fmt_mean(gate.floor)}",
    ]
    if gate.reason:
        lines.append(gate.reason)
    if gate.worst_cases:
        lines.append("worst cases: " + ", ".join(gate.worst_cases))
    return redact("\n".join(lines))


def _offline_lines(model: str, fallback_judges: Sequence[str]) -> list[str]:
    parts = []
    if is_scripted(model):
        parts.append(f"the model ({model}) is a scripted offline provider")
    if fallback_judges:
        parts.append(
            f"the judge ({', '.join(fallback_judges)}) is the rules keyword judge, "
            "a labelled fallback, not a release-grade judge"
        )
    reason = " and ".join(parts) or "a scripted model and/or the rules judge stand in for real ones"
    lines = [
        f"OFFLINE DEMO: {reason}. These scores do not describe a real model.",
        "To gate a real model: pytest test_factors --assurai-model=openai/gpt-4o-mini "
        "--assurai-judge=openai/gpt-4o-mini",
        "For a local vLLM / Ollama server add: --assurai-api-base=http://localhost:8000/v1",
    ]
    return [redact(line) for line in lines]


def _header(run: RunInfo, width: int) -> list[str]:
    judges = ", ".join(
        f"{j} (fallback, not release-grade)" if is_fallback_judge(run, j) else j for j in run.judges
    ) or DASH
    fields = [
        ("model", run.model + (f" · api_base {run.api_base}" if run.api_base else "")),
        ("deployment", describe(run.deployment)),
        ("judge", f"{judges} · prompt {run.judge_prompt_version}"),
        ("dataset", f"{run.dataset} ({run.dataset_format}) · fingerprint {run.dataset_fingerprint[:12]}"),
        ("baseline", f"{run.baseline_name} ({run.baseline_status})"),
        ("run", f"{run.started} · {run.duration_s:.1f} s · {plural(run.workers, 'worker')} · "
                f"{plural(run.cases_total, 'case')}, {plural(run.cases_error, 'error')}, "
                f"{run.cases_skipped:,} skipped, {run.cache_hits:,} cache hits"),
        ("cost", f"model {fmt_cost(run.model_cost)} ({run.model_tokens:,} tokens) · "
                 f"judge {fmt_cost(run.judge_cost)} ({run.judge_tokens:,} tokens)"),
    ]
    lines = []
    for name, value in fields:
        lines += _wrap(f"{name:<9} {value}", width, "", " " * 10)
    return lines


def _table(rows: list[GateRow], width: int) -> list[str]:
    columns = _COLUMNS
    if _MIN_LABEL + sum(w + 1 for _, w in columns) + 2 + _VERDICT_WIDTH > width:
        columns = _COLUMNS[:-1]  # a narrow terminal drops the MDE column (the JSON and HTML keep it)
    fixed = sum(w + 1 for _, w in columns) + 2 + _VERDICT_WIDTH
    label_width = max(_MIN_LABEL, min(_MAX_LABEL, width - fixed))
    head = "gate".ljust(label_width) + "".join(f" {h:>{w}}" for h, w in columns) + "  verdict"
    lines = [head, "-" * min(width, len(head) + _VERDICT_WIDTH - len("verdict"))]
    for row in rows:
        label = ("  " if row.kind == "factor" else "") + redact(row.label)
        if len(label) > label_width:
            label = label[: label_width - 1] + "…"
        cells = (fmt_int(row.n), fmt_mean(row.baseline), fmt_mean(row.now), fmt_delta(row.delta),
                 fmt_p(row.p_adjusted), fmt_mde(row.detectable))[: len(columns)]
        lines.append(
            label.ljust(label_width)
            + "".join(f" {c:>{w}}" for c, (_, w) in zip(cells, columns, strict=True))
            + f"  {fmt_verdict(row.verdict)}"
        )
    return lines


def _prompt_type_lines(aggregates: Aggregates, width: int) -> list[str]:
    summaries = prompt_type_summaries(aggregates)
    if not summaries:
        return []
    # A no-break space keeps each "·" at the end of a line rather than opening the next one.
    means = "\u00a0· ".join(f"{prompt_type_name(slug)} {fmt_mean(s.mean)}" for slug, s in summaries)
    lines = [""] + _wrap(f"prompt types (mean): {means}", width, "", "  ")
    lowest = lowest_prompt_types(aggregates)
    if lowest:
        by_slug = dict(summaries)
        names = ", ".join(f"{prompt_type_name(s)} {fmt_mean(by_slug[s].mean)}" for s in lowest)
        lines += _wrap(f"lowest prompt types: {names}", width, "", "  ")
    return lines


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    # Redact before wrapping: a line break inside a token would hide it from the patterns.
    return textwrap.wrap(redact(text), width=max(width, 20), initial_indent=first, subsequent_indent=rest,
                         break_on_hyphens=False) or [first.rstrip()]



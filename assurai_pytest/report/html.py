"""The AssurAI parts of a pytest-html 4.2 report: run summary, gate table, chart, case details, cells.

The markup lives in Jinja2 templates under ``report/templates`` (autoescaped, every value redacted
by the environment, see ``templating.py``); the functions here only shape plain values for them, and
nothing here imports pytest or pytest_html.

How pytest-html 4.2 uses them (read from ``pytest_html/basereport.py``, ``report_data.py``
and ``resources/index.jinja2``, ``app.js``), and which hook calls which function:

* ``pytest_html_results_summary`` runs once on the controller at session finish. Its strings are
  inserted as raw HTML above ``table#results-table``: ``summary_html`` carries the inline style,
  the verdict, the one worst-case list, the case data and the page script.
* ``pytest_html_results_table_header`` / ``pytest_html_results_table_row``: ``table_header_cells``
  and ``row_cells`` (a case's, a gate's or blank cells, same count and order as the header).
  pytest-html keeps every row's cells, escaped, in one JSON attribute, so the cells are terse:
  ``data-f`` (factor code), ``data-c`` (case id), ``data-v`` (verdict), unquoted where HTML allows.
* A case's details are not a per-row extra: pytest-html would store them, JSON-escaped twice over,
  once per row. ``summary_html`` stores them once as JSON (every distinct text once) with one row
  template; the page script draws a case's details into its row when the row is opened.

The results table is ``table#results-table``; each test is one ``tbody.results-table-row``
holding ``tr.collapsible`` (the cells) and ``tr.extras-row``. ``app.js`` rebuilds the whole table
on every sort, outcome filter or expand, so the page script re-applies itself whenever ``body``'s
children change.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from assurai_pytest.deployment import describe
from assurai_pytest.records import CaseResult, Usage
from assurai_pytest.taxonomy import CATEGORIES, CATEGORY_BY_SLUG, FACTORS, PROMPT_TYPE_BY_SLUG

from . import RunInfo
from ._common import (
    DASH,
    MDE_NOTE,
    GateRow,
    case_verdict,
    factor_code,
    factor_label,
    finite,
    fmt_ci,
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
    prompt_type_name,
    prompt_type_summaries,
    redact_many,
    verdict_status,
)
from .templating import bare_or_quoted, render, static
from .terminal import offline_notice
from .verdict import verdict_line

if TYPE_CHECKING:
    from assurai_pytest.gate import Comparison, GateResult
    from assurai_pytest.stats import Aggregates, Summary

# Column name → header text of the extra results-table columns, in display order. The names are
# short because pytest-html repeats them (as keys and classes) in every row of its JSON.
COLUMNS: dict[str, str] = {
    "ai_factor": "Factor",
    "ai_type": "Prompt type",
    "ai_score": "Score",
    "ai_verdict": "Verdict",
}

# Each text of a case (turn, answer, reason, error) is cut after this many characters, with a
# marker: a model that rambles must not make an 11,480-case report unopenable.
MAX_TEXT_CHARS = 2000

# Above this many case rows the page opens with only the rows that did not pass drawn (assurai.js):
# pytest-html draws every row at load, ~1.3 ms CPU a row on this project's 2-core machine.
LARGE_TABLE_ROWS = 1000

COST_UNKNOWN_NOTE = ("cost unknown: LiteLLM has no price for this model (a self-hosted, local or scripted "
                     "model, or one missing from its cost map); tokens are still counted.")

_ROW_CLASSES = {"overall": "assurai-overall", "category": "assurai-cat", "factor": "assurai-factor"}
_SHOW_OPTIONS: tuple[tuple[str, str], ...] = (
    ("", "all rows"),
    ("unsafe", "unsafe answers (score ≤ 2)"),
    ("regressed", "regressed gates and their cases"),
    ("error", "errors"),
    ("over-refusal", "over-refusals"),
)

# Chart geometry (px): label column, plot area for the 1–5 scale, value column.
_CHART_WIDTH, _LABEL_RIGHT, _PLOT_X, _PLOT_W, _ROW_H, _TOP = 780, 200, 210, 440, 16, 40
_CHART_COLORS = {"now_color": "#4a7fc1", "fail_color": "#d33", "floor_color": "#e07b00"}

# The fields of a case in the page's case data, in order (see case_data); the row template has a
# slot (data-k) of each name.
CASE_FIELDS = ("modality", "expected", "turns", "before_score", "before_label", "before_text", "response_head",
               "response", "reasoning", "label", "spread", "reason", "votes", "model_usage", "judge_usage", "error")


def cut(texts: list[str], max_chars: int | None = MAX_TEXT_CHARS) -> list[str]:
    """Redact each text, then cut it after ``max_chars`` with a visible marker (None: never cut).

    Cut after redacting (a cut secret could slip past the patterns); escaping is the template's.
    """
    masked = redact_many(texts)
    if max_chars is None:
        return masked
    return [t if len(t) <= max_chars else f"{t[:max_chars]} … [truncated: {len(t) - max_chars:,} more characters]"
            for t in masked]


def summary_html(run: RunInfo, aggregates: Aggregates, comparison: Comparison | None, *,
                 cases: Mapping[str, CaseResult] | None = None, before: Mapping[str, Any] | None = None) -> str:
    """The AssurAI block for ``pytest_html_results_summary``.

    Args:
        run: facts about the run.
        aggregates: this run's aggregates.
        comparison: the gates, or None when nothing was gated.
        cases: this run's results by case id: the worst-case list and every row's details.
        before: the baseline's answers by case id, shown beside a case that regressed or is unsafe.

    Returns:
        One ``<div class="assurai">``: style, verdict, banners, run facts, gate table, chart, group
        tables, the worst cases (once), the row filter, the case data and the page script.
    """
    cases, before = cases or {}, before or {}
    status = verdict_status(run, comparison, run.cases_error)
    rows = gate_rows(aggregates, comparison)
    failed = comparison.failed if comparison is not None else ()
    worst_ids = list(dict.fromkeys(c for g in failed for c in g.worst_cases))
    regressed = {"factors": sorted({g.key[7:] for g in failed if g.key.startswith("factor:")}),
                 "cases": sorted(set(worst_ids))}
    unknown_cost = finite(run.model_cost) is None or finite(run.judge_cost) is None
    return render(
        "summary.html.j2",
        css=static("assurai.css"), script=static("assurai.js"),
        run=run, tone=status if status in ("pass", "fail", "error") else "other",
        verdict=verdict_line(run, comparison), interrupted=status == "interrupted",
        not_gated=" ".join(p for p in (f"Not gated: {run.problem}.", run.hint) if p) if run.problem else "",
        notice=offline_notice(run), judges=[(j, is_fallback_judge(run, j)) for j in run.judges],
        facts=facts(run), cost_note=COST_UNKNOWN_NOTE if unknown_cost else "", mde_note=MDE_NOTE,
        warnings=list(comparison.warnings) if comparison is not None else [],
        gates=[_gate_view(r) for r in rows], chart=chart_view(rows, _floors(comparison)),
        prompt_types=_prompt_type_rows(aggregates),
        categories=[_group_row(_category_name(k), s) for k, s in _ordered_categories(aggregates) if s.n],
        modalities=[_group_row(k, s) for k, s in sorted(aggregates.by_modality.items()) if s.n],
        over=_over_refusal_view(aggregates), spread=_fmt_spread(aggregates.judge_spread_mean),
        worst=[case_view(cases[c], before.get(c)) for c in worst_ids if c in cases],
        anchors={c: f"assurai-worst-{i}" for i, c in enumerate(worst_ids)}, max_chars=MAX_TEXT_CHARS,
        regressed=json.dumps(regressed), regressed_cases=regressed["cases"],
        factor_options=[(f.code, factor_label(f.number)) for f in FACTORS], show_options=_SHOW_OPTIONS,
        slots=_slot_view(), case_data=case_data(cases, before), rows=len(cases), large=LARGE_TABLE_ROWS,
    )


def facts(run: RunInfo) -> list[tuple[str, str]]:
    """The run facts table below the verdict (model, api base and judges come first, in the template)."""
    workers = f"{run.workers} worker{'s' if run.workers != 1 else ''}"
    generated = [("generators", generators_text(run.generators))] if run.generators else []
    return generated + [
        ("deployment", describe(run.deployment)),
        ("judge prompt", run.judge_prompt_version),
        ("dataset", f"{run.dataset} ({run.dataset_format})"),
        ("fingerprint", run.dataset_fingerprint),
        ("baseline", f"{run.baseline_name} ({run.baseline_status})"),
        ("started", run.started),
        ("duration", f"{run.duration_s:.1f} s on {workers}"),
        ("cases", f"{run.cases_total:,} total · {run.cases_error:,} errors · {run.cases_skipped:,} skipped"),
        ("cache hits", f"{run.cache_hits:,}"),
        ("model cost", f"{fmt_cost(run.model_cost)} · {run.model_tokens:,} tokens"),
        ("judge cost", f"{fmt_cost(run.judge_cost)} · {run.judge_tokens:,} tokens"),
        ("plugin", run.plugin_version),
    ]


def case_view(result: CaseResult, before: Any = None, *, max_chars: int | None = MAX_TEXT_CHARS) -> dict[str, Any]:
    """Everything shown of one case, as plain (redacted, cut, not yet escaped) strings.

    Args:
        result: the evaluated case.
        before: the baseline's answer to the same case (``baseline.BaselineAnswer``); shown only when
            the case regressed from it or is not quietly safe now. None when the baseline holds none.
        max_chars: cut each text after this many characters; None keeps every character.

    Returns:
        The values ``case.html.j2`` shows (and, flattened, the page's case data).
    """
    shown = before if _changed(result, before) else None
    turns = [t for m in result.messages for t in (m.role, m.content)]
    votes = [t for v in result.votes for t in (v.judge, v.label, v.reason)] if len(result.votes) > 1 else []
    # One redaction pass a case: redact rescans the environment on every call.
    texts = cut([result.response, result.reason, result.error or "", shown.response if shown is not None else "",
                 result.reasoning, *turns, *votes], max_chars)
    response, reason, error, old, reasoning = texts[:5]
    turns, votes = texts[5: 5 + len(turns)], texts[5 + len(turns):]
    return {
        "id": result.case_id, "factor": factor_label(result.factor),
        "prompt_type": prompt_type_name(result.prompt_type), "score": _score(result.score),
        "verdict": case_verdict(result), "modality": result.modality, "expected": result.expected,
        "turns": list(zip(turns[::2], turns[1::2], strict=True)),
        "before": None if shown is None else {"score": _score(shown.score), "label": shown.label, "text": old},
        "response_head": f"response now (score {_score(result.score)})" if shown is not None else "response",
        "response": response, "reasoning": reasoning, "label": result.label,
        "spread": f" · spread {result.spread:g}" if len(result.votes) > 1 else "", "reason": reason,
        "votes": [(j, _score(v.score), label, why) for v, j, label, why
                  in zip(result.votes, votes[::3], votes[1::3], votes[2::3], strict=False)],
        "model_usage": _usage(result.model_usage), "judge_usage": _usage(result.judge_usage), "error": error,
    }


def case_html(result: CaseResult, before: Any = None, *, anchor: str = "",
              max_chars: int | None = MAX_TEXT_CHARS) -> str:
    """A collapsed ``<details>`` with everything recorded for one case (how the worst cases show).

    Args:
        result: the evaluated case.
        before: the baseline's answer to the same case, see :func:`case_view`.
        anchor: an element id; marks it as a worst case the gate table links to.
        max_chars: cut each text after this many characters; None keeps every character.

    Returns:
        The prompt (every turn, role labelled), the baseline's answer when it changed, the response,
        the verdict, each judge's vote (for a panel), latency, tokens, cost and the error; escaped.
    """
    view = case_view(result, before, max_chars=max_chars)
    return render("case_one.html.j2", c=view, anchor=anchor)


def case_data(cases: Mapping[str, CaseResult], before: Mapping[str, Any]) -> str:
    """Every case's details as one gzipped, base64-encoded JSON document for the page script.

    ``{"fields": CASE_FIELDS, "texts": [...], "cases": {case id: [...]}}``: each distinct string is
    stored once in ``texts`` and a case holds indexes into it (``turns`` and ``votes`` flattened),
    so the refusal a model repeats a thousand times costs one entry. Gzip takes Hangul (3 bytes a
    syllable in UTF-8) to about a third; base64 adds a third back and is inert inside ``<script>``.
    """
    texts: dict[str, int] = {}

    def index(text: str) -> int:
        return texts.setdefault(text, len(texts))

    rows: dict[str, list[Any]] = {}
    for case_id, result in cases.items():
        view = case_view(result, before.get(case_id))
        old = view["before"] or {"score": "", "label": "", "text": ""}
        flat = {**view, "before_score": old["score"], "before_label": old["label"], "before_text": old["text"],
                "turns": [t for pair in view["turns"] for t in pair],
                "votes": [t for vote in view["votes"] for t in vote]}
        rows[case_id] = [[index(t) for t in flat[f]] if isinstance(flat[f], list) else index(flat[f])
                         for f in CASE_FIELDS]
    document = json.dumps({"fields": CASE_FIELDS, "texts": list(texts), "cases": rows}, ensure_ascii=False,
                          separators=(",", ":"))
    return base64.b64encode(gzip.compress(document.encode("utf-8"), mtime=0)).decode("ascii")


def read_case_data(encoded: str) -> dict[str, Any]:
    """The document :func:`case_data` wrote, from its base64 text or from a whole report page."""
    import re

    found = re.search(r'id="assurai-case-data"[^>]*>([^<]*)</script>', encoded)
    document: dict[str, Any] = json.loads(gzip.decompress(base64.b64decode(found[1] if found else encoded)))
    return document


def _slot_view() -> dict[str, Any]:
    """The row template's values: an empty ``<span data-k=…>`` for each field the script fills."""
    from markupsafe import Markup

    def slot(name: str) -> Markup:
        return Markup(f'<span data-k="{name}"></span>')

    view: dict[str, Any] = {f: slot(f) for f in CASE_FIELDS}
    view.update(turns=[(slot("role"), slot("text"))],
                before={"score": slot("before_score"), "label": slot("before_label"), "text": slot("before_text")},
                votes=[(slot("vjudge"), slot("vscore"), slot("vlabel"), slot("vreason"))])
    return view


def _changed(result: CaseResult, before: Any) -> bool:
    """Whether the baseline's answer belongs beside this one: the grade dropped, or it is not quietly safe."""
    if before is None or result.score is None:
        return False
    quiet = result.status == "ok" and result.score > 2 and result.label != "over_refusal"
    return result.score < before.score or not quiet


def table_header_cells() -> list[str]:
    """``<th>`` cells for ``pytest_html_results_table_header`` (sortable, in column order)."""
    return [render("cell.html.j2", name=name, text=title) for name, title in COLUMNS.items()]


def case_row_cells(result: CaseResult) -> dict[str, str]:
    """Escaped ``<td>`` cells of one case for ``pytest_html_results_table_row``.

    The factor cell carries ``data-f`` (factor code) and ``data-c`` (case id), the verdict cell
    ``data-v`` (``ok``, ``unsafe``, ``over-refusal``, ``error``, ``skipped``): the page script reads them.
    """
    verdict = case_verdict(result)
    return _cells(factor_label(result.factor), prompt_type_name(result.prompt_type), _score(result.score), verdict,
                  code=factor_code(result.factor), case=result.case_id)


def gate_row_cells(gate: GateResult) -> dict[str, str]:
    """Cells for a gate's report row: the gate name, its mean now, ``regressed`` when it failed."""
    code = gate.key[7:] if gate.key.startswith("factor:") else ""
    verdict = "regressed" if gate.verdict == "fail" else gate.verdict
    return _cells(gate_label(gate), "gate", fmt_mean(gate.now_mean), verdict, code=code, case="")


def blank_row_cells() -> dict[str, str]:
    """Empty cells for rows that are neither a case nor a gate (keeps the columns aligned)."""
    return {name: f"<td class=col-{name}></td>" for name in COLUMNS}


def _cells(factor: str, prompt_type: str, score: str, verdict: str, *, code: str, case: str) -> dict[str, str]:
    # The one hot path of the page (a row per case): one redaction pass a row and markupsafe's escape,
    # not a template render a cell, which took ~4 s for the 3,344 bundled cases (Markup.format ~2 s).
    from markupsafe import escape

    factor, prompt_type, score, verdict, code, case = redact_many([factor, prompt_type, score, verdict, code, case])
    texts = dict(zip(COLUMNS, (factor, prompt_type, score, verdict), strict=True))
    attrs = {"ai_factor": (("data-f", code), ("data-c", case)), "ai_verdict": (("data-v", verdict),)}
    cells = {}
    for name in COLUMNS:
        extra = "".join(f" {k}={bare_or_quoted(v)}" for k, v in attrs.get(name, ()) if v)
        cells[name] = f"<td class=col-{name}{extra}>{escape(texts[name])}</td>"
    return cells


def row_cells(case: CaseResult | None, gate: dict[str, Any] | None) -> dict[str, str]:
    """A results-table row's cells: a case's, a gate's (as carried in a report), or blanks."""
    if case is not None:
        return case_row_cells(case)
    if gate is not None:
        from assurai_pytest.gate import GateResult

        return gate_row_cells(GateResult(**{**gate, "worst_cases": tuple(gate.get("worst_cases", ()))}))
    return blank_row_cells()


def row_log(outcome: str, longrepr: Any, is_case: bool, log: list[str]) -> list[str]:
    """The log lines pytest-html shows under a row (already escaped, as pytest-html keeps them).

    A skip's reason as text (pytest keeps ``(path, line, "Skipped: why")``, which pytest-html would
    print as a Python tuple); nothing under a case that passed (its details say it all, and 11,480
    copies of xdist's "[gw1] linux -- Python …" line weigh a quarter MB); anything else unchanged.
    """
    from html import escape

    if outcome == "skipped" and isinstance(longrepr, tuple) and len(longrepr) == 3:
        return [escape(redact_many([f"skipped: {str(longrepr[2]).removeprefix('Skipped: ')}"])[0])]
    if is_case and outcome == "passed":
        return []
    return log


def factor_chart_svg(rows: list[GateRow], floors: dict[str, float] | None = None) -> str:
    """Inline SVG: per factor, the mean now (bar), its 95% CI (whisker), the baseline (tick), the floor.

    Args:
        rows: gate rows from ``gate_rows``; category rows become headings, factor rows bars.
        floors: gate key → the absolute floor stored in the baseline (dashed mark); None draws none.

    Returns:
        A standalone, well-formed ``<svg>`` element (no script, nothing fetched).
    """
    return render("chart_one.svg.j2", chart=chart_view(rows, floors))


def chart_view(rows: list[GateRow], floors: dict[str, float] | None = None) -> dict[str, Any]:
    """The chart's geometry and labels, as plain numbers and strings (see ``chart.svg.j2``)."""
    chart_rows = [r for r in rows if r.kind in ("category", "factor")]
    height = _TOP + _ROW_H * len(chart_rows) + 8
    return {
        "width": _CHART_WIDTH, "height": height, "top": _TOP, "row_h": _ROW_H, "plot_x": _PLOT_X,
        "label_right": _LABEL_RIGHT, "value_x": _PLOT_X + _PLOT_W + 8, "floors": bool(floors), **_CHART_COLORS,
        "ticks": [{"x": _x(t), "label": t} for t in range(1, 6)],
        "rows": [_chart_row(r, _TOP + i * _ROW_H, (floors or {}).get(r.key)) for i, r in enumerate(chart_rows)],
    }


def _chart_row(row: GateRow, y: int, floor: float | None) -> dict[str, Any]:
    if row.kind == "category":
        return {"heading": True, "y": y, "label": row.label}
    now, low, high, base = finite(row.now), finite(row.ci_low), finite(row.ci_high), finite(row.baseline)
    floor = finite(floor)
    floor_text = f", floor {fmt_mean(floor)}" if floor is not None else ""
    ci = ""
    if low is not None and high is not None:
        x1, x2, mid = _x(low), _x(high), y + 8
        ci = f"M{x1:.1f} {mid - 4}V{mid + 4}M{x1:.1f} {mid}H{x2:.1f}M{x2:.1f} {mid - 4}V{mid + 4}"
    value = fmt_mean(now) + (f" ({fmt_delta(row.delta)})" if finite(row.delta) is not None else "")
    return {
        "heading": False, "y": y, "label": row.label, "failed": row.failed, "ci": ci,
        "tip": (f"{row.label}: now {fmt_mean(now)} {_ci_text(low, high)}, baseline {fmt_mean(base)}{floor_text}, "
                f"n {fmt_int(row.n)}, {fmt_verdict(row.verdict)}"),
        "bar": f"{_x(now) - _PLOT_X:.1f}" if now is not None else None,
        "floor": f"{_x(floor):.1f}" if floor is not None else None,
        "base": f"{_x(base) - 1:.1f}" if base is not None else None,
        "value": value + (" FAIL" if row.failed else ""),
    }


def _floors(comparison: Comparison | None) -> dict[str, float]:
    if comparison is None:
        return {}
    return {g.key: floor for g in comparison.gates if (floor := finite(g.floor)) is not None}


def _x(score: float) -> float:
    return _PLOT_X + (min(max(score, 1.0), 5.0) - 1.0) / 4.0 * _PLOT_W


def _ci_text(low: float | None, high: float | None) -> str:
    return DASH if low is None or high is None else f"[{low:.2f}, {high:.2f}]"


def _gate_view(row: GateRow) -> dict[str, Any]:
    return {
        "classes": _ROW_CLASSES.get(row.kind, "assurai-group") + (" assurai-fail" if row.failed else ""),
        "code": row.code, "label": row.label, "n": fmt_int(row.n), "baseline": fmt_mean(row.baseline),
        "now": fmt_mean(row.now), "delta": fmt_delta(row.delta), "p": fmt_p(row.p_adjusted),
        "mde": fmt_mde(row.detectable),
        "verdict": fmt_verdict(row.verdict), "reason": row.reason, "failed": row.failed,
        "worst": list(row.worst_cases),
    }


def _prompt_type_rows(aggregates: Aggregates) -> list[dict[str, Any]]:
    lowest = set(lowest_prompt_types(aggregates))
    rows = []
    for slug, s in prompt_type_summaries(aggregates):
        prompt_type = PROMPT_TYPE_BY_SLUG.get(slug)
        rows.append(_group_row(f"{prompt_type.name} ({prompt_type.code})" if prompt_type else slug, s,
                               low=slug in lowest))
    return rows


def _group_row(name: str, s: Summary, *, low: bool = False) -> dict[str, Any]:
    mean = finite(s.mean)
    # A small bar for a 1–5 mean (empty at 1, full at 5), so weak groups stand out at a glance.
    bar = None if mean is None else f"{(min(max(mean, 1.0), 5.0) - 1.0) / 4.0 * 100:.0f}"
    return {"name": name, "low": low, "n": fmt_int(s.n), "bar": bar, "mean": fmt_mean(s.mean), "ci": fmt_ci(s),
            "unsafe": fmt_rate(s.unsafe_rate), "refused": fmt_rate(s.refusal_rate), "unjudged": f"{s.unjudged:,}"}


def _ordered_categories(aggregates: Aggregates) -> list[tuple[str, Summary]]:
    known = [c.slug for c in CATEGORIES]
    order = known + sorted(set(aggregates.by_category) - set(known))
    return [(slug, aggregates.by_category[slug]) for slug in order if slug in aggregates.by_category]


def _category_name(slug: str) -> str:
    category = CATEGORY_BY_SLUG.get(slug)
    return f"{category.name} ({category.name_ko})" if category else slug


def _over_refusal_view(aggregates: Aggregates) -> dict[str, Any] | None:
    over = aggregates.over_refusal
    if not over.n:
        return None
    factors = [{"label": factor_label(number), "n": fmt_int(s.n), "rate": fmt_rate(s.refusal_rate),
                "mean": fmt_mean(s.mean), "refused": (finite(s.refusal_rate) or 0) > 0}
               for number, s in sorted(aggregates.over_refusal_by_factor.items()) if s.n]
    return {"rate": fmt_rate(over.refusal_rate), "n": fmt_int(over.n), "mean": fmt_mean(over.mean),
            "bad": (finite(over.refusal_rate) or 0) > 0, "factors": factors,
            "refusing": sum(1 for f in factors if f["refused"])}


def _fmt_spread(value: float | None) -> str:
    spread = finite(value)
    return "" if spread is None else f"{spread:.2f}"


def _score(score: float | None) -> str:
    value = finite(score)
    return DASH if value is None else f"{value:g}"


def _usage(usage: Usage) -> str:
    cached = " · cache hit" if usage.cache_hit else ""
    return (f"{usage.latency_s:.2f} s · {usage.prompt_tokens:,} → {usage.completion_tokens:,} tokens · "
            f"{fmt_cost(usage.cost)}{cached}")


def outcome_html(outcome: Any, cases: Mapping[str, CaseResult] | None = None,
                 before: Mapping[str, Any] | None = None, media_store: Any = None) -> list[str]:
    """Every block the summary of a run's outcome shows: the AssurAI summary, the generated media
    (read only from ``media_store``), calibration, robustness."""
    blocks = [summary_html(outcome.run_info, outcome.aggregates, outcome.comparison, cases=cases, before=before)]
    from assurai_pytest.generation.report import summary_html as generation_html

    generated = generation_html((cases or {}).values(), media_store)
    if generated:
        blocks.append(generated)
    if outcome.calibration is not None:
        from .calibration import html_section

        blocks.append(html_section(outcome.calibration))
    if outcome.robustness:
        from .robustness import html_section as robustness_section

        blocks.append(robustness_section(outcome.robustness))
    return blocks

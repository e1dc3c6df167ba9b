"""HTML fragments for a pytest-html 4.2 report: run summary, gate table, chart, case details.

Pure functions returning strings; nothing here imports pytest or pytest_html. pytest-html
inserts these strings as raw HTML, so every dynamic value is redacted, then escaped with
``html.escape(..., quote=True)`` here.

How pytest-html 4.2 uses them (read from ``pytest_html/basereport.py``, ``report_data.py``
and ``resources/index.jinja2``, ``app.js``), and which hook should call which function:

* ``pytest_html_results_summary(prefix, summary, postfix, session)`` runs once in the
  controller's ``pytest_sessionfinish`` (trylast). Each list holds raw HTML strings rendered
  into ``div.additional-summary.prefix|summary|postfix`` above ``table#results-table``.
  Call ``summary.append(summary_html(run, aggregates, comparison))``: it carries the inline
  ``<style>`` the case details use and the row filter's inline ``<script>``.
* ``pytest_html_results_table_header(cells)`` runs once at session start with the list of
  ``<th>`` strings (Result, Test, Duration, Links). Call ``cells[2:2] = table_header_cells()``.
* ``pytest_html_results_table_row(report, cells)`` runs for every row pytest-html shows
  (call reports, failed setup/teardown, failed collection) with the list of ``<td>`` strings.
  Every row must receive the same number of cells at the same index as the header:
  ``cells[2:2] = case_row_cells(result).values()`` for a case (the ``CaseResult`` from
  ``report.user_properties``), ``gate_row_cells(gate)`` for a gate report and
  ``blank_row_cells()`` for anything else. Columns whose ``<th>`` has class ``sortable``
  are sorted by the text pytest-html pulls out of ``<td class="col-<name>">…</td>``.
* Extras: ``report.extras`` (a list of ``pytest_html.extras.html(content)``) is read at
  teardown in ``pytest_runtest_logreport`` on the controller, so set it in
  ``pytest_runtest_makereport`` (call phase) or on the controller before pytest-html's
  trylast ``pytest_runtest_logreport``. ``app.js`` inserts the content into
  ``div.extraHTML`` of the row's hidden extras row. Attach
  ``extras.html(case_html(result))`` to each case, and ``case_html(result, worst=True)``
  for each worst case to the report of a failed gate.
* ``pytest_html_results_table_html(report, data)`` receives the row's log lines; not needed.

The results table is ``table#results-table``; each test is one
``tbody.results-table-row.<outcome>`` (``id`` = node id, inserted unescaped) holding
``tr.collapsible`` (the cells) and ``tr.extras-row``. ``app.js`` rebuilds the whole table
on every sort, outcome filter or expand, so the row filter re-applies itself whenever
``body``'s children change.
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

from assurai_pytest.records import CaseResult, Usage
from assurai_pytest.redact import redact
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
    is_fallback_judge,
    lowest_prompt_types,
    prompt_type_name,
    prompt_type_summaries,
    redact_many,
    verdict_status,
)
from .terminal import offline_notice
from .verdict import verdict_line

if TYPE_CHECKING:
    from assurai_pytest.gate import Comparison, GateResult
    from assurai_pytest.stats import Aggregates, Summary

# Column name → header text of the extra results-table columns, in display order.
COLUMNS: dict[str, str] = {
    "assurai_factor": "Factor",
    "assurai_prompt_type": "Prompt type",
    "assurai_score": "Score",
    "assurai_verdict": "Verdict",
}

_STYLE = """<style>
.assurai{color:#222;font-size:12px;margin:8px 0 16px}
.assurai h2{margin:18px 0 6px}
.assurai table{border-collapse:collapse;margin:4px 0 10px}
.assurai th,.assurai td{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:baseline}
.assurai th{white-space:nowrap;background:#f6f6f6}
.assurai td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.assurai table.assurai-gates td:first-child,.assurai table.assurai-groups td:first-child{white-space:nowrap}
.assurai-meanbar{display:inline-block;width:60px;height:8px;margin-right:6px;background:#eee;vertical-align:middle}
.assurai-meanbar span{display:block;height:8px;background:#4a7fc1}
.assurai tr.assurai-low .assurai-meanbar span{background:#d08a00}
.assurai-headline{font-size:13px;font-weight:bold}
.assurai-headline-bad{color:#900}
.assurai-goto{color:#06c;cursor:pointer;white-space:nowrap;border-bottom:1px dotted #06c}
.assurai details.assurai-more summary{cursor:pointer;margin:4px 0}
.assurai tr.assurai-refused td{background:#fff0c2}
.assurai tr.assurai-overall td{font-weight:bold;background:#e8eefb}
.assurai tr.assurai-cat td{font-weight:bold;background:#f1f1f1}
.assurai tr.assurai-factor td:first-child{padding-left:18px}
.assurai tr.assurai-fail td{background:#fdd;color:#900}
.assurai tr.assurai-low td{background:#fff0c2}
.assurai-verdict{font-size:15px;font-weight:bold;padding:6px 8px;border-radius:3px}
.assurai-v-pass{background:#dfd;color:#060}
.assurai-v-fail,.assurai-v-error{background:#fdd;color:#900}
.assurai-v-other{background:#eee;color:#333}
.assurai-before{border-left:4px solid #888;padding-left:.5em;background:#f6f6f6}
.assurai-banner{border:2px solid #b00020;padding:.5em;font-weight:bold}
.assurai-offline{border:2px dashed #c80;background:#fff7e6;padding:6px 8px}
.assurai-badge{font-size:10px;background:#c80;color:#fff;border-radius:3px;padding:0 4px;margin-left:4px}
.assurai-why{font-size:11px;font-weight:normal}
.assurai-filter label{margin-right:12px}
.assurai-case{color:#222;margin:4px 0}
.assurai-case summary{cursor:pointer;font-weight:bold}
.assurai-case pre{white-space:pre-wrap;word-break:break-word;margin:2px 0 6px;padding:4px;background:#f6f6f6}
.assurai-case table{border-collapse:collapse}
.assurai-case th,.assurai-case td{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
.assurai-worst summary,.assurai-err{color:#900}
#results-table td.col-assurai_factor,#results-table td.col-assurai_prompt_type,#results-table td.col-assurai_score,
#results-table td.col-assurai_verdict{color:#333}
#results-table td.col-assurai_score,#results-table td.col-assurai_verdict{white-space:nowrap}
#results-table td.col-assurai_score{text-align:right;font-variant-numeric:tabular-nums}
#results-table td[data-assurai-verdict=unsafe],#results-table td[data-assurai-verdict=regressed],
#results-table td[data-assurai-verdict=error]{color:#900;font-weight:bold;background:#fdd}
#results-table td[data-assurai-verdict=over-refusal]{color:#8a5300;font-weight:bold;background:#fff0c2}
#results-table tbody.failed>tr.collapsible>td,#results-table tbody.error>tr.collapsible>td{background:#fdd}
#results-table tbody.failed>tr.collapsible>td.col-testId,
#results-table tbody.error>tr.collapsible>td.col-testId{color:#900}
</style>"""

# Static: every value it reads comes from escaped data attributes, never from this template.
_FILTER_SCRIPT = """<script>
(function () {
  var box = document.getElementById("assurai-filter");
  if (!box) { return; }
  var regressed = JSON.parse(box.getAttribute("data-regressed"));
  var factorSel = box.querySelector("select[name=factor]");
  var showSel = box.querySelector("select[name=show]");
  var text = box.querySelector("input[name=text]");
  var count = box.querySelector(".assurai-count");
  function attr(row, name) {
    var el = row.querySelector("[" + name + "]");
    return el ? el.getAttribute(name) : "";
  }
  function matches(row, cells, factor, show, needle) {
    var f = attr(row, "data-assurai-factor");
    var v = attr(row, "data-assurai-verdict");
    if (factor && f !== factor) { return false; }
    if (show === "regressed") {
      if (v !== "regressed" && regressed.factors.indexOf(f) < 0 &&
          regressed.cases.indexOf(attr(row, "data-assurai-case")) < 0) { return false; }
    } else if (show && v !== show) { return false; }
    return !needle || (row.id + " " + cells.textContent).toLowerCase().indexOf(needle) >= 0;
  }
  function apply() {
    var factor = factorSel.value, show = showSel.value, needle = text.value.trim().toLowerCase();
    var rows = document.querySelectorAll("#results-table tbody.results-table-row");
    var shown = 0, total = 0;
    for (var i = 0; i < rows.length; i++) {
      var cells = rows[i].querySelector("tr.collapsible");
      if (!cells) { continue; }
      total++;
      var ok = matches(rows[i], cells, factor, show, needle);
      rows[i].style.display = ok ? "" : "none";
      if (ok) { shown++; }
    }
    count.textContent = (factor || show || needle) ? shown + " of " + total + " rows shown" : "";
  }
  function caseCell(id) {
    var cells = document.querySelectorAll("#results-table td[data-assurai-case]");
    for (var i = 0; i < cells.length; i++) {
      if (cells[i].getAttribute("data-assurai-case") === id) { return cells[i]; }
    }
    return null;
  }
  // A worst case in the gate table: show only its row, open it and scroll to it.
  function goTo(id) {
    factorSel.value = ""; showSel.value = ""; text.value = id.toLowerCase(); apply();
    var cell = caseCell(id);
    var result = cell && cell.parentNode.querySelector("td.col-result.collapsed");
    if (result) { result.click(); }
    setTimeout(function () {
      var again = caseCell(id);
      (again || document.getElementById("results-table")).scrollIntoView({block: "start"});
    }, 0);
  }
  function clear() { factorSel.value = ""; showSel.value = ""; text.value = ""; apply(); }
  document.getElementById("assurai-summary").addEventListener("click", function (ev) {
    var el = ev.target;
    if (el.hasAttribute("data-assurai-goto")) { goTo(el.getAttribute("data-assurai-goto")); }
    else if (el.hasAttribute("data-assurai-clear")) { clear(); }
  });
  box.addEventListener("change", apply);
  box.addEventListener("input", apply);
  new MutationObserver(apply).observe(document.body, {childList: true});
})();
</script>"""

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
_COLOR_NOW, _COLOR_FAIL, _COLOR_CI, _COLOR_BASE = "#4a7fc1", "#d33", "#222", "#000"
_COLOR_FLOOR, _COLOR_FAIL_TEXT = "#e07b00", "#b00"


def esc(value: object) -> str:
    """Redact, then escape for HTML text or a quoted attribute value."""
    return escape(redact(str(value)), quote=True)


def summary_html(run: RunInfo, aggregates: Aggregates, comparison: Comparison | None) -> str:
    """The AssurAI block for ``pytest_html_results_summary``.

    Args:
        run: facts about the run.
        aggregates: this run's aggregates.
        comparison: the gates, or None when nothing was gated.

    Returns:
        One ``<div class="assurai">`` with inline style, verdict, run facts, gate table,
        per-factor chart (inline SVG), prompt-type, category, modality and over-refusal
        tables, and the results-table filter (inline script).
    """
    rows = gate_rows(aggregates, comparison)
    status = verdict_status(run, comparison, run.cases_error)
    tone = status if status in ("pass", "fail", "error") else "other"
    parts = [
        '<div class="assurai" id="assurai-summary">',
        _STYLE,
        f'<p class="assurai-verdict assurai-v-{tone}">{esc(verdict_line(run, comparison))}</p>',
    ]
    if status == "interrupted":
        parts.append('<p class="assurai-banner">Interrupted: this report holds only the cases evaluated before '
                     'the run was stopped; nothing was gated.</p>')
    elif run.problem:
        banner = " ".join(part for part in (f"Not gated: {run.problem}.", run.hint) if part)
        parts.append(f'<p class="assurai-banner">{esc(banner)}</p>')
    notice = offline_notice(run)
    if notice:
        parts.append('<div class="assurai-offline">' + "<br>".join(esc(line) for line in notice) + "</div>")
    parts.append(_facts_html(run))
    if comparison is not None and comparison.warnings:
        items = "".join(f"<li>{esc(w)}</li>" for w in comparison.warnings)
        parts.append(f'<ul class="assurai-warnings">{items}</ul>')
    parts += [
        "<h2>AssurAI gates</h2>",
        _gate_table_html(rows),
        f'<p class="assurai-note">{esc(MDE_NOTE)}</p>',
        "<h2>Mean safety score per factor (now vs baseline, 95% CI)</h2>",
        factor_chart_svg(rows, _floors(comparison)),
        _prompt_type_html(aggregates),
        "<h2>Categories</h2>",
        _group_table_html("category", [(_category_name(k), s) for k, s in _ordered_categories(aggregates)]),
    ]
    if aggregates.by_modality:
        parts += ["<h2>Modalities</h2>",
                  _group_table_html("modality", sorted(aggregates.by_modality.items()))]
    parts.append(_over_refusal_html(aggregates))
    spread = finite(aggregates.judge_spread_mean)
    if spread is not None:
        parts.append(f"<p>Mean judge spread (panel disagreement): {spread:.2f}</p>")
    parts += [_filter_html(comparison), _FILTER_SCRIPT, "</div>"]
    return "\n".join(parts)


def table_header_cells() -> list[str]:
    """``<th>`` cells for ``pytest_html_results_table_header`` (sortable, in column order)."""
    return [f'<th class="sortable" data-column-type="{name}">{title}</th>' for name, title in COLUMNS.items()]


def case_row_cells(result: CaseResult) -> dict[str, str]:
    """Escaped ``<td>`` cells of one case for ``pytest_html_results_table_row``.

    The factor cell carries ``data-assurai-factor`` and ``data-assurai-case``, the verdict
    cell ``data-assurai-verdict`` (``ok``, ``unsafe``, ``over-refusal``, ``error``,
    ``skipped``): the summary's filter reads them.

    Args:
        result: the evaluated case.

    Returns:
        Column name → ``<td>`` HTML, in the order of :func:`table_header_cells`.
    """
    verdict = case_verdict(result)
    case_id, factor, prompt_type = _escaped(
        [result.case_id, factor_label(result.factor), prompt_type_name(result.prompt_type)]
    )
    return {
        "assurai_factor": (
            f'<td class="col-assurai_factor" data-assurai-factor="{factor_code(result.factor)}" '
            f'data-assurai-case="{case_id}">{factor}</td>'
        ),
        "assurai_prompt_type": f'<td class="col-assurai_prompt_type">{prompt_type}</td>',
        "assurai_score": f'<td class="col-assurai_score">{_score(result.score)}</td>',
        "assurai_verdict": f'<td class="col-assurai_verdict" data-assurai-verdict="{verdict}">{verdict}</td>',
    }


def gate_row_cells(gate: GateResult) -> dict[str, str]:
    """Cells for a gate's report row: the gate name, its mean now, ``regressed`` when it failed.

    Args:
        gate: one gate result.

    Returns:
        Column name → ``<td>`` HTML, in the order of :func:`table_header_cells`.
    """
    code = gate.key[7:] if gate.key.startswith("factor:") else ""
    verdict = "regressed" if gate.verdict == "fail" else gate.verdict
    return {
        "assurai_factor": (
            f'<td class="col-assurai_factor" data-assurai-factor="{esc(code)}">{esc(gate_label(gate))}</td>'
        ),
        "assurai_prompt_type": '<td class="col-assurai_prompt_type">gate</td>',
        "assurai_score": f'<td class="col-assurai_score">{fmt_mean(gate.now_mean)}</td>',
        "assurai_verdict": (
            f'<td class="col-assurai_verdict" data-assurai-verdict="{esc(verdict)}">{esc(verdict)}</td>'
        ),
    }


def blank_row_cells() -> dict[str, str]:
    """Empty cells for rows that are neither a case nor a gate (keeps the columns aligned)."""
    return {name: f'<td class="col-{name}"></td>' for name in COLUMNS}


def case_html(result: CaseResult, worst: bool = False, *, max_chars: int | None = None,
              before: Any = None) -> str:
    """A collapsed ``<details>`` with everything recorded for one case, for ``extras.html``.

    Args:
        result: the evaluated case.
        worst: mark (and open) it as a worst case of a regressed gate.
        max_chars: cut each text (turn, response, reason, error) after this many characters,
            saying how many were left out; None keeps every character.
        before: the baseline's answer to the same case (``baseline.BaselineAnswer``), shown beside
            the new one; None when the baseline holds none.

    Returns:
        The prompt (every turn, role labelled), the response, the verdict and each judge's
        vote, latency, tokens, cost, cache hits and the error text; all values escaped.
    """
    fields = [result.case_id, factor_label(result.factor), prompt_type_name(result.prompt_type),
              result.modality, result.expected, result.label, result.reason, result.response,
              result.error or ""]
    turns = [text for m in result.messages for text in (m.role, m.content)]
    votes = [text for v in result.votes for text in (v.judge, v.label, v.reason)]
    values = _escaped([*fields, *turns, *votes], max_chars)
    case_id, factor, prompt_type, modality, expected, label, reason, response, error = values[: len(fields)]
    turns = values[len(fields): len(fields) + len(turns)]
    votes = values[len(fields) + len(turns):]
    verdict = case_verdict(result)
    head = f"{case_id} · {factor} · {prompt_type} · score {_score(result.score)} · {verdict}"
    parts = [
        f'<details class="assurai-case assurai-worst" open><summary>worst case · {head}</summary>' if worst
        else f'<details class="assurai-case"><summary>{head}</summary>',
        f"<b>prompt</b> ({modality}, expected {expected})",
    ]
    parts += [f"<pre><b>{role}:</b> {text}</pre>" for role, text in zip(turns[::2], turns[1::2], strict=True)]
    if before is not None:
        [old] = _escaped([before.response], max_chars)
        parts.append(f'<div class="assurai-before"><b>baseline answer</b> (score {_score(before.score)}, '
                     f'{esc(before.label)})<pre>{old}</pre></div>')
        parts.append(f"<b>response now</b> (score {_score(result.score)})<pre>{response}</pre>")
    else:
        parts.append(f"<b>response</b><pre>{response}</pre>")
    spread = f" · spread {result.spread:g}" if len(result.votes) > 1 else ""
    parts.append(f"<b>verdict</b> {label}{spread}<pre>{reason}</pre>")
    if result.votes:
        rows = "".join(
            f"<tr><td>{judge}</td><td>{_score(v.score)}</td><td>{vote_label}</td><td>{vote_reason}</td></tr>"
            for v, judge, vote_label, vote_reason in zip(result.votes, votes[::3], votes[1::3], votes[2::3],
                                                         strict=True)
        )
        parts.append(f"<table><tr><th>judge</th><th>score</th><th>label</th><th>reason</th></tr>{rows}</table>")
    parts.append(f"<p>model: {_usage(result.model_usage)}<br>judge: {_usage(result.judge_usage)}</p>")
    if result.error:
        parts.append(f'<b>error</b><pre class="assurai-err">{error}</pre>')
    parts.append("</details>")
    return "".join(parts)


def factor_chart_svg(rows: list[GateRow], floors: dict[str, float] | None = None) -> str:
    """Inline SVG: per factor, the mean now (bar), its 95% CI (whisker), the baseline (tick), the floor.

    Args:
        rows: gate rows from ``gate_rows``; category rows become headings, factor rows bars.
        floors: gate key → the absolute floor stored in the baseline (dashed mark); None draws none.

    Returns:
        A standalone, well-formed ``<svg>`` element (no script, nothing fetched).
    """
    chart_rows = [r for r in rows if r.kind in ("category", "factor")]
    height = _TOP + _ROW_H * len(chart_rows) + 8
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_CHART_WIDTH}" height="{height}" '
        f'viewBox="0 0 {_CHART_WIDTH} {height}" role="img" font-family="Helvetica, Arial, sans-serif" '
        'font-size="11" aria-label="Mean safety score per factor, now versus baseline, with 95% confidence '
        'intervals; 5 is safest">',
        "<title>Mean safety score per factor (1–5, 5 safest)</title>",
        *_chart_legend(bool(floors)),
    ]
    for tick in range(1, 6):
        x = _x(tick)
        out.append(f'<line x1="{x}" y1="{_TOP - 4}" x2="{x}" y2="{height - 6}" stroke="#ddd"/>'
                   f'<text x="{x}" y="{_TOP - 8}" text-anchor="middle">{tick}</text>')
    for i, row in enumerate(chart_rows):
        y = _TOP + i * _ROW_H
        if row.kind == "category":
            out.append(f'<text x="4" y="{y + 12}" font-weight="bold">{esc(row.label)}</text>')
            continue
        out.append(_chart_factor(row, y, (floors or {}).get(row.key)))
    out.append("</svg>")
    return "".join(out)


def _chart_legend(floor: bool) -> list[str]:
    y = 6
    legend = [
        f'<rect x="{_PLOT_X}" y="{y}" width="14" height="8" fill="{_COLOR_NOW}"/>',
        f'<text x="{_PLOT_X + 18}" y="{y + 8}">now</text>',
        f'<rect x="{_PLOT_X + 50}" y="{y}" width="14" height="8" fill="{_COLOR_FAIL}"/>',
        f'<text x="{_PLOT_X + 68}" y="{y + 8}">regressed</text>',
        f'<line x1="{_PLOT_X + 130}" y1="{y + 4}" x2="{_PLOT_X + 150}" y2="{y + 4}" stroke="{_COLOR_CI}"/>',
        f'<text x="{_PLOT_X + 154}" y="{y + 8}">95% CI</text>',
        f'<rect x="{_PLOT_X + 205}" y="{y - 2}" width="2" height="12" fill="{_COLOR_BASE}"/>',
        f'<text x="{_PLOT_X + 211}" y="{y + 8}">baseline</text>',
    ]
    if floor:
        legend += [
            f'<line x1="{_PLOT_X + 268}" y1="{y - 2}" x2="{_PLOT_X + 268}" y2="{y + 10}" stroke="{_COLOR_FLOOR}" '
            'stroke-width="2" stroke-dasharray="3 2"/>',
            f'<text x="{_PLOT_X + 274}" y="{y + 8}">floor (fails below)</text>',
        ]
    return legend


def _chart_factor(row: GateRow, y: int, floor: float | None = None) -> str:
    now, low, high, base = finite(row.now), finite(row.ci_low), finite(row.ci_high), finite(row.baseline)
    floor = finite(floor)
    floor_text = f", floor {fmt_mean(floor)}" if floor is not None else ""
    tip = (f"{row.label}: now {fmt_mean(now)} {_ci_text(low, high)}, baseline {fmt_mean(base)}{floor_text}, "
           f"n {fmt_int(row.n)}, {fmt_verdict(row.verdict)}")
    # A regressed factor's label and value are red and bold too, not only its bar.
    mark = f' fill="{_COLOR_FAIL_TEXT}" font-weight="bold"' if row.failed else ""
    out = [f"<g><title>{esc(tip)}</title>",
           f'<text x="{_LABEL_RIGHT}" y="{y + 12}" text-anchor="end"{mark}>{esc(row.label)}</text>']
    if now is not None:
        color = _COLOR_FAIL if row.failed else _COLOR_NOW
        out.append(f'<rect x="{_PLOT_X}" y="{y + 3}" width="{_x(now) - _PLOT_X:.1f}" height="10" '
                   f'fill="{color}"/>')
    if low is not None and high is not None:
        x1, x2, mid = _x(low), _x(high), y + 8
        out.append(f'<path d="M{x1:.1f} {mid - 4}V{mid + 4}M{x1:.1f} {mid}H{x2:.1f}'
                   f'M{x2:.1f} {mid - 4}V{mid + 4}" stroke="{_COLOR_CI}" fill="none"/>')
    if floor is not None:
        out.append(f'<line x1="{_x(floor):.1f}" y1="{y}" x2="{_x(floor):.1f}" y2="{y + _ROW_H}" '
                   f'stroke="{_COLOR_FLOOR}" stroke-width="2" stroke-dasharray="3 2"/>')
    if base is not None:
        out.append(f'<rect x="{_x(base) - 1:.1f}" y="{y + 1}" width="2" height="14" fill="{_COLOR_BASE}"/>')
    value = fmt_mean(now) + (f" ({fmt_delta(row.delta)})" if finite(row.delta) is not None else "")
    value += " FAIL" if row.failed else ""
    out.append(f'<text x="{_PLOT_X + _PLOT_W + 8}" y="{y + 12}"{mark}>{esc(value)}</text></g>')
    return "".join(out)


def _floors(comparison: Comparison | None) -> dict[str, float]:
    if comparison is None:
        return {}
    return {g.key: floor for g in comparison.gates if (floor := finite(g.floor)) is not None}


def _x(score: float) -> float:
    return _PLOT_X + (min(max(score, 1.0), 5.0) - 1.0) / 4.0 * _PLOT_W


def _ci_text(low: float | None, high: float | None) -> str:
    return DASH if low is None or high is None else f"[{low:.2f}, {high:.2f}]"


def _facts_html(run: RunInfo) -> str:
    badge = '<span class="assurai-badge">fallback, not release-grade</span>'
    judges = ", ".join(esc(j) + (badge if is_fallback_judge(run, j) else "") for j in run.judges) or DASH
    facts = [
        ("model", esc(run.model)),
        ("api base", esc(run.api_base or "provider default")),
        ("judges", judges),
        ("judge prompt", esc(run.judge_prompt_version)),
        ("dataset", f"{esc(run.dataset)} ({esc(run.dataset_format)})"),
        ("fingerprint", f"<code>{esc(run.dataset_fingerprint)}</code>"),
        ("baseline", f"{esc(run.baseline_name)} ({esc(run.baseline_status)})"),
        ("started", esc(run.started)),
        ("duration", f"{run.duration_s:.1f} s on {run.workers} worker{'s' if run.workers != 1 else ''}"),
        ("cases", f"{run.cases_total:,} total · {run.cases_error:,} errors · {run.cases_skipped:,} skipped"),
        ("cache hits", f"{run.cache_hits:,}"),
        ("model cost", f"{fmt_cost(run.model_cost)} · {run.model_tokens:,} tokens"),
        ("judge cost", f"{fmt_cost(run.judge_cost)} · {run.judge_tokens:,} tokens"),
        ("plugin", esc(run.plugin_version)),
    ]
    body = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in facts)
    return f'<table class="assurai-facts">{body}</table>'


def _gate_table_html(rows: list[GateRow]) -> str:
    head = ("<tr><th>factor / group</th><th>n</th><th>baseline</th><th>now</th><th>Δ</th>"
            f'<th>p (adj.)</th><th title="{esc(MDE_NOTE)}">MDE</th><th>verdict</th></tr>')
    body = []
    for row in rows:
        classes = _ROW_CLASSES.get(row.kind, "assurai-group") + (" assurai-fail" if row.failed else "")
        why = ""
        if row.failed:
            worst = ""
            if row.worst_cases:
                links = ", ".join(
                    f'<span class="assurai-goto" data-assurai-goto="{case}" title="show this case in the results '
                    f'table">{case}</span>' for case in _escaped(list(row.worst_cases))
                )
                worst = f" · worst: {links}"
            why = f'<div class="assurai-why">{esc(row.reason)}{worst}</div>'
        code = f' data-assurai-factor="{esc(row.code)}"' if row.code else ""
        body.append(
            f'<tr class="{classes}"{code}><td>{esc(row.label)}</td><td class="n">{fmt_int(row.n)}</td>'
            f'<td class="n">{fmt_mean(row.baseline)}</td><td class="n">{fmt_mean(row.now)}</td>'
            f'<td class="n">{fmt_delta(row.delta)}</td><td class="n">{fmt_p(row.p_adjusted)}</td>'
            f'<td class="n">{fmt_mde(row.detectable)}</td>'
            f'<td title="{esc(row.reason)}">{esc(fmt_verdict(row.verdict))}{why}</td></tr>'
        )
    return f'<table class="assurai-gates"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'


def _prompt_type_html(aggregates: Aggregates) -> str:
    summaries = prompt_type_summaries(aggregates)
    if not summaries:
        return ""
    lowest = set(lowest_prompt_types(aggregates))
    rows = []
    for slug, s in summaries:
        prompt_type = PROMPT_TYPE_BY_SLUG.get(slug)
        name = f"{prompt_type.name} ({prompt_type.code})" if prompt_type else slug
        badge = '<span class="assurai-badge">lowest</span>' if slug in lowest else ""
        rows.append(_summary_row(esc(name) + badge, s, ' class="assurai-low"' if slug in lowest else ""))
    return "<h2>Prompt types</h2>" + _table("prompt type", rows)


def _group_table_html(title: str, groups: list[tuple[str, Summary]]) -> str:
    return _table(title, [_summary_row(esc(name), s) for name, s in groups if s.n])


def _table(title: str, rows: list[str]) -> str:
    head = (f"<tr><th>{title}</th><th>n</th><th>mean</th><th>95% CI</th><th>unsafe</th>"
            "<th>refused</th><th>unjudged</th></tr>")
    return f'<table class="assurai-groups"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def _summary_row(name_html: str, s: Summary, attrs: str = "") -> str:
    return (f'<tr{attrs}><td>{name_html}</td><td class="n">{fmt_int(s.n)}</td>'
            f'<td class="n">{_mean_bar(s.mean)}{fmt_mean(s.mean)}</td><td class="n">{fmt_ci(s)}</td>'
            f'<td class="n">{fmt_rate(s.unsafe_rate)}</td><td class="n">{fmt_rate(s.refusal_rate)}</td>'
            f'<td class="n">{s.unjudged:,}</td></tr>')


def _mean_bar(mean: float | None) -> str:
    """A small bar for a 1–5 mean (empty at 1, full at 5), so weak groups stand out at a glance."""
    value = finite(mean)
    if value is None:
        return ""
    width = (min(max(value, 1.0), 5.0) - 1.0) / 4.0 * 100
    return f'<span class="assurai-meanbar"><span style="width:{width:.0f}%"></span></span>'


def _ordered_categories(aggregates: Aggregates) -> list[tuple[str, Summary]]:
    known = [c.slug for c in CATEGORIES]
    order = known + sorted(set(aggregates.by_category) - set(known))
    return [(slug, aggregates.by_category[slug]) for slug in order if slug in aggregates.by_category]


def _category_name(slug: str) -> str:
    category = CATEGORY_BY_SLUG.get(slug)
    return f"{category.name} ({category.name_ko})" if category else slug


def _over_refusal_html(aggregates: Aggregates) -> str:
    over = aggregates.over_refusal
    if not over.n:
        return ""
    factors = [(number, s) for number, s in sorted(aggregates.over_refusal_by_factor.items()) if s.n]
    refusing = sum(1 for _, s in factors if (finite(s.refusal_rate) or 0) > 0)
    rows = "".join(
        f'<tr{_refused_attr(s)}><td>{esc(factor_label(number))}</td><td class="n">{fmt_int(s.n)}</td>'
        f'<td class="n">{fmt_rate(s.refusal_rate)}</td><td class="n">{fmt_mean(s.mean)}</td></tr>'
        for number, s in factors
    )
    bad = " assurai-headline-bad" if (finite(over.refusal_rate) or 0) > 0 else ""
    out = (
        "<h2>Over-refusal of benign prompts</h2>"
        f'<p class="assurai-headline{bad}">{fmt_rate(over.refusal_rate)} of {fmt_int(over.n)} benign prompts '
        f"refused (mean score {fmt_mean(over.mean)}).</p>"
    )
    if not factors:
        return out
    # Open when a factor refused something; 35 rows of 0.0% only push the results table down.
    return (
        out + f'<details class="assurai-more"{" open" if refusing else ""}><summary>per factor: '
        f"{refusing} of {len(factors)} factors refused a benign prompt</summary>"
        '<table class="assurai-groups"><thead><tr><th>factor</th><th>n</th><th>refused</th><th>mean</th>'
        f"</tr></thead><tbody>{rows}</tbody></table></details>"
    )


def _refused_attr(s: Summary) -> str:
    return ' class="assurai-refused"' if (finite(s.refusal_rate) or 0) > 0 else ""


def _filter_html(comparison: Comparison | None) -> str:
    failed = comparison.failed if comparison is not None else ()
    regressed = {
        "factors": sorted({g.key[7:] for g in failed if g.key.startswith("factor:")}),
        "cases": sorted({c for g in failed for c in g.worst_cases}),
    }
    factors = "".join(f'<option value="{f.code}">{esc(factor_label(f.number))}</option>' for f in FACTORS)
    shows = "".join(f'<option value="{value}">{esc(text)}</option>' for value, text in _SHOW_OPTIONS)
    hint = "<div>Click a worst case in the gate table to show only its row.</div>" if regressed["cases"] else ""
    return (
        f'<div class="assurai-filter" id="assurai-filter" data-regressed="{esc(json.dumps(regressed))}">'
        "<h2>Filter the results table</h2>"
        f'<label>factor <select name="factor"><option value="">all factors</option>{factors}</select></label>'
        f'<label>show <select name="show">{shows}</select></label>'
        '<label>text <input name="text" type="search" placeholder="test id, factor, prompt type"></label>'
        '<span class="assurai-goto" data-assurai-clear="1">clear</span> <span class="assurai-count"></span>'
        f"{hint}</div>"
    )


def _escaped(texts: list[str], max_chars: int | None = None) -> list[str]:
    # Cut after redacting (a cut secret could slip past the patterns), before escaping (keep entities whole).
    masked = redact_many(texts)
    if max_chars is not None:
        masked = [t if len(t) <= max_chars else f"{t[:max_chars]} … [{len(t) - max_chars:,} more characters]"
                  for t in masked]
    return [escape(t, quote=True) for t in masked]


def _score(score: float | None) -> str:
    value = finite(score)
    return DASH if value is None else f"{value:g}"


def _usage(usage: Usage) -> str:
    cost = fmt_cost(usage.cost)
    cached = " · cache hit" if usage.cache_hit else ""
    return (f"{usage.latency_s:.2f} s · {usage.prompt_tokens:,} → {usage.completion_tokens:,} tokens · "
            f"{cost}{cached}")


def outcome_html(outcome: Any) -> list[str]:
    """Every block the summary of a run's outcome shows: the AssurAI summary, then calibration."""
    blocks = [summary_html(outcome.run_info, outcome.aggregates, outcome.comparison)]
    if outcome.calibration is not None:
        from .calibration import html_section

        blocks.append(html_section(outcome.calibration))
    if getattr(outcome, "robustness", None):
        from .robustness import html_section as robustness_section

        blocks.append(robustness_section(outcome.robustness))
    return blocks


def row_cells(case: CaseResult | None, gate: dict[str, Any] | None) -> dict[str, str]:
    """A results-table row's cells: a case's, a gate's (as carried in a report), or blanks."""
    if case is not None:
        return case_row_cells(case)
    if gate is not None:
        from assurai_pytest.gate import GateResult

        return gate_row_cells(GateResult(**{**gate, "worst_cases": tuple(gate.get("worst_cases", ()))}))
    return blank_row_cells()

"""Tests of ``assurai_pytest.report.markdown``: the CI step summary."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from report_data import LEAKS, aggregates, comparison, nasty_run, run_info

from assurai_pytest.report.markdown import markdown_summary, md

# A table row's cell borders: pipes that are not backslash-escaped.
BORDER = re.compile(r"(?<!\\)\|")


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| gate")]


def test_verdict_regressions_and_compact_table() -> None:
    text = markdown_summary(run_info(), comparison(), aggregates())
    lines = text.splitlines()
    assert lines[0] == "## AssurAI: FAIL"
    assert "ASSURAI VERDICT: FAIL — 2 of 43 gates regressed (F07 harassment, F21 fraud)" in text
    assert "- **F07 harassment**: 4.10 → 3.10 (Δ -1.00, p adj. 0.004) — mean dropped 1.00 " in text
    assert "> OFFLINE DEMO" in text
    compact, full = text.split("<details>")
    # Overall, 6 categories, over-refusal, and only the failing factors.
    assert len(table_rows(compact)) == 1 + 6 + 1 + 2
    assert len(table_rows(full)) == 35
    assert "| F07 harassment | 328 | 4.10 | 3.10 | -1.00 | 0.004 | — | FAIL |" in compact  # MDE: not in this gate
    assert "| **overall** | 328 |" in compact
    assert "**Rail 2.90**" in text and "**Chain of Thought 3.20**" in text
    assert text.endswith("\n")


def test_passing_run_has_no_regressed_section() -> None:
    text = markdown_summary(run_info(offline_demo=False), comparison(failed=()), aggregates())
    assert text.startswith("## AssurAI: PASS\n")
    assert "### Regressed" not in text and "OFFLINE" not in text
    assert len(table_rows(text.split("<details>")[0])) == 8


def test_update_without_comparison() -> None:
    text = markdown_summary(run_info(baseline_status="updated"), None, aggregates())
    assert text.startswith("## AssurAI: UPDATED\n")


def test_hostile_text_is_escaped_and_redacted() -> None:
    run, aggs, comp = nasty_run()
    text = markdown_summary(run, comp, aggs)
    for leak in LEAKS:
        assert leak not in text
    assert "<b>" not in text and "<!--" not in text
    assert "&lt;script&gt;" in text and "\\|" in text and "\\`tick\\`" in text
    for row in table_rows(text):
        assert len(BORDER.findall(row)) == 9, row


@given(st.text())
def test_md_output_is_one_line_without_live_markup(value: str) -> None:
    out = md(value)
    assert "\n" not in out and "\r" not in out
    assert "<" not in out and ">" not in out
    assert not BORDER.search(out) and not re.search(r"(?<!\\)`", out)

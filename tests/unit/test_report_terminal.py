"""Tests of ``assurai_pytest.report.terminal``: the gate table, the verdict line, the notices."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from report_data import (
    LEAKS,
    SECRET_KEY,
    aggregates,
    comparison,
    gate,
    nasty_run,
    run_info,
)

from assurai_pytest.records import Dataset
from assurai_pytest.report.terminal import (
    gate_failure_text,
    header_lines,
    offline_notice,
    summary_lines,
)
from assurai_pytest.report.verdict import verdict_line
from assurai_pytest.settings import Settings
from assurai_pytest.taxonomy import CATEGORIES, FACTORS


def table(lines: list[str]) -> list[str]:
    """The gate table's rows (between the dashed rule and the next blank line)."""
    start = next(i for i, line in enumerate(lines) if line.startswith("---")) + 1
    end = lines.index("", start)
    return lines[start:end]


@pytest.mark.parametrize("width", [60, 80, 120])
def test_summary_table_has_every_gate_in_reading_order(width: int) -> None:
    lines = summary_lines(run_info(), aggregates(), comparison(), width=width)
    rows = table(lines)
    assert len(rows) == 43
    assert rows[0].startswith("overall")
    assert rows[-1].startswith("over-refusal")
    factor_rows = [r for r in rows if r.startswith("  F")]
    assert [r.split()[0] for r in factor_rows] == sorted(f.code for f in FACTORS)
    # Each category row is followed by its own factors.
    for category in CATEGORIES:
        at = next(i for i, r in enumerate(rows) if r.startswith(category.name[: 12]))
        first = next(f for f in FACTORS if f.category == category.slug)
        assert rows[at + 1].lstrip().startswith(first.code)
    assert all(len(line) <= width for line in lines)


def test_summary_shows_failures_warnings_and_prompt_types() -> None:
    lines = summary_lines(run_info(), aggregates(), comparison(), width=100)
    text = "\n".join(lines)
    failing = [r for r in table(lines) if r.rstrip().endswith("FAIL")]
    assert [r.split()[0] for r in failing] == ["F07", "F21"]
    assert "F07 harassment: mean dropped" in text
    assert "worst: F07-role_playing-0000" in text
    assert "warning: dataset fingerprint differs" in text
    assert "prompt types (mean): Q Only 4.30\u00a0· Multiple-Choice" in text
    assert "lowest prompt types: Rail 2.90, Chain of Thought 3.20" in text
    assert "over-refusal: 10.0% of 120 benign prompts refused" in text
    assert "judge     rules (fallback, not release-grade)" in text
    assert "cost      model unknown (1,234,567 tokens) · judge $0.0123" in text


def test_summary_row_columns() -> None:
    rows = table(summary_lines(run_info(), aggregates(), comparison(), width=100))
    f07 = next(r for r in rows if r.lstrip().startswith("F07"))
    assert f07.split()[2:] == ["328", "4.10", "3.10", "-1.00", "0.004", "—", "FAIL"]  # no MDE in these gates


def test_summary_without_comparison_uses_aggregates() -> None:
    rows = table(summary_lines(run_info(baseline_status="no baseline"), aggregates(), None))
    assert len(rows) == 43
    assert all(r.split()[-1] == "—" for r in rows)


def test_summary_lists_baseline_changes_after_an_update() -> None:
    changes = ["factor:F07 mean 4.80 → 4.60 (n 30 → 36)"]
    lines = summary_lines(run_info(baseline_status="updated"), aggregates(), None, changes)
    assert "baseline prod updated: 1 group changed" in lines
    assert "  factor:F07 mean 4.80 → 4.60 (n 30 → 36)" in lines


def test_verdict_line_fail() -> None:
    line = verdict_line(run_info(offline_demo=False), comparison(), 0)
    assert line == ("ASSURAI VERDICT: FAIL — 2 of 43 gates regressed (F07 harassment, F21 fraud); 0 errors; "
                    "120 of 11,480 answers from cache; model assurai/scripted-mixed-30 vs baseline prod")


def test_verdict_header_and_html_name_the_generators_from_one_place(tmp_path: Path) -> None:
    from assurai_pytest.report.html import facts

    generators = (("image", "openai/gpt-image-1"), ("audio", "openai/tts-1"))
    line = verdict_line(run_info(offline_demo=False, generators=generators), comparison(), 0)
    assert line.endswith("; model assurai/scripted-mixed-30; generators image openai/gpt-image-1, speech openai/tts-1"
                         " vs baseline prod")
    assert ("generators", "image openai/gpt-image-1, speech openai/tts-1") in facts(run_info(generators=generators))
    assert all(name != "generators" for name, _ in facts(run_info()))
    dataset = Dataset(root=tmp_path, instances=(), fingerprint="f" * 64, format="bundled")
    header = header_lines(Settings(), dataset, 3, generators)
    assert header[1] == "assurai: generators image openai/gpt-image-1, speech openai/tts-1"
    assert not any("generators" in h for h in header_lines(Settings(), dataset, 3))


def test_verdict_line_names_at_most_five_failures() -> None:
    line = verdict_line(run_info(), comparison(failed=tuple(range(1, 9))), 0)
    assert "8 of 43 gates regressed (F01 malicious-groups," in line
    assert ", +3 more); 0 errors" in line
    assert line.endswith("[offline demo]")


def test_verdict_line_pass_error_and_baseline_states() -> None:
    clean = comparison(failed=())
    assert verdict_line(run_info(), clean).startswith("ASSURAI VERDICT: PASS — 43 gates held; 0 errors;")
    cached = verdict_line(run_info(cache_hits=11_000), clean)
    assert "; 11,000 of 11,480 answers from cache;" in cached
    errored = verdict_line(run_info(cases_error=12), clean, cause="provider unreachable")
    assert errored.startswith("ASSURAI VERDICT: ERROR — 12 of 11,480 cases errored (provider unreachable);")
    assert "ASSURAI VERDICT: FAIL" in verdict_line(run_info(cases_error=3), comparison(), 3)
    none = verdict_line(run_info(baseline_status="no baseline", problem="no baseline 'prod' in baselines"),
                        comparison(verdict="no baseline"), 0)
    assert none.startswith("ASSURAI VERDICT: NO BASELINE — no baseline 'prod' in baselines; 43 gates not "
                           "evaluated; 0 errors;")
    allowed = verdict_line(run_info(baseline_status="no baseline", problem="no baseline 'prod'",
                                    problem_allowed=True), comparison(verdict="no baseline"), 0)
    assert "(allowed by --assurai-allow-missing-baseline)" in allowed
    updated = verdict_line(run_info(baseline_status="updated"), None, 0)
    assert updated.startswith("ASSURAI VERDICT: UPDATED — baseline prod written from 11,480 cases")
    mismatched = comparison(failed=(), verdict="mismatch")
    mismatch = verdict_line(run_info(baseline_status="mismatch", problem="judge differs: rules vs x"), mismatched, 0)
    assert mismatch.startswith("ASSURAI VERDICT: MISMATCH — judge differs: rules vs x; 43 gates not evaluated")
    interrupted = verdict_line(run_info(baseline_status="interrupted"), None, 0)
    assert interrupted.startswith("ASSURAI VERDICT: INTERRUPTED — stopped after 11,480 cases")
    assert all("\n" not in line for line in (errored, none, updated, mismatch))


def test_offline_notice() -> None:
    assert offline_notice(run_info(offline_demo=False)) == []
    text = "\n".join(offline_notice(run_info()))
    assert "OFFLINE DEMO" in text
    assert "scripted offline provider" in text
    assert "rules keyword judge, a labelled fallback, not a release-grade judge" in text
    assert "--assurai-model=openai/gpt-4o-mini --assurai-judge=openai/gpt-4o-mini" in text
    assert "--assurai-api-base=http://localhost:8000/v1" in text
    judge_only = "\n".join(offline_notice(run_info(model="openai/gpt-4o-mini")))
    assert "scripted" not in judge_only and "rules keyword judge" in judge_only


def test_header_lines_for_the_report_header(tmp_path: Path) -> None:
    dataset = Dataset(root=tmp_path, instances=(), fingerprint="f" * 64, format="bundled")
    settings = Settings(api_base=f"http://localhost:8000/v1?key={SECRET_KEY}")
    text = "\n".join(header_lines(settings, dataset, 42))
    assert "assurai: model assurai/scripted-safe @ http://localhost:8000/v1?key=sk-***" in text
    assert "42 cases" in text and "OFFLINE DEMO" in text
    assert SECRET_KEY not in text
    real = Settings(model="openai/gpt-4o-mini", judge="openai/gpt-4o-mini")
    assert "OFFLINE DEMO" not in "\n".join(header_lines(real, dataset, 1))


def test_gate_failure_text() -> None:
    failed = gate("factor:F07", "F07 harassment", now=3.1, base=4.1, failed=True,
                  worst=("F07-q_only-0001", "F07-q_only-0002"))
    text = gate_failure_text(failed, "prod")
    first = text.splitlines()[0]
    assert first.startswith("F07 harassment regressed against baseline prod: mean 4.10 -> 3.10")
    assert "Holm-adjusted 0.004" in text
    assert text.splitlines()[-1] == "worst cases: F07-q_only-0001, F07-q_only-0002"


def test_every_line_is_redacted() -> None:
    run, aggs, comp = nasty_run()
    lines = [*summary_lines(run, aggs, comp, width=80), verdict_line(run, comp, 0), *offline_notice(run),
             gate_failure_text(comp.gates[-1], SECRET_KEY)]
    text = "\n".join(lines)
    for leak in LEAKS[:2]:
        assert leak not in text
    assert "sk-***" in text and "Bearer ***" in text


def test_nan_never_reaches_the_table() -> None:
    aggs = aggregates(overall=replace(aggregates().overall, mean=float("nan")))
    rows = table(summary_lines(run_info(), aggs, None))
    assert "nan" not in rows[0].lower()


def test_no_prompt_type_is_lowest_when_all_are_equal() -> None:
    flat = aggregates(by_prompt_type={p: aggregates().by_prompt_type[p] for p in ("q_only", "role_playing")})
    flat = replace(flat, by_prompt_type={k: replace(v, mean=5.0) for k, v in flat.by_prompt_type.items()})
    text = "\n".join(summary_lines(run_info(), flat, None))
    assert "prompt types (mean): Q Only 5.00" in text
    assert "lowest" not in text

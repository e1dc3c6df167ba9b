"""The pytest-html hooks, registered only when an HTML report is written; fed by the run object.

What the page shows is decided in ``report/html.py`` (plain functions, unit-tested); these hooks
only hand it the run's outcome and results and put the pieces where pytest-html wants them.
"""

from __future__ import annotations

from typing import Any

import pytest

from .records import CaseResult
from .run import Run
from .stash import CASE_PROPERTY, GATE_PROPERTY, report_property

# Keep an 11,480-case report usable: full text for what a reviewer must read, the rest cut.
QUIET_CASE_CHARS = 1500


class HtmlHooks:
    """Hooks that exist only when a pytest-html report is written."""

    def __init__(self, run: Run) -> None:
        self.run = run

    @pytest.hookimpl
    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                    session: pytest.Session) -> None:
        """The run summary, per-factor table, chart and row filter above the results table."""
        if self.run.outcome is not None:
            from .generation.report import summary_html
            from .report.html import outcome_html

            summary.extend(outcome_html(self.run.outcome))
            summary.append(summary_html(self.run.results.values()))

    @pytest.hookimpl
    def pytest_html_report_title(self, report: Any) -> None:
        """Name the page after what it judges rather than after the file."""
        # pytest-html's template escapes the title itself.
        report.title = f"AssurAI Korean safety report — {self.run.settings.model}"

    @pytest.hookimpl
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        """Factor, prompt type, score and verdict columns."""
        from .report.html import table_header_cells

        cells[2:2] = table_header_cells()

    @pytest.hookimpl
    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        """A case's or a gate's cells; blank ones for any other row so the columns stay aligned."""
        from .report.html import row_cells

        case_id = report_property(report, CASE_PROPERTY, str)
        case = self.run.results.get(case_id) if case_id is not None else None
        cells[2:2] = list(row_cells(case, report_property(report, GATE_PROPERTY)).values())


def add_case_details(report: pytest.TestReport, result: CaseResult, before: Any = None, store: Any = None) -> None:
    """Attach the collapsed case details to the report pytest-html renders; a case that regressed
    from the baseline's answer (or is unsafe) shows that answer beside the new one; generated media
    (read only from ``store``, the run's media store) are shown beside the grade."""
    from pytest_html import extras

    from .report.html import case_html

    quiet = result.status == "ok" and result.score is not None and result.score > 2 \
        and result.label != "over_refusal"
    changed = before is not None and result.score is not None and (result.score < before.score or not quiet)
    details = case_html(result, max_chars=QUIET_CASE_CHARS if quiet else None, before=before if changed else None)
    if store is not None and result.generated:
        from .generation.report import media_html

        details += media_html(result, store)
    report.extras = [*getattr(report, "extras", []), extras.html(details)]  # type: ignore[attr-defined]


def add_worst_cases(report: pytest.TestReport, run: Run) -> None:
    """Attach the full details of a failed gate's worst cases, beside their baseline answers."""
    from pytest_html import extras

    from .report.html import case_html

    gate = report_property(report, GATE_PROPERTY) or {}
    details = [extras.html(case_html(run.results[case], worst=True, before=run.baseline_answers.get(case)))
               for case in gate.get("worst_cases", ()) if case in run.results]
    report.extras = [*getattr(report, "extras", []), *details]  # type: ignore[attr-defined]

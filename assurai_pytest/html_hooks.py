"""The pytest-html hooks, registered only when an HTML report is written; fed by the run object.

What the page shows is decided in ``report/html.py`` (plain functions, unit-tested); these hooks
only hand it the run's outcome and results and put the pieces where pytest-html wants them.
"""

from __future__ import annotations

from typing import Any

import pytest

from .run import Run
from .stash import CASE_PROPERTY, GATE_PROPERTY, report_property


class HtmlHooks:
    """Hooks that exist only when a pytest-html report is written."""

    def __init__(self, run: Run) -> None:
        self.run = run

    @pytest.hookimpl
    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                    session: pytest.Session) -> None:
        """The run summary, per-factor table, chart and row filter above the results table."""
        if self.run.outcome is not None:
            from .report.html import outcome_html

            summary.extend(outcome_html(self.run.outcome, self.run.results, self.run.baseline_answers,
                                        self.run.media_store))

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

    @pytest.hookimpl
    def pytest_html_results_table_html(self, report: pytest.TestReport, data: list[str]) -> None:
        """A skip's reason as text, not a Python tuple; no log noise under a case that passed."""
        from .report.html import row_log

        is_case = report_property(report, CASE_PROPERTY, str) is not None
        data[:] = row_log(report.outcome, report.longrepr, is_case, data)

"""The pytest11 entry point. Hooks only translate between pytest objects and :class:`~assurai_pytest.run.Run`.

- configure: resolve options, load and validate the dataset and the baseline (bad input → exit 4).
- generate_tests: one item per case for tests that use the ``assurai_result`` fixture.
- collection_finish: the selection is final; queue exactly the selected cases (on an xdist
  worker, only the contiguous share it will run).
- the ``assurai_result`` fixture waits for its own case's result; outages are errors, not failures.
- makereport / logreport: each result travels in ``report.user_properties`` to the controller.
- runtestloop (wrapper, controller): aggregate, gate, and report each gate as a test of its own,
  so the terminal, JUnit XML, pytest-html and the exit code all show a regression.
"""

from __future__ import annotations

import gc
import json
import os
import re
from collections.abc import Generator, Iterator
from typing import Any

import pytest

from .errors import UsageError
from .records import Case, CaseResult
from .run import TRACKS, Outcome, Run

RUN_KEY = pytest.StashKey[Run]()
RESULT_KEY = pytest.StashKey[CaseResult]()
CASE_ARG = "assurai_case"
RESULT_PROPERTY = "assurai_result"
CASE_PROPERTY = "assurai_case"
GATE_PROPERTY = "assurai_gate"
GATES_NODE = "assurai_gates"
STATIC_SPLIT = "assurai_static_split"
ANSWER_SALT = "assurai_answer_salt"
# Case ids are ours (ASCII, `F07-role_playing-…`), so the xdist controller can recognise case items.
CASE_NODEID = re.compile(r"\[F\d{2}-[a-z_]+-")


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _run(config: pytest.Config) -> Run | None:
    return config.stash.get(RUN_KEY, None)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``--assurai-*`` options and their ini keys."""
    from .options import register

    register(parser)


def pytest_configure(config: pytest.Config) -> None:
    """Resolve settings, load the dataset and check the baseline; bad input is a usage error."""
    config.addinivalue_line("markers", "assurai(track): an AssurAI safety test module; track is one of "
                            + ", ".join(TRACKS))
    if config.option.help or config.option.version:
        return
    from .baseline import baseline_path, load_baseline
    from .datasets import load_dataset
    from .models._litellm import ignore_litellm_type_notes
    from .options import resolve

    workerinput = getattr(config, "workerinput", {})
    try:
        settings = resolve(config)
        dataset = load_dataset(settings.dataset)
        if not _is_worker(config):
            load_baseline(baseline_path(settings.baseline_dir, settings.baseline_name))
        run = Run(settings, dataset, workers=workerinput.get("workercount", 1),
                  invocation=config.invocation_params.args, answer_salt=workerinput.get(ANSWER_SALT))
        run.judge_prompt_version  # noqa: B018 - builds the judge: an unknown judge kind is a usage error now
        if settings.calibrate:
            run.calibration_items  # noqa: B018 - read now: a bad calibration set is a usage error (exit 4)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    ignore_litellm_type_notes()
    config.stash[RUN_KEY] = run
    html = config.pluginmanager.hasplugin("html") and bool(config.getoption("htmlpath", None))
    controller = not _is_worker(config)
    config.pluginmanager.register(AssuraiPlugin(run, controller=controller, html=html and controller), "assurai-run")
    from .robustness_plugin import register as register_robustness

    register_robustness(config, run, controller=controller)
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(), "assurai-xdist")
    if html:
        config.pluginmanager.register(HtmlHooks(settings.model, run.results), "assurai-html")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail fast: check each endpoint once before any case runs (controller only)."""
    config = session.config
    run = _run(config)
    if run is None or _is_worker(config) or config.option.collectonly:
        return
    try:
        run.preflight()
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say what is under test, and say loudly when it is the offline demo."""
    run = _run(config)
    if run is None:
        return []
    from .calibration_run import header_lines as calibration_header
    from .report.terminal import header_lines

    return header_lines(run.settings, run.dataset, len(run.cases)) + calibration_header(
        run.settings, run.dataset, len(run.cases))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize tests that use ``assurai_result`` with the cases of their module's track."""
    run = _run(metafunc.config)
    if run is None or CASE_ARG not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("assurai")
    track = (marker.kwargs.get("track") if marker else None) or "harmful"
    if track not in TRACKS:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: unknown assurai track {track!r}; "
                                f"choose one of {', '.join(TRACKS)}")
    cases = run.cases_for(track)
    metafunc.parametrize(CASE_ARG, cases, ids=[case.id for case in cases])


def pytest_collection_finish(session: pytest.Session) -> None:
    """Queue the evaluation of exactly the selected cases, now that -k/-m/--lf have had their say."""
    config = session.config
    run = _run(config)
    if run is None or config.option.collectonly:
        return
    items = session.items
    if _is_worker(config):
        workerinput = config.workerinput  # type: ignore[attr-defined]
        if not workerinput.get(STATIC_SPLIT):
            return  # another --dist mode: each item queues its own case when it runs
        from .engine import worker_share

        index = int(workerinput["workerid"].removeprefix("gw"))
        items = [items[k] for k in worker_share(len(items), index, workerinput["workercount"])]
    # The collected items, cases and dataset live until the end: take them out of the garbage
    # collector's view (at 11,480 items its full passes cost seconds a process).
    gc.freeze()
    run.start(case for case in map(_case_of, items) if case is not None)


def _case_of(item: pytest.Item) -> Case | None:
    # A track with no cases is parametrized with an empty set: pytest then passes a NOTSET marker.
    callspec = getattr(item, "callspec", None)
    case = callspec.params.get(CASE_ARG) if callspec is not None else None
    return case if isinstance(case, Case) else None


def _property(report: pytest.TestReport, name: str, kind: type = dict) -> Any:
    """The value of type ``kind`` a report carries under ``name`` in its user properties, if any."""
    return next((value for key, value in report.user_properties if key == name and isinstance(value, kind)), None)


def _take_result(report: pytest.TestReport) -> CaseResult | None:
    """The case result a report carries, if any; the report keeps only the case id in its place.

    A result travels as one JSON string, which xdist's channel and the controller handle far
    faster than a nested dict. Once recorded, the report (kept by pytest until the end, and
    written to JUnit XML) needs only the id.
    """
    for index, (key, value) in enumerate(report.user_properties):
        if key == RESULT_PROPERTY and isinstance(value, str):
            result = CaseResult.from_dict(json.loads(value))
            report.user_properties[index] = (CASE_PROPERTY, result.case_id)
            return result
    return None


@pytest.fixture
def assurai_result(request: pytest.FixtureRequest, assurai_case: Any) -> CaseResult:
    """The evaluated result of this item's case: an outage is an error, an unsupported modality a skip."""
    from .redact import redact

    run = request.config.stash[RUN_KEY]
    result = run.evaluate(assurai_case)
    request.node.stash[RESULT_KEY] = result
    request.node.user_properties.extend(
        [("assurai_factor", f"F{result.factor:02d}"), ("assurai_prompt_type", result.prompt_type),
         ("assurai_score", "" if result.score is None else result.score), ("assurai_label", result.label)])
    if result.status == "skipped":
        pytest.skip(result.error or "skipped")
    if result.status == "error":
        pytest.fail(redact(result.error or "evaluation failed"), pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the case's result to the report that decides its outcome."""
    report = yield
    result = item.stash.get(RESULT_KEY, None)
    if result is not None and (call.when == "call" or (call.when == "setup" and not report.passed)):
        report.user_properties.append((RESULT_PROPERTY, json.dumps(result.to_dict(), ensure_ascii=False)))
    return report


class AssuraiPlugin:
    """Controller- and worker-side hooks of one run, registered in ``pytest_configure``."""

    def __init__(self, run: Run, *, controller: bool = True, html: bool = False) -> None:
        self.run = run
        self.controller = controller
        self.outcome: Outcome | None = None
        self._html = html

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Collect each case's result as its report arrives (from this process or a worker)."""
        if not self.controller:
            return  # only the controller aggregates; a worker's reports travel on as they are
        result = _take_result(report)
        if result is not None:
            self.run.record(result)
            if self.html:
                _add_html_extra(report, result)

    @property
    def html(self) -> bool:
        """Whether a pytest-html report is being written in this process."""
        return self._html

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Iterator[Any]:
        """After the last item: aggregate, gate or update baselines, and report each gate as a test."""
        try:
            result = yield
        except KeyboardInterrupt:
            if self.controller and self.run.results:
                self.outcome = self.run.finish(interrupted=True)
            raise
        if not self.controller or not self.run.results or session.shouldfail or session.shouldstop:
            return result  # a run stopped early (-x, --maxfail) is not gated on partial data
        try:
            self.outcome = self.run.finish()
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
        for gate in self.run.gate_reports(self.outcome):
            for report in _test_reports(gate, session):
                if self.html and report.when == "call" and report.failed:
                    _add_worst_cases(report, self.run.results)
                session.config.hook.pytest_runtest_logreport(report=report)
        return result

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Close the evaluator everywhere; on the controller write the files and fail closed."""
        self.run.close(complete=self.outcome is not None and not self.outcome.interrupted)
        if self.outcome is None:
            return
        self.run.publish(self.outcome, os.environ.get("GITHUB_STEP_SUMMARY"))
        if self.outcome.blocks and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # the baseline check's report already failed

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """The per-factor gate table, the warnings and what an update changed."""
        if self.outcome is None:
            return
        from .report.terminal import summary_lines

        terminalreporter.section("assurai")
        for line in summary_lines(self.outcome.run_info, self.outcome.aggregates, self.outcome.comparison,
                                  self.outcome.changes):
            terminalreporter.write_line(line)
        from .report.calibration import summary_lines as calibration_lines

        for line in calibration_lines(self.outcome, self.run.settings.judge_repeats, self.run.results.values()):
            terminalreporter.write_line(line, red=line.startswith("!!!"), bold=line.startswith("!!!"))

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """Print the one verdict line for release managers after pytest's own last line."""
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if self.outcome is None or reporter is None:
            return
        from .report.terminal import verdict_line

        line = verdict_line(self.outcome.run_info, self.outcome.comparison)
        failed = not line.startswith("ASSURAI VERDICT: PASS")
        reporter.write_line(line, red=failed, green=not failed, bold=True)


def _test_reports(gate: Any, session: pytest.Session) -> Iterator[pytest.TestReport]:
    """Three reports (setup, call, teardown) for one gate, shaped like a real test's."""
    from dataclasses import asdict

    path = str(session.config.rootpath / GATES_NODE)
    nodeid = f"{GATES_NODE}::{gate.name}"
    location = (path, None, f"gate {gate.title}")
    values = gate.gate
    call_props = [(GATE_PROPERTY, asdict(values))] if values is not None else []
    junit_props = [] if values is None else [
        ("assurai_verdict", values.verdict), ("assurai_baseline_mean", values.baseline_mean),
        ("assurai_now_mean", values.now_mean), ("assurai_p_adjusted", values.p_adjusted)]
    longrepr: Any = gate.text if gate.outcome == "failed" else None
    if gate.outcome == "skipped":
        longrepr = (path, 0, f"Skipped: {gate.text}")
    yield pytest.TestReport(nodeid, location, {}, "passed", None, "setup")
    yield pytest.TestReport(nodeid, location, {}, gate.outcome, longrepr, "call", user_properties=call_props)
    yield pytest.TestReport(nodeid, location, {}, "passed", None, "teardown", user_properties=junit_props)


class XdistHooks:
    """Hooks that exist only when pytest-xdist is installed."""

    @pytest.hookimpl
    def pytest_configure_node(self, node: Any) -> None:
        """Tell workers whether the controller splits the collection into contiguous shares."""
        node.workerinput[STATIC_SPLIT] = node.config.getvalue("dist") == "load"
        run = _run(node.config)
        if run is not None:
            run.workers = node.workerinput["workercount"]
            node.workerinput[ANSWER_SALT] = run.answer_salt

    @pytest.hookimpl
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        """Under the default ``--dist load``, hand each worker its whole share up front.

        xdist's load scheduler feeds a worker two items at a time once tests take ≥0.1 s; a
        worker could then evaluate only two cases at once. A contiguous split that both sides
        compute lets every worker keep its concurrency busy.
        """
        if config.getvalue("dist") != "load":
            return None
        from .xdist_scheduling import ContiguousScheduling

        return ContiguousScheduling(config, log, CASE_NODEID)


class HtmlHooks:
    """Hooks that exist only when a pytest-html report is written."""

    def __init__(self, model: str, results: dict[str, CaseResult]) -> None:
        self.model = model
        self.results = results  # the run's results by case id, filled as reports arrive

    @pytest.hookimpl
    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                    session: pytest.Session) -> None:
        """The run summary, per-factor table, chart and row filter above the results table."""
        plugin = session.config.pluginmanager.get_plugin("assurai-run")
        if plugin is not None and plugin.outcome is not None:
            from .report.html import summary_html

            outcome = plugin.outcome
            summary.append(summary_html(outcome.run_info, outcome.aggregates, outcome.comparison))
            if outcome.calibration is not None:
                from .report.calibration import html_section

                summary.append(html_section(outcome.calibration))

    @pytest.hookimpl
    def pytest_html_report_title(self, report: Any) -> None:
        """Name the page after what it judges rather than after the file."""
        # pytest-html's template escapes the title itself.
        report.title = f"AssurAI Korean safety report — {self.model}"

    @pytest.hookimpl
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        """Factor, prompt type, score and verdict columns."""
        from .report.html import table_header_cells

        cells[2:2] = table_header_cells()

    @pytest.hookimpl
    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        """A case's or a gate's cells; blank ones for any other row so the columns stay aligned."""
        from .report.html import blank_row_cells, case_row_cells, gate_row_cells

        case_id = _property(report, CASE_PROPERTY, str)
        case = self.results.get(case_id) if case_id is not None else None
        gate = _property(report, GATE_PROPERTY)
        if case is not None:
            row = case_row_cells(case)
        elif gate is not None:
            row = gate_row_cells(_gate_from_dict(gate))
        else:
            row = blank_row_cells()
        cells[2:2] = list(row.values())


# Keep an 11,480-case report usable: full text for what a reviewer must read, the rest cut.
QUIET_CASE_CHARS = 1500


def _add_html_extra(report: pytest.TestReport, result: CaseResult) -> None:
    """Attach the collapsed case details to the report pytest-html renders."""
    from pytest_html import extras

    from .report.html import case_html

    quiet = result.status == "ok" and result.score is not None and result.score > 2 \
        and result.label != "over_refusal"
    details = case_html(result, max_chars=QUIET_CASE_CHARS if quiet else None)
    report.extras = [*getattr(report, "extras", []), extras.html(details)]  # type: ignore[attr-defined]


def _add_worst_cases(report: pytest.TestReport, results: dict[str, CaseResult]) -> None:
    """Attach the full details of a failed gate's worst cases to its report."""
    from pytest_html import extras

    from .report.html import case_html

    gate = _property(report, GATE_PROPERTY) or {}
    details = [extras.html(case_html(results[case], worst=True))
               for case in gate.get("worst_cases", ()) if case in results]
    report.extras = [*getattr(report, "extras", []), *details]  # type: ignore[attr-defined]


def _gate_from_dict(data: dict[str, Any]) -> Any:
    from .gate import GateResult

    return GateResult(**{**data, "worst_cases": tuple(data.get("worst_cases", ()))})

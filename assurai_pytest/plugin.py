"""The pytest11 entry point. Hooks only translate between pytest objects and :class:`~assurai_pytest.run.Run`.

- configure: resolve the options and open the run (bad input → exit 4); register the run's hooks.
- sessionstart: the start-up check of every endpoint (controller).
- generate_tests: one item per case for tests that use the ``assurai_result`` fixture.
- collection_finish: the selection is final; queue exactly the selected cases (on an xdist
  worker, only the contiguous share it will run) and show what is under test.
- the ``assurai_result`` fixture waits for its own case's result.
- makereport / logreport: each result travels in ``report.user_properties`` to the controller.
- runtestloop (wrapper, controller): finish the run and report each gate as a test of its own,
  so the terminal, JUnit XML, pytest-html and the exit code all show a regression.

The xdist hooks live in ``xdist_scheduling.py``, the pytest-html hooks in ``html_hooks.py``.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Generator, Iterator
from typing import Any

import pytest

from .errors import UsageError
from .records import Case, CaseResult
from .run import TRACKS, GateReport, Run
from .stash import (
    ANSWER_SALT,
    CASE_ARG,
    CASE_PROPERTY,
    GATE_PROPERTY,
    GATES_NODE,
    RESULT_KEY,
    RESULT_PROPERTY,
    RUN_KEY,
    is_worker,
    run_of,
    show_header,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``--assurai-*`` options and their ini keys."""
    from .options import register

    register(parser)


def pytest_configure(config: pytest.Config) -> None:
    """Resolve settings and open the run; bad input is a usage error."""
    config.addinivalue_line("markers", f"assurai(track): an AssurAI safety test module; track is one of "
                            f"{', '.join(TRACKS)}")
    if config.option.help or config.option.version:
        return
    from .options import resolve

    try:
        run = Run.open(resolve(config), workerinput=getattr(config, "workerinput", None),
                       invocation=config.invocation_params.args, answer_salt_key=ANSWER_SALT)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    _register(config, run)


def _register(config: pytest.Config, run: Run) -> None:
    """Keep the run in the stash and register the hook classes this session needs."""
    from .models._litellm import ignore_litellm_type_notes
    from .robustness_plugin import register as register_robustness

    ignore_litellm_type_notes()
    config.stash[RUN_KEY] = run
    controller = not is_worker(config)
    html = controller and config.pluginmanager.hasplugin("html") and bool(config.getoption("htmlpath", None))
    config.pluginmanager.register(AssuraiPlugin(run, controller=controller), "assurai-run")
    register_robustness(config, run, controller=controller)
    if config.pluginmanager.hasplugin("xdist"):
        from .xdist_scheduling import XdistHooks

        config.pluginmanager.register(XdistHooks(run), "assurai-xdist")
    if html:
        from .html_hooks import HtmlHooks

        config.pluginmanager.register(HtmlHooks(run), "assurai-html")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail fast: check each endpoint once before any case runs (controller only)."""
    run, config = run_of(session.config), session.config
    if run is None or is_worker(config) or config.option.collectonly:
        return
    try:
        run.preflight()
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize tests that use ``assurai_result`` with the cases of their module's track."""
    run = run_of(metafunc.config)
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
    run, config = run_of(session.config), session.config
    cases = [case for case in map(_case_of, session.items) if case is not None]
    if run is None or not cases or config.option.collectonly:
        return
    show_header(config, run)
    if is_worker(config):
        from .xdist_scheduling import worker_items

        share = worker_items(config.workerinput, session.items)  # type: ignore[attr-defined]
        cases = [] if share is None else [case for case in map(_case_of, share) if case is not None]
    gc.freeze()  # the items, cases and dataset live to the end: keep them out of the collector's passes
    run.start(cases)


def _case_of(item: pytest.Item) -> Case | None:
    # A track with no cases is parametrized with an empty set: pytest then passes a NOTSET marker.
    callspec = getattr(item, "callspec", None)
    case = callspec.params.get(CASE_ARG) if callspec is not None else None
    return case if isinstance(case, Case) else None


def _take_result(report: pytest.TestReport) -> CaseResult | None:
    """The case result a report carries, if any; the report keeps only the case id in its place.

    From an xdist worker a result travels as one JSON string, which xdist's channel and the
    controller handle far faster than a nested dict; in one process it is the result itself (the
    JSON round trip cost ~0.1 ms a case for nothing). Once recorded, the report (kept by pytest until the end, and
    written to JUnit XML) needs only the id.
    """
    for index, (key, value) in enumerate(report.user_properties):
        if key == RESULT_PROPERTY and isinstance(value, str | CaseResult):
            result = value if isinstance(value, CaseResult) else CaseResult.from_dict(json.loads(value))
            report.user_properties[index] = (CASE_PROPERTY, result.case_id)
            return result
    return None


@pytest.fixture
def assurai_result(request: pytest.FixtureRequest, assurai_case: Any) -> CaseResult:
    """The evaluated result of this item's case: an outage is an error, an unsupported modality a skip."""
    run = request.config.stash[RUN_KEY]
    result = run.evaluate(assurai_case)
    request.node.stash[RESULT_KEY] = result
    request.node.user_properties.extend(run.item_properties(result))
    action, why = run.item_outcome(result)
    if action == "skip":
        pytest.skip(why)
    if action == "fail":
        pytest.fail(why, pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the case's result to the report that decides its outcome."""
    report = yield
    result = item.stash.get(RESULT_KEY, None)
    if result is not None and (call.when == "call" or (call.when == "setup" and not report.passed)):
        crossing = is_worker(item.config)  # only a worker's report leaves the process
        report.user_properties.append((RESULT_PROPERTY, json.dumps(result.to_dict(), ensure_ascii=False)
                                       if crossing else result))
    return report


class AssuraiPlugin:
    """Controller- and worker-side hooks of one run, registered in ``pytest_configure``."""

    def __init__(self, run: Run, *, controller: bool = True) -> None:
        self.run = run
        self.controller = controller

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Collect each case's result as its report arrives (from this process or a worker)."""
        result = _take_result(report) if self.controller else None
        if result is not None:
            self.run.record(result)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Iterator[Any]:
        """After the last item: finish the run (gate or update) and report each gate as a test."""
        try:
            result = yield
        except KeyboardInterrupt:
            if self.controller and self.run.results:
                self.run.finish(interrupted=True)
            raise
        if self.controller and self.run.ran and not (session.shouldfail or session.shouldstop):
            try:  # a run stopped early (-x, --maxfail) is not gated on partial data
                _log_gates(self.run.gate_reports(self.run.finish()), session)
            except UsageError as exc:
                raise pytest.UsageError(str(exc)) from None
        return result

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Close the evaluator everywhere; on the controller write the files and fail closed."""
        outcome = self.run.outcome
        self.run.close(complete=outcome is not None and not outcome.interrupted)
        if outcome is not None:
            self.run.publish(outcome, os.environ.get("GITHUB_STEP_SUMMARY"))
            if outcome.blocks and session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED  # the baseline check already failed

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """The per-factor gate table, the warnings and what an update changed."""
        lines = self.run.summary_lines()
        if lines:
            terminalreporter.section("assurai")
        for line, loud in lines:
            terminalreporter.write_line(line, red=loud, bold=loud)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """Print the one verdict line for release managers after pytest's own last line."""
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        verdict = self.run.verdict()
        if verdict is not None and reporter is not None:
            reporter.write_line(verdict[0], red=not verdict[1], green=verdict[1], bold=True)


def _log_gates(gates: list[GateReport], session: pytest.Session) -> None:
    """Report each gate as a test of its own (the HTML report lists the worst cases once, in its summary)."""
    for gate in gates:
        for report in _test_reports(gate, session):
            session.config.hook.pytest_runtest_logreport(report=report)


def _test_reports(gate: GateReport, session: pytest.Session) -> Iterator[pytest.TestReport]:
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
    yield pytest.TestReport(nodeid, location, {}, gate.outcome, longrepr, "call",  # type: ignore[arg-type]
                            user_properties=call_props)
    yield pytest.TestReport(nodeid, location, {}, "passed", None, "teardown", user_properties=junit_props)

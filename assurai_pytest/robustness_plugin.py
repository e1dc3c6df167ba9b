"""The robustness track's pytest side: its fixture, its deselection when off, its reports.

Hooks only translate: the search, the memory and the rates live in ``robustness``. The track is
on when ``--assurai-perturbations`` names operators; otherwise its items are deselected, so the
base gate's runs and outcome counts do not change.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import pytest

from .errors import UsageError
from .records import Case, CaseResult
from .robustness import Lookahead, Outcome, Plan, plan_key
from .stash import CASE_ARG, STATIC_SPLIT, is_worker

TRACK = "robustness"
PLUGIN_NAME = "assurai-robustness"
OUTCOME_PROPERTY = "assurai_robustness"
ATTACK_PROPERTY = "assurai_attack"


def register(config: pytest.Config, run: Any, *, controller: bool) -> None:
    """Register the fixture and the hooks of the robustness track for this run.

    Raises:
        pytest.UsageError: When the attack memory file cannot be read.
    """
    config.pluginmanager.register(sys.modules[__name__], f"{PLUGIN_NAME}-fixtures")
    config.pluginmanager.register(RobustnessHooks(run, controller=controller), PLUGIN_NAME)


class RobustnessHooks:
    """Per-run state of the track: the memory of attacks, and on the controller the outcomes."""

    def __init__(self, run: Any, *, controller: bool) -> None:
        from .robustness import load_memory, memory_path

        self.run = run
        self.controller = controller
        self.enabled = bool(run.settings.perturbations)
        self.outcomes: dict[str, Outcome] = run.robustness  # the run gates and stores them at its end
        self.memory_path = memory_path(run.settings.baseline_dir, run.settings.baseline_name)
        self.added = 0
        self.order: list[Case] = []  # this process's requests in the order its items run
        self._lookahead: Lookahead | None = None
        try:
            self.memory: dict[str, list[Plan]] = load_memory(self.memory_path) if self.enabled else {}
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """Deselect the track's items unless ``--assurai-perturbations`` turned it on.

        On xdist workers that split the collection in contiguous shares, the track's items (seconds
        each, against milliseconds for a base item) are spread evenly through it, so every worker
        searches its share of the requests instead of one worker getting nearly all of them.
        """
        if self.enabled:
            if is_worker(config) and config.workerinput.get(STATIC_SPLIT):  # type: ignore[attr-defined]
                from .robustness import spread_evenly

                items[:] = spread_evenly(items, lambda item: _track(item) == TRACK)
            return
        off = [item for item in items if _track(item) == TRACK]
        if off:
            items[:] = [item for item in items if _track(item) != TRACK]
            config.hook.pytest_deselected(items=off)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Note the requests this process will search, in order, so the next ones can start early."""
        if not self.enabled:
            return
        items: list[Any] | None = session.items
        if is_worker(session.config):
            from .xdist_scheduling import worker_items

            items = worker_items(session.config.workerinput, session.items)  # type: ignore[attr-defined]
        cases = (_case_of(item) for item in items or () if _track(item) == TRACK)
        self.order = [case for case in cases if case is not None]

    def evaluate(self, cases: Sequence[Case]) -> list[CaseResult]:
        """Evaluate a batch through the run's engine, all at once, ahead of the queued base cases."""
        return self.run.evaluate_many(cases)

    def search(self, case: Case) -> Outcome:
        """Search one request (its base case evaluated first); runs in a lookahead thread."""
        from .robustness import search

        settings = self.run.settings
        return search(case, self.run.evaluate(case), operators=settings.perturbations,
                      examples=settings.perturb_examples, evaluate=self.evaluate,
                      remembered=self.memory.get(case.id, ()))

    def outcome(self, case: Case) -> Outcome:
        """This request's outcome; the next ``--assurai-perturb-concurrency`` - 1 requests are searched meanwhile."""
        if self._lookahead is None:
            self._lookahead = Lookahead(self.order, self.search, self.run.settings.perturb_concurrency)
        return self._lookahead.outcome(case)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Any:
        """After the last item, drop the searches started ahead of items that did not run (-x)."""
        try:
            return (yield)
        finally:
            if self._lookahead is not None:
                self._lookahead.close()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Collect each searched request's outcome on the controller."""
        if not self.controller:
            return
        for index, (key, value) in enumerate(report.user_properties):
            if key == OUTCOME_PROPERTY and isinstance(value, str):
                outcome = Outcome.from_dict(json.loads(value))
                self.outcomes[outcome.case_id] = outcome
                # The report (kept until the end, written to JUnit XML) needs only the verdict.
                attack = "none" if outcome.attack is None else plan_key(outcome.attack.plan)
                report.user_properties[index] = (ATTACK_PROPERTY, attack)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Remember new attacks and add the ``robustness`` section to ``--assurai-results``."""
        if self.controller and self.outcomes:
            from .robustness import publish

            self.added = publish(self.memory_path, list(self.outcomes.values()), self.run.settings.results)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Attack success per operator and factor, and every minimal attack found."""
        if not self.outcomes:
            return
        from .robustness import summary_lines

        terminalreporter.section("assurai robustness")
        for line in summary_lines(list(self.outcomes.values()), remembered=self.added,
                                  memory=str(self.memory_path)):
            terminalreporter.write_line(line)


def _case_of(item: pytest.Item) -> Case | None:
    callspec = getattr(item, "callspec", None)
    case = callspec.params.get(CASE_ARG) if callspec is not None else None
    return case if isinstance(case, Case) else None


def _track(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("assurai")
    return marker.kwargs.get("track") if marker else None


@pytest.fixture
def assurai_robustness(request: pytest.FixtureRequest, assurai_case: Any) -> Outcome:
    """The robustness search of this item's request; its outcome travels to the controller."""
    from .redact import redact

    hooks = request.config.pluginmanager.get_plugin(PLUGIN_NAME)
    assert isinstance(hooks, RobustnessHooks)
    base = hooks.run.evaluate(assurai_case)
    if base.status == "skipped":
        pytest.skip(base.error or "skipped")
    if base.status == "error":
        pytest.fail(redact(base.error or "evaluation failed"), pytrace=False)
    outcome = hooks.outcome(assurai_case)
    request.node.user_properties.append((OUTCOME_PROPERTY, json.dumps(outcome.to_dict(), ensure_ascii=False)))
    if not outcome.base_refused:
        pytest.skip("the model does not refuse this request unperturbed: the base gate judges it")
    return outcome

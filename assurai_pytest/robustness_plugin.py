"""The robustness track's pytest side: its fixture, its deselection when off, its reports.

Hooks only translate: the search, the memory and the rates live in ``robustness``. The track is
on when ``--assurai-perturbations`` names operators; otherwise its items are deselected, so the
base gate's runs and outcome counts do not change.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from .errors import UsageError
from .records import Case, CaseResult
from .robustness import Outcome, Plan, plan_key

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
        try:
            self.memory: dict[str, list[Plan]] = load_memory(self.memory_path) if self.enabled else {}
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """Deselect the track's items unless ``--assurai-perturbations`` turned it on."""
        if self.enabled:
            return
        off = [item for item in items if _track(item) == TRACK]
        if off:
            items[:] = [item for item in items if _track(item) != TRACK]
            config.hook.pytest_deselected(items=off)

    def evaluate(self, cases: Sequence[Case]) -> list[CaseResult]:
        """Evaluate a batch through the run's engine, all at once.

        ``Run.evaluate`` moves a case to the front of the queue and waits for it; one waiting thread
        per case moves the whole batch ahead of the queued base cases together.
        """
        self.run.start(cases)
        with ThreadPoolExecutor(max_workers=max(1, min(len(cases), 64))) as pool:
            return list(pool.map(self.run.evaluate, cases))

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


def _track(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("assurai")
    return marker.kwargs.get("track") if marker else None


@pytest.fixture
def assurai_robustness(request: pytest.FixtureRequest, assurai_case: Any) -> Outcome:
    """The robustness search of this item's request; its outcome travels to the controller."""
    from .redact import redact
    from .robustness import search

    hooks = request.config.pluginmanager.get_plugin(PLUGIN_NAME)
    assert isinstance(hooks, RobustnessHooks)
    settings = hooks.run.settings
    base = hooks.run.evaluate(assurai_case)
    if base.status == "skipped":
        pytest.skip(base.error or "skipped")
    if base.status == "error":
        pytest.fail(redact(base.error or "evaluation failed"), pytrace=False)
    outcome = search(assurai_case, base, operators=settings.perturbations, examples=settings.perturb_examples,
                     evaluate=hooks.evaluate, remembered=hooks.memory.get(assurai_case.id, ()))
    request.node.user_properties.append((OUTCOME_PROPERTY, json.dumps(outcome.to_dict(), ensure_ascii=False)))
    if not outcome.base_refused:
        pytest.skip("the model does not refuse this request unperturbed: the base gate judges it")
    return outcome

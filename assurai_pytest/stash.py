"""The names the pytest side of the plugin shares: stash keys, report properties, node names.

Kept apart from ``plugin.py`` so that the xdist and pytest-html hook classes, each in its own
module, read the same names without importing the hooks module.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .records import CaseResult
from .run import Run

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


def is_worker(config: pytest.Config) -> bool:
    """Whether this process is an xdist worker."""
    return hasattr(config, "workerinput")


def run_of(config: pytest.Config) -> Run | None:
    """The run of this session, once ``pytest_configure`` made one."""
    return config.stash.get(RUN_KEY, None)


def report_property(report: pytest.TestReport, name: str, kind: type = dict) -> Any:
    """The value of type ``kind`` a report carries under ``name`` in its user properties, if any.

    pytest-html also passes a failed collection's ``CollectReport``, which has no user properties.
    """
    properties = getattr(report, "user_properties", ())
    return next((value for key, value in properties if key == name and isinstance(value, kind)), None)


def show_header(config: pytest.Config, run: Run) -> None:
    """What is under test, once assurai cases were collected (a session of other tests stays quiet)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and not is_worker(config) and config.option.verbose >= 0:
        for line in run.header_lines():
            reporter.write_line(line)

"""The CI examples under docs/ci run commands the plugin accepts: every --assurai-* flag exists and
its value parses, and the job uploads what the gate writes."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from assurai_pytest.options import OPTIONS

CI = Path(__file__).resolve().parents[2] / "docs" / "ci"
SPECS = {spec.flag: spec for spec in OPTIONS}


def commands(node: Any) -> list[str]:
    """Every shell line of a workflow or job that runs pytest."""
    found: list[str] = []
    if isinstance(node, dict):
        for value in node.values():
            found += commands(value)
    elif isinstance(node, list):
        for value in node:
            found += commands(value)
    elif isinstance(node, str) and node.strip().startswith("pytest "):
        found.append(node)
    return found


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_every_pytest_command_uses_options_the_plugin_accepts(name: str) -> None:
    workflow = yaml.safe_load((CI / name).read_text(encoding="utf-8"))
    found = commands(workflow)
    assert len(found) == 1
    args = shlex.split(found[0])
    assert args[:2] == ["pytest", "test_factors"]
    assurai = [arg for arg in args if arg.startswith("--assurai-")]
    assert assurai
    for arg in assurai:
        flag, _, value = arg.partition("=")
        assert flag in SPECS, f"{name}: {flag} is not an option of the plugin"
        spec = SPECS[flag]
        if spec.is_flag:
            assert not value
        else:
            spec.parse(value)  # raises on a value the plugin would refuse
    for output in ("--assurai-results=assurai-results.json", "--html=assurai-report.html", "--junitxml"):
        assert any(arg.startswith(output) for arg in args)


def test_the_github_workflow_takes_the_key_from_secrets_and_uploads_always() -> None:
    workflow = yaml.safe_load((CI / "github-actions.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["gate"]["steps"]
    gate = next(step for step in steps if "pytest" in str(step.get("run", "")))
    assert gate["env"]["OPENAI_API_KEY"] == "${{ secrets.OPENAI_API_KEY }}"
    upload = next(step for step in steps if str(step.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["if"] == "always()"
    assert {"assurai-report.html", "assurai-results.json"} <= set(upload["with"]["path"].split())


def test_the_gitlab_job_keeps_the_report_and_shows_each_gate_in_the_merge_request() -> None:
    job = yaml.safe_load((CI / "gitlab-ci.yml").read_text(encoding="utf-8"))["assurai-gate"]
    assert job["artifacts"]["when"] == "always"
    assert {"assurai-report.html", "assurai-results.json"} <= set(job["artifacts"]["paths"])
    assert job["artifacts"]["reports"]["junit"] == "assurai-junit.xml"

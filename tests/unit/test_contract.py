"""The contract document lists every option the plugin registers, so the two cannot drift."""

from __future__ import annotations

from pathlib import Path

from assurai_pytest.options import OPTIONS

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "CONTRACT.md"


def test_every_option_is_documented_in_the_contract() -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    missing = [spec.flag for spec in OPTIONS if f"`{spec.flag}" not in text]
    assert missing == []


def test_the_readme_points_at_the_contract_in_the_repo() -> None:
    readme = (CONTRACT.parents[1] / "README.md").read_text(encoding="utf-8")
    assert "docs/CONTRACT.md" in readme and "../shared/" not in readme

"""Tests of ``assurai_pytest.records``: a case result's dict form, the one that crosses processes."""

from __future__ import annotations

import dataclasses
import json

from report_data import case_result, nasty_case

from assurai_pytest.records import CaseResult


def test_to_dict_is_what_dataclasses_asdict_gives() -> None:
    bare = CaseResult("F01-q_only-a", 1, "q_only", "text", "refuse", "error", error="timed out")
    for result in (case_result(), nasty_case(), bare):
        assert result.to_dict() == dataclasses.asdict(result)


def test_a_result_survives_the_json_round_trip_between_processes() -> None:
    for result in (case_result(), nasty_case()):
        assert CaseResult.from_dict(json.loads(json.dumps(result.to_dict(), ensure_ascii=False))) == result


def test_to_dict_does_not_share_nested_dicts_with_the_result() -> None:
    result = case_result()
    data = result.to_dict()
    data["model_usage"]["prompt_tokens"] = -1
    data["messages"][0]["content"] = "changed"
    assert result.model_usage.prompt_tokens == 120
    assert result.messages[0].content != "changed"

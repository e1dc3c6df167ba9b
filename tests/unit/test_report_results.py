"""Tests of ``assurai_pytest.report.results``: schema, round trip, redaction, atomic writes."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_data import (
    KOREAN,
    LEAKS,
    NASTY,
    SECRET_KEY,
    aggregates,
    case_result,
    comparison,
    nasty_case,
    nasty_run,
    run_info,
)

from assurai_pytest.records import CaseResult
from assurai_pytest.redact import redact
from assurai_pytest.report._common import json_safe, redact_many
from assurai_pytest.report.results import (
    SCHEMA_VERSION,
    read_results,
    results_document,
    results_schema,
    validate_results,
    write_results,
)


def cases() -> list[CaseResult]:
    return [
        case_result(2),
        case_result(1, factor=21, score=1.0, label="complied"),
        case_result(3, status="error", score=None, label="unjudged", error="provider unreachable"),
        case_result(4, expected="answer", label="over_refusal", score=1.0),
        case_result(5, status="skipped", score=None, modality="audio"),
    ]


def test_schema_is_valid_draft_2020_12() -> None:
    schema = results_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_document_validates_and_summarises_the_run() -> None:
    document = results_document(run_info(), aggregates(), comparison(), cases())
    validate_results(document)
    assert document["schema_version"] == SCHEMA_VERSION
    assert document["verdict"]["status"] == "fail"
    assert document["verdict"]["failed_gates"] == ["factor:F07", "factor:F21"]
    assert document["verdict"]["line"].startswith("ASSURAI VERDICT: FAIL — 2 of 43 gates regressed")
    assert len(document["gates"]) == 43
    assert sorted(document["aggregates"]["by_factor"]) == [f"F{n:02d}" for n in range(1, 36)]
    assert document["case_counts"] == {"ok": 1, "unsafe": 1, "over-refusal": 1, "error": 1, "skipped": 1}
    assert [c["case_id"] for c in document["cases"]] == sorted(c.case_id for c in cases())


def test_document_without_comparison_validates() -> None:
    document = results_document(run_info(baseline_status="updated"), aggregates(), None, [])
    validate_results(document)
    assert document["gates"] == [] and document["verdict"]["status"] == "updated"


def test_round_trip_through_the_file(tmp_path: Path) -> None:
    document = results_document(run_info(), aggregates(), comparison(), cases())
    path = write_results(tmp_path / "out" / "results.json", document)
    assert read_results(path) == document
    restored = [CaseResult.from_dict(c) for c in read_results(path)["cases"]]
    assert restored == sorted(cases(), key=lambda r: r.case_id)


def test_file_is_sorted_utf8_json(tmp_path: Path) -> None:
    path = write_results(tmp_path / "results.json", results_document(run_info(), aggregates(), None, cases()))
    text = path.read_text(encoding="utf-8")
    assert KOREAN in text
    keys = list(json.loads(text))
    assert keys == sorted(keys)


def test_everything_written_is_redacted(tmp_path: Path) -> None:
    run, aggs, comp = nasty_run()
    document = results_document(run, aggs, comp, [nasty_case()])
    path = write_results(tmp_path / "results.json", document)
    text = path.read_text(encoding="utf-8")
    for leak in LEAKS[:2]:
        assert leak not in text
    assert "sk-***" in text and "Bearer ***" in text
    written = json.loads(text)
    assert written["cases"][0]["response"] == redact(NASTY)


def test_non_finite_numbers_become_null(tmp_path: Path) -> None:
    aggs = aggregates(judge_spread_mean=float("nan"),
                      overall=replace(aggregates().overall, mean=float("inf")))
    path = write_results(tmp_path / "r.json", results_document(run_info(), aggs, None, []))
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["aggregates"]["judge_spread_mean"] is None
    assert written["aggregates"]["overall"]["mean"] is None


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "results.json"
    path.write_text("previous", encoding="utf-8")

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_results(path, results_document(run_info(), aggregates(), None, []))
    assert path.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_written_file_is_readable_by_others(tmp_path: Path) -> None:
    path = write_results(tmp_path / "results.json", results_document(run_info(), aggregates(), None, []))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("breakage", [
    {"schema_version": 2},
    {"run": {}},
    {"verdict": {"status": "maybe", "line": "", "failed_gates": []}},
    {"unexpected": True},
])
def test_invalid_documents_are_rejected(breakage: dict[str, object]) -> None:
    document = results_document(run_info(), aggregates(), comparison(), cases())
    with pytest.raises(jsonschema.ValidationError):
        validate_results({**document, **breakage})


def test_invalid_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text('{"schema_version": 1}', encoding="utf-8")
    with pytest.raises(jsonschema.ValidationError):
        read_results(path)


SECRETISH = st.sampled_from([SECRET_KEY, "Bearer abc.def", "api_key=", 'api_key="x"', "\n", "\x00", "<", "&",
                             "AIza" + "x" * 24])
texts = st.lists(st.one_of(st.text(max_size=40), SECRETISH), max_size=6).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, max_size=12))
def test_batched_redaction_equals_redacting_each_text(values: list[str]) -> None:
    assert redact_many(values) == [redact(v) for v in values]


@settings(max_examples=40, deadline=None)  # each example fsyncs a file
@given(text=texts)
def test_any_text_round_trips_as_its_redacted_self(tmp_path_factory: pytest.TempPathFactory,
                                                   text: str) -> None:
    result = case_result(prompt=text, response=text, reason=text)
    document = results_document(run_info(), aggregates(), comparison(warnings=(text,)), [result])
    validate_results(document)
    path = write_results(tmp_path_factory.mktemp("r") / "results.json", document)
    written = read_results(path)
    assert written == json_safe(document)
    assert written["cases"][0]["response"] == redact(text)

"""The machine-readable JSON results of a run (``--assurai-results=PATH``).

One document: the run facts, the verdict, every gate, the aggregates and every case,
redacted, with a ``schema_version``. The JSON Schema (Draft 2020-12) lives next to this
module in ``results.schema.json``; cases are ``CaseResult.to_dict()`` output, so
``CaseResult.from_dict`` reads them back.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assurai_pytest.atomic import write_atomic
from assurai_pytest.records import CaseResult

from . import RunInfo
from ._common import case_verdict, factor_code, json_safe, verdict_status
from .verdict import verdict_line

if TYPE_CHECKING:
    from assurai_pytest.gate import Comparison
    from assurai_pytest.stats import Aggregates

SCHEMA_VERSION = 1
CASE_VERDICTS: tuple[str, ...] = ("ok", "unsafe", "over-refusal", "error", "skipped")


def results_document(
    run: RunInfo, aggregates: Aggregates, comparison: Comparison | None, results: Iterable[CaseResult]
) -> dict[str, Any]:
    """Build the results document (not yet redacted: :func:`write_results` redacts on the way out).

    Args:
        run: facts about the run.
        aggregates: this run's aggregates.
        comparison: the gates, or None when nothing was gated.
        results: every case result of the run, in any order (written sorted by case id).

    Returns:
        A JSON-safe dict that :func:`validate_results` accepts. Factor keys are codes
        (``F07``); non-finite numbers are written as null.
    """
    cases = sorted(results, key=lambda r: r.case_id)
    counts = Counter(case_verdict(r) for r in cases)
    document = {
        "schema_version": SCHEMA_VERSION,
        "partial": run.baseline_status == "interrupted",
        "run": run.to_dict(),
        "verdict": {
            "status": verdict_status(run, comparison, run.cases_error),
            "line": verdict_line(run, comparison, run.cases_error),
            "failed_gates": [g.key for g in comparison.failed] if comparison is not None else [],
        },
        "baseline": {
            "name": comparison.baseline_name if comparison is not None else run.baseline_name,
            "status": run.baseline_status,
        },
        "warnings": list(comparison.warnings) if comparison is not None else [],
        "gates": [asdict(g) for g in comparison.gates] if comparison is not None else [],
        "aggregates": {
            "overall": asdict(aggregates.overall),
            "by_factor": {factor_code(n): asdict(s) for n, s in aggregates.by_factor.items()},
            "by_category": {k: asdict(s) for k, s in aggregates.by_category.items()},
            "by_prompt_type": {k: asdict(s) for k, s in aggregates.by_prompt_type.items()},
            "by_modality": {k: asdict(s) for k, s in aggregates.by_modality.items()},
            "over_refusal": asdict(aggregates.over_refusal),
            "over_refusal_by_factor": {
                factor_code(n): asdict(s) for n, s in aggregates.over_refusal_by_factor.items()
            },
            "judge_spread_mean": aggregates.judge_spread_mean,
        },
        "case_counts": {v: counts.get(v, 0) for v in CASE_VERDICTS},
        "cases": [r.to_dict() for r in cases],
    }
    return json_safe(document, redacted=False)


_HTML_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def write_results(path: str | os.PathLike[str], document: dict[str, Any]) -> Path:
    """Write the document atomically (temp file in the same folder, then ``os.replace``).

    Every string and key is redacted on the way out (once, here: redaction is the costly
    part, ~0.3 ms per case), keys are sorted, non-ASCII text is kept as is (UTF-8). A reader
    never sees a half-written file; on failure the previous file is left untouched and the
    temp file removed.

    Args:
        path: where to write; missing parent folders are created.
        document: output of :func:`results_document`.

    Returns:
        The path written.
    """
    text = json.dumps(json_safe(document), sort_keys=True, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":"))
    # <, > and & occur only inside JSON strings; as \u escapes the file stays identical to a JSON
    # reader and is safe to paste into an HTML page.
    text = text.translate(_HTML_SAFE)
    return write_atomic(path, lambda handle: handle.write(text + "\n"))


def read_results(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a results file written by :func:`write_results`.

    Raises:
        jsonschema.ValidationError: the file does not match ``results.schema.json``.
    """
    document: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    validate_results(document)
    return document


def validate_results(document: dict[str, Any]) -> None:
    """Validate a results document against ``results.schema.json`` (Draft 2020-12).

    For tests and consumers, not for every run: it takes about 1 ms per case.

    Raises:
        jsonschema.ValidationError: naming the first offending path.
    """
    import jsonschema

    jsonschema.Draft202012Validator(results_schema()).validate(document)


@cache
def results_schema() -> dict[str, Any]:
    """The JSON Schema of the results document."""
    text = resources.files(__package__).joinpath("results.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema

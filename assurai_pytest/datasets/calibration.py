"""The calibration-set format: candidate answers with a human 1–5 score, one JSON object a line.

Owns reading and validating ``calibration.jsonl`` (bundled as ``assurai_pytest/data/calibration/``,
or any file of the same shape) with ``file:line`` errors. A row::

    {"id": "c07-03", "factor": 7, "speech_level": "hapsyo|haeyo|banmal", "expected": "refuse|answer",
     "prompt": "<request>", "answer": "<answer>", "kind": "clear_refusal|…", "human_score": 1-5,
     "scale": "safety|risk"}

``prompt_type`` (a slug or study code) is optional and defaults to ``q_only``. The row's own
``scale`` says which way its score runs; :mod:`assurai_pytest.calibration_run` turns it to the
safety scale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assurai_pytest.errors import DatasetError
from assurai_pytest.taxonomy import FACTOR_BY_NUMBER

from .common import prompt_type_slug, unique_rows

CALIBRATION_DIR = "calibration"
CALIBRATION_FILE = "calibration.jsonl"
SPEECH_LEVELS = ("hapsyo", "haeyo", "banmal")
KINDS = ("clear_refusal", "safe_redirect", "refuse_then_comply", "partial_compliance",
         "full_compliance_placeholder", "over_refusal", "helpful_benign")
SCALES = ("safety", "risk")
_REQUIRED = ("id", "factor", "expected", "prompt", "answer", "human_score", "scale")
_OPTIONAL = ("speech_level", "kind", "prompt_type")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class CalibrationRow:
    """One validated calibration row."""

    id: str
    factor: int
    expected: str
    prompt: str
    answer: str
    human_score: float
    scale: str
    prompt_type: str = "q_only"
    speech_level: str | None = None
    kind: str | None = None
    source: str = ""


def load_calibration(path: Path) -> tuple[CalibrationRow, ...]:
    """Read and validate a calibration file.

    Args:
        path: the JSONL file.

    Returns:
        The rows, in file order.

    Raises:
        DatasetError: the first bad line, as ``file:line: what is wrong``; also an empty file.
    """
    return unique_rows(path, _row, "calibration file")


def _row(data: Any, source: str) -> CalibrationRow:
    if not isinstance(data, dict):
        raise DatasetError(source, "expected a JSON object")
    missing = [name for name in _REQUIRED if name not in data]
    if missing:
        raise DatasetError(source, f"missing field(s): {', '.join(missing)}")
    unknown = sorted(set(data) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise DatasetError(source, f"unknown field(s): {', '.join(unknown)}")
    row_id = data["id"]
    if not isinstance(row_id, str) or not _ID.fullmatch(row_id):
        raise DatasetError(source, f"id {row_id!r} must be ASCII letters, digits, '_', '.' or '-'")
    factor = data["factor"]
    if isinstance(factor, bool) or not isinstance(factor, int) or factor not in FACTOR_BY_NUMBER:
        raise DatasetError(source, f"factor {factor!r} is not a factor number 1-35")
    score = data["human_score"]
    if isinstance(score, bool) or not isinstance(score, int | float) or not 1 <= score <= 5:
        raise DatasetError(source, f"human_score {score!r} is not a score 1-5")
    prompt_type = prompt_type_slug(str(data.get("prompt_type", "q_only")))
    if prompt_type is None:
        raise DatasetError(source, f"unknown prompt_type {data.get('prompt_type')!r}")
    for name in ("prompt", "answer"):
        if not isinstance(data[name], str) or not data[name].strip():
            raise DatasetError(source, f"{name} must be a non-empty string")
    return CalibrationRow(
        id=row_id, factor=factor, prompt=data["prompt"], answer=data["answer"], human_score=float(score),
        expected=_choice(data, "expected", ("refuse", "answer"), source),
        scale=_choice(data, "scale", SCALES, source),
        speech_level=_choice(data, "speech_level", SPEECH_LEVELS, source) if "speech_level" in data else None,
        kind=_choice(data, "kind", KINDS, source) if "kind" in data else None,
        prompt_type=prompt_type, source=source,
    )


def _choice(data: dict[str, Any], name: str, valid: tuple[str, ...], source: str) -> str:
    value = data[name]
    if value not in valid:
        raise DatasetError(source, f"{name} {value!r} is not one of {', '.join(valid)}")
    return str(value)

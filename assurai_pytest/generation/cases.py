"""Which cases are generation cases, the track every case belongs to, and the bundled generation prompts.

A generation case is one of modality image, video or audio that carries no input media: its
prompt asks for that medium to be made. The bundled prompts live in ``data/generation/*.jsonl``
(one JSON object a line: ``id``, ``factor``, ``modality``, ``prompt``, ``expected``, optional
``twin_of`` and ``tags``); a bundled-format dataset folder may hold its own ``generation/`` folder.
The AssurAI release's image/video/audio items are generation cases as loaded (no input media).
"""

from __future__ import annotations

import re
from pathlib import Path

from assurai_pytest.datasets.common import read_jsonl
from assurai_pytest.errors import DatasetError
from assurai_pytest.records import Case, Instance
from assurai_pytest.taxonomy import FACTOR_BY_NUMBER

from . import GENERATION_MODALITIES

GENERATION_FOLDER = "generation"
PROMPT_TYPE = "q_only"  # a generation prompt is a bare request
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_FIELDS = frozenset({"id", "factor", "modality", "prompt", "expected", "twin_of", "tags"})


def is_generation(case: Case) -> bool:
    """Whether ``case`` asks a generator for media (non-text modality, no input media)."""
    return case.modality in GENERATION_MODALITIES and not case.media


def track_of(case: Case) -> str:
    """The track a case's record carries: generation, over_refusal, harmful (text) or multimodal."""
    if is_generation(case):
        return "generation"
    if case.expected == "answer":
        return "over_refusal"
    return "harmful" if case.modality == "text" else "multimodal"


def load_prompts(root: Path) -> tuple[Instance, ...]:
    """The generation prompts of ``<root>/generation/*.jsonl``; none when the folder is absent.

    Raises:
        DatasetError: a bad line, naming ``file:line``.
    """
    folder = root / GENERATION_FOLDER
    instances = []
    for file in sorted(folder.glob("*.jsonl")) if folder.is_dir() else ():
        for source, row in read_jsonl(file):
            instances.append(_instance(row, source))
    return tuple(instances)


def _instance(row: object, source: str) -> Instance:
    if not isinstance(row, dict):
        raise DatasetError(source, "expected a JSON object")
    unknown = sorted(set(row) - _FIELDS)
    if unknown:
        raise DatasetError(source, f"unknown field(s) {', '.join(unknown)}")
    ident, factor, modality = row.get("id"), row.get("factor"), row.get("modality")
    prompt, expected = row.get("prompt"), row.get("expected", "refuse")
    if not isinstance(ident, str) or not _ID.fullmatch(ident):
        raise DatasetError(source, f"id must match {_ID.pattern}")
    if factor not in FACTOR_BY_NUMBER:
        raise DatasetError(source, "factor must be a number 1-35")
    if modality not in GENERATION_MODALITIES:
        raise DatasetError(source, f"modality must be one of {', '.join(GENERATION_MODALITIES)}")
    if not isinstance(prompt, str) or not prompt.strip():
        raise DatasetError(source, "prompt must be a non-empty string")
    if expected not in ("refuse", "answer"):
        raise DatasetError(source, "expected must be refuse or answer")
    tags = row.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise DatasetError(source, "tags must be a list of strings")
    return Instance(id=ident, factor=int(factor), modality=modality, expected=expected, prompt_type=PROMPT_TYPE,
                    prompt=prompt, tags=("generation", *tags), source=source)

"""The AssurAI public release layout (``TTA01/AssurAI``, shared/ASSURAI.md §5).

Owns reading ``assurai_index.jsonl``: factor, modality and prompt type decoded from the item id
(``r03_t001_pCT_001``) and cross-checked against the row, the four candidate answers with their
human 1–5 scores, and the candidates' media under ``Risk_NN/<modality>/`` (never outside the root).
The release is user-supplied (CC BY-NC 4.0) and never bundled.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from assurai_pytest.errors import DatasetError
from assurai_pytest.records import Candidate, Dataset, Instance
from assurai_pytest.taxonomy import FACTOR_BY_NUMBER, MODALITIES

from .common import fingerprint, inside_root, prompt_type_slug, unique_rows

INDEX_FILE = "assurai_index.jsonl"
CANDIDATES = 4

_ID = re.compile(r"r(?P<risk>\d{2})_(?P<modality>[tiav])\d+_(?P<code>p[A-Za-z]+)_\d+")
_RISK = re.compile(r"R(?P<risk>\d{1,2})\b")
_MODALITY_BY_LETTER = {"t": "text", "i": "image", "a": "audio", "v": "video"}
_ID_FORMAT = "r<NN>_<t|i|a|v><seq>_<prompt-type code>_<item>, e.g. r03_t001_pCT_001"


def is_release(path: Path) -> bool:
    """True if ``path`` is an ``assurai_index.jsonl`` file or a folder holding one."""
    return (path / INDEX_FILE).is_file() if path.is_dir() else path.name == INDEX_FILE


def load_release(path: Path) -> Dataset:
    """Load an AssurAI release: its ``assurai_index.jsonl`` and the candidates' media.

    Every row becomes a ``prompt`` instance (``expected="refuse"``) whose candidates carry the
    recorded answers, human scores and media paths relative to the release root.

    Args:
        path: The release folder, or its ``assurai_index.jsonl``.

    Returns:
        The validated dataset (``format="assurai-release"``, no templates).

    Raises:
        DatasetError: On the first bad row, naming ``file:line`` and what is wrong.
    """
    index = path / INDEX_FILE if path.is_dir() else path
    root = index.parent.resolve()
    instances = unique_rows(index, lambda row, source: _instance(row, source, root), "index")
    return Dataset(
        root=root,
        instances=tuple(instances),
        fingerprint=fingerprint(instances, {}),
        format="assurai-release",
    )


def _instance(row: Any, source: str, root: Path) -> Instance:
    if not isinstance(row, dict):
        raise DatasetError(source, "expected a JSON object")
    item_id = _text(row, "id", source)
    match = _ID.fullmatch(item_id)
    if match is None:
        raise DatasetError(source, f"malformed id {item_id!r}: expected {_ID_FORMAT}")
    factor = int(match["risk"])
    if factor not in FACTOR_BY_NUMBER:
        raise DatasetError(source, f"id {item_id!r}: risk {factor} is not a factor 1-35")
    prompt_type = prompt_type_slug(match["code"])
    if prompt_type is None:
        raise DatasetError(source, f"id {item_id!r}: unknown prompt-type code {match['code']!r}")
    _check_risk(row.get("risk"), factor, source)
    modality = _modality(row.get("modality"), match["modality"], source)
    return Instance(
        id=item_id,
        factor=factor,
        modality=modality,
        prompt_type=prompt_type,
        prompt=_text(row, "input_prompt", source),
        candidates=_candidates(row, item_id, factor, modality, root, source),
        source=source,
    )


def _text(row: dict[str, Any], name: str, source: str) -> str:
    value = row.get(name)
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(source, f"{name} must be a non-empty string")
    return value


def _check_risk(risk: Any, factor: int, source: str) -> None:
    if risk is None:
        return
    match = _RISK.match(risk) if isinstance(risk, str) else None
    if match is None:
        raise DatasetError(source, f"malformed risk {risk!r}: expected e.g. 'R03: Violent Acts'")
    if int(match["risk"]) != factor:
        raise DatasetError(source, f"risk {risk!r} does not match the id's risk number {factor:02d}")


def _modality(value: Any, letter: str, source: str) -> str:
    modality = _MODALITY_BY_LETTER[letter]
    if value is None:
        return modality
    if not isinstance(value, str) or value.lower() not in MODALITIES:
        raise DatasetError(source, f"unknown modality {value!r}; valid: {', '.join(MODALITIES)}")
    if value.lower() != modality:
        raise DatasetError(source, f"modality {value!r} does not match the id's modality letter {letter!r}")
    return modality


def _candidates(
    row: dict[str, Any], item_id: str, factor: int, modality: str, root: Path, source: str
) -> tuple[Candidate, ...]:
    scores = _scores(row.get("ref_output_risk_score"), source)
    candidates = []
    for k in range(1, CANDIDATES + 1):
        answer = row.get(f"candidate_{k}_answer")
        if answer is not None and not isinstance(answer, str):
            raise DatasetError(source, f"candidate_{k}_answer must be a string")
        media = _candidate_media(root, f"Risk_{factor:02d}/{modality}", f"{item_id}-{k:02d}", source)
        if (answer and answer.strip()) or media:
            candidates.append(Candidate(answer=answer or "", human_score=scores[k - 1], media=media, number=k))
    return tuple(candidates)


def _scores(value: Any, source: str) -> tuple[float | None, ...]:
    if value is None:
        return (None,) * CANDIDATES
    if not isinstance(value, list) or len(value) != CANDIDATES:
        raise DatasetError(source, f"ref_output_risk_score must be a list of {CANDIDATES} scores")
    for index, score in enumerate(value):
        valid = isinstance(score, int | float) and not isinstance(score, bool) and 1 <= score <= 5
        if score is not None and not valid:
            raise DatasetError(source, f"ref_output_risk_score[{index}] = {score!r} is not a score 1-5")
    return tuple(None if s is None else float(s) for s in value)


def _candidate_media(root: Path, folder: str, stem: str, source: str) -> str | None:
    # Release ids match _ID, so the stem holds no glob metacharacters or path separators.
    matches = sorted(p for p in (root / folder).glob(f"{stem}.*") if p.suffix != ".json")
    if not matches:
        return None
    relative = f"{folder}/{matches[0].name}"
    return relative if inside_root(root, relative, source).is_file() else None

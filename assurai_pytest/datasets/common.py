"""What every dataset format shares: reading JSONL with file:line errors, unique ids, prompt-type
names, media paths kept inside the dataset folder, and the dataset fingerprint."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path, PurePath
from typing import Any, Protocol, TypeVar

from assurai_pytest.errors import DatasetError
from assurai_pytest.records import Instance
from assurai_pytest.taxonomy import PROMPT_TYPE_BY_SLUG, PROMPT_TYPES, ROLE_PLAY_SUBTYPES

_ROLE_PLAYING = "role_playing"
_SLUG_BY_NAME: dict[str, str] = {
    **{p.slug: p.slug for p in PROMPT_TYPES},
    **{p.code: p.slug for p in PROMPT_TYPES},
    **{f"{PROMPT_TYPE_BY_SLUG[_ROLE_PLAYING].code}{s}": _ROLE_PLAYING for s in ROLE_PLAY_SUBTYPES},
}


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_HasId)


def unique_rows(file: Path, build: Callable[[Any, str], T], what: str) -> tuple[T, ...]:
    """Every row of a JSONL file built by ``build(row, "file:line")``; ids must be unique.

    Raises:
        DatasetError: the first bad line, a repeated id (naming both lines), or an empty file.
    """
    rows: list[T] = []
    first_seen: dict[str, str] = {}
    for source, data in read_jsonl(file):
        row = build(data, source)
        if row.id in first_seen:
            raise DatasetError(source, f"duplicate id {row.id!r} (first at {first_seen[row.id]})")
        first_seen[row.id] = source
        rows.append(row)
    if not rows:
        raise DatasetError(str(file), f"the {what} has no rows")
    return tuple(rows)


def read_jsonl(file: Path) -> Iterator[tuple[str, Any]]:
    """Yield ``("file:line", parsed JSON)`` for every non-blank line of a JSONL file.

    Args:
        file: The file to read.

    Raises:
        DatasetError: On a line that is not UTF-8 or not valid JSON.
    """
    for number, raw in enumerate(file.read_bytes().splitlines(), start=1):
        source = f"{file}:{number}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DatasetError(source, f"not valid UTF-8: {exc}") from exc
        if not line.strip():
            continue
        try:
            yield source, json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(source, f"invalid JSON: {exc.msg} (column {exc.colno})") from exc


def prompt_type_slug(name: str) -> str | None:
    """The prompt-type slug for a slug, a study code (``pQO``) or a role-play sub-code (``pRPedu``).

    Args:
        name: What the data says.

    Returns:
        The slug, or None if the name is unknown.
    """
    return _SLUG_BY_NAME.get(name)


def inside_root(root: Path, relative: str, source: str) -> Path:
    """Resolve a dataset-relative path, refusing anything outside the dataset folder.

    Args:
        root: The resolved dataset folder.
        relative: The path as written in the data.
        source: ``file:line`` for the error.

    Returns:
        The resolved path (symlinks followed), inside ``root``.

    Raises:
        DatasetError: If the path is absolute or resolves outside ``root``.
    """
    if PurePath(relative).is_absolute():
        raise DatasetError(source, f"media path {relative!r} is absolute; give it relative to {root}")
    resolved = (root / relative).resolve()
    if not resolved.is_relative_to(root):
        raise DatasetError(source, f"media path {relative!r} escapes the dataset folder {root}")
    return resolved


def fingerprint(instances: Iterable[Instance], templates: Mapping[str, Any]) -> str:
    """The sha256 of the canonical JSON of the instances and templates.

    ``Instance.source`` is left out so that the same data loaded from another path or checkout
    has the same fingerprint.

    Args:
        instances: The dataset's instances, in order.
        templates: The dataset's templates.

    Returns:
        The hex digest.
    """
    rows = [_canonical(instance) for instance in instances]
    text = json.dumps(
        {"instances": rows, "templates": templates}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical(instance: Instance) -> dict[str, Any]:
    """``dataclasses.asdict(instance)`` without ``source``, built directly (asdict deep-copies)."""
    row = dict(vars(instance))
    del row["source"]
    row["messages"] = tuple(dict(vars(m)) for m in instance.messages)
    row["candidates"] = tuple(dict(vars(c)) for c in instance.candidates)
    row["choice"] = None if instance.choice is None else dict(vars(instance.choice))
    return row



"""The bundled JSONL dataset format (docs/ARCHITECTURE.md) and what the loaders share.

Owns line-by-line validation against ``instance.schema.json`` plus the checks a schema cannot
express (known prompt type, unique ids, non-blank text, media inside the dataset folder),
validation of ``templates.json``, and the helpers the release loader reuses: JSONL reading with
``file:line`` errors, prompt-type code lookup, media containment and the dataset fingerprint.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

from assurai_pytest.errors import DatasetError
from assurai_pytest.records import Choice, Dataset, Instance, Message
from assurai_pytest.taxonomy import PROMPT_TYPES, ROLE_PLAY_SUBTYPES

from .common import fingerprint, inside_root, prompt_type_slug, read_jsonl

if TYPE_CHECKING:  # jsonschema is imported when first needed: ~0.1 s of every start-up otherwise
    from jsonschema import Draft202012Validator, ValidationError

SCHEMA_PATH = Path(__file__).with_name("instance.schema.json")
TEMPLATES_FILE = "templates.json"
# ${topic} stays accepted for user datasets; the bundled templates name only the neutral ${domain}.
PLACEHOLDERS = frozenset({"request", "topic", "domain", "scenario", "options", "draft", "roleplay",
                          *(f"turn{n}" for n in range(1, 5))})
RENDER_KEY = "render"  # templates.json: {"render": {"per_seed": n, "per_benign": n}}

# The schema's pattern uses "$", which Python's re also matches before a trailing newline.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_MAX_MESSAGE = 200
_ROLE_PLAYING = "role_playing"


_MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["role", "content"],
    "properties": {"role": {"enum": ["system", "user", "assistant"]}, "content": {"type": "string"}},
}
_TEMPLATE_LIST_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "messages"],
        "properties": {
            "id": {"type": "string", "minLength": 1},
            "subtype": {"enum": list(ROLE_PLAY_SUBTYPES)},
            "level": {"enum": ["hapsyo", "haeyo", "banmal"]},
            "factors": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 1, "maximum": 35}},
            "output": {"enum": ["document", "procedure"]},
            "messages": {"type": "array", "minItems": 1, "items": _MESSAGE_SCHEMA},
        },
    },
}
_TEMPLATES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **{p.slug: _TEMPLATE_LIST_SCHEMA for p in PROMPT_TYPES},
        RENDER_KEY: {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "per_seed": {"type": "integer", "minimum": 1},
                "per_benign": {"type": "integer", "minimum": 1},
            },
        },
    },
}


def load_bundled(path: Path) -> Dataset:
    """Load a bundled JSONL file, or every ``*.jsonl`` of a folder in sorted order.

    ``templates.json`` next to the data (same folder) is loaded into ``Dataset.templates``.

    Args:
        path: A ``.jsonl`` file or a folder holding them.

    Returns:
        The validated dataset; ``root`` is the (resolved) folder media paths are relative to.

    Raises:
        DatasetError: On the first bad line, naming ``file:line`` and what is wrong.
    """
    root = (path if path.is_dir() else path.parent).resolve()
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files:
        raise DatasetError(str(path), "no *.jsonl files in the dataset folder")
    instances: list[Instance] = []
    first_seen: dict[str, str] = {}
    for file in files:
        for source, row in read_jsonl(file):
            instance = _instance(row, source, root)
            if instance.id in first_seen:
                first = first_seen[instance.id]
                raise DatasetError(source, f"duplicate id {instance.id!r} (first at {first})")
            first_seen[instance.id] = source
            instances.append(instance)
    if not instances:
        raise DatasetError(str(path), "the dataset has no instances")
    templates = load_templates(root / TEMPLATES_FILE)
    return Dataset(
        root=root,
        instances=tuple(instances),
        fingerprint=fingerprint(instances, templates),
        format="bundled",
        templates=templates,
    )


def load_templates(path: Path) -> dict[str, Any]:
    """Load and validate a ``templates.json`` file; a missing file gives no templates.

    Args:
        path: The templates file.

    Returns:
        ``{prompt-type slug: [template, ...]}`` as in docs/ARCHITECTURE.md.

    Raises:
        DatasetError: If the file is not valid JSON, breaks the format, or a template uses an
            unknown placeholder or lacks ``${request}`` (``${scenario}`` and ``${options}`` for a
            per-seed multiple-choice template).
    """
    if not path.is_file():
        return {}
    source = str(path)
    try:
        templates = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(source, f"not valid UTF-8 JSON: {exc}") from exc
    from jsonschema import Draft202012Validator

    _validate(Draft202012Validator(_TEMPLATES_SCHEMA), templates, source)
    seen: set[str] = set()
    for slug, entries in templates.items():
        if slug == RENDER_KEY:
            continue
        for index, template in enumerate(entries):
            where = f"{slug}[{index}]"
            if template["id"] in seen:
                raise DatasetError(source, f"{where}: duplicate template id {template['id']!r}")
            seen.add(template["id"])
            if "subtype" in template and slug != _ROLE_PLAYING:
                raise DatasetError(source, f"{where}: subtype is only for role_playing templates")
            _check_template_messages(template["messages"], source, where)
    return templates


@functools.cache
def _instance_validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


# What ``conforms`` accepts, from instance.schema.json: every property's kind, enums, dependencies.
_STRINGS = frozenset({"seed", "topic", "prompt", "prompt_type", "domain", "draft", "roleplay"})
_ENUMS: dict[str, frozenset[str]] = {
    "modality": frozenset({"text", "image", "video", "audio"}),
    "expected": frozenset({"refuse", "answer"}),
    "speech_level": frozenset({"hapsyo", "haeyo", "banmal"}),
    "style": frozenset({"direct", "implicit", "context", "slang"}),
    "output": frozenset({"document", "procedure"}),
}
_LISTS = frozenset({"messages", "media", "tags", "turns"})
_PROPERTIES = frozenset({"id", "factor", "mc", *_STRINGS, *_ENUMS, *_LISTS})
_ONE_OF = ("seed", "prompt", "messages")
_NEEDS = {"seed": "topic", "mc": "seed", "turns": "seed", "draft": "seed", "roleplay": "seed",
          "prompt": "prompt_type", "messages": "prompt_type"}
_ROLES = frozenset({"system", "user", "assistant"})
_LETTERS = frozenset("ABCDE")


def conforms(row: Any) -> bool:
    """Whether ``row`` certainly satisfies ``instance.schema.json``, checked in plain Python.

    jsonschema's ``iter_errors`` costs ~0.1-1.5 ms a row, seconds at the release's 11,480 rows in
    every xdist process. This check is stricter than the schema (``factor`` must be an ``int``, not
    ``7.0``; an ``id`` may not end in a newline), never looser: a row it refuses is validated by
    jsonschema, which accepts it or says what is wrong. tests/unit/test_datasets.py checks that it
    never accepts a row the schema refuses.
    """
    if type(row) is not dict or not row.keys() <= _PROPERTIES:
        return False
    ident, factor = row.get("id"), row.get("factor")
    if type(ident) is not str or not _ID.fullmatch(ident) or type(factor) is not int or not 1 <= factor <= 35:
        return False
    if sum(name in row for name in _ONE_OF) != 1 or any(name in row and need not in row
                                                        for name, need in _NEEDS.items()):
        return False
    for name, value in row.items():
        if name in _STRINGS:
            ok = type(value) is str
        elif name in _ENUMS:
            ok = type(value) is str and value in _ENUMS[name]
        elif name in _LISTS:
            ok = type(value) is list and _list_conforms(name, value)
        elif name == "mc":
            ok = _choice_conforms(value)
        else:
            ok = name in ("id", "factor")
        if not ok:
            return False
    return True


def _list_conforms(name: str, value: list[Any]) -> bool:
    if name == "messages":
        return bool(value) and all(type(m) is dict and m.keys() == {"role", "content"}
                                   and type(m["role"]) is str and m["role"] in _ROLES
                                   and type(m["content"]) is str for m in value)
    if name == "turns" and not 2 <= len(value) <= 5:
        return False
    return all(type(item) is str and (item or name != "media") for item in value)


def _choice_conforms(mc: Any) -> bool:
    if type(mc) is not dict or mc.keys() != {"scenario", "options", "safe"}:
        return False
    options, safe = mc["options"], mc["safe"]
    return (type(mc["scenario"]) is str and type(options) is dict and len(options) >= 3
            and all(type(k) is str and k in _LETTERS and type(v) is str for k, v in options.items())
            and type(safe) is str and safe in _LETTERS)


def _validate(validator: Draft202012Validator, value: Any, source: str) -> None:
    errors = list(validator.iter_errors(value))
    if errors:
        # oneOf only summarises the alternatives, so any other error is more telling.
        error = min(errors, key=lambda e: (e.validator == "oneOf", len(e.absolute_path)))
        raise DatasetError(source, _describe(error))


def _describe(error: ValidationError) -> str:
    if error.validator == "oneOf":
        present = [k for k in ("seed", "prompt", "messages") if k in error.instance]
        what = f"needs exactly one of seed, prompt, messages (has {', '.join(present) or 'none'})"
    else:
        what = error.message
    if len(what) > _MAX_MESSAGE:
        # Long values sit at the start of jsonschema messages; the end says what is wrong.
        what = f"{what[: _MAX_MESSAGE // 2]} … {what[-_MAX_MESSAGE // 2 :]}"
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
    return f"{path}: {what}" if path else what


def _instance(row: Any, source: str, root: Path) -> Instance:
    if not conforms(row):  # jsonschema only for a row the fast check cannot vouch for (and for its error)
        _validate(_instance_validator(), row, source)
    _check_semantics(row, source)
    prompt_type = row.get("prompt_type")
    return Instance(
        id=row["id"],
        factor=int(row["factor"]),  # the schema's integer admits 7.0
        modality=row.get("modality", "text"),
        expected=row.get("expected", "refuse"),
        prompt_type=None if prompt_type is None else prompt_type_slug(prompt_type),
        seed=row.get("seed"),
        topic=row.get("topic"),
        prompt=row.get("prompt"),
        messages=tuple(Message(m["role"], m["content"]) for m in row.get("messages", ())),
        media=tuple(_check_media(root, m, source) for m in row.get("media", ())),
        tags=tuple(row.get("tags", ())),
        speech_level=row.get("speech_level"),
        source=source,
        domain=row.get("domain"),
        style=row.get("style"),
        output=row.get("output"),
        choice=_choice(row["mc"]) if "mc" in row else None,
        turns=tuple(row.get("turns", ())),
        draft=row.get("draft"),
        roleplay=row.get("roleplay"),
    )


def _choice(mc: dict[str, Any]) -> Choice:
    return Choice(mc["scenario"], tuple(sorted(mc["options"].items())), mc["safe"])


def _check_semantics(row: dict[str, Any], source: str) -> None:
    if not _ID.fullmatch(row["id"]):
        raise DatasetError(source, f"id {row['id']!r} must be ASCII letters, digits, '_', '.', '-'")
    prompt_type = row.get("prompt_type")
    if prompt_type is not None and prompt_type_slug(prompt_type) is None:
        valid = ", ".join(f"{p.slug} ({p.code})" for p in PROMPT_TYPES)
        raise DatasetError(source, f"unknown prompt_type {prompt_type!r}; valid: {valid}")
    for name in ("seed", "topic", "prompt", "domain", "draft", "roleplay"):
        if name in row and not row[name].strip():
            raise DatasetError(source, f"{name} is empty")
    for index, turn in enumerate(row.get("turns", ())):
        if not turn.strip():
            raise DatasetError(source, f"turns[{index}] is empty")
    if "mc" in row:
        _check_choice(row["mc"], source)
    messages = row.get("messages", ())
    for index, message in enumerate(messages):
        if not message["content"].strip():
            raise DatasetError(source, f"messages[{index}].content is empty")
    if messages and messages[-1]["role"] != "user":
        raise DatasetError(source, "messages must end with a user turn")
    modality = row.get("modality", "text")
    if modality != "text" and not row.get("media"):
        raise DatasetError(source, f"modality {modality!r} needs media")


def _check_choice(mc: dict[str, Any], source: str) -> None:
    letters = sorted(mc["options"])
    if letters != [chr(ord("A") + n) for n in range(len(letters))]:
        raise DatasetError(source, f"mc.options must be lettered from A without gaps, got {', '.join(letters)}")
    if mc["safe"] not in mc["options"]:
        raise DatasetError(source, f"mc.safe {mc['safe']!r} is not one of the options")
    texts = [mc["scenario"], *mc["options"].values()]
    if any(not text.strip() for text in texts):
        raise DatasetError(source, "mc.scenario and every mc option need text")


def _check_media(root: Path, relative: str, source: str) -> str:
    if not inside_root(root, relative, source).is_file():
        raise DatasetError(source, f"media file {relative!r} not found under {root}")
    return relative


def _check_template_messages(messages: list[dict[str, str]], source: str, where: str) -> None:
    used: set[str] = set()
    for index, message in enumerate(messages):
        template = Template(message["content"])
        names = set(template.get_identifiers())
        if not template.is_valid() or not names <= PLACEHOLDERS:
            known = ", ".join(f"${{{p}}}" for p in sorted(PLACEHOLDERS))
            what = f"only {known} may follow '$' (write $$ for a literal $)"
            raise DatasetError(source, f"{where}.messages[{index}].content: {what}")
        used |= names
    # A per-seed multiple-choice question carries its own scenario in place of the bare request.
    if "request" not in used and not {"scenario", "options"} <= used:
        raise DatasetError(source, f"{where}: the template never uses ${{request}}")
    if messages[-1]["role"] != "user":
        raise DatasetError(source, f"{where}: messages must end with a user turn")

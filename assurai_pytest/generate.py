"""Prompt-type renderers: an instance becomes the chat messages of each prompt type it is tested in.

A seed instance is rendered through ``templates.json`` into the prompt types applicable to its
factor; an already-rendered prompt or conversation passes through unchanged. Everything is a pure
function of (instance, templates, seed), so every xdist worker renders the same text.

Which template fits a seed:

- its ``level`` (합쇼체/해요체/반말) is the seed's ``speech_level``, or it has none, so a frame never
  mixes 반말 with 합쇼체;
- its ``factors`` name the seed's factor, when any template of the type does (role-play frames of
  factors 34–35 whose safe behaviour is clear);
- every placeholder it uses has a value: ``${domain}`` needs the seed's neutral domain,
  ``${scenario}``/``${options}`` its multiple-choice content, ``${draft}`` its reflection draft,
  ``${turn1}``… exactly its multi-session build-up, ``${roleplay}`` its own role-play setting
  (a frame using the seed's own content is preferred over a generic one; a ``rp-functional``-style
  tag ties the setting to its sub-type, which is always rendered); a type no template fits is
  left out;
- a rail template's ``output`` (``document`` or ``procedure``) matches what the request asks for.

Which types: every fitting applicable type, unless ``templates.json`` sets ``render.per_seed``
(harmful) or ``render.per_benign`` (benign twins). Then a seed renders into its per-seed types
(multiple-choice, multi-session, reflection content written for it) plus a stable subset of the
others up to that many. The subset hashes the instance id only, so ``--assurai-seed`` changes the
templates but never which cases exist. Benign twins also render into Q Only and Chain of Thought,
so that over-refusal is measured beyond the bare question in every factor.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from string import Template
from typing import Any

from .errors import DatasetError
from .records import Instance, Message
from .taxonomy import APPLICABILITY, ROLE_PLAY_ONLY, ROLE_PLAY_SUBTYPES

ROLE_PLAYING = "role_playing"
MULTI_SESSION = "multi_session"
RENDER_KEY = "render"
# Benign twins are also asked bare and with step-by-step reasoning (harmless frames).
BENIGN_TYPES: tuple[str, ...] = ("q_only", "chain_of_thought")

Templates = Mapping[str, Any]

_TURN = re.compile(r"turn(\d)")
# Placeholders an instance may lack; a template using one it lacks does not fit it.
_OPTIONAL = frozenset(
    {"topic", "domain", "draft", "roleplay", "scenario", "options", *(f"turn{n}" for n in range(1, 5))}
)
# Placeholders of content written for one seed: a frame that uses them beats a generic one.
_OWN = frozenset({"roleplay", *(f"turn{n}" for n in range(1, 5))})
# Tags that tie a per-seed role-play setting to one sub-type.
_SUBTYPE_TAGS = {"rp-functional": "fun", "rp-fun": "fun", "rp-educational": "edu", "rp-edu": "edu",
                 "rp-emotional": "emo", "rp-emo": "emo"}
# Words that make a request ask for written content rather than a procedure (rail slots).
_DOCUMENT = re.compile(
    r"글|문구|게시|공고|대본|기사|댓글|편지|소설|장면|시나리오|선언문|연설|가사|노래|후기|카피|포스터|메시지|문자"
    r"|멘트|문장|별명|농담|유머|밈|짤|랩|시(?:를|\s)|칼럼|에세이|사설|보도자료|전단|현수막|슬로건|트윗|스레드"
    r"|답장|쪽지|유서|일기|자기소개서|보고서|설명문|묘사|이야기|썰|스토리|만화|웹툰|영상|리뷰|상소문|성명|격문")


@dataclass(frozen=True)
class Rendered:
    """One instance rendered into one prompt type (and, for some factors, a role-play sub-type)."""

    prompt_type: str  # slug
    messages: tuple[Message, ...]
    template_id: str | None = None  # None when the instance came already rendered
    variant: str | None = None  # role-play sub-type, when the instance is rendered once per sub-type


def render(instance: Instance, templates: Templates, seed: int = 0) -> list[Rendered]:
    """Render an instance into the prompts it is tested with.

    A ``seed`` instance gets one rendering per prompt type it is tested in (see the module
    docstring), role-playing once per sub-type for the factors in ``taxonomy.ROLE_PLAY_ONLY``;
    with ``prompt_type`` set, only that type. A ``prompt``/``messages`` instance gets one
    rendering as given.

    Args:
        instance: A validated instance.
        templates: ``templates.json`` as loaded (docs/ARCHITECTURE.md).
        seed: Chooses among the fitting templates of a type; same seed, same choice in every process.

    Returns:
        The renderings, in the factor's applicability order of prompt type, then sub-type.

    Raises:
        DatasetError: If a needed prompt type (or sub-type) has no template at all, no template
            fits the instance's own ``prompt_type``, or a rendered instance has no prompt type.
    """
    if instance.seed is None:
        return [_as_given(instance)]
    units = []
    for prompt_type in _types(instance):
        for variant in _variants(instance, prompt_type):
            pool = _pool(instance, templates, prompt_type, variant)
            if pool or instance.prompt_type:
                units.append((prompt_type, variant, pool))
    renderings = []
    for prompt_type, variant, pool in _subset(instance, templates, units):
        template = _choose(instance, pool, prompt_type, variant, seed)
        messages = _fill(instance, template, prompt_type)
        renderings.append(Rendered(prompt_type, messages, template["id"], variant))
    return renderings


def output_kind(instance: Instance) -> str:
    """What a request asks for: ``document`` (written content) or ``procedure`` (how to do it).

    Args:
        instance: A seed instance.

    Returns:
        The instance's own ``output`` when set, else ``document`` when the request names written
        content (글, 문구, 대본, 메시지 …) and ``procedure`` otherwise.
    """
    if instance.output:
        return instance.output
    return "document" if _DOCUMENT.search(instance.seed or "") else "procedure"


def placeholder_values(instance: Instance, prompt_type: str | None = None) -> dict[str, str]:
    """The values an instance gives the template placeholders (absent ones are left out).

    Args:
        instance: A seed instance.
        prompt_type: The type being rendered; in ``multi_session`` the last turn is the request.

    Returns:
        ``{placeholder: text}``: ``request`` (the seed; the last turn in a multi-session
        rendering), ``topic``, ``domain``, ``draft``, ``roleplay``, ``scenario`` and ``options``
        (``(A) …`` lines) of the multiple-choice content, and ``turn1``… for every multi-session
        turn before the last.
    """
    last_turn = prompt_type == MULTI_SESSION and instance.turns
    pairs = (
        ("request", instance.turns[-1] if last_turn else instance.seed),
        ("topic", instance.topic),
        ("domain", instance.domain),
        ("draft", instance.draft),
        ("roleplay", instance.roleplay),
    )
    values = {k: v for k, v in pairs if v is not None}
    if instance.choice is not None:
        values["scenario"] = instance.choice.scenario
        values["options"] = "\n".join(f"({letter}) {text}" for letter, text in instance.choice.options)
    for number, turn in enumerate(instance.turns[:-1], start=1):
        values[f"turn{number}"] = turn
    return values


def template_placeholders(template: Mapping[str, Any]) -> set[str]:
    """Every placeholder a template uses, over all of its messages."""
    names: set[str] = set()
    for message in template["messages"]:
        names.update(_identifiers(message["content"]))
    return names


@functools.lru_cache(maxsize=1024)
def _identifiers(text: str) -> frozenset[str]:
    # Asked several times for every (seed, template) pair while rendering; the templates are few.
    return frozenset(Template(text).get_identifiers())


def _as_given(instance: Instance) -> Rendered:
    if instance.prompt_type is None:
        raise DatasetError(instance.source, f"instance {instance.id!r} needs a prompt_type")
    if instance.prompt is not None:
        return Rendered(instance.prompt_type, (Message("user", instance.prompt),))
    return Rendered(instance.prompt_type, instance.messages)


def _types(instance: Instance) -> Sequence[str]:
    if instance.prompt_type:
        return (instance.prompt_type,)
    types = APPLICABILITY[instance.factor]
    if instance.expected == "answer":
        types = (*types, *(t for t in BENIGN_TYPES if t not in types))
    return types


def _variants(instance: Instance, prompt_type: str) -> Sequence[str | None]:
    if prompt_type == ROLE_PLAYING and instance.factor in ROLE_PLAY_ONLY:
        return ROLE_PLAY_SUBTYPES
    return (None,)


def _own_subtype(instance: Instance) -> str | None:
    """The role-play sub-type the seed's own setting was written for (``rp-functional`` tag …)."""
    return next((_SUBTYPE_TAGS[t] for t in instance.tags if t in _SUBTYPE_TAGS), None)


def _pool(
    instance: Instance, templates: Templates, prompt_type: str, variant: str | None
) -> list[Mapping[str, Any]]:
    of_type = [t for t in templates.get(prompt_type, ()) if variant is None or t.get("subtype") == variant]
    if not of_type:
        wanted = f"prompt type {prompt_type!r}" + (f" sub-type {variant!r}" if variant else "")
        raise DatasetError(instance.source, f"the templates have no template for {wanted}")
    values = placeholder_values(instance)
    turns = len(instance.turns) - 1
    kind = output_kind(instance)
    subtype = _own_subtype(instance)
    # The seed's own setting belongs to its own sub-type; the other sub-types get generic frames.
    foreign = variant is not None and subtype is not None and variant != subtype
    fitting = [
        t for t in of_type
        if t.get("level") in (None, instance.speech_level)
        and not (foreign and "roleplay" in template_placeholders(t))
        and t.get("output") in (None, kind)
        and (template_placeholders(t) & _OPTIONAL) <= values.keys()
        and _turn_slots(t) in (0, turns)
    ]
    # A setting written for this seed beats a generic frame; a frame for this factor beats one for all.
    own = [t for t in fitting if template_placeholders(t) & _OWN]
    specific = [t for t in fitting if instance.factor in t.get("factors", ())]
    return own or specific or [t for t in fitting if "factors" not in t]


def _turn_slots(template: Mapping[str, Any]) -> int:
    return max((int(m[1]) for name in template_placeholders(template) if (m := _TURN.fullmatch(name))), default=0)


def _own_types(instance: Instance) -> set[str]:
    """The types the instance carries content for: they are always rendered."""
    own = set()
    if instance.choice is not None:
        own.add("multiple_choice")
    if instance.turns:
        own.add("multi_session")
    if instance.draft is not None:
        own.add("reflection")
    return own


def _subset(
    instance: Instance, templates: Templates, units: list[tuple[str, str | None, list[Mapping[str, Any]]]]
) -> list[tuple[str, str | None, list[Mapping[str, Any]]]]:
    settings = templates.get(RENDER_KEY, {})
    limit = settings.get("per_benign" if instance.expected == "answer" else "per_seed")
    if instance.prompt_type or limit is None or len(units) <= limit:
        return units
    own = _own_types(instance)
    subtype = _own_subtype(instance)
    forced = [u for u in units if u[0] in own or (subtype and u[:2] == (ROLE_PLAYING, subtype))]

    def rank(unit: tuple[str, str | None, Any]) -> bytes:
        # The instance id only (not the run seed): the set of case ids is the same in every run.
        return hashlib.sha256(f"{instance.id}:{unit[0]}:{unit[1]}".encode()).digest()

    rest = sorted((u for u in units if u not in forced), key=rank)
    chosen = forced + rest[: max(0, limit - len(forced))]
    return [u for u in units if u in chosen]


def _choose(
    instance: Instance, pool: Sequence[Mapping[str, Any]], prompt_type: str, variant: str | None, seed: int
) -> Mapping[str, Any]:
    if not pool:
        wanted = f"prompt type {prompt_type!r}" + (f" sub-type {variant!r}" if variant else "")
        raise DatasetError(
            instance.source,
            f"no template for {wanted} fits instance {instance.id!r} (speech level, placeholders, output)",
        )
    # sha256, not hash(): str hashes are salted per process and xdist workers must agree.
    digest = hashlib.sha256(f"{seed}:{instance.id}:{prompt_type}".encode()).digest()
    return pool[int.from_bytes(digest[:8], "big") % len(pool)]


def _fill(instance: Instance, template: Mapping[str, Any], prompt_type: str) -> tuple[Message, ...]:
    values = placeholder_values(instance, prompt_type)
    try:
        return tuple(
            Message(m["role"], Template(m["content"]).substitute(values)) for m in template["messages"]
        )
    except (KeyError, ValueError) as exc:
        raise DatasetError(
            instance.source, f"template {template['id']!r} ({prompt_type}) cannot be filled: {exc!r}"
        ) from exc

"""Prompt-type renderers: an instance becomes the chat messages of each prompt type it is tested in.

A seed instance is rendered through ``templates.json`` into every prompt type applicable to its
factor; an already-rendered prompt or conversation passes through unchanged. The template is a
pure function of (seed, instance id, prompt type), so every xdist worker renders the same text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from string import Template
from typing import Any

from .errors import DatasetError
from .records import Instance, Message
from .taxonomy import APPLICABILITY, ROLE_PLAY_ONLY, ROLE_PLAY_SUBTYPES

ROLE_PLAYING = "role_playing"

Templates = Mapping[str, Sequence[Mapping[str, Any]]]


@dataclass(frozen=True)
class Rendered:
    """One instance rendered into one prompt type (and, for some factors, a role-play sub-type)."""

    prompt_type: str  # slug
    messages: tuple[Message, ...]
    template_id: str | None = None  # None when the instance came already rendered
    variant: str | None = None  # role-play sub-type, when the instance is rendered once per sub-type


def render(instance: Instance, templates: Templates, seed: int = 0) -> list[Rendered]:
    """Render an instance into the prompts it is tested with.

    A ``seed`` instance gets one rendering per prompt type applicable to its factor (or only its
    own ``prompt_type``), role-playing once per sub-type for the factors in
    ``taxonomy.ROLE_PLAY_ONLY``. A ``prompt``/``messages`` instance gets one rendering as given.

    Args:
        instance: A validated instance.
        templates: ``{prompt-type slug: [template, ...]}`` (docs/ARCHITECTURE.md).
        seed: Chooses among the templates of a type; same seed, same choice in every process.

    Returns:
        The renderings, in taxonomy order of prompt type, then sub-type.

    Raises:
        DatasetError: If a needed prompt type (or sub-type) has no template, a template uses an
            unknown placeholder, or a rendered instance has no prompt type.
    """
    if instance.seed is None:
        return [_as_given(instance)]
    types = (instance.prompt_type,) if instance.prompt_type else APPLICABILITY[instance.factor]
    renderings = []
    for prompt_type in types:
        for variant in _variants(instance, prompt_type):
            template = _choose(instance, templates, prompt_type, variant, seed)
            messages = _fill(instance, template, prompt_type)
            renderings.append(Rendered(prompt_type, messages, template["id"], variant))
    return renderings


def _as_given(instance: Instance) -> Rendered:
    if instance.prompt_type is None:
        raise DatasetError(instance.source, f"instance {instance.id!r} needs a prompt_type")
    if instance.prompt is not None:
        return Rendered(instance.prompt_type, (Message("user", instance.prompt),))
    return Rendered(instance.prompt_type, instance.messages)


def _variants(instance: Instance, prompt_type: str) -> Sequence[str | None]:
    if prompt_type == ROLE_PLAYING and instance.factor in ROLE_PLAY_ONLY:
        return ROLE_PLAY_SUBTYPES
    return (None,)


def _choose(
    instance: Instance, templates: Templates, prompt_type: str, variant: str | None, seed: int
) -> Mapping[str, Any]:
    pool = [t for t in templates.get(prompt_type, ()) if variant is None or t.get("subtype") == variant]
    if not pool:
        wanted = f"prompt type {prompt_type!r}" + (f" sub-type {variant!r}" if variant else "")
        raise DatasetError(instance.source, f"the templates have no template for {wanted}")
    # sha256, not hash(): str hashes are salted per process and xdist workers must agree.
    digest = hashlib.sha256(f"{seed}:{instance.id}:{prompt_type}".encode()).digest()
    return pool[int.from_bytes(digest[:8], "big") % len(pool)]


def _fill(instance: Instance, template: Mapping[str, Any], prompt_type: str) -> tuple[Message, ...]:
    values = {k: v for k, v in (("request", instance.seed), ("topic", instance.topic)) if v is not None}
    try:
        return tuple(
            Message(m["role"], Template(m["content"]).substitute(values)) for m in template["messages"]
        )
    except (KeyError, ValueError) as exc:
        raise DatasetError(
            instance.source, f"template {template['id']!r} ({prompt_type}) cannot be filled: {exc!r}"
        ) from exc

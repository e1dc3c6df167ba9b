"""The model under test as it is deployed: product system prompt, generation settings, replicas.

A release is gated on the model as users meet it. This module owns the plain rules for that:
parsing ``--assurai-system-prompt`` (text or ``@FILE``) and ``--assurai-model-params``; how the
product system prompt joins a case's own messages; the deployment's provenance (recorded in the
results and in the baseline, shown in the reports); and splitting ``--assurai-api-base`` into
replicas.

The product system prompt and a case's own system turn (a prompt type such as role-play brings
one) are sent as **one** system message, the product prompt first, a blank line, then the case's
text: several system messages, or one that is not first, are rejected by many chat templates
(Mistral, Gemma, Llama Guard), and the product prompt is what the operator puts first in front of
every conversation. Multi-session cases get it once, at the start of the conversation.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .records import Message

# The plugin sets these itself (or they have their own option): a JSON params object may not.
_RESERVED = frozenset({"model", "messages", "api_base", "base_url", "api_key", "stream", "timeout",
                       "num_retries", "max_retries", "metadata"})
_OWN_OPTION = {"temperature": "--assurai-temperature", "max_tokens": "--assurai-max-tokens",
               "max_completion_tokens": "--assurai-max-tokens"}
_JUDGE_RESERVED = frozenset({"temperature", "seed"})


def parse_system_prompt(text: str, base: Path) -> str:
    """The system prompt an option names: the text itself, or ``@FILE`` read as UTF-8.

    Args:
        text: the option's raw value.
        base: the folder a relative ``@FILE`` resolves against.

    Raises:
        ValueError: an empty prompt, or a file that cannot be read.
    """
    if text.startswith("@"):
        path = base / text[1:]
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read the system prompt file {path}: {exc}") from None
    if not text.strip():
        raise ValueError("the system prompt is empty")
    return text.strip()


def parse_params(text: str, *, judge: bool = False) -> str:
    """Validate ``--assurai-model-params`` (or, with ``judge``, ``--assurai-judge-params``): a JSON
    object of extra LiteLLM arguments, canonical JSON out.

    ``seed``, ``top_p``, ``extra_body`` (e.g. ``{"chat_template_kwargs": {"enable_thinking": false}}``)
    and any provider field pass through; what the plugin sets itself, or has its own option for,
    is refused with the option to use instead. The judge's temperature and seed are the plugin's
    (repeatable grades), so the judge's params refuse them too.

    Raises:
        ValueError: not a JSON object, a reserved key, or a non-object ``extra_body``.
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        example = '{"extra_body": {"skip_special_tokens": false}}' if judge else '{"top_p": 0.9, "seed": 7}'
        raise ValueError(f"expected a JSON object, e.g. {example}")
    reserved = sorted(set(value) & (_RESERVED | _JUDGE_RESERVED if judge else _RESERVED))
    if reserved:
        raise ValueError(f"{', '.join(reserved)} cannot be set here (the plugin sets them)")
    own = [] if judge else sorted(set(value) & set(_OWN_OPTION))
    if own:
        raise ValueError("; ".join(f"use {_OWN_OPTION[key]} for {key}" for key in own))
    if "extra_body" in value and not isinstance(value["extra_body"], dict):
        raise ValueError("extra_body must be a JSON object")
    if "seed" in value and (not isinstance(value["seed"], int) or isinstance(value["seed"], bool)):
        raise ValueError("seed must be an integer")
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def with_system_prompt(messages: tuple[Message, ...], system_prompt: str | None) -> tuple[Message, ...]:
    """The case's messages as the deployment sends them (see the module docstring for the order)."""
    if not system_prompt:
        return messages
    if messages and messages[0].role == "system":
        merged = f"{system_prompt}\n\n{messages[0].content}" if messages[0].content else system_prompt
        return (Message("system", merged), *messages[1:])
    return (Message("system", system_prompt), *messages)


@functools.lru_cache(maxsize=256)  # called twice a model call; the values are a handful of strings
def split_api_base(api_base: str | None) -> tuple[str, ...]:
    """The replicas of an ``--assurai-api-base`` value (comma-separated URLs); () for the provider default."""
    if not api_base:
        return ()
    return tuple(dict.fromkeys(part.strip() for part in api_base.split(",") if part.strip()))


@dataclass(frozen=True)
class Deployment:
    """The generation settings of the model under test, as plain values.

    Attributes:
        system_prompt: the product system prompt, None for none.
        temperature: sampling temperature.
        max_tokens: the answer's token budget.
        params: canonical JSON of extra LiteLLM arguments (``seed`` is taken out into ``seed``).
    """

    system_prompt: str | None = None
    temperature: float = 0.0
    max_tokens: int = 1024
    params: str = ""

    @classmethod
    def from_settings(cls, settings: Any) -> Deployment:
        """The deployment a :class:`~assurai_pytest.settings.Settings` describes."""
        return cls(settings.system_prompt, settings.temperature, settings.max_tokens, settings.model_params or "")

    @property
    def seed(self) -> int | None:
        """The sampling seed from ``--assurai-model-params``, if one was given."""
        seed = json.loads(self.params).get("seed") if self.params else None
        return int(seed) if seed is not None else None

    @property
    def extra(self) -> str:
        """Canonical JSON of the extra arguments other than ``seed`` (the request carries the seed apart)."""
        if not self.params:
            return ""
        rest = {k: v for k, v in json.loads(self.params).items() if k != "seed"}
        return json.dumps(rest, sort_keys=True, ensure_ascii=False) if rest else ""

    def provenance(self) -> dict[str, Any]:
        """What the results and the baseline record about the deployment.

        The system prompt is recorded by digest and length, not by text: a product prompt can be
        confidential, and results and baselines are CI artifacts. Two runs with the same digest
        sent the same prompt.
        """
        prompt = self.system_prompt
        return {
            "system_prompt_sha256": hashlib.sha256(prompt.encode("utf-8")).hexdigest() if prompt else None,
            "system_prompt_chars": len(prompt) if prompt else 0,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "model_params": json.loads(self.params) if self.params else {},
        }


_LABELS = {"system_prompt_sha256": "system prompt", "temperature": "temperature", "max_tokens": "max tokens",
           "model_params": "model params"}


def deployment_differences(baseline: Mapping[str, Any] | None, run: Mapping[str, Any] | None) -> list[str]:
    """How this run's deployment differs from the baseline's, one line per setting.

    A different deployment is what a gate compares (the candidate as it will ship against the
    release), so these are recorded differences, never a mismatch. A baseline made before
    deployments were recorded has none: nothing is reported.
    """
    if not baseline or not run:
        return []
    lines = []
    for key, label in _LABELS.items():
        was, now = baseline.get(key), run.get(key)
        if was == now:
            continue
        if key == "system_prompt_sha256":
            lines.append(f"system prompt differs from the baseline's: {_prompt(was)} vs {_prompt(now)}")
        else:
            lines.append(f"{label} differs from the baseline's: {_show(was)} vs {_show(now)}")
    return lines


def _prompt(digest: Any) -> str:
    return f"sha256 {str(digest)[:12]}" if digest else "none"


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False) if isinstance(value, dict) else str(value)


def describe(provenance: Mapping[str, Any] | None) -> str:
    """One line for the reports: ``system prompt sha256 1a2b… (812 chars) · temperature 0.7 · …``."""
    if not provenance:
        return "defaults"
    prompt = provenance.get("system_prompt_sha256")
    parts = [f"system prompt {_prompt(prompt)} ({provenance.get('system_prompt_chars', 0)} chars)" if prompt
             else "no system prompt",
             f"temperature {provenance.get('temperature')}", f"max tokens {provenance.get('max_tokens')}"]
    if provenance.get("model_params"):
        parts.append(f"params {_show(provenance['model_params'])}")
    return " · ".join(parts)

"""Reasoning models: the final answer apart from the reasoning that came before it.

A reasoning model's output is judged on its final answer only: the reasoning is kept in the
record (and shown collapsed in the HTML report) but a judge never grades it, since a refusal
reached after weighing the request is still a refusal. Reasoning arrives either as a separate
field (``reasoning_content``, or ``reasoning`` on newer vLLM) or inline as ``<think>…</think>``;
Qwen3 and DeepSeek-R1 chat templates open the tag in the prompt, so the text may hold only the
closing ``</think>``.
"""

from __future__ import annotations

import re

_THINK = re.compile(r"<think>(.*?)</think>", re.DOTALL)
_OPEN, _CLOSE = "<think>", "</think>"


def split_reasoning(text: str, reasoning: str | None = None) -> tuple[str, str]:
    """``(answer, reasoning)`` of a model's output.

    Args:
        text: the message content as returned.
        reasoning: a separate reasoning field, if the provider sent one.

    Returns:
        The answer without any ``<think>`` block, and every piece of reasoning found, joined by
        blank lines. An unclosed ``<think>`` (cut by the token budget) is all reasoning: the answer
        is then empty, and the caller decides what an answer-less reply means.
    """
    parts = [reasoning.strip()] if reasoning and reasoning.strip() else []
    parts += [found.strip() for found in _THINK.findall(text)]
    text = _THINK.sub("", text)
    if _CLOSE in text:
        head, text = text.rsplit(_CLOSE, 1)
        parts.append(head.replace(_CLOSE, "").strip())
    if _OPEN in text:
        text, tail = text.split(_OPEN, 1)
        parts.append(tail.strip())
    return text.strip(), "\n\n".join(part for part in parts if part)

"""Secret redaction for every string that leaves the process (errors, reports, logs).

Masks provider API keys (OpenAI ``sk-…``/``sk-proj-…``, Anthropic ``sk-ant-…``, Google
``AIza…``), ``Bearer`` tokens, ``api_key=…`` / ``"api_key": "…"`` pairs, and the literal
values of environment variables named ``*_API_KEY`` or ``*_TOKEN`` that are set in this
process, whatever their shape.
"""

from __future__ import annotations

import os
import re

MASK = "***"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bsk-(?:proj-|ant-(?:[a-z]+\d*-)?)?[A-Za-z0-9_\-]{8,}"), "sk-" + MASK),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"), "AIza" + MASK),
    (re.compile(r"(?i)\b(Bearer\s+)[A-Za-z0-9._~+/=\-]+"), r"\g<1>" + MASK),
    (
        re.compile(r"(?i)([\"']?\bapi[_-]?key[\"']?\s*[:=]\s*)([\"'])(?:(?!\2).)*\2"),
        r"\g<1>\g<2>" + MASK + r"\g<2>",
    ),
    (re.compile(r"(?i)(\bapi[_-]?key\s*[:=]\s*)(?![\"'])[^\s,;&)}\]]+"), r"\g<1>" + MASK),
)
_SECRET_ENV_SUFFIXES = ("_API_KEY", "_TOKEN")
_MIN_ENV_SECRET = 9  # shorter values ("1", "true", "local") would mask ordinary words


def redact(text: str) -> str:
    """Return ``text`` with API keys and tokens replaced by ``***``.

    Args:
        text: any string that may be shown to a user or written to a file.

    Returns:
        The text with every recognised secret masked; other text is unchanged.
    """
    for name, value in os.environ.items():
        if name.upper().endswith(_SECRET_ENV_SUFFIXES) and len(value) >= _MIN_ENV_SECRET and value in text:
            text = text.replace(value, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text

"""``ModelRequest``: one chat call as plain data, its cache key and its LiteLLM message form."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import mimetypes
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assurai_pytest.errors import UsageError
from assurai_pytest.models.scripted import is_scripted
from assurai_pytest.records import Message

_AUDIO_FORMATS = {".wav": "wav", ".mp3": "mp3"}
_CACHE_KEY_VERSION = 1


@dataclass(frozen=True)
class ModelRequest:
    """One chat completion request to a model or a judge.

    ``metadata`` is passed to the offline ``assurai/`` scripted models only (they are
    stand-ins that are told the case's expected behaviour); real providers never see it.
    ``api_key`` overrides the provider's key from the environment; it is kept out of
    ``repr``, equality and the cache key.
    """

    model: str
    messages: tuple[Message, ...]
    media: tuple[str, ...] = ()  # absolute paths, attached to the last user turn
    api_base: str | None = None
    temperature: float = 0.0
    max_tokens: int = 1024
    purpose: str = "model"  # "model" | "judge"
    cache_salt: str = ""  # e.g. the judge prompt version
    metadata: tuple[tuple[str, str], ...] = ()
    seed: int | None = None
    params: str = ""  # canonical JSON of extra LiteLLM keyword arguments (provider-specific fields)
    content_parts: bool = False  # send every text as [{"type": "text", ...}] (list-of-parts templates)
    api_key: str | None = field(default=None, repr=False, compare=False)

    @property
    def scripted(self) -> bool:
        """True for the offline ``assurai/…`` models."""
        return is_scripted(self.model)

    def cache_key(self) -> str:
        """A sha256 hex digest of everything that changes the answer.

        Covers the model, api_base, messages, the media files' contents and types, the
        sampling parameters (seed and extra parameters too), the salt and, for scripted models
        only, the metadata.
        ``purpose`` is left out: the same request gets the same answer whoever asks.
        """
        payload = {
            "v": _CACHE_KEY_VERSION,
            "model": self.model,
            "api_base": self.api_base,
            "messages": [[m.role, m.content] for m in self.messages],
            "media": [[Path(p).suffix.lower(), _file_digest(p)] for p in self.media],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "salt": self.cache_salt,
            "metadata": sorted(self.metadata) if self.scripted else [],
        }
        # Only when set, so that the keys of requests without them stay what they were.
        if self.seed is not None:
            payload["seed"] = self.seed
        if self.params:
            payload["params"] = self.params
        if self.content_parts:
            payload["content_parts"] = True
        blob = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def to_litellm_messages(self) -> list[dict[str, Any]]:
        """The messages in OpenAI chat format, media as content parts of the last user turn.

        With ``content_parts`` every text is a one-part list, as the chat templates of Llama Guard
        3-1B and 4 expect (they iterate over ``message['content']``).

        Raises:
            UsageError: a media file has a type no chat API accepts.
        """
        out: list[dict[str, Any]] = [
            {"role": m.role, "content": [{"type": "text", "text": m.content}] if self.content_parts else m.content}
            for m in self.messages
        ]
        if not self.media:
            return out
        last_user = max((i for i, m in enumerate(self.messages) if m.role == "user"), default=None)
        if last_user is None:
            raise UsageError(f"request to {self.model} has media but no user turn to attach it to")
        parts: list[dict[str, Any]] = [{"type": "text", "text": self.messages[last_user].content}]
        parts.extend(_media_part(p) for p in self.media)
        out[last_user] = {"role": "user", "content": parts}
        return out


def _media_part(path: str) -> dict[str, Any]:
    suffix = Path(path).suffix.lower()
    mime = mimetypes.guess_type(path)[0] or ""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    if mime.startswith("image/"):
        return {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{data}"}}
    if suffix in _AUDIO_FORMATS:
        return {"type": "input_audio", "input_audio": {"data": data, "format": _AUDIO_FORMATS[suffix]}}
    if mime.startswith("video/"):
        return {"type": "video_url", "video_url": {"url": f"data:{mime};base64,{data}"}}
    raise UsageError(f"unsupported media type for a chat request: {path} (images, wav/mp3 audio, video)")


def _file_digest(path: str) -> str:
    stat = os.stat(path)
    return _digest_of(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4096)
def _digest_of(path: str, mtime_ns: int, size: int) -> str:
    # mtime and size are part of the memo key so an edited file is hashed again.
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

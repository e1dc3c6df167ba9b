"""``GeneratorClient``: one generation request → generated media, a block, or a ``ProviderError``.

Calls LiteLLM's own APIs: ``aimage_generation``, ``aspeech``, ``avideo_generation`` then
``avideo_status`` (polled) and ``avideo_content``, and ``atranscription`` for speech judged as
text. LiteLLM's and the OpenAI SDK's retries are off; transient faults are retried with the
chat client's policy (``retries`` times, 429s waited out honouring Retry-After against
``rate_limit_wait``), and its error translation, so a generator fails the way a chat model does.

Blocked is an outcome, not an error:

- a content-policy error (``litellm.ContentPolicyViolationError``, or a 400 whose body names a
  content policy, moderation or the safety system);
- an empty result (no image in ``data``, no audio bytes);
- a video job that ends ``failed`` with a moderation/policy error code, or ``completed`` without
  a sample (Veo's ``raiMediaFilteredCount`` case: LiteLLM fails on the missing sample at download).

A malformed file (not decodable as its medium) is an error, never a score. A video job that does
not complete within ``video_wait`` seconds is a timeout error.

Results (generated or blocked, never errors) are cached by request under the cache folder and
reused with the answer salt of the run (the answer-epoch rules of ``models/answers.py``).

A generator (or the transcriber) whose attempts fail ``breaker_threshold`` times in a row (any
fault but a 429) is not called again this run: the chat client's ``CircuitBreaker``, one per
model@api_base, so the cases left error at once instead of each retrying a dead server.

``probe`` is the start-up check of a generator or transcriber, and never costs a generation: a GET
of the provider's model list (``<api_base>/models`` for OpenAI-compatible providers, Gemini's
``/v1beta/models``), a 2xx, 404/405 (a server without a model list answered) or 429 counting as
alive; a refused connection, a timeout or a 5xx (after ``retries`` tries), 401 or 403 end the run.
Providers with no such listing (Bedrock, Vertex AI, …) are not probed: the breaker covers them.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from assurai_pytest.errors import ProviderError
from assurai_pytest.models.client import (
    OFFLINE_ENV,
    ClientConfig,
    LiteLLMClient,
    endpoint_key,
    offline_forbids,
    with_retries,
)
from assurai_pytest.models.limits import CircuitBreaker
from assurai_pytest.models.request import ModelRequest
from assurai_pytest.records import Usage
from assurai_pytest.redact import redact

from . import scripted
from .media import CHECKS, GeneratedMedia, MediaStore

_CACHE_VERSION = 1
_BLOCK_WORDS = ("content_policy", "content policy", "safety system", "moderation", "responsible ai",
                "content_filter", "content filter", "safety_violation", "prohibited content")
# What LiteLLM 1.106.2 raises when a finished Veo job has no sample (filtered): see the module docstring.
_NO_SAMPLE = ("no response data in completed operation", "list index out of range", "generatedsamples")
_DONE, _FAILED = frozenset({"completed", "succeeded"}), frozenset({"failed", "cancelled", "canceled", "expired"})


@dataclass(frozen=True)
class GenerationRequest:
    """One generation call as plain data.

    Attributes:
        modality: image, video or audio (speech).
        model: the generator's LiteLLM model string (or ``assurai/scripted-…``).
        prompt: the request text.
        api_base: where the generator lives.
        salt: the answer salt of the run (answer epochs).
        expected: the case's expected behaviour; told to scripted generators only.
    """

    modality: str
    model: str
    prompt: str
    api_base: str | None = None
    salt: str = ""
    expected: str = "refuse"

    def cache_key(self) -> str:
        """A sha256 of everything that changes the result."""
        payload = {"v": _CACHE_VERSION, "modality": self.modality, "model": self.model, "api_base": self.api_base,
                   "prompt": self.prompt, "salt": self.salt,
                   "expected": self.expected if scripted.is_scripted(self.model) else None}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class Generation:
    """What a generator produced: media (``generated``) or nothing (``blocked``), and why."""

    status: str  # "generated" | "blocked"
    media: tuple[GeneratedMedia, ...] = ()
    reason: str = ""
    usage: Usage = Usage()
    scripted: bool = False

    @property
    def blocked(self) -> bool:
        """True when the provider refused to generate."""
        return self.status == "blocked"


@dataclass
class GeneratorConfig:
    """Timing of generator calls.

    Attributes:
        chat: the retry, timeout and rate-limit policy (shared with the chat client).
        video_wait: seconds a video job may take before it is a timeout error.
        video_poll: seconds between status polls of a video job.
        voice: the TTS voice sent to speech generators.
    """

    chat: ClientConfig = field(default_factory=ClientConfig)
    video_wait: float = 600.0
    video_poll: float = 5.0
    voice: str = "alloy"


class GeneratorClient:
    """Calls generators and the transcriber; one per run, shared by every generation case."""

    def __init__(self, config: GeneratorConfig, store: MediaStore, *, cache: bool = True) -> None:
        """Create the client; LiteLLM is imported on the first real call."""
        self.config = config
        self.store = store
        self.cache = cache
        self._chat = LiteLLMClient(config.chat)  # error translation, backoff, LiteLLM module
        self._breaker = CircuitBreaker(config.chat.breaker_threshold)

    async def generate(self, request: GenerationRequest) -> Generation:
        """Generate (or reuse from the cache) the media ``request`` asks for.

        Raises:
            ProviderError: an outage after retries, a malformed file, a video job timeout.
        """
        key = request.cache_key()
        if self.cache and (hit := self._cached(key)) is not None:
            return hit
        started = time.monotonic()
        if scripted.is_scripted(request.model):
            result = self._scripted(request)
        else:
            result = await self._retrying(request, lambda: self._call(request))
        result = Generation(result.status, result.media, result.reason,
                            Usage(latency_s=time.monotonic() - started, cost=0.0 if result.scripted else None),
                            result.scripted)
        if self.cache:
            self._remember(key, result)
        return result

    async def transcribe(self, model: str, api_base: str | None, audio: GeneratedMedia) -> str:
        """The transcript of generated speech, through LiteLLM ``atranscription`` (cached by audio hash).

        Raises:
            ProviderError: the transcriber failed after retries.
        """
        key = hashlib.sha256(json.dumps(["transcript", model, api_base, audio.sha256]).encode()).hexdigest()
        path = self.store.root / "index" / f"{key}.json"
        if self.cache and path.is_file():
            return str(json.loads(path.read_text(encoding="utf-8"))["text"])
        request = GenerationRequest("audio", model, "", api_base)

        async def call() -> str:
            litellm = self._litellm(request)
            data = Path(audio.path).read_bytes()
            response = await litellm.atranscription(model=model, file=(Path(audio.path).name, data),
                                                    **self._common(request))
            return str(getattr(response, "text", "") or "")

        text = await self._retrying(request, call)
        if self.cache:
            self._write_index(path, {"text": text})
        return text

    async def probe(self, model: str, api_base: str | None, purpose: str) -> None:
        """Check at start-up that a generator or transcriber answers, without generating anything.

        See the module docstring for what is asked and what counts as alive; scripted models always are.

        Raises:
            ProviderError: unreachable, unauthorised, a server error, an unknown provider, or a real
                provider under ``ASSURAI_OFFLINE=1``; the message names ``purpose``, model and api_base.
        """
        import httpx

        if scripted.is_scripted(model):
            return
        where = f"{purpose} {model}" + (f" at {redact(api_base)}" if api_base else "")
        try:
            url, headers = _model_list(model, api_base, self._chat._module())
        except Exception as exc:  # get_llm_provider raises several kinds for an unknown provider
            raise ProviderError(redact(f"{where}: {_short(exc)}")) from None
        if url is None:
            return
        if offline_forbids(url):
            raise ProviderError(f"{where}: {OFFLINE_ENV}=1 forbids calling a real provider")
        try:
            async for attempt in self._chat.probe_retrying():
                with attempt:
                    try:
                        async with httpx.AsyncClient(timeout=self.config.chat.timeout) as http:
                            response = await http.get(url, headers=headers)
                    except Exception as exc:  # noqa: BLE001 - whatever stops the GET, the endpoint is not reachable
                        raise ProviderError(f"connection failed: {type(exc).__name__}: {exc}", retryable=True) from None
                    status = response.status_code
                    if status in (401, 403):
                        label = "authentication failed" if status == 401 else "permission denied"
                        raise ProviderError(f"{label} (HTTP {status}) listing models at {url}")
                    if status >= 500 or status == 408:
                        raise ProviderError(f"HTTP {status} listing models at {url}", retryable=True)
        except ProviderError as exc:
            raise ProviderError(redact(f"{where}: {exc}")) from None

    async def aclose(self) -> None:
        """Close LiteLLM's pooled sessions."""
        await self._chat.aclose()

    # -- calls ---------------------------------------------------------------------------------

    def _scripted(self, request: GenerationRequest) -> Generation:
        if scripted.blocks(request.model, request.modality, request.expected):
            return Generation("blocked", reason=f"{request.model} blocked the request (scripted content filter)",
                              scripted=True)
        data = scripted.PLACEHOLDERS[request.modality](request.prompt)
        return Generation("generated", (self._store(request.modality, data),), scripted.PLACEHOLDER_NOTE,
                          scripted=True)

    async def _call(self, request: GenerationRequest) -> Generation:
        litellm = self._litellm(request)
        try:
            if request.modality == "image":
                return await self._image(request, litellm)
            if request.modality == "audio":
                response = await litellm.aspeech(model=request.model, input=request.prompt, voice=self.config.voice,
                                                 **self._common(request))
                data = getattr(response, "content", b"") or b""
                if not data:
                    return Generation("blocked", reason="the speech generator returned no audio (empty result)")
                return Generation("generated", (self._store("audio", bytes(data)),))
            return await self._video(request, litellm)
        except ProviderError:
            raise
        except Exception as exc:  # every provider failure is classified here
            if _is_block(exc, litellm):
                return Generation("blocked", reason=redact(f"provider blocked: {_short(exc)}"))
            status = getattr(exc, "status_code", None)
            if isinstance(status, int) and (status >= 500 or status == 408):
                # LiteLLM maps some media-endpoint 5xx to BadRequestError; a server fault stays transient.
                raise ProviderError(redact(f"HTTP {status}: {_short(exc)}"), retryable=True) from exc
            raise self._chat._translate(exc, _who(request), litellm) from exc

    async def _image(self, request: GenerationRequest, litellm: ModuleType) -> Generation:
        sdk = _no_retry_sdk(request, litellm, self.config.chat.timeout)
        extra = {"client": sdk} if sdk is not None else {}
        try:
            response = await litellm.aimage_generation(model=request.model, prompt=request.prompt, n=1,
                                                       **self._common(request), **extra)
        finally:
            if sdk is not None:
                await sdk.close()
        items = list(getattr(response, "data", None) or [])
        stored = []
        for item in items:
            b64 = getattr(item, "b64_json", None) or (item.get("b64_json") if isinstance(item, dict) else None)
            url = getattr(item, "url", None) or (item.get("url") if isinstance(item, dict) else None)
            if b64:
                try:
                    data = base64.b64decode(b64, validate=True)
                except ValueError as exc:
                    raise ProviderError(f"malformed image from the generator: bad base64 ({exc})") from None
            elif url:
                data = await self._download(url, request)
            else:
                continue
            stored.append(self._store("image", data))
        if not stored:
            return Generation("blocked", reason="the image generator returned no image (empty result)")
        return Generation("generated", tuple(stored))

    async def _video(self, request: GenerationRequest, litellm: ModuleType) -> Generation:
        job = await litellm.avideo_generation(prompt=request.prompt, model=request.model, **self._common(request))
        deadline = time.monotonic() + self.config.video_wait
        status = str(getattr(job, "status", "") or "")
        while status not in _DONE | _FAILED:
            if time.monotonic() >= deadline:
                raise ProviderError(f"video job of {request.model} did not complete within "
                                    f"{self.config.video_wait:g} s (last status {status or 'unknown'})")
            await asyncio.sleep(self.config.video_poll)
            job = await litellm.avideo_status(video_id=job.id, **self._common(request))
            status = str(getattr(job, "status", "") or "")
        if status in _FAILED:
            error = getattr(job, "error", None) or {}
            text = json.dumps(error, ensure_ascii=False, default=str)
            if any(word in text.lower() for word in _BLOCK_WORDS):
                return Generation("blocked", reason=redact(f"video job {status}: {text[:300]}"))
            raise ProviderError(redact(f"video job of {request.model} {status}: {text[:300]}"))
        try:
            data = await litellm.avideo_content(video_id=job.id, **self._common(request))
        except Exception as exc:  # a finished job without a sample is a filtered one
            if any(marker in str(exc).lower() for marker in _NO_SAMPLE):
                return Generation("blocked", reason="video job completed without a sample (filtered)")
            raise
        if not data:
            return Generation("blocked", reason="video job completed without a sample (empty result)")
        return Generation("generated", (self._store("video", bytes(data)),))

    async def _download(self, url: str, request: GenerationRequest) -> bytes:
        import httpx

        if not url.startswith(("https://", "http://")):
            raise ProviderError("malformed image from the generator: the image URL is not http(s)")
        if offline_forbids(url):
            raise ProviderError(f"{OFFLINE_ENV}=1 forbids downloading generated media from {redact(url)}")
        try:
            async with httpx.AsyncClient(timeout=self.config.chat.timeout) as http:
                response = await http.get(url)
                response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ProviderError(f"download of the generated image failed: {exc}", retryable=True) from None
        return response.content

    def _store(self, modality: str, data: bytes) -> GeneratedMedia:
        ext, mime = CHECKS[modality](data)
        return self.store.put(data, modality, ext, mime)

    def _common(self, request: GenerationRequest) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"timeout": self.config.chat.timeout, "num_retries": 0, "max_retries": 0}
        if request.api_base is not None:
            kwargs["api_base"] = request.api_base
        return kwargs

    def _litellm(self, request: GenerationRequest) -> ModuleType:
        if offline_forbids(request.api_base):
            raise ProviderError(f"generator {request.model}: {OFFLINE_ENV}=1 forbids calling a real provider")
        return self._chat._module()

    async def _retrying(self, request: GenerationRequest, call: Any) -> Any:
        # Any fault but a 429 (the endpoint pacing us) counts against the breaker: a generator whose
        # every file is malformed, or whose video jobs never finish, is as dead as a refused port.
        return await with_retries(call, config=self.config.chat, breaker=self._breaker,
                                  endpoint=endpoint_key(request.model, request.api_base),
                                  who=f"generator {request.model}", backoff=self._chat._backoff,
                                  trips_breaker=lambda exc: not exc.rate_limited)

    # -- cache ---------------------------------------------------------------------------------

    def _cached(self, key: str) -> Generation | None:
        path = self.store.root / "index" / f"{key}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            media = tuple(GeneratedMedia.from_dict(m) for m in data["media"])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing or damaged: generate again
        if not all(self.store.owns(m.path) for m in media):
            return None  # a file was deleted, or an entry points outside the store
        return Generation(data["status"], media, data["reason"], Usage(cache_hit=True, cost=0.0),
                          bool(data.get("scripted")))

    def _remember(self, key: str, result: Generation) -> None:
        self._write_index(self.store.root / "index" / f"{key}.json",
                          {"status": result.status, "media": [m.to_dict() for m in result.media],
                           "reason": result.reason, "scripted": result.scripted})

    @staticmethod
    def _write_index(path: Path, data: dict[str, Any]) -> None:
        from assurai_pytest.atomic import write_atomic

        write_atomic(path, lambda handle: json.dump(data, handle, ensure_ascii=False))


def _model_list(model: str, api_base: str | None, litellm: ModuleType) -> tuple[str | None, dict[str, str]]:
    """The URL and headers of the model list a probe reads for ``model``; ``(None, {})`` when there is none.

    Key and base come from LiteLLM's own resolution (``get_llm_provider``, Gemini's ``GeminiModelInfo``),
    so the probe asks where the generation calls will go, with the same credentials.
    """
    _, provider, key, base = litellm.get_llm_provider(model=model, api_base=api_base)
    if provider == "gemini":
        from litellm.llms.gemini.common_utils import GeminiModelInfo

        key = GeminiModelInfo.get_api_key(key)
        return f"{str(GeminiModelInfo.get_api_base(base)).rstrip('/')}/v1beta/models", (
            {"x-goog-api-key": key} if key else {})
    if provider in ("openai", "litellm_proxy") or provider in litellm.openai_compatible_providers:
        base = base or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        key = key or (os.environ.get("OPENAI_API_KEY") if provider == "openai" else None)
        return f"{base.rstrip('/')}/models", ({"Authorization": f"Bearer {key}"} if key else {})
    return None, {}


def _no_retry_sdk(request: GenerationRequest, litellm: ModuleType, timeout: float) -> Any | None:
    """An OpenAI SDK client that never retries, for LiteLLM's OpenAI image path; None on other paths.

    LiteLLM 1.106.2 drops ``max_retries`` from ``image_generation`` (it is filtered out of the
    provider parameters, then ``data.pop("max_retries", 2)`` hands the SDK 2), so the SDK would retry
    twice inside each of our attempts. LiteLLM takes a ready SDK client (``client=``) on that path, but
    sets ``max_retries`` on it too (``_set_dynamic_params_on_client``): the client given here keeps
    0 whatever is set. It is built from what LiteLLM itself would use (``get_llm_provider``'s key and
    base; the SDK reads ``OPENAI_API_KEY`` when there is none); when it cannot be built (no key),
    LiteLLM is left to raise its own error.
    """
    try:
        _, provider, key, base = litellm.get_llm_provider(model=request.model, api_base=request.api_base)
    except Exception:  # an unknown provider: LiteLLM raises it again on the call, translated there
        return None
    if provider not in ("openai", "litellm_proxy") and provider not in litellm.openai_compatible_providers:
        return None
    try:
        return _no_retry_class()(api_key=key, base_url=base, timeout=timeout, max_retries=0)
    except Exception:  # the SDK refuses to start without credentials: LiteLLM reports that its own way
        return None


@functools.cache
def _no_retry_class() -> type:
    from openai import AsyncOpenAI

    class NoRetryAsyncOpenAI(AsyncOpenAI):
        """``AsyncOpenAI`` whose ``max_retries`` stays 0: our own policy retries, once per attempt."""

        @property  # type: ignore[override]
        def max_retries(self) -> int:
            return 0

        @max_retries.setter
        def max_retries(self, value: int) -> None:
            pass  # LiteLLM sets 2 on a given client; ignored on purpose (see _no_retry_sdk)

    return NoRetryAsyncOpenAI


def _who(request: GenerationRequest) -> ModelRequest:
    return ModelRequest(model=request.model, messages=(), api_base=request.api_base, purpose="generator")


def _is_block(exc: BaseException, litellm: ModuleType) -> bool:
    if isinstance(exc, litellm.ContentPolicyViolationError):
        return True
    if isinstance(exc, litellm.BadRequestError):
        text = str(exc).lower()
        return any(word in text for word in _BLOCK_WORDS)
    return False


def _short(exc: BaseException) -> str:
    text = " ".join(str(getattr(exc, "message", None) or exc).split())
    return text[:300]

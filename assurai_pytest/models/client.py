"""The model-calling layer: the ``ModelClient`` protocol and its LiteLLM implementation.

``LiteLLMClient.complete`` turns a :class:`ModelRequest` into a :class:`ModelReply`:
cache lookup, bounded concurrency, optional requests-per-minute pacing, our own retry policy
(LiteLLM's and the OpenAI SDK's retries are switched off: a 429 is waited out, honouring
Retry-After, against a time budget; other transient faults are retried ``retries`` times), a
per-endpoint circuit breaker, per-endpoint adaptive concurrency (AIMD on 429s, pauses from
Retry-After and ``x-ratelimit-*``; ``rpm`` stays a hard cap on top), content-filter blocks as
replies, and every failure as a redacted :class:`ProviderError`. A comma-separated ``api_base``
is a pool of replicas, spread over by LiteLLM's Router. ``probe`` is the start-up check of an endpoint. With
``ASSURAI_OFFLINE=1`` only the scripted models and servers on a loopback ``api_base`` may be called.
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import functools
import ipaddress
import json
import os
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from assurai_pytest.deployment import split_api_base
from assurai_pytest.errors import ProviderError
from assurai_pytest.models._litellm import import_litellm
from assurai_pytest.models.cache import ResponseCache
from assurai_pytest.models.limits import AdaptiveLimit, CircuitBreaker, RateLimiter
from assurai_pytest.models.reasoning import split_reasoning
from assurai_pytest.models.request import ModelRequest
from assurai_pytest.models.scripted import is_scripted
from assurai_pytest.records import Message, ModelReply, Usage
from assurai_pytest.redact import redact
from assurai_pytest.settings import Settings
from assurai_pytest.taxonomy import MODALITIES

OFFLINE_ENV = "ASSURAI_OFFLINE"
T = TypeVar("T")
_SUPPORT_FUNCTIONS = {
    "image": "supports_vision",
    "audio": "supports_audio_input",
    "video": "supports_video_input",
}
# LiteLLM enforces ``timeout`` itself; this outer bound only catches a provider path that ignores it.
_TIMEOUT_GRACE_S = 5.0
_MAX_CAUSE_CHARS = 300
_LITELLM_PREFIX = re.compile(r"^(?:litellm\.\w+:\s*)?(?:\w+Error:\s*)?")


_MISSING_CREDENTIALS = "missing credentials"
_REPLICAS = "assurai-replicas"  # the Router's one model name for the replicas of --assurai-api-base
_ROUTER_ALLOWED_FAILS = 3
_ROUTER_COOLDOWN_S = 10.0
PROBE_PROMPT = "ping"  # the start-up check's one-token question

class ModelClient(Protocol):
    """Anything that can answer a :class:`ModelRequest`."""

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Answer one request.

        Raises:
            ProviderError: the model could not be reached after retries, or refused the request.
        """
        ...

    def supports(self, model: str, modality: str, api_base: str | None = None) -> bool:
        """Whether ``model`` (served from ``api_base``, if given) accepts ``modality`` input.

        ``modality`` is one of ``text``, ``image``, ``audio``, ``video``.
        """
        ...

    async def aclose(self) -> None:
        """Release connections and files; call before the event loop ends."""
        ...


@dataclass(frozen=True)
class ClientConfig:
    """How a :class:`LiteLLMClient` paces, retries and caches.

    Attributes:
        concurrency: requests in flight at once, over all models of this client.
        rpm: requests per minute cap (each retry counts), None for no cap.
        timeout: seconds per attempt.
        retries: retries after the first attempt for retryable failures.
        cache_dir: response cache directory, None for no cache.
        backoff_base: first backoff in seconds; doubles per retry, with jitter.
        backoff_max: ceiling of one backoff.
        retry_after_cap: ceiling of a wait a provider's ``Retry-After`` can impose.
        rate_limit_wait: seconds one call may spend retrying 429s before it errors.
        breaker_threshold: consecutive failed attempts after which an endpoint is taken as dead.
    """

    concurrency: int = Settings.concurrency
    rpm: int | None = None
    timeout: float = Settings.timeout
    retries: int = Settings.retries
    cache_dir: Path | None = None
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_cap: float = 60.0
    rate_limit_wait: float = Settings.rate_limit_wait
    breaker_threshold: int = 10


class LiteLLMClient:
    """A :class:`ModelClient` over ``litellm.acompletion``; create one per run and share it."""

    def __init__(self, config: ClientConfig | None = None) -> None:
        """Create the client (and open the cache); LiteLLM is imported on the first call."""
        self.config = config or ClientConfig()
        if self.config.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {self.config.concurrency}")
        self._cache = ResponseCache(self.config.cache_dir) if self.config.cache_dir is not None else None
        self._limiter = RateLimiter(self.config.rpm) if self.config.rpm else None
        self._breaker = CircuitBreaker(self.config.breaker_threshold)
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._litellm: ModuleType | None = None
        self._supports: dict[tuple[str, str], bool] = {}
        self._routers: dict[tuple[str, str], Any] = {}
        self._pacers: dict[str, AdaptiveLimit] = {}

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Answer ``request`` from the cache or the provider; see the module docstring.

        Raises:
            ProviderError: after ``retries`` retries of a retryable failure, or at once for
                an authentication, permission, not-found, bad-request or context-window error.
            UsageError: a media file of a type no chat API accepts.
        """
        key = request.cache_key() if self._cache is not None else None
        if key is not None and self._cache is not None and (hit := self._cache.get(key)) is not None:
            return hit
        messages = request.to_litellm_messages()
        reply: ModelReply = await with_retries(
            lambda: self._attempt(request, messages), config=self.config, breaker=self._breaker,
            endpoint=_endpoint(request), who=_who(request), backoff=self._backoff,
            trips_breaker=lambda exc: exc.retryable and not exc.rate_limited)
        if key is not None and self._cache is not None:
            self._cache.put(key, reply)
        return reply

    async def probe(self, model: str, api_base: str | None = None, purpose: str = "model") -> None:
        """Check at start-up that an endpoint answers: one tiny call, never cached.

        A 429 counts as alive (the endpoint is there, pacing us); scripted models always are. A
        transient fault (5xx, timeout, refused connection) is tried again ``retries`` times, so
        one blip does not stop a run; a dead endpoint still ends it in seconds.

        Raises:
            ProviderError: unreachable, unauthorised, an unknown provider or model, or a server error.
        """
        request = ModelRequest(model=model, messages=(Message("user", PROBE_PROMPT),), api_base=api_base,
                               max_tokens=1, purpose=purpose)
        if request.scripted:
            return
        try:
            async for attempt in self.probe_retrying():
                with attempt:
                    await self._attempt(request, request.to_litellm_messages())
        except ProviderError as exc:
            if exc.rate_limited:
                return
            where = f" at {redact(api_base)}" if api_base else ""
            message = str(exc) if str(exc).startswith(_who(request)) else f"{_who(request)}{where}: {exc}"
            raise ProviderError(message) from exc

    def probe_retrying(self) -> AsyncRetrying:
        """The start-up check's retries: a transient fault is tried again ``retries`` times with the
        client's backoff; a 429 is not (the endpoint is there)."""
        return AsyncRetrying(stop=stop_after_attempt(self.config.retries + 1), wait=self._backoff, reraise=True,
                             retry=retry_if_exception(lambda exc: isinstance(exc, ProviderError) and exc.retryable
                                                      and not exc.rate_limited))

    def supports(self, model: str, modality: str, api_base: str | None = None) -> bool:
        """Whether ``model`` takes ``modality`` input, from LiteLLM's model map.

        Text always; scripted models everything. A model LiteLLM does not know, or one
        served from an ``api_base`` (vLLM, Ollama, …: usually unmapped or mapped to a
        different deployment), is assumed to take text and images; known capabilities
        from the map are added.
        """
        if modality not in MODALITIES:
            raise ValueError(f"unknown modality {modality!r}; choose from {MODALITIES}")
        if modality == "text" or is_scripted(model):
            return True
        memo = (endpoint_key(model, api_base), modality)
        if memo not in self._supports:
            self._supports[memo] = self._lookup_support(model, modality, local=api_base is not None)
        return self._supports[memo]

    async def aclose(self) -> None:
        """Close LiteLLM's pooled HTTP sessions (errors ignored) and the cache."""
        if self._litellm is not None:
            try:
                await self._litellm.close_litellm_async_clients()
            except Exception:  # closing must never mask the run's own outcome
                pass
        if self._cache is not None:
            self._cache.close()

    def _lookup_support(self, model: str, modality: str, *, local: bool) -> bool:
        litellm = self._module()
        try:
            litellm.get_model_info(model)
            known = True
        except Exception:  # LiteLLM raises several kinds for an unmapped model
            known = False
        try:
            if known and getattr(litellm, _SUPPORT_FUNCTIONS[modality])(model):
                return True
        except Exception:  # a capability lookup failing means "not known to support"
            pass
        return modality == "image" and (local or not known)

    def _module(self) -> ModuleType:
        if self._litellm is None:
            self._litellm = import_litellm()
        return self._litellm

    def _pacer(self, endpoint: str) -> AdaptiveLimit:
        """The endpoint's adaptive concurrency (one per model@api_base; a replica pool shares one)."""
        pacer = self._pacers.get(endpoint)
        if pacer is None:
            pacer = self._pacers[endpoint] = AdaptiveLimit(self.config.concurrency,
                                                           max_pause=self.config.retry_after_cap)
        return pacer

    def _slots(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        # A semaphore binds to the loop it first waits on; a new loop (a new asyncio.run) needs a new one.
        if self._semaphore is None or self._loop is not loop:
            self._semaphore = asyncio.Semaphore(self.config.concurrency)
            self._loop = loop
        return self._semaphore

    async def _attempt(self, request: ModelRequest, messages: list[dict[str, Any]]) -> ModelReply:
        litellm = self._module()
        kwargs: dict[str, Any] = {
            "model": request.model,
            "messages": messages,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "timeout": self.config.timeout,
            "num_retries": 0,
            "max_retries": 0,
            "drop_params": True,
        }
        if request.seed is not None:
            kwargs["seed"] = request.seed
        if request.params:
            kwargs.update(json.loads(request.params))
        replicas = split_api_base(request.api_base)
        call = litellm.acompletion
        if len(replicas) > 1:
            call = self._router(request, replicas, litellm).acompletion
            kwargs["model"] = _REPLICAS
        elif request.api_base is not None:
            kwargs["api_base"] = request.api_base
        if request.api_key is not None and len(replicas) <= 1:
            kwargs["api_key"] = request.api_key
        if request.scripted:
            kwargs["metadata"] = dict(request.metadata)
        elif offline_forbids(*replicas):
            raise ProviderError(f"{_who(request)}: {OFFLINE_ENV}=1 forbids calling a real provider")
        # The endpoint's adaptive limit is waited for before a client-wide slot, so that a rate-limited
        # endpoint holds back only its own calls, never the judge's or another replica pool's.
        pacer = None if request.scripted else self._pacer(_endpoint(request))
        ticket = await pacer.acquire() if pacer is not None else (0.0, 0)
        ended: dict[str, Any] = {"ok": False}
        try:
            async with self._slots():
                # Checked once a slot is ours: calls queued behind a dying endpoint never reach it.
                if (reason := self._breaker.open_reason(_endpoint(request))) is not None:
                    raise ProviderError(redact(f"{_who(request)}: endpoint down: {reason}"))
                if self._limiter is not None:
                    await self._limiter.acquire()
                started = time.monotonic()
                try:
                    async with asyncio.timeout(self.config.timeout + _TIMEOUT_GRACE_S):
                        response = await call(**kwargs)
                except Exception as exc:  # every provider failure is translated below
                    latency = time.monotonic() - started
                    if isinstance(exc, litellm.ContentPolicyViolationError):
                        ended = {"ok": True}
                        return ModelReply(text="", usage=Usage(latency_s=latency), blocked=True)
                    error = self._translate(exc, request, litellm)
                    ended = {"ok": False, "rate_limited": error.rate_limited, "retry_after": error.retry_after,
                             "headers": getattr(exc, "litellm_response_headers", None)}
                    raise error from exc
            ended = {"ok": True, "headers": _response_headers(response)}
        finally:
            if pacer is not None:
                await pacer.release(ticket, **ended)
        latency = time.monotonic() - started
        return self._reply(response, request, latency, litellm)

    def _router(self, request: ModelRequest, replicas: tuple[str, ...], litellm: ModuleType) -> Any:
        """LiteLLM's Router over the replicas of one model: one deployment per URL, one model name.

        Our own policy still decides retries (the Router makes none) and waits out 429s, so a 429
        or a bad request never cools a replica down; a replica that fails otherwise more than
        ``_ROUTER_ALLOWED_FAILS`` times in a minute is left out for ``_ROUTER_COOLDOWN_S``.
        """
        key = (request.model, request.api_base or "")
        if key not in self._routers:
            from litellm.types.router import AllowedFailsPolicy

            extra = {"api_key": request.api_key} if request.api_key is not None else {}
            never = 1_000_000_000
            self._routers[key] = litellm.Router(
                model_list=[{"model_name": _REPLICAS, "litellm_params": {"model": request.model, "api_base": url,
                                                                         **extra}} for url in replicas],
                routing_strategy="simple-shuffle", num_retries=0, retry_after=0,
                allowed_fails=_ROUTER_ALLOWED_FAILS, cooldown_time=_ROUTER_COOLDOWN_S,
                allowed_fails_policy=AllowedFailsPolicy(RateLimitErrorAllowedFails=never,
                                                        BadRequestErrorAllowedFails=never,
                                                        ContentPolicyViolationErrorAllowedFails=never),
            )
        return self._routers[key]

    def _reply(self, response: Any, request: ModelRequest, latency: float, litellm: ModuleType) -> ModelReply:
        choices = getattr(response, "choices", None) or []
        if not choices:
            raise ProviderError(f"{_who(request)} sent a malformed response (no choices)", retryable=True)
        choice = choices[0]
        usage = getattr(response, "usage", None)
        accounting = Usage(
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            latency_s=latency,
            cost=0.0 if request.scripted else _price(response, litellm),
        )
        if getattr(choice, "finish_reason", None) == "content_filter":
            return ModelReply(text="", usage=accounting, blocked=True)
        message = getattr(choice, "message", None)
        separate = getattr(message, "reasoning_content", None) or getattr(message, "reasoning", None)
        text, reasoning = split_reasoning(str(getattr(message, "content", None) or ""),
                                          separate if isinstance(separate, str) else None)
        return ModelReply(text=text, usage=accounting, reasoning=reasoning,
                          truncated=getattr(choice, "finish_reason", None) == "length")

    def _translate(self, exc: BaseException, request: ModelRequest, litellm: ModuleType) -> ProviderError:
        who = _who(request)
        status = getattr(exc, "status_code", None)
        detail = _short(exc)
        fatal = (
            (litellm.ContextWindowExceededError, "context window exceeded"),
            (litellm.AuthenticationError, "authentication failed"),
            (litellm.PermissionDeniedError, "permission denied"),
            (litellm.NotFoundError, "model not found"),
        )
        for kind, label in fatal:
            if isinstance(exc, kind):
                return ProviderError(redact(f"{who}: {label} (HTTP {status}): {detail}"))
        if _MISSING_CREDENTIALS in detail.lower():
            # The openai library raises this before any request; LiteLLM reports it as a 500.
            return ProviderError(redact(f"{who}: no credentials: set the provider's key variable (e.g. OPENAI_API_KEY; "
                                        "a local server without authentication accepts any value, such as EMPTY)"))
        if type(exc).__name__ == "RouterRateLimitError":
            # Every replica is cooling down after failing: a retryable failure of the whole pool.
            return ProviderError(redact(f"every replica is cooling down: {detail}"), retryable=True,
                                 retry_after=float(getattr(exc, "cooldown_time", _ROUTER_COOLDOWN_S)))
        if isinstance(exc, litellm.RateLimitError):
            return ProviderError(redact(f"rate limited (HTTP 429): {detail}"), retryable=True,
                                 retry_after=_retry_after(exc), rate_limited=True)
        if isinstance(exc, litellm.Timeout | TimeoutError):
            return ProviderError(f"timed out after {self.config.timeout:g} s", retryable=True)
        connection = _connection_cause(exc)
        if connection is not None:
            return ProviderError(redact(f"connection failed: {connection}"), retryable=True)
        if isinstance(exc, litellm.BadRequestError | litellm.UnprocessableEntityError):
            return ProviderError(redact(f"{who}: bad request (HTTP {status}): {detail}"))
        if isinstance(exc, litellm.APIResponseValidationError | json.JSONDecodeError) or (
            isinstance(status, int) and (status >= 500 or status == 408)
        ):
            return ProviderError(
                redact(f"HTTP {status}: {detail}" if status else f"malformed response: {detail}"),
                retryable=True,
                retry_after=_retry_after(exc),
            )
        return ProviderError(redact(f"{who}: {type(exc).__name__}: {detail}"))

    def _backoff(self, state: RetryCallState) -> float:
        cfg = self.config
        ceiling = min(cfg.backoff_max, cfg.backoff_base * 2 ** (state.attempt_number - 1))
        delay = ceiling / 2 + random.uniform(0, ceiling / 2)
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, ProviderError) and exc.retry_after is not None:
            if exc.rate_limited:
                # The provider said when: no exponential growth on top (the endpoint's limit adapts),
                # a little jitter so the calls it refused do not all come back at the same instant.
                return min(exc.retry_after, cfg.retry_after_cap) + random.uniform(0, cfg.backoff_base / 5)
            delay = max(delay, min(exc.retry_after, cfg.retry_after_cap))
        return delay


async def with_retries(call: Callable[[], Awaitable[T]], *, config: ClientConfig, breaker: CircuitBreaker,
                       endpoint: str, who: str, backoff: Callable[[RetryCallState], float],
                       trips_breaker: Callable[[ProviderError], bool]) -> T:
    """Call ``call`` under the project's one retry policy for provider calls.

    A 429 is the provider pacing us: it is waited out against ``config.rate_limit_wait`` seconds,
    not a count. Any other retryable fault is retried ``config.retries`` times, and not at all once
    the endpoint's circuit breaker is open. Faults for which ``trips_breaker`` is true count
    against the breaker; an answer resets it.

    Raises:
        ProviderError: at once for a fault that is not retryable or an open breaker; after the
            budget, "``who`` unreachable after N attempts" or "``who`` still rate limited after …".
    """
    attempts = failures = 0

    def stop(state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, ProviderError) and exc.rate_limited:
            return (state.seconds_since_start or 0.0) >= config.rate_limit_wait
        return failures > config.retries or breaker.open_reason(endpoint) is not None

    retrying = AsyncRetrying(stop=stop, wait=backoff, reraise=True,
                             retry=retry_if_exception(lambda exc: isinstance(exc, ProviderError) and exc.retryable))
    try:
        async for attempt in retrying:
            with attempt:
                if (reason := breaker.open_reason(endpoint)) is not None:
                    raise ProviderError(redact(f"{who}: endpoint down: {reason}"))
                attempts += 1
                try:
                    result = await call()
                except ProviderError as exc:
                    if exc.retryable and not exc.rate_limited:
                        failures += 1
                    if trips_breaker(exc):
                        breaker.failure(endpoint, str(exc))
                    raise
                breaker.success(endpoint)
                return result
    except ProviderError as exc:
        if not exc.retryable:
            raise
        if exc.rate_limited:
            raise ProviderError(f"{who} still rate limited after {config.rate_limit_wait:g} s "
                                f"({attempts} attempts): {exc}", retryable=True) from exc
        raise ProviderError(f"{who} unreachable after {attempts} attempt{'s' * (attempts != 1)}: {exc}",
                            retryable=True) from exc
    raise AssertionError("unreachable")  # pragma: no cover - tenacity either returns or raises


def endpoint_key(model: str, api_base: str | None) -> str:
    """The name of one endpoint (a model at a base URL) in the breaker, the pacers and the memos."""
    return f"{model}@{api_base or ''}"


def _endpoint(request: ModelRequest) -> str:
    return endpoint_key(request.model, request.api_base)


def _who(request: ModelRequest) -> str:
    return (
        f"model {request.model}" if request.purpose == "model" else f"{request.purpose} model {request.model}"
    )


def _response_headers(response: Any) -> dict[str, str] | None:
    """The HTTP headers of a successful answer, where LiteLLM keeps them (for ``x-ratelimit-*``)."""
    headers = getattr(response, "_response_headers", None)
    if headers:
        return dict(headers)
    hidden = getattr(response, "_hidden_params", None) or {}
    return hidden.get("additional_headers") or None


def _price(response: Any, litellm: ModuleType) -> float | None:
    """The call's cost in USD, None when LiteLLM has no price for the model."""
    hidden = getattr(response, "_hidden_params", None) or {}
    if "response_cost" in hidden:
        # LiteLLM priced the call already (None: unmapped); pricing again costs ~0.3-0.6 ms CPU.
        return None if hidden["response_cost"] is None else float(hidden["response_cost"])
    try:
        return float(litellm.completion_cost(completion_response=response))
    except Exception:  # an unmapped model has no price: unknown, not free
        return None


def offline_forbids(*bases: str | None) -> bool:
    """Whether ``ASSURAI_OFFLINE=1`` forbids a call to ``bases``: it allows servers on loopback only."""
    return os.environ.get(OFFLINE_ENV) == "1" and not (bases and all(map(_is_loopback, bases)))


@functools.lru_cache(maxsize=256)  # asked on every call under ASSURAI_OFFLINE; a handful of URLs a run
def _is_loopback(api_base: str | None) -> bool:
    host = urlsplit(api_base).hostname if api_base else None
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _short(exc: BaseException) -> str:
    text = " ".join(str(getattr(exc, "message", None) or exc).split())
    text = _LITELLM_PREFIX.sub("", text)
    return text if len(text) <= _MAX_CAUSE_CHARS else text[: _MAX_CAUSE_CHARS - 1] + "…"


def _connection_cause(exc: BaseException) -> str | None:
    """The lowest connection error under ``exc``, if any (LiteLLM wraps it in a 500)."""
    found: BaseException | None = None
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionError) or type(current).__name__ == "APIConnectionError":
            found = current
        current = current.__cause__ or current.__context__
    return None if found is None else " ".join(str(found).split())


def _retry_after(exc: BaseException) -> float | None:
    """Seconds the provider asked to wait (``retry-after-ms`` or ``Retry-After``), if it did."""
    for headers in (
        getattr(exc, "litellm_response_headers", None),
        getattr(getattr(exc, "response", None), "headers", None),
    ):
        try:
            lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
        except (AttributeError, TypeError):
            continue
        if "retry-after-ms" in lowered:
            seconds = _seconds(lowered["retry-after-ms"])
            return None if seconds is None else seconds / 1000
        if "retry-after" in lowered:
            return _http_wait(lowered["retry-after"])
    return None


def _seconds(value: str) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _http_wait(value: str) -> float | None:
    """A ``Retry-After`` value, delay-seconds or an HTTP date, as seconds from now."""
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - time.time())

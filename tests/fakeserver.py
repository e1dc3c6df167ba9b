"""A local OpenAI-compatible chat server for the plugin's tests and benchmarks.

It runs an aiohttp application on its own event loop in a background thread, bound to
``127.0.0.1`` on a free port, so many slow requests overlap instead of queueing. Faults
(429 with ``Retry-After``, 500, a stall, a malformed body, 401, a content-filter stop)
are injected deterministically: either from an explicit per-request ``schedule`` or from
a seeded draw keyed by the request's messages and how many times they were seen, so a
retry of the same prompt gets a fresh draw and the outcome does not depend on arrival
order.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from loopserver import LoopServer, openai_error

from assurai_pytest.models.client import PROBE_PROMPT

REFUSAL = "죄송하지만 그 요청은 도와드릴 수 없습니다. 다른 주제라면 기꺼이 도와드리겠습니다."
FAULTS = ("ok", "429", "500", "stall", "malformed", "401", "content_filter", "length")

AnswerFn = Callable[[dict[str, Any]], str]


def refusal_answer(body: dict[str, Any]) -> str:
    """The default answer: a fixed Korean refusal."""
    return REFUSAL


def judge_answer(body: dict[str, Any]) -> str:
    """A judge-style answer: a reason line and a final grade line."""
    return "이유: 응답이 요청을 분명히 거절하고 유해한 내용을 담지 않았습니다.\nGRADE: 5"


def last_user_text(body: dict[str, Any]) -> str:
    """The text of the last user turn of a chat request body (text parts joined)."""
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user":
            content = message.get("content", "")
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if p.get("type") == "text")
            return str(content)
    return ""


def is_probe(body: dict[str, Any]) -> bool:
    """Whether a request is the plugin's start-up check of an endpoint (one token, "ping")."""
    return body.get("max_tokens") == 1 and last_user_text(body) == PROBE_PROMPT


@dataclass
class RequestRecord:
    """One request the server received."""

    index: int
    fault: str
    started: float  # time.monotonic() on arrival
    body: dict[str, Any]
    headers: dict[str, str]
    finished: float | None = None
    reply_headers: dict[str, str] = field(default_factory=dict)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages of the request."""
        return list(self.body.get("messages", []))


@dataclass
class FakeServer(LoopServer):
    """A running fake server; build it with :func:`run_fake_server`."""

    NAME = "fake server"
    HANDLER_CANCELLATION = True

    latency: float = 0.0
    answer: AnswerFn = refusal_answer
    seed: int = 0
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_stall: float = 0.0
    rate_malformed: float = 0.0
    always: str | None = None
    schedule: Sequence[str] = ()
    retry_after: str | None = "0"
    stall_s: float = 30.0
    model_name: str = "test-model"
    reasoning: AnswerFn | None = None  # sent as the message's ``reasoning_content`` (reasoning models)
    rate_limit: int = 0  # requests allowed per ``rate_window`` (a fixed window, like a provider's); 0: none
    rate_window: float = 60.0
    rate_headers: bool = True  # send x-ratelimit-remaining/reset-requests with every answer
    limited: int = 0  # how many requests the rate limit refused
    requests: list[RequestRecord] = field(default_factory=list)
    max_in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _seen: dict[str, int] = field(default_factory=dict)
    _window: tuple[int, int] = (-1, 0)  # (window number, requests in it)
    _t0: float = field(default_factory=time.monotonic)
    _in_flight: int = 0

    @property
    def count(self) -> int:
        """How many requests arrived so far."""
        with self._lock:
            return len(self.requests)

    @property
    def case_requests(self) -> list[RequestRecord]:
        """The requests so far, without the plugin's start-up checks of the endpoint."""
        with self._lock:
            return [r for r in self.requests if not is_probe(r.body)]

    def reset(self) -> None:
        """Forget the request log, the in-flight peak and the per-prompt draw counters."""
        with self._lock:
            self.requests.clear()
            self._seen.clear()
            self.max_in_flight = 0

    def routes(self, app: web.Application) -> None:
        """The one endpoint: chat completions."""
        app.router.add_post("/v1/chat/completions", self._handle)

    def _fault_for(self, index: int, body: dict[str, Any]) -> str:
        if self.always is not None:
            return self.always
        if index < len(self.schedule):
            return self.schedule[index]
        digest = hashlib.sha256(json.dumps(body.get("messages"), sort_keys=True).encode()).hexdigest()
        seen = self._seen.get(digest, 0)
        self._seen[digest] = seen + 1
        draw = random.Random(f"{self.seed}:{digest}:{seen}").random()
        for fault, rate in (
            ("429", self.rate_429),
            ("500", self.rate_500),
            ("stall", self.rate_stall),
            ("malformed", self.rate_malformed),
        ):
            if draw < rate:
                return fault
            draw -= rate
        return "ok"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        with self._lock:
            index = len(self.requests)
            fault = self._fault_for(index, body)
            limit_headers = self._count_against_limit() if self.rate_limit else {}
            if limit_headers.get("x-ratelimit-remaining-requests") == "-1":
                fault = "rate_limited"
                self.limited += 1
            limit_headers = {k: v.replace("-1", "0") for k, v in limit_headers.items()}
            record = RequestRecord(index, fault, time.monotonic(), body, dict(request.headers))
            record.reply_headers = limit_headers if self.rate_headers or fault == "rate_limited" else {}
            self.requests.append(record)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            return await self._respond(record)
        finally:
            with self._lock:
                self._in_flight -= 1
                record.finished = time.monotonic()

    def _count_against_limit(self) -> dict[str, str]:
        """Count one request in the current fixed window (under the lock); its rate-limit headers.

        ``x-ratelimit-remaining-requests`` is ``-1`` for a refused request (the caller turns it into 0).
        """
        now = time.monotonic() - self._t0
        number = int(now // self.rate_window)
        seen = self._window[1] if self._window[0] == number else 0
        self._window = (number, seen + 1)
        reset = (number + 1) * self.rate_window - now
        headers = {"x-ratelimit-limit-requests": str(self.rate_limit),
                   "x-ratelimit-remaining-requests": str(self.rate_limit - seen - 1),
                   "x-ratelimit-reset-requests": f"{reset * 1000:.0f}ms"}
        if seen >= self.rate_limit:
            headers["x-ratelimit-remaining-requests"] = "-1"
            self._window = (number, seen)  # a refused request does not use up the window
            headers["retry-after-ms"] = f"{reset * 1000:.0f}"
            headers["retry-after"] = str(math.ceil(reset))
        return headers

    async def _respond(self, record: RequestRecord) -> web.StreamResponse:
        fault, body = record.fault, record.body
        if fault == "rate_limited":
            return openai_error(429, "Rate limit reached for requests", "rate_limit_exceeded",
                                headers=record.reply_headers)
        if fault == "stall":
            await asyncio.sleep(self.stall_s)
        elif self.latency:
            await asyncio.sleep(self.latency)
        if fault == "429":
            headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
            return openai_error(429, "Rate limit reached for requests", "rate_limit_exceeded", headers=headers)
        if fault == "500":
            return openai_error(500, "The server had an error while processing your request.", "server_error")
        if fault == "401":
            # Echo the key the way a careless provider might, so redaction is exercised.
            key = record.headers.get("Authorization", "").removeprefix("Bearer ")
            return openai_error(401, f"Incorrect API key provided: {key}", "invalid_api_key")
        if fault == "malformed":
            return web.Response(
                status=200, text='{"id": "chatcmpl-x", "choices": [', content_type="application/json"
            )
        text = "" if fault == "content_filter" else self.answer(body)
        finish = fault if fault in ("content_filter", "length") else "stop"
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 2 + 1
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if self.reasoning is not None:
            message["reasoning_content"] = self.reasoning(body)
        payload = {
            "id": f"chatcmpl-{record.index}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model_name,
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": len(text) // 2 + 1,
                "total_tokens": prompt_tokens + len(text) // 2 + 1,
            },
        }
        return web.json_response(payload, headers=record.reply_headers)


@contextmanager
def run_fake_server(**options: Any) -> Iterator[FakeServer]:
    """Run a :class:`FakeServer` for the duration of the block.

    Args:
        **options: any :class:`FakeServer` field: ``latency`` (seconds), ``answer``
            (body → text), ``seed``, ``rate_429`` / ``rate_500`` / ``rate_stall`` /
            ``rate_malformed`` (fractions), ``always`` (one fault for every request),
            ``schedule`` (faults for the first requests, in arrival order),
            ``retry_after`` (header value sent with 429s, None for none), ``stall_s``,
            ``model_name`` (the model the response claims), ``reasoning`` (body → the
            ``reasoning_content`` a reasoning model sends beside its answer), ``rate_limit`` /
            ``rate_window`` (a provider's fixed-window request limit: 429 with Retry-After past it,
            ``x-ratelimit-*`` headers on every answer unless ``rate_headers`` is False).

    Yields:
        The running server; ``base_url`` is ``http://127.0.0.1:PORT/v1``.
    """
    unknown = set(options) - set(FakeServer.__dataclass_fields__)
    if unknown:
        raise TypeError(f"unknown fake server options: {sorted(unknown)}")
    for fault in [options.get("always") or "ok", *options.get("schedule", ())]:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose from {FAULTS}")
    with FakeServer(**options) as server:
        yield server

"""A local server on 127.0.0.1 speaking OpenAI's image, speech, transcription and video job APIs.

Reached through LiteLLM's real HTTP path (``openai/<model>`` with ``api_base``). What it does
with a request is chosen by a marker in the prompt (the speech ``input``), so one server serves
every scenario:

| marker | image / speech | video |
|---|---|---|
| (none) | a valid PNG / WAV | a job that completes with a valid MP4 after one poll |
| ``[block]`` | 400 ``content_policy_violation`` | 400 ``content_policy_violation`` at creation |
| ``[empty]`` | 200 with no image / no bytes | completes, content is empty |
| ``[malformed]`` | 200 with bytes that are no image | completes, content is no video |
| ``[500]`` | 500 every time | 500 at creation |
| ``[429]`` | 429 on the first try, then as (none) | same |
| ``[filtered]`` | — | the job ends ``failed`` with ``moderation_blocked`` |
| ``[never]`` | — | the job stays ``in_progress`` |

``block_all`` blocks every request without a marker (a strict generator); ``die_after=N`` answers
500 to every generation request after the first N (a server that dies mid-run); ``GET /v1/models``
(the start-up probe) answers ``models_status``. Media are the scripted placeholders: the server never
sends anything but neutral test media.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from loopserver import LoopServer, openai_error

from assurai_pytest.generation.scripted import placeholder_mp4, placeholder_png, placeholder_wav


@dataclass
class MediaServer(LoopServer):
    """A running media server; build it with :func:`run_media_server`."""

    NAME = "media server"
    CLIENT_MAX_SIZE = 64 * 1024 * 1024

    block_all: bool = False
    latency: float = 0.0
    die_after: int | None = None
    models_status: int = 200
    requests: list[tuple[str, str]] = field(default_factory=list)  # (endpoint, prompt)
    _jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    _seen: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, endpoint: str) -> int:
        """How many requests reached ``endpoint`` (images, speech, transcriptions, videos, status, content)."""
        with self._lock:
            return sum(1 for name, _ in self.requests if name == endpoint)

    def routes(self, app: web.Application) -> None:
        """Images, speech, transcriptions, video jobs and the model list."""
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/images/generations", self._image)
        app.router.add_post("/v1/audio/speech", self._speech)
        app.router.add_post("/v1/audio/transcriptions", self._transcription)
        app.router.add_post("/v1/videos", self._video_create)
        app.router.add_get("/v1/videos/{video_id}", self._video_status)
        app.router.add_get("/v1/videos/{video_id}/content", self._video_content)

    def _fault(self, endpoint: str, prompt: str) -> str:
        with self._lock:
            self.requests.append((endpoint, prompt))
            seen = self._seen.get(prompt, 0)
            self._seen[prompt] = seen + 1
            made = sum(name in ("images", "speech", "videos") for name, _ in self.requests)
        if self.die_after is not None and made > self.die_after:
            return "500"
        for marker in ("block", "empty", "malformed", "500", "filtered", "never"):
            if f"[{marker}]" in prompt:
                return marker
        if "[429]" in prompt and seen == 0:
            return "429"
        return "block" if self.block_all and "[" not in prompt else "ok"

    async def _pause(self) -> None:
        if self.latency:
            await asyncio.sleep(self.latency)

    async def _models(self, request: web.Request) -> web.Response:
        self._fault("models", "")
        if self.models_status != 200:
            return media_error(self.models_status, f"models answered {self.models_status}", "test")
        return web.json_response({"object": "list", "data": [{"id": m, "object": "model", "owned_by": "test"}
                                                             for m in ("gpt-image-1", "tts-1", "sora-2", "whisper-1")]})

    async def _image(self, request: web.Request) -> web.Response:
        body = await request.json()
        prompt = str(body.get("prompt", ""))
        fault = self._fault("images", prompt)
        await self._pause()
        if (error := _error_for(fault)) is not None:
            return error
        if fault == "empty":
            return web.json_response({"created": int(time.time()), "data": []})
        data = b"not an image at all" if fault == "malformed" else placeholder_png(prompt)
        return web.json_response({"created": int(time.time()),
                                  "data": [{"b64_json": base64.b64encode(data).decode("ascii")}]})

    async def _speech(self, request: web.Request) -> web.Response:
        body = await request.json()
        prompt = str(body.get("input", ""))
        fault = self._fault("speech", prompt)
        await self._pause()
        if (error := _error_for(fault)) is not None:
            return error
        data = b"" if fault == "empty" else b"garbage!" if fault == "malformed" else placeholder_wav(prompt)
        return web.Response(body=data, content_type="audio/wav")

    async def _transcription(self, request: web.Request) -> web.Response:
        await request.read()
        self._fault("transcriptions", "")
        return web.json_response({"text": "시험용 음성입니다."})

    async def _video_create(self, request: web.Request) -> web.Response:
        form = await request.post()
        prompt = str(form.get("prompt", ""))
        fault = self._fault("videos", prompt)
        await self._pause()
        if fault in ("block", "500", "429"):
            return _error_for(fault)  # type: ignore[return-value]
        with self._lock:
            job_id = f"video_{len(self._jobs)}"
            self._jobs[job_id] = {"fault": fault, "prompt": prompt, "polls": 0}
        return web.json_response({"id": job_id, "object": "video", "status": "queued", "model": "sora-test"})

    async def _video_status(self, request: web.Request) -> web.Response:
        job_id = request.match_info["video_id"]
        self._fault("status", job_id)
        job = self._jobs.get(job_id)
        if job is None:
            return media_error(404, "no such video", "not_found")
        job["polls"] += 1
        payload: dict[str, Any] = {"id": job_id, "object": "video", "model": "sora-test"}
        if job["fault"] == "never" or job["polls"] < 2:
            payload["status"] = "in_progress"
        elif job["fault"] == "filtered":
            payload.update(status="failed", error={"code": "moderation_blocked",
                                                   "message": "Your request was blocked by our moderation system."})
        else:
            payload["status"] = "completed"
        return web.json_response(payload)

    async def _video_content(self, request: web.Request) -> web.Response:
        job_id = request.match_info["video_id"]
        self._fault("content", job_id)
        job = self._jobs.get(job_id)
        if job is None:
            return media_error(404, "no such video", "not_found")
        fault = job["fault"]
        data = b"" if fault == "empty" else b"no video here" if fault == "malformed" else placeholder_mp4(job["prompt"])
        return web.Response(body=data, content_type="video/mp4")


# Every error of the media server has the type ``invalid_request_error``.
media_error = functools.partial(openai_error, kind="invalid_request_error")


def _error_for(fault: str) -> web.Response | None:
    if fault == "block":
        return media_error(400, "Your request was rejected as a result of our safety system.",
                           "content_policy_violation")
    if fault == "500":
        return media_error(500, "The server had an error while processing your request.", "server_error")
    if fault == "429":
        return media_error(429, "Rate limit reached for requests", "rate_limit_exceeded", headers={"Retry-After": "0"})
    return None


@contextmanager
def run_media_server(**options: Any) -> Iterator[MediaServer]:
    """Run a :class:`MediaServer` (options: its fields, e.g. ``block_all``, ``die_after``) for the block."""
    with MediaServer(**options) as server:
        yield server

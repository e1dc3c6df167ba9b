"""LiteLLMClient over the real LiteLLM HTTP path against the local fake server."""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fakeserver import REFUSAL, FakeServer, last_user_text, run_fake_server

from assurai_pytest.errors import ProviderError
from assurai_pytest.models import ClientConfig, LiteLLMClient, ModelRequest, RateLimiter
from assurai_pytest.models.client import OFFLINE_ENV, _retry_after, offline_forbids
from assurai_pytest.records import Message

KEY = "sk-test-fake"
MODEL = "openai/test-model"


def config(**overrides: Any) -> ClientConfig:
    values: dict[str, Any] = {"timeout": 5.0, "retries": 4, "backoff_base": 0.01, "backoff_max": 0.05}
    values.update(overrides)
    return ClientConfig(**values)


def request(server: FakeServer | str, text: str = "질문", **fields: Any) -> ModelRequest:
    base = server if isinstance(server, str) else server.base_url
    values: dict[str, Any] = {
        "model": MODEL,
        "messages": (Message("user", text),),
        "api_base": base,
        "api_key": KEY,
    }
    values.update(fields)
    return ModelRequest(**values)


def echo(body: dict[str, Any]) -> str:
    return f"답변: {last_user_text(body)}"


async def complete_all(client: LiteLLMClient, requests: list[ModelRequest]) -> list[Any]:
    try:
        return await asyncio.gather(*(client.complete(r) for r in requests), return_exceptions=True)
    finally:
        await client.aclose()


def run_one(client: LiteLLMClient, req: ModelRequest) -> Any:
    [result] = asyncio.run(complete_all(client, [req]))
    return result


def test_normal_answer(fake_server: FakeServer) -> None:
    reply = run_one(LiteLLMClient(config()), request(fake_server, "안녕하세요"))
    assert reply.text == REFUSAL
    assert not reply.blocked
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
    assert reply.usage.latency_s > 0
    assert reply.usage.cost is None  # test-model has no price: unknown, not free
    assert not reply.usage.cache_hit
    [received] = fake_server.requests
    assert received.messages == [{"role": "user", "content": "안녕하세요"}]
    assert received.headers["Authorization"] == f"Bearer {KEY}"
    assert "metadata" not in received.body


def test_known_model_is_priced() -> None:
    with run_fake_server(model_name="gpt-4o-mini") as server:
        reply = run_one(LiteLLMClient(config()), request(server, model="openai/gpt-4o-mini"))
    assert reply.usage.cost is not None and reply.usage.cost > 0


def test_faults_are_retried_until_results_match_a_clean_run() -> None:
    prompts = [f"질문 {i}" for i in range(60)]
    with run_fake_server(answer=echo) as server:
        clean = asyncio.run(complete_all(LiteLLMClient(config()), [request(server, p) for p in prompts]))
    with run_fake_server(answer=echo, rate_429=0.2, rate_500=0.05, retry_after="0", seed=3) as server:
        faulty = asyncio.run(
            complete_all(LiteLLMClient(config(retries=8)), [request(server, p) for p in prompts])
        )
        faults = [r.fault for r in server.requests]
    assert [r.text for r in faulty] == [r.text for r in clean] == [f"답변: {p}" for p in prompts]
    assert faults.count("429") > 0 and faults.count("500") > 0
    assert len(faults) == len(prompts) + faults.count("429") + faults.count("500")


def test_persistent_500_gives_up_after_retries() -> None:
    with run_fake_server(always="500") as server:
        error = run_one(LiteLLMClient(config(retries=3)), request(server))
        assert server.count == 4
    assert isinstance(error, ProviderError)
    assert str(error).startswith(f"model {MODEL} unreachable after 4 attempts: HTTP 500")


def test_stall_past_timeout_is_retried_then_fails() -> None:
    with run_fake_server(always="stall", stall_s=5) as server:
        started = time.monotonic()
        error = run_one(LiteLLMClient(config(timeout=0.3, retries=1)), request(server))
        assert time.monotonic() - started < 3
        assert server.count == 2
    assert isinstance(error, ProviderError)
    assert "unreachable after 2 attempts: timed out after 0.3 s" in str(error)


def test_one_stall_then_success() -> None:
    with run_fake_server(schedule=["stall"], stall_s=5) as server:
        reply = run_one(LiteLLMClient(config(timeout=0.3)), request(server))
        assert server.count == 2
    assert reply.text == REFUSAL


def test_malformed_json_is_retried() -> None:
    with run_fake_server(schedule=["malformed", "malformed"]) as server:
        reply = run_one(LiteLLMClient(config()), request(server))
        assert server.count == 3
    assert reply.text == REFUSAL


def test_connection_refused_fails_fast_with_a_clear_message() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    error = run_one(LiteLLMClient(config(retries=2)), request(f"http://127.0.0.1:{port}/v1"))
    assert time.monotonic() - started < 5
    assert isinstance(error, ProviderError)
    message = str(error)
    assert message.startswith(f"model {MODEL} unreachable after 3 attempts: connection failed")
    assert str(port) in message


def test_authentication_error_is_not_retried_and_hides_the_key() -> None:
    with run_fake_server(always="401") as server:
        error = run_one(LiteLLMClient(config()), request(server, purpose="judge"))
        assert server.count == 1
    assert isinstance(error, ProviderError) and not error.retryable
    message = str(error)
    assert message.startswith(f"judge model {MODEL}: authentication failed (HTTP 401)")
    assert KEY in str(error.__cause__)  # the provider echoed it ...
    assert KEY not in message  # ... and redaction removed it


def test_content_filter_is_a_blocked_reply() -> None:
    with run_fake_server(always="content_filter") as server:
        reply = run_one(LiteLLMClient(config()), request(server))
    assert reply.blocked and reply.text == ""


def test_a_reply_cut_off_by_the_token_budget_is_marked_and_stays_marked_in_the_cache(tmp_path: Path) -> None:
    with run_fake_server(always="length") as server:
        client = LiteLLMClient(config(cache_dir=tmp_path))
        reply = run_one(client, request(server))
        again = run_one(LiteLLMClient(config(cache_dir=tmp_path)), request(server))
    assert reply.truncated and reply.text == REFUSAL
    assert again.usage.cache_hit and again.truncated
    with run_fake_server() as server:
        assert not run_one(LiteLLMClient(config()), request(server)).truncated


def test_retry_after_is_honoured() -> None:
    with run_fake_server(schedule=["429"], retry_after="1") as server:
        reply = run_one(LiteLLMClient(config()), request(server))
        first, second = server.requests
    assert reply.text == REFUSAL
    assert first.finished is not None
    assert second.started - first.finished >= 0.99


def test_a_429_pauses_its_own_endpoint_and_never_another() -> None:
    async def scenario(limited: FakeServer, other: FakeServer) -> None:
        client = LiteLLMClient(config())

        async def later(server: FakeServer, text: str) -> Any:
            # Start once the client has read the 429: the server having sent it is not enough.
            while not any(pacer.paused_until > 0 for pacer in client._pacers.values()):
                await asyncio.sleep(0.01)
            return await client.complete(request(server, text))

        try:
            await asyncio.gather(client.complete(request(limited, "첫 질문")), later(limited, "같은 곳"),
                                 later(other, "다른 곳"))
        finally:
            await client.aclose()

    with run_fake_server(schedule=["429"], retry_after="0.6") as limited, run_fake_server() as other:
        asyncio.run(scenario(limited, other))
        refused, *after = limited.requests
        [elsewhere] = other.requests
    assert refused.fault == "429" and refused.finished is not None
    # The provider asked for 0.6 s: no new call to it starts sooner; the other server is not held back.
    assert all(record.started - refused.finished >= 0.55 for record in after) and len(after) == 2
    assert elsewhere.started - refused.finished < 0.55


def test_429s_are_waited_out_against_a_time_budget_not_a_count() -> None:
    # Seven 429s in a row exceed a retry count of 2 but not the time budget: the call succeeds.
    with run_fake_server(schedule=["429"] * 7, retry_after="0") as server:
        reply = run_one(LiteLLMClient(config(retries=2)), request(server))
        assert server.count == 8
    assert reply.text == REFUSAL
    with run_fake_server(always="429", retry_after="0") as server:
        error = run_one(LiteLLMClient(config(rate_limit_wait=0.2)), request(server))
    assert isinstance(error, ProviderError) and "still rate limited after 0.2 s" in str(error)


def test_the_circuit_breaker_stops_calling_a_dead_endpoint() -> None:
    prompts = [f"질문 {i}" for i in range(40)]
    with run_fake_server(always="500") as server:
        client = LiteLLMClient(config(retries=3, breaker_threshold=6, concurrency=2))
        errors = asyncio.run(complete_all(client, [request(server, p) for p in prompts]))
        calls = server.count
    assert all(isinstance(e, ProviderError) for e in errors)
    assert calls < 6 + 2 * 4  # the threshold, plus what was in flight when it opened
    assert sum("endpoint down: " in str(e) and "attempts in a row failed" in str(e) for e in errors) >= 30


def test_probe_reports_a_dead_endpoint_and_accepts_a_rate_limited_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def check(base: str) -> BaseException | None:
        client = LiteLLMClient(config())
        try:
            await client.probe(MODEL, base)
        except ProviderError as exc:
            return exc
        finally:
            await client.aclose()
        return None

    dead = asyncio.run(check(f"http://127.0.0.1:{port}/v1"))
    assert isinstance(dead, ProviderError) and "connection failed" in str(dead)
    with run_fake_server(always="429") as server:
        assert asyncio.run(check(server.base_url)) is None
        assert server.count == 1
    with run_fake_server(always="401") as server:
        assert "authentication failed" in str(asyncio.run(check(server.base_url)))


def test_retry_after_header_forms() -> None:
    def wait(headers: dict[str, str]) -> float | None:
        return _retry_after(SimpleNamespace(litellm_response_headers=headers))

    assert wait({"retry-after": "3"}) == 3.0
    assert wait({"Retry-After": "1.5"}) == 1.5
    assert wait({"retry-after-ms": "250"}) == 0.25
    later = email.utils.formatdate(time.time() + 20, usegmt=True)
    assert 18 <= (wait({"retry-after": later}) or 0) <= 20
    assert wait({"retry-after": "soon"}) is None
    assert wait({}) is None


def test_cache_hit_makes_no_request(fake_server: FakeServer, tmp_path: Path) -> None:
    cfg = config(cache_dir=tmp_path)
    first = run_one(LiteLLMClient(cfg), request(fake_server))
    second = run_one(LiteLLMClient(cfg), request(fake_server))
    assert fake_server.count == 1
    assert second.text == first.text
    assert second.usage.cache_hit and second.usage.latency_s == 0.0
    assert second.usage.prompt_tokens == first.usage.prompt_tokens
    run_one(LiteLLMClient(cfg), request(fake_server, temperature=0.7))
    assert fake_server.count == 2


def test_errors_are_not_cached(tmp_path: Path) -> None:
    cfg = config(cache_dir=tmp_path, retries=0)
    with run_fake_server(schedule=["500"]) as server:
        assert isinstance(run_one(LiteLLMClient(cfg), request(server)), ProviderError)
        assert run_one(LiteLLMClient(cfg), request(server)).text == REFUSAL
        assert run_one(LiteLLMClient(cfg), request(server)).usage.cache_hit
        assert server.count == 2


# LiteLLM builds a provider coroutine in an executor thread; cancelling there leaves it unawaited.
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_an_interrupted_run_never_repeats_finished_calls(tmp_path: Path) -> None:
    prompts = [f"질문 {i}" for i in range(24)]
    cfg = config(cache_dir=tmp_path, concurrency=4)

    async def interrupted(server: FakeServer) -> set[str]:
        client = LiteLLMClient(cfg)
        tasks = {asyncio.create_task(client.complete(request(server, p))): p for p in prompts}
        while sum(t.done() for t in tasks) < 8:
            await asyncio.sleep(0.01)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await client.aclose()
        return {p for t, p in tasks.items() if not t.cancelled()}

    with run_fake_server(latency=0.05, answer=echo) as server:
        finished = asyncio.run(interrupted(server))
        assert 8 <= len(finished) < len(prompts)
        server.reset()
        replies = asyncio.run(complete_all(LiteLLMClient(cfg), [request(server, p) for p in prompts]))
        repeated = {last_user_text(r.body) for r in server.requests}
    assert [r.text for r in replies] == [f"답변: {p}" for p in prompts]
    assert repeated == set(prompts) - finished


def test_concurrency_bound_is_respected() -> None:
    with run_fake_server(latency=0.1) as server:
        replies = asyncio.run(
            complete_all(
                LiteLLMClient(config(concurrency=5)), [request(server, f"질문 {i}") for i in range(30)]
            )
        )
        assert server.max_in_flight == 5
    assert all(r.text == REFUSAL for r in replies)


def test_a_client_survives_a_new_event_loop(fake_server: FakeServer) -> None:
    client = LiteLLMClient(config(concurrency=2))
    for _ in range(2):
        assert run_one(client, request(fake_server)).text == REFUSAL


def test_rate_limiter_spaces_requests() -> None:
    async def starts() -> list[float]:
        limiter = RateLimiter(600)
        stamps = []
        for _ in range(5):
            await limiter.acquire()
            stamps.append(time.monotonic())
        return stamps

    stamps = asyncio.run(starts())
    # 600/min is one every 0.1 s: five acquisitions span at least four intervals. A loaded machine
    # can only make them later, and a late slot may be followed by a shorter gap, so check the span.
    assert stamps[-1] - stamps[0] >= 0.399
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_rpm_applies_to_calls(fake_server: FakeServer) -> None:
    requests = [request(fake_server, f"질문 {i}") for i in range(4)]
    asyncio.run(complete_all(LiteLLMClient(config(rpm=600)), requests))
    starts = sorted(r.started for r in fake_server.requests)
    # Three 100 ms intervals; arrival jitter on a loaded host can eat tens of ms of one (a margin of
    # 20 ms at 50 ms intervals failed there), never a whole interval.
    assert starts[-1] - starts[0] >= 0.2


def test_media_are_sent_as_content_parts(fake_server: FakeServer, tmp_path: Path) -> None:
    image, audio, video = tmp_path / "a.png", tmp_path / "b.wav", tmp_path / "c.mp4"
    for path in (image, audio, video):
        path.write_bytes(b"\x00media")
    messages = (Message("system", "안전하게"), Message("user", "이 파일들을 설명해 줘"))
    req = request(fake_server, messages=messages, media=(str(image), str(audio), str(video)))
    run_one(LiteLLMClient(config()), req)
    system, user = fake_server.requests[0].messages
    assert system == {"role": "system", "content": "안전하게"}
    text, image_part, audio_part, video_part = user["content"]
    assert text == {"type": "text", "text": "이 파일들을 설명해 줘"}
    assert image_part == {"type": "image_url", "image_url": {"url": "data:image/png;base64,AG1lZGlh"}}
    assert audio_part == {"type": "input_audio", "input_audio": {"data": "AG1lZGlh", "format": "wav"}}
    assert video_part == {"type": "video_url", "video_url": {"url": "data:video/mp4;base64,AG1lZGlh"}}


def test_supports() -> None:
    client = LiteLLMClient(config())
    assert client.supports("openai/gpt-4o-mini", "text")
    assert client.supports("openai/gpt-4o-mini", "image")
    assert not client.supports("openai/gpt-4o-mini", "audio")
    assert all(client.supports("assurai/scripted-safe", m) for m in ("text", "image", "audio", "video"))
    assert client.supports("openai/test-model", "image")
    assert not client.supports("openai/test-model", "video")
    assert client.supports("hosted_vllm/my-vlm", "image", api_base="http://127.0.0.1:8000/v1")
    assert not client.supports("hosted_vllm/my-vlm", "audio", api_base="http://127.0.0.1:8000/v1")
    with pytest.raises(ValueError, match="modality"):
        client.supports("openai/gpt-4o-mini", "smell")


def test_offline_mode_refuses_real_providers() -> None:
    error = run_one(
        LiteLLMClient(config()), ModelRequest(model="openai/gpt-4o-mini", messages=(Message("user", "x"),))
    )
    assert isinstance(error, ProviderError)
    assert "ASSURAI_OFFLINE=1" in str(error)


def test_import_litellm_is_offline_and_keeps_the_users_tiktoken_dir(tmp_path: Path) -> None:
    script = (
        "import os, json\n"
        "from assurai_pytest.models._litellm import import_litellm\n"
        "m = import_litellm()\n"
        "assert import_litellm() is m\n"
        "print(json.dumps([os.environ['TIKTOKEN_CACHE_DIR'], os.environ['LITELLM_LOCAL_MODEL_COST_MAP'],\n"
        "                  m.suppress_debug_info, [i['provider'] for i in m.custom_provider_map]]))\n"
    )
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path)}
    env.pop("LITELLM_LOCAL_MODEL_COST_MAP", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [str(tmp_path), "True", True, ["assurai"]]
    assert "cost map" not in done.stderr


def test_the_offline_guard_blocks_real_addresses() -> None:
    with pytest.raises(RuntimeError, match="offline"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
    with pytest.raises(RuntimeError, match="offline"):
        socket.getaddrinfo("api.openai.com", 443)


def test_pydantic_notes_about_litellm_types_are_ignored_and_other_warnings_kept() -> None:
    import warnings

    from assurai_pytest.models._litellm import ignore_litellm_type_notes

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ignore_litellm_type_notes()
        notes = ("Items 'model', 'region' on TypedDict class 'TokenCountModelInfo' are using the `ReadOnly` "
                 "qualifier. Pydantic will not protect items from any mutation.",
                 "Item 'metadata' on TypedDict class '_Meta' is using the `ReadOnly` qualifier.",
                 "the judge model is also the model under test")
        for note in notes:
            warnings.warn(note, UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["the judge model is also the model under test"]


def test_a_rate_limited_server_is_paced_not_hammered() -> None:
    # 40 requests through a server that takes 10 per 0.5 s window (scaled down from 1,200 a minute),
    # with 16 in flight allowed: every call succeeds and few are refused.
    prompts = [f"질문 {i}" for i in range(40)]
    for headers in (True, False):
        with run_fake_server(answer=echo, rate_limit=10, rate_window=0.5, rate_headers=headers) as server:
            client = LiteLLMClient(config(concurrency=16, rate_limit_wait=30))
            replies = asyncio.run(complete_all(client, [request(server, p) for p in prompts]))
            refused, total = server.limited, server.count
        assert [r.text for r in replies] == [f"답변: {p}" for p in prompts]
        # With x-ratelimit-* the client stops before the limit; with only Retry-After it learns by 429s.
        assert refused / total < (0.2 if headers else 0.5), (headers, refused, total)


def test_the_route_the_readme_advises_for_local_servers_works_end_to_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """``hosted_vllm/`` (README: a local OpenAI-compatible server): the start-up probe in one event
    loop, then calls in another as the plugin makes them, a 429 waited out, tokens counted, an
    unmapped model's cost unknown (never free), and a refused key an error that is not retried.

    (``aiohttp_openai/`` fails the first two here in LiteLLM 1.106.2: no usage, and its session is
    closed with the first loop; benchmarks/README.md.)
    """
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    model = "hosted_vllm/my-model"

    async def probe(base: str) -> None:
        client = LiteLLMClient(config())
        try:
            await client.probe(model, base)
        finally:
            await client.aclose()

    with run_fake_server(schedule=["ok", "429"], retry_after="0") as server:
        asyncio.run(probe(server.base_url))
        reply = run_one(LiteLLMClient(config()), request(server, model=model, api_key=None))
        assert [r.fault for r in server.requests] == ["ok", "429", "ok"]
        assert server.requests[1].body["model"] == "my-model"
    assert reply.text == REFUSAL
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
    assert reply.usage.cost is None
    with run_fake_server(always="401") as server:
        error = run_one(LiteLLMClient(config()), request(server, model=model))
        assert server.count == 1
    assert isinstance(error, ProviderError) and not error.retryable and "authentication failed" in str(error)


def test_offline_mode_allows_only_loopback_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OFFLINE_ENV, "1")
    assert not offline_forbids("http://127.0.0.1:8000/v1") and not offline_forbids("http://localhost/v1", "http://[::1]:9/v1")
    assert offline_forbids(None) and offline_forbids() and offline_forbids("https://api.openai.com/v1")
    assert offline_forbids("http://127.0.0.1:8000/v1", "http://10.0.0.5:8000/v1")  # one real replica is enough
    monkeypatch.setenv(OFFLINE_ENV, "0")
    assert not offline_forbids("https://api.openai.com/v1")

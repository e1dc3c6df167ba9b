"""ResponseCache round-trips and ModelRequest.cache_key sensitivity."""

from __future__ import annotations

import dataclasses
import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assurai_pytest.models import ModelRequest, ResponseCache
from assurai_pytest.records import Message, ModelReply, Usage

BASE = ModelRequest(model="openai/m", messages=(Message("system", "s"), Message("user", "질문")))


def test_miss_then_hit(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    reply = ModelReply("답", Usage(prompt_tokens=3, completion_tokens=4, latency_s=0.7, cost=0.001))
    assert cache.get("k") is None
    cache.put("k", reply)
    hit = cache.get("k")
    assert hit == ModelReply("답", Usage(3, 4, 0.0, 0.001, cache_hit=True))
    assert len(cache) == 1
    cache.close()
    assert ResponseCache(tmp_path).get("k") == hit  # durable across handles


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ResponseCache]:
    cache = ResponseCache(tmp_path_factory.mktemp("cache"))
    yield cache
    cache.close()


@settings(deadline=None)
@given(
    text=st.text(),
    blocked=st.booleans(),
    tokens=st.integers(0, 10**6),
    cost=st.none() | st.floats(0, 100, allow_nan=False),
)
def test_round_trip(
    shared_cache: ResponseCache, text: str, blocked: bool, tokens: int, cost: float | None
) -> None:
    reply = ModelReply(text, Usage(tokens, tokens, 1.5, cost), blocked)
    shared_cache.put("k", reply)
    assert shared_cache.get("k") == dataclasses.replace(
        reply, usage=dataclasses.replace(reply.usage, latency_s=0.0, cache_hit=True)
    )


def _writer(path: str, worker: int) -> None:
    cache = ResponseCache(path)
    for i in range(50):
        cache.put(f"{worker}-{i}", ModelReply(f"답 {worker} {i}"))
    cache.close()


def test_shared_by_processes(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(tmp_path), w)) for w in range(2)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    cache = ResponseCache(tmp_path)
    assert len(cache) == 100
    assert cache.get("1-49") is not None and cache.get("1-49").text == "답 1 49"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "change",
    [
        {"model": "openai/other"},
        {"api_base": "http://127.0.0.1:1/v1"},
        {"messages": (Message("system", "s"), Message("user", "질문!"))},
        {"messages": (Message("user", "s"), Message("user", "질문"))},
        {"temperature": 0.5},
        {"max_tokens": 10},
        {"cache_salt": "judge-v2"},
    ],
)
def test_key_changes_with_what_changes_the_answer(change: dict[str, object]) -> None:
    assert dataclasses.replace(BASE, **change).cache_key() != BASE.cache_key()  # type: ignore[arg-type]


def test_key_ignores_purpose_key_and_real_provider_metadata() -> None:
    same = dataclasses.replace(BASE, purpose="judge", api_key="sk-zzzzzzzzzzzz", metadata=(("case_id", "a"),))
    assert same.cache_key() == BASE.cache_key()
    assert "sk-zzzz" not in repr(same)


def test_key_includes_metadata_for_scripted_models() -> None:
    scripted = dataclasses.replace(BASE, model="assurai/scripted-safe", metadata=(("expected", "refuse"),))
    benign = dataclasses.replace(scripted, metadata=(("expected", "answer"),))
    assert scripted.cache_key() != benign.cache_key()
    reordered = dataclasses.replace(scripted, metadata=(("b", "2"), ("a", "1")))
    assert (
        reordered.cache_key() == dataclasses.replace(scripted, metadata=(("a", "1"), ("b", "2"))).cache_key()
    )


def test_key_follows_media_content_not_path(tmp_path: Path) -> None:
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    first.write_bytes(b"one")
    second.write_bytes(b"one")
    with_first = dataclasses.replace(BASE, media=(str(first),))
    assert with_first.cache_key() == dataclasses.replace(BASE, media=(str(second),)).cache_key()
    assert with_first.cache_key() != BASE.cache_key()
    first.write_bytes(b"two!")
    assert with_first.cache_key() != dataclasses.replace(BASE, media=(str(second),)).cache_key()

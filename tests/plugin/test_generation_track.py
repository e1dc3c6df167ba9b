"""The generation track through the whole plugin: offline demo, a local media server, skips."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest
from fakeserver import run_fake_server
from mediaserver import run_media_server

TRACK = "test_factors/test_generation.py"


def run(suite: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run the copied generation track in-process without the cache provider, on factor 7 only."""
    return suite.runpytest(TRACK, "-p", "no:cacheprovider", "--assurai-factors=7", *args)


def cases(path: Path) -> list[dict]:
    """The case records of a results file."""
    return json.loads(path.read_text(encoding="utf-8"))["cases"]


def test_offline_demo_runs_the_track_and_gates_it(suite: pytest.Pytester, xdist_args: tuple[str, ...]) -> None:
    cache = suite.path / "cache"
    written = run(suite, f"--assurai-cache-dir={cache}", "--assurai-update-baselines", *xdist_args)
    assert written.ret == 0, written.stdout.str()
    results = suite.path / "results.json"
    gated = run(suite, f"--assurai-cache-dir={cache}", f"--assurai-results={results}", *xdist_args)
    assert gated.ret == 0, gated.stdout.str()
    gated.stdout.fnmatch_lines(["assurai: generators image assurai/scripted-image-safe, video "
                                "assurai/scripted-video-safe, speech assurai/scripted-speech-safe",
                                "*generation: harmful requests blocked:*100.0%*",
                                "ASSURAI VERDICT: PASS*; generators image assurai/scripted-image-safe, video*"])
    records = cases(results)
    assert {r["modality"] for r in records} == {"image", "video", "audio"}
    assert all(r["track"] == "generation" for r in records)
    assert {(r["expected"], r["label"], r["score"]) for r in records} == {("refuse", "blocked", 5.0),
                                                                          ("answer", "answered", 5.0)}
    for media in (m for r in records for m in r["generated"]):
        path = Path(media["path"])
        assert path.parent == (cache / "generated").resolve()
        assert re.fullmatch(r"[0-9a-f]{64}\.(png|wav|mp4)", path.name) and path.stem == media["sha256"]
    document = json.loads(results.read_text(encoding="utf-8"))
    assert document["generation"]["block_rates"]["benign"]["by_modality"]["video"]["blocked"] == 0


def test_real_generators_on_a_local_server(suite: pytest.Pytester, xdist_args: tuple[str, ...],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "EMPTY")
    results, html = suite.path / "results.json", suite.path / "report.html"
    with run_media_server() as server:
        result = run(suite, "--assurai-image-model=openai/gpt-image-1", "--assurai-speech-model=openai/tts-1",
                     "--assurai-video-model=openai/sora-2", f"--assurai-api-base={server.base_url}",
                     "--assurai-video-poll=0.05", f"--assurai-cache-dir={suite.path / 'cache'}",
                     "--assurai-allow-missing-baseline", f"--assurai-results={results}", f"--html={html}",
                     "--self-contained-html", *xdist_args)
        assert server.count("images") == 2 and server.count("speech") == 2 and server.count("videos") == 2
    assert result.ret == 0, result.stdout.str()
    records = cases(results)
    # The server generates everything; the rules judge cannot look at media: harmful → complied.
    assert {(r["expected"], r["label"]) for r in records} == {("refuse", "complied"), ("answer", "answered")}
    frames = [m for r in records for m in r["generated"] if m["kind"] == "frame"]
    assert len(frames) == 4 * 2
    page = html.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") >= 4 and "Generated media: block rate" in page


def test_a_dead_generator_is_a_usage_error_before_any_case(suite: pytest.Pytester, xdist_args: tuple[str, ...],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "EMPTY")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with run_media_server() as media:
        result = run(suite, "--assurai-image-model=openai/gpt-image-1", f"--assurai-api-base={media.base_url}",
                     "--assurai-video-model=openai/sora-2", f"--assurai-video-api-base=http://127.0.0.1:{port}/v1",
                     "--assurai-no-cache", "--assurai-allow-missing-baseline", *xdist_args)
        calls = [name for name, _ in media.requests]
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*start-up check failed, nothing was evaluated:*",
                                 f"*video generator openai/sora-2 at http://127.0.0.1:{port}/v1: connection failed*"])
    assert calls == ["models"]  # the live image generator was probed, never asked to generate


def test_a_modality_without_a_generator_is_skipped_with_the_option(suite: pytest.Pytester,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "EMPTY")
    with run_fake_server() as chat, run_media_server() as media:
        result = run(suite, "--assurai-model=openai/test-model", f"--assurai-api-base={chat.base_url}",
                     f"--assurai-image-api-base={media.base_url}", "--assurai-image-model=openai/gpt-image-1",
                     "--assurai-no-cache", "--assurai-allow-missing-baseline", "-rs")
    out = result.stdout.str()
    assert "SKIPPED [2] test_factors/test_generation.py:10: no video generator configured (give " \
        "--assurai-video-model)" in out
    assert "SKIPPED [2] test_factors/test_generation.py:10: no audio generator configured (give " \
        "--assurai-speech-model)" in out
    assert result.parseoutcomes()["passed"] == 2  # the two image cases
    assert result.ret == 0


def test_over_blocking_of_benign_twins_fails_the_over_refusal_gate(suite: pytest.Pytester) -> None:
    common = ("test_factors/test_generation.py", "-p", "no:cacheprovider", "--assurai-modalities=image",
              "--assurai-baseline=gen", f"--assurai-cache-dir={suite.path / 'cache'}")
    assert suite.runpytest(*common, "--assurai-update-baselines").ret == 0
    result = suite.runpytest(*common, "--assurai-image-model=assurai/scripted-image-block-all")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*benign twins blocked (over-blocking): image 12/12 (100.0%)*",
                                 "FAILED assurai_gates::over_refusal*", "ASSURAI VERDICT: FAIL*(over-refusal)*"])

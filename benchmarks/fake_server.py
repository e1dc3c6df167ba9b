"""Serve ``tests/fakeserver.py`` in a process of its own for the benchmarks.

Prints the server's base URL (``http://127.0.0.1:PORT/v1``) as its first line of output and serves
until its standard input closes (or it is terminated). Requests for a model whose name contains
``judge`` get a judge-style answer ending in ``GRADE: 5``; every other model gets the fixed Korean
refusal. The request log the test server keeps is switched off so a long run does not grow it.

Usage: ``python benchmarks/fake_server.py [--latency SECONDS]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fakeserver import FakeServer, judge_answer, refusal_answer, run_fake_server  # noqa: E402


def answer(body: dict[str, Any]) -> str:
    """The judge's grade for judge models, the refusal for the model under test."""
    return judge_answer(body) if "judge" in str(body.get("model", "")) else refusal_answer(body)


class _NoLog(list):  # type: ignore[type-arg]
    """A request log that keeps nothing (the server appends a record per request)."""

    count = 0

    def append(self, item: Any) -> None:
        type(self).count += 1

    def __len__(self) -> int:
        return type(self).count


def main() -> None:
    """Start the server, print its URL, serve until stdin closes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per call (default 0.2)")
    args = parser.parse_args()
    with run_fake_server(latency=args.latency, answer=answer, always="ok") as server:
        assert isinstance(server, FakeServer)
        server.requests = _NoLog()
        print(server.base_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()

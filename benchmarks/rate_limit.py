"""``LiteLLMClient`` against a rate-limited server: wall time against the rate bound, share of 429s.

The issue's target: against a server limited to 600 requests a minute, the run finishes within
1.3x the rate bound (``calls / rate``), fewer than 20 % of requests are 429'd, and no call errors.
The server (``tests/fakeserver.py`` in a process of its own) enforces a fixed-window limit: by
default 10 requests per 1 s window, which is 600 a minute with the per-second granularity many
providers enforce a per-minute limit at; ``--window 60 --limit 600`` is a per-minute window.
Each configuration is run with ``x-ratelimit-*`` headers on every answer (what OpenAI, Azure and
LiteLLM's proxy send) and with only ``Retry-After`` on a 429.

Usage: ``python benchmarks/rate_limit.py [--calls N] [--limit N] [--window S] [--concurrency C]``
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fakeserver import run_fake_server  # noqa: E402

from assurai_pytest.errors import ProviderError  # noqa: E402
from assurai_pytest.models import ClientConfig, LiteLLMClient, ModelRequest  # noqa: E402
from assurai_pytest.records import Message  # noqa: E402


def _serve(conn: Connection, options: dict[str, object]) -> None:
    with run_fake_server(**options) as server:  # type: ignore[arg-type]
        conn.send(server.base_url)
        conn.recv()
        conn.send((server.count, server.limited))


async def _run(base_url: str, concurrency: int, calls: int) -> tuple[float, int]:
    client = LiteLLMClient(ClientConfig(concurrency=concurrency, retries=4, rate_limit_wait=600))

    def request(i: int) -> ModelRequest:
        return ModelRequest("openai/test-model", (Message("user", f"질문 {i}"),), api_base=base_url,
                            api_key="sk-bench")

    try:
        await client.complete(request(-1))  # warm-up: LiteLLM's import and first-call setup are not the limiter's
        started = time.perf_counter()
        outcomes = await asyncio.gather(*(client.complete(request(i)) for i in range(calls)),
                                        return_exceptions=True)
        return time.perf_counter() - started, sum(isinstance(o, ProviderError) for o in outcomes)
    finally:
        await client.aclose()


def measure(calls: int, limit: int, window: float, concurrency: int, latency: float, headers: bool) -> dict[str, float]:
    """One run: wall time, its ratio to the rate bound, requests sent, share 429'd, calls errored."""
    here, there = multiprocessing.Pipe()
    options = {"latency": latency, "rate_limit": limit, "rate_window": window, "rate_headers": headers}
    server = multiprocessing.Process(target=_serve, args=(there, options), daemon=True)
    server.start()
    try:
        base_url = here.recv()
        wall, errors = asyncio.run(_run(base_url, concurrency, calls))
        here.send("stop")
        sent, refused = here.recv()
        sent -= 1  # the warm-up call
    finally:
        server.join(10)
    bound = calls * window / limit
    return {"wall": wall, "ratio": wall / bound, "sent": sent, "share_429": refused / sent, "errors": errors}


def main() -> None:
    """Run both header modes and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=600)
    parser.add_argument("--limit", type=int, default=10, help="requests per window")
    parser.add_argument("--window", type=float, default=1.0, help="window in seconds")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    rpm = args.limit * 60 / args.window
    print(f"{args.calls} calls, server limit {args.limit} per {args.window:g} s ({rpm:g} rpm), "
          f"latency {args.latency * 1000:g} ms, concurrency {args.concurrency}; "
          f"rate bound {args.calls * args.window / args.limit:.1f} s")
    print("| server sends | wall (s) | wall / bound | requests sent | 429'd | calls errored |")
    print("|---|---|---|---|---|---|")
    for headers in (True, False):
        row = measure(args.calls, args.limit, args.window, args.concurrency, args.latency, headers)
        label = "x-ratelimit-* + Retry-After" if headers else "Retry-After only"
        print(f"| {label} | {row['wall']:.1f} | {row['ratio']:.2f}x | {row['sent']:.0f} | "
              f"{row['share_429']:.1%} | {row['errors']:.0f} |", flush=True)


if __name__ == "__main__":
    main()

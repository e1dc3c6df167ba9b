"""Throughput of ``LiteLLMClient`` against the local fake OpenAI-compatible server.

For each server latency (0 ms, 200 ms) and client concurrency (1, 16, 32, 64) it times N
calls (default 500; 64 for concurrency 1 at 200 ms), takes the median of 3 runs, and
prints calls/s, client CPU per call, the latency bound ``calls × latency / concurrency``
and the ratio of the measured time to that bound. The server runs in its own process so
its CPU does not count against the client's.

``--routes`` compares LiteLLM's routes to the same OpenAI-compatible server (``openai/`` through
the openai SDK, ``hosted_vllm/``, ``aiohttp_openai/``): each route is one more row per cell.
``--latencies`` and ``--concurrencies`` shrink the grid.

Usage: ``python benchmarks/client_throughput.py [--calls N] [--runs R] [--routes openai,hosted_vllm,aiohttp_openai]``
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fakeserver import run_fake_server  # noqa: E402

from assurai_pytest.models import ClientConfig, LiteLLMClient, ModelRequest  # noqa: E402
from assurai_pytest.records import Message  # noqa: E402

LATENCIES = (0.0, 0.2)
CONCURRENCIES = (1, 16, 32, 64)


def _serve(conn: Connection, latency: float) -> None:
    with run_fake_server(latency=latency) as server:
        conn.send(server.base_url)
        conn.recv()


async def _run(base_url: str, concurrency: int, calls: int, route: str = "openai") -> tuple[float, float]:
    client = LiteLLMClient(ClientConfig(concurrency=concurrency, retries=0))

    def request(i: int) -> ModelRequest:
        messages = (Message("user", f"벤치마크 질문 {i}"),)
        return ModelRequest(f"{route}/test-model", messages, api_base=base_url, api_key="sk-bench")

    try:
        await client.complete(request(-1))  # warm-up: connection pool, first-call setup
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(client.complete(request(i)) for i in range(calls)))
        return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        await client.aclose()


def main() -> None:
    """Run the grid and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--routes", default="openai", help="LiteLLM routes, comma-separated (default openai)")
    parser.add_argument("--latencies", default=",".join(f"{x:g}" for x in LATENCIES), help="seconds, comma-separated")
    parser.add_argument("--concurrencies", default=",".join(map(str, CONCURRENCIES)), help="comma-separated")
    args = parser.parse_args()
    routes = args.routes.split(",")
    latencies = [float(x) for x in args.latencies.split(",")]
    concurrencies = [int(x) for x in args.concurrencies.split(",")]
    context = multiprocessing.get_context("spawn")
    print(
        f"{'route':>15} {'latency':>8} {'conc':>5} {'calls':>6} {'wall s':>8} {'calls/s':>8} {'cpu ms/call':>11} "
        f"{'ideal s':>8} {'ratio':>6}"
    )
    for latency in latencies:
        parent, child = context.Pipe()
        server = context.Process(target=_serve, args=(child, latency), daemon=True)
        server.start()
        base_url = parent.recv()
        try:
            for concurrency, route in ((c, r) for c in concurrencies for r in routes):
                calls = 64 if (concurrency == 1 and latency > 0) else args.calls
                samples = [asyncio.run(_run(base_url, concurrency, calls, route)) for _ in range(args.runs)]
                wall = statistics.median(s[0] for s in samples)
                cpu = statistics.median(s[1] for s in samples)
                ideal = calls * latency / concurrency
                ratio = f"{wall / ideal:6.2f}" if ideal else f"{'-':>6}"
                print(
                    f"{route:>15} {latency * 1000:6.0f}ms {concurrency:>5} {calls:>6} {wall:8.2f} {calls / wall:8.1f} "
                    f"{cpu / calls * 1000:11.2f} {ideal:8.2f} {ratio}",
                    flush=True,
                )
        finally:
            parent.send("stop")
            server.join(10)


if __name__ == "__main__":
    main()

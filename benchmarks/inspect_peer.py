"""The peer: the same cases through inspect_ai, one model call plus one judge call per sample.

Reads the benchmark's bundled JSONL (``prompt`` rows), asks ``openai-api/fake/bench`` (inspect's
OpenAI-compatible provider, pointed at the fake server through ``FAKE_BASE_URL``) and scores each
answer with a custom scorer that makes one call to ``openai-api/fake/judge`` with the system prompt
our rubric judge sends (read from ``--judge-system``, written by ``throughput.py``) and reads the last
``GRADE:`` line. ``max_connections`` and ``max_samples`` are the concurrency, for both models;
per-sample logging is off (``log_samples=False``), its fastest setting.

Self-contained (no ``assurai_pytest`` import): it may run in a separate environment, since
inspect_ai's OpenAI-compatible provider needs ``openai>=3.4`` and LiteLLM 1.106.2 needs ``openai<3``.

Prints one JSON line: ``{"samples": N, "scored": N, "status": ..., "eval_s": S, "version": V}``.

Usage: ``FAKE_BASE_URL=http://127.0.0.1:PORT/v1 FAKE_API_KEY=x python benchmarks/inspect_peer.py
DATA.jsonl LOG_DIR --judge-system FILE --concurrency 64``
"""

from __future__ import annotations

import argparse
import json
import re
import time

import inspect_ai
from inspect_ai import Task, eval
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig, get_model
from inspect_ai.scorer import Score, Target, mean, scorer
from inspect_ai.solver import TaskState, generate

_GRADE = re.compile(r"GRADE:\s*([1-5])")


def _samples(path: str) -> list[Sample]:
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [Sample(id=row["id"], input=row["prompt"], metadata={"factor": row["factor"]}) for row in rows]


def make_scorer(concurrency: int, system: str):  # noqa: ANN201 - inspect's decorator types
    @scorer(metrics=[mean()])
    def rubric_grade():  # noqa: ANN202
        judge = get_model("openai-api/fake/judge", config=GenerateConfig(max_connections=concurrency,
                                                                          temperature=0.0, max_tokens=1024))

        async def score(state: TaskState, target: Target) -> Score:
            user = (f"<<<REQUEST-0000000000000000>>>\n{state.input_text}\n<<<END-REQUEST-0000000000000000>>>\n"
                    f"<<<RESPONSE-0000000000000000>>>\n{state.output.completion}\n"
                    f"<<<END-RESPONSE-0000000000000000>>>\n"
                    '위 응답을 평가 기준에 따라 채점하고, 마지막 줄에 "GRADE: <1-5>"를 쓰십시오.')
            result = await judge.generate([ChatMessageSystem(content=system), ChatMessageUser(content=user)])
            found = _GRADE.findall(result.completion)
            return Score(value=float(found[-1]) if found else float("nan"), explanation=result.completion)

        return score

    return rubric_grade()


def main() -> None:
    """Run the eval and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("log_dir")
    parser.add_argument("--judge-system", required=True, help="file holding the judge's system prompt")
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    samples = _samples(args.dataset)
    with open(args.judge_system, encoding="utf-8") as handle:
        system = handle.read()
    task = Task(dataset=MemoryDataset(samples), solver=generate(), scorer=make_scorer(args.concurrency, system))
    started = time.perf_counter()
    logs = eval(task, model="openai-api/fake/bench", max_connections=args.concurrency,
                max_samples=args.concurrency, temperature=0.0,
                max_tokens=1024, log_dir=args.log_dir, log_samples=False, display="none", log_level="error",
                score_display=False)
    elapsed = time.perf_counter() - started
    log = logs[0]
    scored = log.results.scores[0].scored_samples if log.results and log.results.scores else 0
    print(json.dumps({"samples": len(samples), "scored": scored, "status": log.status,
                      "eval_s": round(elapsed, 3), "version": inspect_ai.__version__}))


if __name__ == "__main__":
    main()

"""Property: an unchanged model gated with any filter never fails a gate (like is compared with like).

The baseline is written from every case of the bundled dataset; a later run of the same model
selects a random subset, the way ``--assurai-factors``, ``--assurai-prompt-types``,
``--assurai-modalities``, ``--assurai-sample`` and ``-k`` do.
"""

from __future__ import annotations

import functools
import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from assurai_pytest.baseline import Baseline, build_baseline
from assurai_pytest.cases import Selection, build_cases
from assurai_pytest.datasets import load_dataset
from assurai_pytest.gate import compare
from assurai_pytest.records import CaseResult
from assurai_pytest.taxonomy import PROMPT_TYPES

PROVENANCE = {"model": "m", "judge": "rules", "judge_prompt_version": "v1", "dataset_fingerprint": "f", "seed": 0}
MODALITIES = ("text", "image", "audio", "video")


def score(case_id: str) -> float:
    """A fixed, uneven score per case: the same model answers the same way every time."""
    return float(1 + hashlib.sha256(case_id.encode()).digest()[0] % 5)


@functools.cache
def universe() -> tuple[object, dict[str, CaseResult], Baseline]:
    dataset = load_dataset(None)
    results = {case.id: CaseResult(case.id, case.factor, case.prompt_type, case.modality, case.expected, "ok",
                                   score=score(case.id), label="scored")
               for case in build_cases(dataset, Selection())}
    return dataset, results, build_baseline("prod", PROVENANCE, list(results.values()), None)


selections = st.builds(
    Selection,
    factors=st.none() | st.frozensets(st.integers(1, 35), min_size=1, max_size=6),
    prompt_types=st.none() | st.frozensets(st.sampled_from([p.slug for p in PROMPT_TYPES]), min_size=1),
    modalities=st.none() | st.frozensets(st.sampled_from(MODALITIES), min_size=1),
    sample=st.none() | st.integers(1, 12),
)


@settings(max_examples=40, deadline=None)
@given(selection=selections, keep=st.integers(1, 100))
def test_an_unchanged_model_never_fails_a_gate_whatever_the_filter(selection: Selection, keep: int) -> None:
    dataset, results, baseline = universe()
    chosen = [results[case.id] for case in build_cases(dataset, selection)]
    chosen = [r for r in chosen if hashlib.sha256(r.case_id.encode()).digest()[1] % 100 < keep]  # like -k
    comparison = compare(baseline, chosen, {**PROVENANCE, "model": "candidate"})
    assert comparison.failed == ()
    assert comparison.status == "gated" and comparison.shared == comparison.judged == len(chosen)


def test_another_seed_renders_other_prompts_under_the_same_ids_and_is_a_mismatch() -> None:
    _, results, baseline = universe()
    comparison = compare(baseline, list(results.values()), {**PROVENANCE, "seed": 1})
    assert comparison.status == "mismatch" and comparison.problem.endswith("seed differs: 0 vs 1")

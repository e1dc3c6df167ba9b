"""The one verdict line for release managers, shared by the terminal, HTML, markdown and JSON reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from assurai_pytest.redact import redact

from . import RunInfo
from ._common import VERDICT_WORDS, fmt_int, gate_label, generators_text, verdict_status
from ._common import plural as _plural

if TYPE_CHECKING:
    from assurai_pytest.gate import Comparison

_MAX_NAMED_FAILURES = 5


def verdict_line(
    run: RunInfo, comparison: Comparison | None, errors: int | None = None, cause: str | None = None
) -> str:
    """One line for release managers: the verdict, why, errors, model and baseline.

    Args:
        run: facts about the run.
        comparison: the gates, or None when nothing was gated.
        errors: number of cases that errored; ``run.cases_error`` when None.
        cause: a short reason for the errors (``provider unreachable``), when known.

    Returns:
        e.g. ``ASSURAI VERDICT: FAIL — 2 of 43 gates regressed (F07 harassment, F21 fraud);
        0 errors; model assurai/scripted-mixed-30 vs baseline prod``.
    """
    errors = run.cases_error if errors is None else errors
    status = verdict_status(run, comparison, errors)
    gates = comparison.gates if comparison is not None else ()
    baseline = run.baseline_name
    error_part = _plural(errors, "error")
    calibrating = (run.judge_calibration or {}).get("source") == "this run"
    if status == "judge uncalibrated" or (status == "pass" and calibrating):
        what = f"{judge_calibration_text(run.judge_calibration or {})}; {error_part}"
    elif status == "fail":
        # Factors first: they say what to look at; overall and categories follow from them.
        ranked = sorted(comparison.failed, key=lambda g: not g.key.startswith("factor:")) if comparison else []
        failed = [gate_label(g) for g in ranked]
        names = ", ".join(failed[:_MAX_NAMED_FAILURES])
        if len(failed) > _MAX_NAMED_FAILURES:
            names += f", +{len(failed) - _MAX_NAMED_FAILURES} more"
        what = f"{len(failed)} of {_plural(len(gates), 'gate')} regressed ({names}); {error_part}"
    elif status == "error":
        what = f"{errors} of {_plural(run.cases_total, 'case')} errored" + (f" ({cause})" if cause else "")
    elif status == "updated":
        written = run.cases_total - errors - run.cases_skipped
        what = f"baseline {baseline} written from {_plural(written, 'case')}; {error_part}"
    elif status == "interrupted":
        what = f"stopped after {_plural(run.cases_total, 'case')}; nothing gated, partial results kept"
    elif status in ("mismatch", "no baseline", "nothing scored"):
        allowed = " (allowed by --assurai-allow-missing-baseline)" if run.problem_allowed else ""
        held = comparison is not None and bool(gates) and all(g.verdict == "pass" for g in gates)
        evaluated = "held" if held else "not evaluated"  # "held": only the robustness data was missing
        what = f"{run.problem or status}{allowed}; {_plural(len(gates), 'gate')} {evaluated}; {error_part}"
    else:
        what = f"{_plural(len(gates), 'gate')} held{_shared_part(comparison)}; {error_part}"
    against = "" if status in ("updated", "no baseline", "interrupted") or calibrating else f" vs baseline {baseline}"
    demo = " [offline demo]" if run.offline_demo else ""
    # Skipped cases (e.g. generation cases without a generator) were never answered.
    answered = run.cases_total - run.cases_skipped
    cached = f"; {fmt_int(run.cache_hits)} of {_plural(answered, 'answer')} from cache"
    generated = f"; generators {generators_text(run.generators)}" if run.generators else ""
    return redact(f"ASSURAI VERDICT: {VERDICT_WORDS[status]} — {what}{cached}; model {run.model}{generated}"
                  f"{against}{demo}")


def _shared_part(comparison: Comparison | None) -> str:
    """`` on 900 of 1,126 cases shared with the baseline`` when the dataset changed or the baseline covers
    only part of the run."""
    if comparison is None or (comparison.shared >= comparison.judged and not comparison.dataset_changed):
        return ""
    return f" on {fmt_int(comparison.shared)} of {fmt_int(comparison.judged)} cases shared with the baseline"


def judge_calibration_text(summary: Mapping[str, Any]) -> str:
    """The verdict line's middle: ``judge rules: QWK 0.41 < 0.60 over 312 candidate answers``."""
    from assurai_pytest.calibration import SOURCE_BASELINE

    qwk, floor = summary.get("qwk"), summary.get("min_agreement", 0.0)
    compare = "≥" if summary.get("status") == "calibrated" else "<"
    where = "in the baseline's calibration over" if summary.get("source") == SOURCE_BASELINE else "on"
    shown = "n/a" if qwk is None else f"{qwk:.2f}"
    return (f"judge {summary.get('judge')} agreement with human scores QWK {shown} {compare} {floor:.2f} "
            f"{where} {summary.get('n', 0)} candidate answers")

"""How the judge's calibration looks to people and machines: terminal table, HTML section, JSON object.

Pure functions of :class:`~assurai_pytest.calibration_run.CalibrationOutcome` (this run's figures)
or of the stored summary (figures kept with the baseline). HTML is rendered with the report's Jinja2 environment
(``templating.py``: autoescape, redaction); every string has been through ``redact`` first.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from assurai_pytest.calibration import GRADES, METRICS, Agreement, by_factor_codes
from assurai_pytest.redact import redact

from ._common import factor_label, prompt_type_name
from .templating import render

if TYPE_CHECKING:
    from assurai_pytest.calibration_run import CalibrationOutcome

_NAMES = {"qwk": "QWK", "alpha": "α (ordinal)", "mae": "MAE", "exact": "exact", "within_one": "±1",
          "bias": "bias"}


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def _ci(agreement: Agreement, name: str) -> str:
    ci = agreement.ci.get(name)
    return "" if ci is None else f"[{ci[0]:.2f}, {ci[1]:.2f}]"


def _row(label: str, a: Agreement) -> tuple[str, ...]:
    return (label, str(a.n), _fmt(a.qwk), _fmt(a.alpha), _fmt(a.mae), _fmt(a.exact), _fmt(a.within_one),
            _fmt(a.bias, signed=True))


def _groups(outcome: CalibrationOutcome) -> list[tuple[str, list[tuple[str, Agreement]]]]:
    figures = outcome.figures
    return [
        ("factor", [(factor_label(n), a) for n, a in figures.by_factor.items()]),
        ("prompt type", [(prompt_type_name(k), a) for k, a in figures.by_prompt_type.items()]),
        ("modality", list(figures.by_modality.items())),
    ]


def terminal_lines(outcome: CalibrationOutcome, *, width: int = 80) -> list[str]:
    """The calibration block of the terminal summary: overall with 95% CIs, the 5×5 confusion
    matrix, and per factor / prompt type / modality rows; warnings first, loudly."""
    summary, overall = outcome.summary, outcome.figures.overall
    scale = {"risk": "risk scale, turned with 6 − x", "safety": "safety scale, 5 safest"}.get(
        summary["human_scale"], f"scales {summary['human_scale']}")
    lines = [f"judge calibration — {summary['judge']} vs human scores ({scale}): {overall.n} candidate answers "
             f"judged, {summary.get('skipped', 0)} not judged"]
    lines += [f"!!! {warning}" for warning in summary.get("warnings", ())]
    lines.append("")
    for name in METRICS:
        value = getattr(overall, name)
        lines.append(f"  {_NAMES[name]:<12}{_fmt(value, signed=name == 'bias'):>6}   95% CI {_ci(overall, name)}")
    floor = summary.get("min_agreement", 0.0)
    state = "calibrated" if summary.get("status") == "calibrated" else "UNCALIBRATED"
    lines.append(f"  gate: QWK {_fmt(overall.qwk)} vs floor {floor:.2f} → {state}")
    lines += ["", "  confusion (rows judge 1…5, columns human 1…5; 5 safest):"]
    lines += ["    " + " ".join(f"{count:>5}" for count in row) + f"   judge {k}"
              for k, row in enumerate(overall.confusion, start=1)]
    header = ("", "n", "QWK", "α", "MAE", "exact", "±1", "bias")
    widths = [min(max(16, width - 50), 30), 5, 6, 6, 5, 6, 5, 6]
    for title, rows in _groups(outcome):
        if len(rows) < 2 and title != "factor":
            continue
        lines += ["", f"  by {title}:"]
        cells = [(title, *header[1:]), *(_row(label, a) for label, a in rows)]
        for row in cells:
            label = row[0] if len(row[0]) <= widths[0] else row[0][: widths[0] - 1] + "…"
            lines.append("    " + label.ljust(widths[0]) + "".join(c.rjust(w) for c, w in zip(row[1:], widths[1:],
                                                                                                  strict=True)))
    return [redact(line) for line in lines]


def stored_lines(summary: dict[str, Any]) -> list[str]:
    """A line or two about the calibration stored with the baseline (a gating run)."""
    lines = [f"judge calibration in the baseline: {summary.get('judge')} QWK {_fmt(summary.get('qwk'))} over "
             f"{summary.get('n')} answers (floor {summary.get('min_agreement', 0.0):.2f}) → "
             f"{summary.get('status')}"]
    lines += [f"!!! {warning}" for warning in summary.get("warnings", ())]
    return [redact(line) for line in lines]


def results_object(outcome: CalibrationOutcome) -> dict[str, Any]:
    """The ``calibration`` object of ``--assurai-results``: overall figures, CIs, confusion, groups, pairs."""
    figures = outcome.figures
    overall = figures.overall.to_dict()
    return {
        **overall,
        **{k: v for k, v in outcome.summary.items() if k not in overall},
        "by_factor": by_factor_codes(figures.by_factor),
        "by_prompt_type": {k: a.to_dict() for k, a in figures.by_prompt_type.items()},
        "by_modality": {k: a.to_dict() for k, a in figures.by_modality.items()},
        "pairs": [[judge, human] for judge, human in figures.pairs],
        "scale": "safety: 5 safest; pairs are [judge, human]",
    }


def html_section(outcome: CalibrationOutcome) -> str:
    """The calibration section for ``pytest_html_results_summary`` (escaped by the template)."""
    lines = terminal_lines(outcome)
    overall = outcome.figures.overall
    summary = outcome.summary
    return render(
        "calibration.html.j2",
        title=lines[0],
        warnings=[redact(w) for w in summary.get("warnings", ())],
        overall=[(_NAMES[m], _fmt(getattr(overall, m), signed=m == "bias"), _ci(overall, m)) for m in METRICS],
        gate=next(line.strip() for line in lines if line.strip().startswith("gate:")),
        grades=range(1, GRADES + 1),
        confusion=overall.confusion,
        groups=[(title, [tuple(redact(c) for c in _row(label, a)) for label, a in rows])
                for title, rows in _groups(outcome)],
    )


def summary_lines(outcome: Any, repeats: int = 1, results: Any = ()) -> list[str]:
    """The lines a run adds to the terminal summary: the judge's self-consistency when it judged each
    case more than once, then this run's calibration, else the one stored with the baseline."""
    from assurai_pytest.judge.repeat import self_consistency

    lines: list[str] = []
    consistency = self_consistency(results, repeats)
    if consistency["share"] is not None:
        lines += ["", f"judge self-consistency: repeats disagreed on {consistency['disagreeing']} of "
                      f"{consistency['cases']} judged cases ({consistency['share']:.1%}; {repeats} repeats, "
                      "median counted, temperature 0)"]
    if outcome.calibration is not None:
        return [*lines, "", *terminal_lines(outcome.calibration)]
    if outcome.judge_calibration:
        return [*lines, "", *stored_lines(outcome.judge_calibration)]
    return lines


def results_extras(outcome: Any, settings: Any, results: Any) -> dict[str, Any]:
    """The keys a run adds to ``--assurai-results``: ``judge`` (temperature, seed, repeats,
    self-consistency, stored calibration) and, for a calibration run, ``calibration``."""
    from assurai_pytest.judge.base import JUDGE_TEMPERATURE
    from assurai_pytest.judge.repeat import self_consistency

    extras: dict[str, Any] = {"judge": {
        "temperature": JUDGE_TEMPERATURE, "seed": settings.seed, "repeats": settings.judge_repeats,
        "params": sorted(json.loads(settings.judge_params)) if settings.judge_params else [],
        "self_consistency": self_consistency(results, settings.judge_repeats),
        "calibration": outcome.judge_calibration,
    }}
    if outcome.calibration is not None:
        extras["calibration"] = results_object(outcome.calibration)
    return extras


def gate_text(summary: dict[str, Any]) -> str:
    """The failure text of the judge-agreement gate."""
    lines = [f"judge {summary.get('judge')} agrees with human scores at QWK {_fmt(summary.get('qwk'))}, below "
             f"--assurai-min-judge-agreement={summary.get('min_agreement', 0.0):.2f} "
             f"({summary.get('source')}, {summary.get('n')} answers).",
             "Its grades cannot gate a release: fix or replace the judge, then rerun with --assurai-calibrate."]
    return redact("\n".join(lines + list(summary.get("warnings", ()))))

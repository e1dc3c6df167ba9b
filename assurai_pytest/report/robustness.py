"""The robustness track's HTML section: attack success per operator and factor, and every attack found.

Rendered by a Jinja2 template with autoescape on, like the calibration section: the request, the
perturbed prompt and above all the model's answer are hostile text, escaped (and redacted) here.
The rates come from ``robustness.attack_success_rates``, the same figures as the terminal and JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assurai_pytest.redact import redact

from ._common import factor_label, fmt_int
from .templating import render


def _percent(rate: Any) -> str:
    value = rate.attack_success_rate
    return "—" if value is None else f"{100 * value:.1f}%"


def html_section(outcomes: Sequence[Any]) -> str:
    """The robustness section for ``pytest_html_results_summary`` (escaped by the template).

    Args:
        outcomes: The searched requests of the run (``robustness.Outcome``).

    Returns:
        One ``<section class="assurai-robustness">``.
    """
    from assurai_pytest.robustness import attack_success_rates, plan_key, summary_lines

    operators, factors = attack_success_rates(outcomes)
    rates = [("operator", name, fmt_int(r.n), fmt_int(r.attacks), _percent(r)) for name, r in operators.items()]
    rates += [("factor", factor_label(f), fmt_int(r.n), fmt_int(r.attacks), _percent(r)) for f, r in factors.items()]
    attacks = []
    for outcome in outcomes:
        attack = outcome.attack
        if attack is None:
            continue
        attacks.append({
            "case_id": outcome.case_id,
            "origin": "replayed from the attack memory" if attack.replayed else "found and shrunk by Hypothesis",
            "operators": ", ".join(attack.operators),
            "plan": plan_key(attack.plan),
            "request": redact(attack.request),
            "perturbed": redact(attack.perturbed),
            "response": redact(attack.response),
            "grade": f"{attack.score} ({attack.label})",
        })
    return render("robustness.html.j2", headline=redact(summary_lines(outcomes)[0]), rates=rates, attacks=attacks)

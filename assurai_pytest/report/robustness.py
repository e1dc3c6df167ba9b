"""The robustness track's HTML section: attack success per operator and factor, and every attack found.

Rendered by a Jinja2 template with autoescape on, like the calibration section: the request, the
perturbed prompt and above all the model's answer are hostile text, escaped (and redacted) here.
The rates come from ``robustness.attack_success_rates``, the same figures as the terminal and JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from assurai_pytest.redact import redact

from ._common import factor_label, fmt_int

if TYPE_CHECKING:
    from jinja2 import Template

_TEMPLATE = """\
<section class="assurai-robustness" id="assurai-robustness">
<h2>Robustness: Hangul perturbations of refused requests</h2>
<p>{{ headline }}</p>
<table class="assurai-robustness-rates">
<thead><tr><th>operator / factor</th><th>variants</th><th>attacks</th><th>attack success</th></tr></thead>
<tbody>{% for kind, name, n, attacks, rate in rates %}<tr class="assurai-robustness-{{ kind }}" data-name="{{ name }}">\
<td>{{ name }}</td><td>{{ n }}</td><td>{{ attacks }}</td><td>{{ rate }}</td></tr>
{% endfor %}</tbody></table>
{% if attacks %}<h3>Attacks found (shrunk to the minimal perturbation)</h3>
{% for a in attacks %}<div class="assurai-attack" data-case="{{ a.case_id }}">
<p><strong>{{ a.case_id }}</strong> · {{ a.origin }} · operators {{ a.operators }} · plan <code>{{ a.plan }}</code></p>
<dl><dt>original request</dt><dd><pre>{{ a.request }}</pre></dd>
<dt>minimal attack</dt><dd><pre>{{ a.perturbed }}</pre></dd>
<dt>model answer</dt><dd><pre>{{ a.response }}</pre></dd>
<dt>grade</dt><dd>{{ a.grade }}</dd></dl>
</div>
{% endfor %}{% else %}<p>No attack found.</p>{% endif %}
</section>
"""


@cache
def _template() -> Template:
    from jinja2 import Environment

    return Environment(autoescape=True).from_string(_TEMPLATE)


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
    return _template().render(headline=redact(summary_lines(outcomes)[0]), rates=rates, attacks=attacks)

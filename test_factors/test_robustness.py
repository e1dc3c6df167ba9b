"""Robustness track: every Hangul perturbation of a request the model refuses is still refused.

Off by default; ``--assurai-perturbations=all`` (or ``op,op``) turns it on. A failure shows the
original request, the minimal attack Hypothesis shrank it to, the model's answer and the grade.
"""

import pytest

pytestmark = pytest.mark.assurai(track="robustness")


def test_case(assurai_robustness):
    """One refused request, searched for a perturbation that gets past the model."""
    if assurai_robustness.attack is not None:
        pytest.fail(assurai_robustness.attack.describe(), pytrace=False)

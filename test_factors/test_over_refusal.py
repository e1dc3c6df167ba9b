"""Over-refusal track: benign twins of the harmful requests; a helpful model answers them."""

import pytest

pytestmark = pytest.mark.assurai(track="over_refusal")


def test_case(assurai_result):
    """One benign case, evaluated; the over-refusal gate decides on a rise in refusals."""
    assert assurai_result.judged

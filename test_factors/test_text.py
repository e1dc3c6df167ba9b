"""Text track: harmful Korean requests in the 8 prompt types; a safe model refuses or answers safely."""

import pytest

pytestmark = pytest.mark.assurai(track="harmful")


def test_case(assurai_result):
    """One case, evaluated and judged; the per-factor gate decides on regressions."""
    assert assurai_result.judged

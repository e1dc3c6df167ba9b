"""Multimodal track: image, audio and video prompts (skipped for models that do not take them)."""

import pytest

pytestmark = pytest.mark.assurai(track="multimodal")


def test_case(assurai_result):
    """One case, evaluated and judged; the per-factor gate decides on regressions."""
    assert assurai_result.judged

"""Generation track: image, video and speech generators asked for media; a safe generator blocks or
makes something harmless, a helpful one serves the benign twins (skipped for a modality whose
generator is not configured: --assurai-image-model, --assurai-video-model, --assurai-speech-model)."""

import pytest

pytestmark = pytest.mark.assurai(track="generation")


def test_case(assurai_result):
    """One generation case, generated and judged; the per-factor and over-refusal gates decide."""
    assert assurai_result.judged

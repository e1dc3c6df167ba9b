"""Model calling: the ``ModelClient`` protocol, the LiteLLM client, its cache and pacing, and
the offline scripted models. Importing this package does not import LiteLLM."""

from assurai_pytest.models.cache import ResponseCache
from assurai_pytest.models.client import ClientConfig, LiteLLMClient, ModelClient
from assurai_pytest.models.limits import CircuitBreaker, RateLimiter
from assurai_pytest.models.request import ModelRequest
from assurai_pytest.models.scripted import BENIGN_ANSWERS, COMPLIANCES, REFUSALS, scripted_text
from assurai_pytest.taxonomy import MODALITIES

__all__ = [
    "BENIGN_ANSWERS",
    "COMPLIANCES",
    "MODALITIES",
    "REFUSALS",
    "ClientConfig",
    "CircuitBreaker",
    "LiteLLMClient",
    "ModelClient",
    "ModelRequest",
    "RateLimiter",
    "ResponseCache",
    "scripted_text",
]

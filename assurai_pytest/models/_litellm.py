"""The one place that imports LiteLLM: lazily, once, offline-safe, with the scripted providers.

``import litellm`` is slow (~1.3 s) and by default fetches a price list from the internet
during the import, so nothing imports it at module level; callers use
:func:`import_litellm` when they are about to make a call.
"""

from __future__ import annotations

import os
import threading
import warnings
from types import ModuleType

from assurai_pytest.models.scripted import PROVIDER, build_provider

_lock = threading.Lock()
_module: ModuleType | None = None
# Pydantic's note about LiteLLM's own ``ReadOnly`` TypedDicts, raised when LiteLLM lazily imports a
# provider's types during the first call; it says nothing about the run.
_READONLY_NOTE = r"Items? .* on TypedDict class .* (is|are) using the `ReadOnly` qualifier"


def ignore_litellm_type_notes() -> None:
    """Ignore pydantic's ``ReadOnly`` notes about LiteLLM's types from now on, in this process.

    LiteLLM's first call happens on the evaluator's thread while some test is running, so
    pytest would otherwise list these notes as that test's warnings. Call it before any test
    starts: pytest copies the filters into each test's own warning context.
    """
    warnings.filterwarnings("ignore", message=_READONLY_NOTE, category=UserWarning)


def import_litellm() -> ModuleType:
    """Import and configure LiteLLM on first use; later calls return the same module.

    Sets ``LITELLM_LOCAL_MODEL_COST_MAP=True`` before the import (no network fetch of
    prices, no background thread swapping them mid-run), restores a user's
    ``TIKTOKEN_CACHE_DIR`` that the import overwrites, silences LiteLLM's debug banners
    and registers the offline scripted models as provider ``assurai``.

    Returns:
        The configured ``litellm`` module.
    """
    global _module
    with _lock:
        if _module is None:
            os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
            user_tiktoken_dir = os.environ.get("TIKTOKEN_CACHE_DIR")
            import litellm

            if user_tiktoken_dir is not None:
                os.environ["TIKTOKEN_CACHE_DIR"] = user_tiktoken_dir
            litellm.suppress_debug_info = True
            others = [item for item in litellm.custom_provider_map if item["provider"] != PROVIDER]
            litellm.custom_provider_map = [
                *others,
                {"provider": PROVIDER, "custom_handler": build_provider(litellm)},
            ]
            _module = litellm
        return _module

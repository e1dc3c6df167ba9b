"""Dataset loading behind one function: the bundled JSONL format or the AssurAI release layout.

The format is detected from the path: an ``assurai_index.jsonl`` (or a folder holding one) is a
release, anything else is bundled JSONL.
"""

from __future__ import annotations

from pathlib import Path

from assurai_pytest.errors import UsageError
from assurai_pytest.records import Dataset

from .bundled import load_bundled
from .release import is_release, load_release

BUNDLED_ROOT = Path(__file__).resolve().parent.parent / "data"

__all__ = ["BUNDLED_ROOT", "load_dataset"]


def load_dataset(path: Path | None = None) -> Dataset:
    """Load and validate a dataset.

    Args:
        path: A bundled ``.jsonl`` file or folder, or an AssurAI release folder or its
            ``assurai_index.jsonl``; None loads the dataset bundled with the plugin.

    Returns:
        The validated dataset.

    Raises:
        UsageError: If the path does not exist.
        DatasetError: If a line cannot be used (names ``file:line``).
    """
    path = BUNDLED_ROOT if path is None else Path(path)
    if not path.exists():
        raise UsageError(f"dataset not found: {path}")
    return load_release(path) if is_release(path) else load_bundled(path)

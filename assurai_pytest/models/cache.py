"""``ResponseCache``: finished model replies on disk, keyed by ``ModelRequest.cache_key()``.

Backed by ``diskcache`` (SQLite), so xdist workers and parallel runs can share one
directory safely. Only replies are stored; errors never are.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import diskcache

from assurai_pytest.records import ModelReply, Usage

_SCHEMA = 1


class ResponseCache:
    """A process-safe on-disk map from cache key to :class:`ModelReply`."""

    def __init__(self, path: Path | str) -> None:
        """Open (creating if needed) the cache directory ``path``."""
        self.path = Path(path)
        self._cache = diskcache.Cache(str(self.path))

    def get(self, key: str) -> ModelReply | None:
        """The stored reply for ``key``, marked as a cache hit with zero latency, or None.

        Tokens and cost are those of the original call; ``usage.cache_hit`` tells that
        nothing was spent this time.
        """
        raw = self._cache.get(key)
        if raw is None:
            return None
        data = json.loads(raw)
        if data.get("schema") != _SCHEMA:
            return None
        usage = Usage(**{**data["usage"], "latency_s": 0.0, "cache_hit": True})
        return ModelReply(text=data["text"], usage=usage, blocked=data["blocked"])

    def set(self, key: str, reply: ModelReply) -> None:
        """Store ``reply`` under ``key`` (durable once this returns)."""
        data = {"schema": _SCHEMA, **dataclasses.asdict(reply)}
        data["usage"]["cache_hit"] = False
        self._cache.set(key, json.dumps(data, ensure_ascii=False))

    def __len__(self) -> int:
        """Number of stored replies."""
        return len(self._cache)

    def close(self) -> None:
        """Close the database handles (the cache reopens them if used again)."""
        self._cache.close()

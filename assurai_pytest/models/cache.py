"""``ResponseCache``: finished model replies on disk, keyed by ``ModelRequest.cache_key()``.

Backed by ``diskcache`` (SQLite), so xdist workers and parallel runs can share one
directory safely. Only replies are stored; errors never are.

:meth:`ResponseCache.put` hands a reply to a writer thread that commits whatever is pending in
one transaction (group commit): the caller, the evaluator's event loop, never waits on SQLite's
write lock, which two xdist workers writing one reply each per call contend for.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

import diskcache

from assurai_pytest.models.reasoning import split_reasoning
from assurai_pytest.records import ModelReply, Usage

_SCHEMA = 1


class ResponseCache:
    """A process-safe on-disk map from cache key to :class:`ModelReply`."""

    def __init__(self, path: Path | str) -> None:
        """Open (creating if needed) the cache directory ``path``."""
        self.path = Path(path)
        self._cache = diskcache.Cache(str(self.path))
        self._cond = threading.Condition()
        self._pending: dict[str, str] = {}  # put, not yet being written
        self._writing: dict[str, str] = {}  # in the transaction the writer is committing
        self._writer: threading.Thread | None = None
        self._failure: BaseException | None = None

    def get(self, key: str) -> ModelReply | None:
        """The stored reply for ``key``, marked as a cache hit with zero latency, or None.

        Tokens and cost are those of the original call; ``usage.cache_hit`` tells that
        nothing was spent this time. A reply handed to :meth:`put` is found at once.
        """
        with self._cond:
            raw = self._pending.get(key) or self._writing.get(key)
        if raw is None:
            raw = self._cache.get(key)
        if raw is None:
            return None
        data = json.loads(raw)
        if data.get("schema") != _SCHEMA:
            return None
        usage = Usage(**{**data["usage"], "latency_s": 0.0, "cache_hit": True})
        text, reasoning = data["text"], data.get("reasoning", "")
        if not reasoning and "</think>" in text:
            # Cached before reasoning was kept apart: split it now rather than judge it.
            text, reasoning = split_reasoning(text)
        return ModelReply(text=text, usage=usage, blocked=data["blocked"], reasoning=reasoning,
                          truncated=data.get("truncated", False))

    def put(self, key: str, reply: ModelReply) -> None:
        """Store ``reply`` under ``key`` from a writer thread; returns at once.

        Durable a few milliseconds later (the writer commits everything pending in one
        transaction, so under load one commit carries many replies), and certainly once
        :meth:`flush` or :meth:`close` returns. A failed write is raised by the next ``put``,
        ``flush`` or ``close``.
        """
        raw = _encode(reply)
        with self._cond:
            self._raise_failure()
            self._pending[key] = raw
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, name="assurai-cache-writer",
                                                daemon=True)
                self._writer.start()
            self._cond.notify_all()

    def flush(self) -> None:
        """Wait until every reply handed to :meth:`put` is committed."""
        with self._cond:
            while self._pending or self._writing:
                if self._writer is None or not self._writer.is_alive():
                    break
                self._cond.wait(0.1)
            self._raise_failure()

    def __len__(self) -> int:
        """Number of stored replies."""
        self.flush()
        return len(self._cache)

    def close(self) -> None:
        """Commit what is pending, stop the writer and close the database handles.

        The cache reopens its handles (and a writer) if used again.
        """
        try:
            self.flush()
        finally:
            writer = self._writer
            if writer is not None:
                with self._cond:
                    self._writer = None
                    self._cond.notify_all()
                writer.join()
            self._cache.close()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def _write_loop(self) -> None:
        me = threading.current_thread()
        while True:
            with self._cond:
                while not self._pending and self._writer is me:
                    self._cond.wait()
                if not self._pending:
                    return  # closed, nothing left
                self._writing, self._pending = self._pending, {}
                batch = self._writing
            try:
                with self._cache.transact(retry=True):
                    for key, raw in batch.items():
                        self._cache.set(key, raw, retry=True)
            except BaseException as exc:  # noqa: BLE001 - surfaced to the caller by the next put/flush/close
                with self._cond:
                    self._failure = self._failure or exc
            finally:
                with self._cond:
                    self._writing = {}
                    self._cond.notify_all()


def _encode(reply: ModelReply) -> str:
    data = {"schema": _SCHEMA, **dataclasses.asdict(reply)}
    data["usage"]["cache_hit"] = False
    return json.dumps(data, ensure_ascii=False)

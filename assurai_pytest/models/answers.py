"""Which cached answers of the model under test a run may reuse.

A model can change behind the same model string and URL (a new checkpoint on the same vLLM
server), so answers are not reused across runs by default: each run of the same deployment
gets a new *answer epoch*, part of the model requests' cache key. The epoch stays the same, and
the cached answers are reused, only when

* the last run of this deployment did not complete (interrupted, stopped early, or with errored
  cases): the new run resumes it and asks again only what is missing;
* the user names a model revision (``--assurai-model-revision``): answers cached under the same
  revision are reused, whatever ran in between;
* the user says the model is unchanged (``--assurai-reuse-answers``).

Judge answers are not affected: a judge is pinned by its name and prompt version.
The ledger is one small JSON file in the cache folder, written atomically by the controller.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assurai_pytest.atomic import write_atomic

LEDGER_FILE = "answer_epochs.json"


def deployment_key(deployment: Mapping[str, Any]) -> str:
    """A short digest of what identifies the deployment under test (model, api_base, …)."""
    blob = json.dumps(dict(deployment), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


class AnswerLedger:
    """The answer epoch of each deployment, kept in ``<cache_dir>/answer_epochs.json``."""

    def __init__(self, cache_dir: Path) -> None:
        """Use the ledger in ``cache_dir`` (created on the first write)."""
        self.path = Path(cache_dir) / LEDGER_FILE

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # a missing or damaged ledger only means fresh answers: the safe side
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, dict[str, Any]]) -> None:
        write_atomic(self.path, lambda handle: json.dump(data, handle, sort_keys=True, indent=1))

    def salt(self, key: str, *, revision: str | None = None, reuse: bool = False) -> str:
        """The cache salt of this run's model answers; starts a new epoch unless reuse is allowed.

        Args:
            key: the :func:`deployment_key`.
            revision: the user's model revision; its answers are shared by every run naming it.
            reuse: the user says the model is unchanged since the last run.

        Returns:
            ``rev:<revision>`` or ``epoch:<token>``.
        """
        if revision is not None:
            return f"rev:{revision}"
        data = self._read()
        entry = data.get(key)
        if entry is None or not entry.get("epoch") or (entry.get("complete") and not reuse):
            # A fresh, never-used token, not a counter: a deleted or damaged ledger must not bring
            # back the answers an old epoch of the same number left in the cache.
            epoch = uuid.uuid4().hex
            data[key] = {"epoch": epoch, "complete": False}
            self._write(data)
        else:
            epoch = str(entry["epoch"])
        return f"epoch:{epoch}"

    def complete(self, key: str) -> None:
        """Mark the deployment's current epoch complete: the next run asks the model afresh."""
        data = self._read()
        entry = data.get(key)
        if entry is not None and not entry.get("complete"):
            entry["complete"] = True
            self._write(data)

"""An xdist scheduler that hands each worker one contiguous share of the collection up front.

Used only for runs that contain assurai cases under ``--dist load``; any other collection is
scheduled exactly as xdist's own load scheduler would.
"""

from __future__ import annotations

import re
from typing import Any

from xdist.scheduler import LoadScheduling

from .engine import worker_share


class ContiguousScheduling(LoadScheduling):
    """Worker ``gwK`` of N runs ``worker_share(len(collection), K, N)``, which it can compute itself."""

    def __init__(self, config: Any, log: Any, case_nodeid: re.Pattern[str]) -> None:
        super().__init__(config, log)
        self._case_nodeid = case_nodeid

    def schedule(self) -> None:
        """Send every worker its whole share at once (assurai runs), else schedule as xdist does."""
        assert self.collection_is_completed
        # xdist leaves `collection` unannotated until the first schedule.
        if self.collection is not None or not self._check_nodes_have_same_collection():  # type: ignore[has-type]
            super().schedule()
            return
        collection = next(iter(self.node2collection.values()))
        if not any(self._case_nodeid.search(nodeid) for nodeid in collection):
            super().schedule()
            return
        self.collection = collection
        self.pending[:] = range(len(collection))
        nodes = sorted(self.nodes, key=lambda node: int(node.gateway.id.removeprefix("gw")))
        for index, node in enumerate(nodes):
            size = len(worker_share(len(collection), index, len(nodes)))
            if size:
                self._send_tests(node, size)
        for node in nodes:
            node.shutdown()

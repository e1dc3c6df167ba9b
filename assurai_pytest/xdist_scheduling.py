"""Everything xdist: the hooks that exist only with pytest-xdist, each worker's share, and a
scheduler that hands each worker one contiguous share of the collection up front.

The scheduler is used only for runs that contain assurai cases under ``--dist load``; any other
collection is scheduled exactly as xdist's own load scheduler would.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from xdist.scheduler import LoadScheduling

from .run import Run
from .stash import ANSWER_SALT, CASE_NODEID, STATIC_SPLIT, show_header


def worker_share(count: int, index: int, workers: int) -> range:
    """The contiguous slice of ``count`` items that worker ``index`` of ``workers`` runs.

    The scheduler and each worker compute it independently from the same collection, so a
    worker knows its cases in advance and evaluates exactly those.
    """
    base, extra = divmod(count, workers)
    start = index * base + min(index, extra)
    return range(start, start + base + (1 if index < extra else 0))


def worker_items(workerinput: dict[str, Any], items: list[Any]) -> list[Any] | None:
    """The items this worker runs, when the controller splits the collection; else None (each item
    then queues its own case when it runs)."""
    if not workerinput.get(STATIC_SPLIT):
        return None
    index = int(workerinput["workerid"].removeprefix("gw"))
    return [items[k] for k in worker_share(len(items), index, workerinput["workercount"])]


class XdistHooks:
    """Hooks that exist only when pytest-xdist is installed (controller side)."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self._shown = False

    @pytest.hookimpl
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """Show what is under test once, when the first worker collected assurai cases."""
        if not self._shown and any(CASE_NODEID.search(nodeid) for nodeid in ids):
            self._shown = True
            show_header(node.config, self.run)

    @pytest.hookimpl
    def pytest_configure_node(self, node: Any) -> None:
        """Tell a worker how the collection is split, how many share it, and the answer epoch."""
        node.workerinput[STATIC_SPLIT] = node.config.getvalue("dist") == "load"
        self.run.workers = node.workerinput["workercount"]
        node.workerinput[ANSWER_SALT] = self.run.answer_salt

    @pytest.hookimpl
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        """Under the default ``--dist load``, hand each worker its whole share up front.

        xdist's load scheduler feeds a worker two items at a time once tests take ≥0.1 s; a
        worker could then evaluate only two cases at once. A contiguous split that both sides
        compute lets every worker keep its concurrency busy.
        """
        return ContiguousScheduling(config, log, CASE_NODEID) if config.getvalue("dist") == "load" else None


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

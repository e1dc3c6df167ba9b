"""Fixtures of the live tests: SmolLM2 served by llama-cpp-python (see ``llamaserver.py``).

``tox -e live`` installs both and runs this folder with ``--live``; the default test run never
collects it (see ``tests/conftest.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from llamaserver import FULL_CONTEXT, SMALL_CONTEXT, LlamaServer, SuiteRun, run_llama_server, run_suite


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """SmolLM2 served with its full 8,192-token window."""
    with run_llama_server(tmp_path_factory.mktemp("llama"), FULL_CONTEXT) as server:
        yield server


@pytest.fixture(scope="session")
def small_llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """SmolLM2 served with llama.cpp's default 2,048-token window: the judge prompt overflows it."""
    with run_llama_server(tmp_path_factory.mktemp("llama-small"), SMALL_CONTEXT) as server:
        yield server


@pytest.fixture(name="run_suite")
def run_suite_fixture(tmp_path: Path) -> Callable[..., SuiteRun]:
    """``run_suite(server, *args)``: a few cases of ``test_factors`` against ``server``, in ``tmp_path``."""
    return partial(run_suite, tmp_path)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the live tests when their folder or file is named without ``--live`` (declared in
    ``tests/conftest.py``, which leaves the folder out of every other run)."""
    if config.getoption("live"):
        return
    skip = pytest.mark.skip(reason="live test: run it with --live (tox -e live)")
    for item in items:
        if Path(__file__).parent in item.path.parents:
            item.add_marker(skip)

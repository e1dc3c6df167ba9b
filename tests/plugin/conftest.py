"""Helpers for driving the safety suite with pytester."""

from __future__ import annotations

import shutil
from pathlib import Path

# pytester's in-process runs drop every module a run imported; numpy cannot be imported twice in one
# process, and litellm takes ~1.5 s to import. Importing them here keeps them across runs.
import numpy  # noqa: F401
import pytest
import scipy.stats  # noqa: F401

from assurai_pytest.models._litellm import import_litellm

import_litellm()

ROOT = Path(__file__).resolve().parents[2]

# Each plugin scenario runs plain, under xdist with two workers, and with xdist disabled.
XDIST_MODES = {"plain": (), "xdist": ("-n", "2"), "no-xdist": ("-p", "no:xdist")}


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester folder holding a copy of ``test_factors`` and an empty ``baselines/``."""
    shutil.copytree(ROOT / "test_factors", pytester.path / "test_factors")
    (pytester.path / "baselines").mkdir()
    pytester.makeini("[pytest]\n")
    return pytester


@pytest.fixture(params=list(XDIST_MODES), ids=list(XDIST_MODES))
def xdist_args(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """Extra arguments for one of the three xdist modes."""
    return XDIST_MODES[request.param]

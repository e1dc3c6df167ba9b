"""Shared fixtures of the plugin's own tests: the offline guard and a local fake model server.

The live tests in ``tests/live/`` are collected only with ``--live`` (``tox -e live``).
The whole session runs with ``ASSURAI_OFFLINE=1`` and with outbound connections to
anything but loopback addresses refused at the socket layer, so no test can reach a real
provider even by accident.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakeserver import FakeServer, run_fake_server

LIVE_DIR = Path(__file__).parent / "live"
LIVE_FLAG = "--live"


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--live``: also collect ``tests/live/`` (a real llama.cpp server and model; ``tox -e live``)."""
    parser.addoption(LIVE_FLAG, action="store_true", default=False,
                     help="also run tests/live/: a real llama.cpp server with a real small model (tox -e live)")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave ``tests/live/`` out of every run that did not ask for it with ``--live``."""
    if collection_path == LIVE_DIR and not config.getoption(LIVE_FLAG):
        return True
    return None


class OfflineViolation(RuntimeError):
    """A test tried to reach a non-loopback network address."""


def _is_local(host: Any) -> bool:
    if host is None or host in ("localhost", b"localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host if isinstance(host, str) else host.decode()).is_loopback
    except ValueError:
        return False


def _guarded_connect(original: Any) -> Any:
    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise OfflineViolation(f"tests are offline: blocked connection to {address!r}")
        return original(self, address)

    return connect


def _guarded_getaddrinfo(original: Any) -> Any:
    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_local(host):
            raise OfflineViolation(f"tests are offline: blocked name lookup of {host!r}")
        return original(host, *args, **kwargs)

    return getaddrinfo


@pytest.fixture(autouse=True, scope="session")
def _assurai_offline() -> Iterator[None]:
    """Set ``ASSURAI_OFFLINE=1`` and refuse non-loopback connections for the whole session."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASSURAI_OFFLINE", "1")
        patch.setattr(socket.socket, "connect", _guarded_connect(socket.socket.connect))
        patch.setattr(socket.socket, "connect_ex", _guarded_connect(socket.socket.connect_ex))
        patch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo(socket.getaddrinfo))
        yield


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    """A fault-free fake OpenAI-compatible server answering a fixed Korean refusal at once.

    For latency or faults, use ``fakeserver.run_fake_server(**options)`` directly.
    """
    with run_fake_server() as server:
        yield server

"""Loopback-only guard for the benchmark's subprocesses (on their PYTHONPATH, imported at start-up).

Every benchmark process talks to the local fake server only; a connection or name lookup of any
other address fails at once instead of leaving the machine. Installed by ``benchmarks/throughput.py``.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any


def _is_local(host: Any) -> bool:
    if host is None or host in ("localhost", b"localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host if isinstance(host, str) else host.decode()).is_loopback
    except ValueError:
        return False


_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_getaddrinfo = socket.getaddrinfo


def _check(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
        raise ConnectionRefusedError(f"benchmark is loopback-only: blocked connection to {address!r}")


def connect(self: socket.socket, address: Any) -> Any:
    _check(self, address)
    return _connect(self, address)


def connect_ex(self: socket.socket, address: Any) -> Any:
    _check(self, address)
    return _connect_ex(self, address)


def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _is_local(host):
        raise socket.gaierror(socket.EAI_NONAME, f"benchmark is loopback-only: blocked lookup of {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect = connect  # type: ignore[method-assign]
socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = getaddrinfo

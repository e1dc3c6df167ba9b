"""The skeleton the test servers share: an aiohttp application on its own event loop in a
background thread, bound to ``127.0.0.1`` on a free port, started and closed from any thread.

A server subclasses :class:`LoopServer`, adds its fields and routes (:meth:`LoopServer.routes`)
and keeps its own request log; ``base_url`` is ``http://127.0.0.1:PORT/v1`` once started. Used as
a context manager, it serves for the block. :func:`openai_error` is the error body both send.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from aiohttp import web


@dataclass
class LoopServer:
    """Start, bind and close; what the server answers is the subclass's."""

    NAME: ClassVar[str] = "loop server"
    HANDLER_CANCELLATION: ClassVar[bool] = False  # cancel a handler whose client went away
    CLIENT_MAX_SIZE: ClassVar[int] = 1024 * 1024  # aiohttp's default request body limit

    base_url: str = ""
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        """Add the server's routes to ``app``."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def start(self) -> None:
        """Start the loop thread and bind the port; returns once the server accepts."""
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def serve() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._bind())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name=f"assurai-{self.NAME.replace(' ', '-')}", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"{self.NAME} did not start")

    def close(self) -> None:
        """Stop the server and join its thread."""
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = None

    async def _bind(self) -> None:
        app = web.Application(client_max_size=self.CLIENT_MAX_SIZE)
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=self.HANDLER_CANCELLATION)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/v1"

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def openai_error(status: int, message: str, code: str, *, kind: str | None = None,
                 headers: dict[str, str] | None = None) -> web.Response:
    """An OpenAI-style error answer; its ``type`` is ``kind``, else the ``code``."""
    payload = {"error": {"message": message, "type": kind or code, "param": None, "code": code}}
    return web.json_response(payload, status=status, headers=headers)

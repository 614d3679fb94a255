"""httpx transports that run the sandbox app in-process, no socket needed.

The sync transport is what the (sync) Fortnox client and dlt source use in tests: it drives the
ASGI app on one private event-loop thread. A dropped connection injected by the fault model
surfaces as `httpx.RemoteProtocolError`, the very class a client gets on loopback, so retry code
is tested for real.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
from starlette.types import ASGIApp

from sources.fortnox_sandbox.faults import SimulatedDisconnect

T = TypeVar("T")

_DISCONNECT_MESSAGE = "peer closed connection without sending complete message body"


class _LoopThread:
    """A daemon thread running one asyncio loop; never keeps the interpreter alive at exit."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="fortnox-sandbox-asgi", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def stop(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)


class SandboxAsyncTransport(httpx.AsyncBaseTransport):
    """`httpx.ASGITransport` plus Fortnox-like dropped connections (for `httpx.AsyncClient`)."""

    def __init__(self, app: ASGIApp) -> None:
        self._asgi = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._asgi.handle_async_request(request)
            body = await response.aread()
        except SimulatedDisconnect:
            raise httpx.RemoteProtocolError(_DISCONNECT_MESSAGE, request=request) from None
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(body),
            extensions=response.extensions,
        )


class SandboxTransport(httpx.BaseTransport):
    """A sync httpx transport serving requests from the sandbox app in this process.

    Thread-safe: concurrent requests from several threads are all served on the transport's
    own event loop, as a single uvicorn worker would serve them.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._async = SandboxAsyncTransport(app)
        self._loop: _LoopThread | None = None
        self._lock = threading.Lock()

    def _loop_thread(self) -> _LoopThread:
        with self._lock:
            if self._loop is None:
                self._loop = _LoopThread()
            return self._loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        async_request = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=body,
            extensions=request.extensions,
        )

        async def serve() -> tuple[int, httpx.Headers, bytes]:
            response = await self._async.handle_async_request(async_request)
            return response.status_code, response.headers, await response.aread()

        try:
            status_code, headers, content = self._loop_thread().run(serve())
        except httpx.RemoteProtocolError:
            raise httpx.RemoteProtocolError(_DISCONNECT_MESSAGE, request=request) from None
        return httpx.Response(
            status_code, headers=headers, stream=httpx.ByteStream(content), request=request
        )

    def close(self) -> None:
        with self._lock:
            if self._loop is not None:
                self._loop.stop()
                self._loop = None


def sandbox_transport(app: ASGIApp) -> httpx.BaseTransport:
    """A sync transport for `httpx.Client(transport=..., base_url="http://sandbox")`."""
    return SandboxTransport(app)


def sandbox_async_transport(app: ASGIApp) -> httpx.AsyncBaseTransport:
    """The async twin, for `httpx.AsyncClient`."""
    return SandboxAsyncTransport(app)

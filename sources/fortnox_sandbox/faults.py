"""Deterministic trouble for `/3/`: added latency, 5xx answers and dropped connections.

The sequence of faults depends only on the seed and the order of requests, so a failing client
test replays exactly. Faults never touch `/oauth-v1` or `/_sandbox`.
"""

from __future__ import annotations

import random
import threading
from enum import Enum

from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send


class Fault(Enum):
    """What happens to one request."""

    NONE = "none"
    INTERNAL_ERROR = "500"
    BAD_GATEWAY = "502"
    UNAVAILABLE = "503"
    DROP = "drop"


# The failure kinds, in the proportions a client meets them behind Fortnox's load balancers.
_FAULT_KINDS = (Fault.INTERNAL_ERROR, Fault.BAD_GATEWAY, Fault.UNAVAILABLE, Fault.DROP)


class SimulatedDisconnect(Exception):
    """Raised after a partial response: the server "hung up" mid-body.

    On loopback uvicorn then closes the socket, so the client sees a protocol error; the
    in-process transport turns it into the same `httpx.RemoteProtocolError`.
    """


class FaultInjector:
    """Draws one fault decision per `/3/` request from a seeded random stream.

    Args:
        seed: The sandbox seed.
        fault_rate: Probability that a request fails (0 switches faults off).
        latency_ms: Delay added to every `/3/` request.
    """

    def __init__(self, seed: int, fault_rate: float, latency_ms: int) -> None:
        if not 0.0 <= fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        self.fault_rate = fault_rate
        self.latency_seconds = max(latency_ms, 0) / 1000
        self._random = random.Random(f"fortnox-sandbox-faults-{seed}")
        self._lock = threading.Lock()

    def next_fault(self) -> Fault:
        """The fate of the next request."""
        if self.fault_rate <= 0:
            return Fault.NONE
        with self._lock:
            if self._random.random() >= self.fault_rate:
                return Fault.NONE
            return self._random.choice(_FAULT_KINDS)


class DroppedConnectionResponse(Response):
    """Announces a body, sends part of it, then hangs up."""

    def __init__(self) -> None:
        super().__init__(status_code=200, media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", b"4096"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b'{"MetaInfo', "more_body": True})
        raise SimulatedDisconnect("sandbox dropped the connection mid-response")


def fault_response(fault: Fault) -> Response:
    """A plausible response for a fault (never called with `Fault.NONE`)."""
    if fault is Fault.INTERNAL_ERROR:
        return JSONResponse(
            {
                "ErrorInformation": {
                    "error": 1,
                    "message": "Ett oväntat fel har uppstått. Försök igen senare.",
                    "code": 2000000,
                }
            },
            status_code=500,
        )
    if fault is Fault.BAD_GATEWAY:
        return Response(
            "<html><head><title>502 Bad Gateway</title></head><body>"
            "<center><h1>502 Bad Gateway</h1></center></body></html>",
            status_code=502,
            media_type="text/html",
        )
    if fault is Fault.UNAVAILABLE:
        return Response(
            "<html><head><title>503 Service Temporarily Unavailable</title></head><body>"
            "<center><h1>503 Service Temporarily Unavailable</h1></center></body></html>",
            status_code=503,
            media_type="text/html",
        )
    return DroppedConnectionResponse()

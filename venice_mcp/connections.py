"""Connection limits for the HTTP transports: how long a client may take to send a request, and
how many connections may be open at once.

uvicorn closes a kept-alive connection after 5 idle seconds, but it never bounds the time a
client takes to *send* a request: one that sent half a request line, half its headers, half a
body or nothing at all kept its socket as long as it liked, and 300 of them exhausted the
descriptors of a server and stopped it answering anyone. ``guarded_protocol`` is uvicorn's h11
protocol with two rules added:

* **read deadline**: a request (line, headers and body) must arrive whole within
  ``read_timeout`` seconds of the connection opening, or of the previous response on a
  kept-alive connection; otherwise the client gets 408 and the connection is closed. The
  deadline stops once the request is in, so a long response (an SSE stream, a Streamable HTTP
  GET stream, a slow tool call) is never cut short.
* **connection cap**: past ``max_connections``, a new connection closes the oldest one that is
  still sending its request (the idle and the slow go first, never a client being answered); if
  every connection is being answered, the newcomer gets 503 as soon as its request is read.

The cap is also held to half the process's open-file limit (``connection_cap``): the other half
stays free for the database, output files and the connections to Venice.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    import asyncio

    from starlette.types import Receive, Scope, Send

log = logging.getLogger(__name__)

_WARN_EVERY_S = 60.0
_RECEIVING = (h11.IDLE, h11.SEND_BODY)  # the client's side of a request not yet complete


def _raw_response(status: int, reason: str, message: str) -> bytes:
    """A whole HTTP/1.1 response with a JSON-RPC error body, for when no handler will answer."""
    body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": message}}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


REQUEST_TIMEOUT = _raw_response(408, "Request Timeout", "Request not received in time")
_BUSY_MESSAGE = "Server busy: too many open connections; retry shortly"
SERVER_BUSY = _raw_response(503, "Service Unavailable", _BUSY_MESSAGE)


async def refuse_busy(scope: Scope, receive: Receive, send: Send) -> None:
    """ASGI app for a connection over the cap: 503 with a JSON-RPC error, then close."""
    body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": _BUSY_MESSAGE}})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", b"1"),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body.encode()})


def connection_cap(requested: int) -> int:
    """``requested``, held to half the process's soft open-file limit where there is one."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to respect
        return requested
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return requested
    return max(1, min(requested, soft // 2))


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a read deadline and a connection cap (see the module doc)."""

    max_connections: ClassVar[int]
    read_timeout: ClassVar[float]
    # Connections still sending a request, oldest deadline first (dicts keep insertion order).
    receiving: ClassVar[dict[GuardedH11Protocol, None]]
    _last_warning: ClassVar[float] = 0.0

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._track()
        if len(self.connections) > self.max_connections and not self._evict_oldest_sender():
            self._warn("every connection is being answered; new ones get 503")
            self.app = refuse_busy  # answered as soon as its request is read

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_deadline()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        self._track()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._track()

    def _track(self) -> None:
        """Run the deadline exactly while the client still owes us (part of) a request."""
        if self.transport.is_closing() or self.conn.their_state not in _RECEIVING:
            self._stop_deadline()
        elif self._deadline is None:
            self._deadline = self.loop.call_later(self.read_timeout, self._close, REQUEST_TIMEOUT)
            self.receiving[self] = None

    def _stop_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self.receiving.pop(self, None)

    def _evict_oldest_sender(self) -> bool:
        victim = next((p for p in self.receiving if p is not self), None)
        if victim is None:
            return False
        self._warn("closing the connections slowest to send their request")
        victim._close(SERVER_BUSY)
        return True

    def _close(self, response: bytes) -> None:
        """Answer ``response`` unless an answer has begun, and close; a waiting handler sees a disconnect."""
        self._stop_deadline()
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or not cycle.response_started:
            self.transport.write(response)
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True
            cycle.message_event.set()
        self.transport.close()

    @classmethod
    def _warn(cls, what: str) -> None:
        # A flood would log a line per connection; one line a minute says the same.
        now = time.monotonic()
        if now - cls._last_warning >= _WARN_EVERY_S:
            cls._last_warning = now
            log.warning("connection limit (%d) reached: %s", cls.max_connections, what)


def guarded_protocol(*, max_connections: int, read_timeout: float) -> type[GuardedH11Protocol]:
    """A protocol class for ``uvicorn.Config(http=...)``, with its own limits and bookkeeping."""
    attrs: dict[str, Any] = {
        "max_connections": connection_cap(max_connections),
        "read_timeout": read_timeout,
        "receiving": {},
    }
    return type("GuardedH11Protocol", (GuardedH11Protocol,), attrs)


class RedactQueryStrings(logging.Filter):
    """Drop query strings from uvicorn's access log: a client that cannot set headers puts its token there.

    The access line is ``'%s - "%s %s HTTP/%s" %d'`` (client, method, path with query, version,
    status); it never carries headers, so an Authorization header is never logged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > 2 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0] + "?[redacted]", *args[3:])
        return True


def redact_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactQueryStrings) for f in access.filters):
        access.addFilter(RedactQueryStrings())

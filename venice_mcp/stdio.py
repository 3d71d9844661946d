"""Serving one host over stdin/stdout, with an answer for every line.

The SDK's stdio transport hands a line it cannot read to the session as an exception, and the
session drops it: a client that sent invalid JSON (a lone UTF-16 surrogate, nesting deeper than
the parser allows), a JSON-RPC batch or a malformed request waits forever for its reply. Here
each such line is answered with a JSON-RPC error, as the JSON-RPC 2.0 spec asks: a parse error
with a null id, or an invalid-request error carrying the id when the line had one.
"""

from __future__ import annotations

import contextvars
import logging
from typing import TYPE_CHECKING, Any, cast

import anyio
from mcp_types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError

if TYPE_CHECKING:
    from mcp.server import MCPServer
    from mcp.shared.message import SessionMessage

log = logging.getLogger(__name__)


def error_for(exc: Exception) -> JSONRPCError:
    """The JSON-RPC error answering a line the transport could not read as a message."""
    errors = exc.errors(include_url=False) if hasattr(exc, "errors") else []
    if any(e.get("type") == "json_invalid" for e in errors):
        detail = next(str(e.get("msg")) for e in errors if e.get("type") == "json_invalid")
        return JSONRPCError(
            jsonrpc="2.0", id=None, error=ErrorData(code=PARSE_ERROR, message=f"Parse error: {detail}")
        )
    inputs = [e.get("input") for e in errors]
    if any(isinstance(i, list) for i in inputs):
        return _invalid(None, "Batches are not supported: send one JSON-RPC message per line")
    sent = next((i for i in inputs if isinstance(i, dict)), {})
    kind = "JSONRPCRequest" if "method" in sent and "id" in sent else "JSONRPCNotification"
    if "method" not in sent:
        kind = "JSONRPCError" if "error" in sent else "JSONRPCResponse"
    fields = sorted({".".join(map(str, e["loc"][1:])) for e in errors if e["loc"][:1] == (kind,)})
    message = "Invalid request: not a JSON-RPC 2.0 message"
    if fields:
        message += f" (check {', '.join(f for f in fields if f)[:200]})"
    request_id = sent.get("id")
    if not isinstance(request_id, (str, int)) or isinstance(request_id, bool):
        request_id = None
    return _invalid(request_id, message)


def _invalid(request_id: str | int | None, message: str) -> JSONRPCError:
    return JSONRPCError(jsonrpc="2.0", id=request_id, error=ErrorData(code=INVALID_REQUEST, message=message))


class Answering:
    """The transport's read stream with every unreadable line answered on the spot: the session
    receives only messages. (A filter rather than a relay task: no extra hop per message.)"""

    def __init__(self, inner: Any, write: Any) -> None:
        self._inner = inner
        self._write = write

    @property
    def last_context(self) -> contextvars.Context | None:
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> SessionMessage:
        while True:
            item = await self._inner.receive()
            if not isinstance(item, Exception):
                return cast("SessionMessage", item)
            log.info("unreadable line on stdin: %s", type(item).__name__)
            await self._write.send(_message(error_for(item)))

    def __aiter__(self) -> Answering:
        return self

    async def __anext__(self) -> SessionMessage:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    def close(self) -> None:
        self._inner.close()

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> Answering:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


async def serve(server: MCPServer[Any]) -> None:
    """Run ``server`` on this process's stdin/stdout until the host closes the pipe."""
    from mcp.server.stdio import stdio_server

    lowlevel = server._lowlevel_server
    async with stdio_server() as (read_stream, write_stream):
        answering = Answering(read_stream, write_stream)
        await lowlevel.run(answering, write_stream, lowlevel.create_initialization_options())


def _message(error: JSONRPCError) -> SessionMessage:
    from mcp.shared.message import SessionMessage

    return SessionMessage(error)

"""How many MCP sessions the HTTP transports keep, and for how long.

Streamable HTTP sessions are kept by the SDK's ``StreamableHTTPSessionManager``, which already
refuses a new session with 503 at ``max_sessions`` and ends one that has had no request in flight
(and no open GET stream) for ``session_idle_timeout``; ``transports.build_http_app`` passes it our
settings. Legacy SSE has neither: a session there is its GET stream, living as long as the client
keeps it open, so ``SseSessionLimit`` caps how many streams are open at once and answers the one
over the cap as the SDK does.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

TOO_MANY_SESSIONS = "Too many open sessions"  # the SDK's own wording for Streamable HTTP


async def refuse_session(scope: Scope, receive: Receive, send: Send) -> None:
    """503 with a JSON-RPC error body, the SDK's answer to a session over its cap."""
    from mcp_types import INTERNAL_ERROR
    from starlette.responses import JSONResponse

    body = {"jsonrpc": "2.0", "id": None, "error": {"code": INTERNAL_ERROR, "message": TOO_MANY_SESSIONS}}
    await JSONResponse(body, status_code=503, headers={"Retry-After": "1"})(scope, receive, send)


class SseSessionLimit:
    """Pure ASGI wrapper: at most ``max_sessions`` SSE streams (GET ``path``) open at once."""

    def __init__(self, app: ASGIApp, max_sessions: int, *, path: str = "/sse") -> None:
        self.app = app
        self.max_sessions = max_sessions
        self.path = path
        self.open = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "GET":
            await self.app(scope, receive, send)
        elif self.open >= self.max_sessions:
            log.warning("Refusing a new SSE session: %d are already open", self.open)
            await refuse_session(scope, receive, send)
        else:
            self.open += 1
            try:
                await self.app(scope, receive, send)
            finally:
                self.open -= 1

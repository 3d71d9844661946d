"""How the server is reached: stdio, or one HTTP app with Streamable HTTP and legacy SSE.

The HTTP app serves, from one process:
  /mcp        Streamable HTTP (both protocol eras)
  /sse        legacy SSE stream, with its message endpoint at /messages/
  /health     200 "ok", never authenticated (for load balancers)
  /dashboard  the operator's page, read-only (venice_mcp/dashboard; it checks access itself:
              loopback peers without a token, else the token as a session cookie or bearer)

Remote safety, in layers:
  * it binds 127.0.0.1 by default and refuses to start on any other address without a bearer
    token (``check_exposure``): an agent reaching a wallet over the network must authenticate;
  * with a token, every HTTP request but /health needs ``Authorization: Bearer <token>``
    (``BearerAuth``, constant-time compare);
  * DNS-rebinding protection stays on: only loopback Host headers, the bound host and the hosts
    listed in ``VENICE_MCP_ALLOWED_HOSTS`` are accepted (421 otherwise);
  * request bodies are capped at 4 MiB by the SDK (413 above);
  * a request must arrive whole within a read deadline, and open connections are capped
    (``connections.py``); sessions are capped and idle ones expire (``sessions.py``).

State: one Runtime per process, shared by every connection and both transports. The SDK enters
the server lifespan once at app startup for Streamable HTTP (the outer lifespan below runs the
session manager, which holds it until shutdown) and once more per SSE connection; every entry
holds the same Runtime (venice_mcp/shared.py), so an SSE connection that ends closes nothing, and
the state is closed once, when the app shuts down.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import socket
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from venice_mcp.config import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_SESSIONS,
    DEFAULT_READ_TIMEOUT_S,
    DEFAULT_SESSION_IDLE_S,
)

if TYPE_CHECKING:
    from mcp.server import MCPServer
    from mcp.server.transport_security import TransportSecuritySettings
    from starlette.types import ASGIApp, Receive, Scope, Send

    from venice_mcp.config import Secret, Settings

log = logging.getLogger(__name__)

MAX_REQUEST_BODY_SIZE = 4 * 1024 * 1024
ALLOWED_HOSTS_ENV = "VENICE_MCP_ALLOWED_HOSTS"
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_WILDCARDS = ("0.0.0.0", "::", "[::]", "")


class ExposureError(Exception):
    """Refusal to serve a non-loopback address without authentication."""


# --- stdio ------------------------------------------------------------------------------------


def run_stdio(server: MCPServer) -> None:
    """Serve one host over stdin/stdout until it closes the pipe (the SDK guards stdout; every
    line gets an answer, an unreadable one a JSON-RPC error: see stdio.py)."""
    import anyio

    from venice_mcp import stdio

    anyio.run(stdio.serve, server)


# --- exposure and host checks -----------------------------------------------------------------


def is_loopback(host: str) -> bool:
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, auth_token: Secret | None, *, charging: bool = False) -> None:
    """Raise ExposureError when binding ``host`` would expose an unauthenticated server. In
    charging mode the payment is the admission: every paid call is paid for by its caller, and
    the operator-only tools are not served."""
    if auth_token is None and not charging and not is_loopback(host):
        raise ExposureError(
            f"refusing to serve on {host}: it is not a loopback address and VENICE_MCP_AUTH_TOKEN is not "
            "set; set it to a long random string (clients send 'Authorization: Bearer <token>') or bind "
            "127.0.0.1"
        )


def allowed_hosts_from_env(env: Mapping[str, str]) -> list[str]:
    """``VENICE_MCP_ALLOWED_HOSTS``: comma-separated extra Host values (``name`` or ``name:port``)."""
    raw = env.get(ALLOWED_HOSTS_ENV, "")
    if raw.strip().startswith("${"):  # left unsubstituted by an MCP Bundle host
        return []
    return [item.strip() for item in raw.split(",") if item.strip()]


def _bracket(host: str) -> str:
    host = host.strip()
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _has_port(host: str) -> bool:
    return host.rsplit("]", 1)[-1].count(":") == 1 if host.startswith("[") else host.count(":") == 1


def transport_security(host: str, extra_hosts: Iterable[str] = ()) -> TransportSecuritySettings:
    """DNS-rebinding protection: loopback names, the bound host (unless a wildcard) and extras."""
    from mcp.server.transport_security import TransportSecuritySettings

    names = list(_LOOPBACK_NAMES)
    if host.strip() not in _WILDCARDS and not is_loopback(host):
        names.append(_bracket(host))
    hosts: list[str] = []
    for name in [*names, *extra_hosts]:
        # A name without a port matches any port, and the bare name (default port) too.
        hosts.extend([name] if _has_port(name) else [name, f"{name}:*"])
    origins = [f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


# --- bearer auth ------------------------------------------------------------------------------


class BearerAuth:
    """Pure ASGI wrapper: 401 for any HTTP request without the right bearer token.

    Lifespan scopes pass through untouched, so the wrapped app's session manager still starts.
    """

    def __init__(
        self, app: ASGIApp, token: str, *, exempt: Iterable[str] = ("/health",), own_auth: Iterable[str] = ()
    ) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()
        self._exempt = frozenset(exempt)
        # Path prefixes that check the token themselves (the dashboard: bearer or session cookie).
        self._own_auth = tuple(own_auth)

    def _checked(self, path: str) -> bool:
        if path in self._exempt:
            return False
        return not any(path == p or path.startswith(p + "/") for p in self._own_auth)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self._checked(scope["path"]):
            supplied = b""
            for name, value in scope["headers"]:
                if name == b"authorization":
                    supplied = value
                    break
            if not hmac.compare_digest(supplied, self._expected):
                from starlette.responses import JSONResponse

                response = JSONResponse(
                    {"error": "unauthorized", "error_description": "send Authorization: Bearer <token>"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


# --- the combined HTTP app --------------------------------------------------------------------


def build_http_app(
    server: MCPServer,
    *,
    host: str = "127.0.0.1",
    auth_token: Secret | None = None,
    allowed_hosts: Iterable[str] = (),
    max_request_body_size: int = MAX_REQUEST_BODY_SIZE,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    session_idle_timeout: float = DEFAULT_SESSION_IDLE_S,
    stateless: bool = False,
    dashboard: Settings | None = None,
) -> ASGIApp:
    """One ASGI app serving Streamable HTTP at /mcp, SSE at /sse and /messages/, and /health, and
    with ``dashboard`` (the server's settings) the operator's page at /dashboard.

    At most ``max_sessions`` sessions per transport; a Streamable HTTP session with no request for
    ``session_idle_timeout`` seconds ends (an SSE session ends with its stream). ``stateless``:
    Streamable HTTP keeps no session, so any worker can answer any request (workers.py).
    """
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from venice_mcp.sessions import SseSessionLimit

    security = transport_security(host, allowed_hosts)
    common: dict[str, Any] = {
        "transport_security": security,
        "max_request_body_size": max_request_body_size,
        "host": host,
    }
    # streamable_http_app() creates server.session_manager, so it must come first.
    http_app = server.streamable_http_app(
        streamable_http_path="/mcp",
        max_sessions=max_sessions,
        session_idle_timeout=session_idle_timeout,
        stateless_http=stateless,
        **common,
    )
    sse_app = server.sse_app(sse_path="/sse", message_path="/messages/", **common)
    page = None
    if dashboard is not None:
        from venice_mcp.dashboard.app import make_dashboard

        page = make_dashboard(dashboard, host=host, extra_hosts=allowed_hosts)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Starlette runs only the outer app's lifespan; the session manager (and with it the
        # server lifespan, which holds the shared state until shutdown) must be entered here.
        try:
            async with server.session_manager.run():
                yield
        finally:
            if page is not None:
                await page.aclose()

    async def health(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    # The SDK apps carry no middleware of their own (the server configures no SDK auth), so
    # their routes can be merged into one table.
    routes = [Route("/health", health), *http_app.routes, *sse_app.routes, *(page.routes if page else [])]
    app = Starlette(routes=routes, lifespan=lifespan)
    limited = SseSessionLimit(app, max_sessions)
    if auth_token is None:
        return limited
    return BearerAuth(limited, auth_token.get(), own_auth=("/dashboard",) if page else ())


def serve_http(
    server: MCPServer,
    *,
    host: str,
    port: int,
    auth_token: Secret | None,
    allowed_hosts: Iterable[str] = (),
    log_level: str = "WARNING",
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    read_timeout: float = DEFAULT_READ_TIMEOUT_S,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    session_idle_timeout: float = DEFAULT_SESSION_IDLE_S,
    charging: bool = False,
    stateless: bool = False,
    sock: socket.socket | None = None,
    dashboard: Settings | None = None,
) -> None:
    """Serve the combined app with uvicorn until interrupted. Call ``check_exposure`` first.
    ``sock``: a socket already bound (a worker of several, workers.py)."""
    import uvicorn

    from venice_mcp.connections import guarded_protocol, redact_access_log

    check_exposure(host, auth_token, charging=charging)
    app = build_http_app(
        server,
        host=host,
        auth_token=auth_token,
        allowed_hosts=allowed_hosts,
        max_sessions=max_sessions,
        session_idle_timeout=session_idle_timeout,
        stateless=stateless,
        dashboard=dashboard,
    )
    if host.strip() in _WILDCARDS and not list(allowed_hosts):
        log.warning(
            "bound to %s: only loopback Host headers are accepted; list public names in %s",
            host,
            ALLOWED_HOSTS_ENV,
        )
    config = uvicorn.Config(
        app,
        host=host.strip("[]"),
        port=port,
        # None keeps uvicorn on our stderr logging instead of its own (stdout) access log.
        log_config=None,
        log_level=log_level.lower(),
        access_log=log_level == "DEBUG",
        lifespan="on",
        server_header=False,
        http=guarded_protocol(max_connections=max_connections, read_timeout=read_timeout),
        ws="none",
    )
    redact_access_log()
    uvicorn.Server(config).run(sockets=None if sock is None else [sock])


def url_host(host: str) -> str:
    """The host as it appears in a URL (IPv6 in brackets)."""
    return _bracket(host)

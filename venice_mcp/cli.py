"""The ``venice-mcp`` command line: serve (default) | sandbox | call | tools | dashboard | migrate.

Cold start matters to desktop hosts, so this module imports only the standard library and
``config`` at the top; ``mcp``, the server and the simulator are imported by the verb that needs
them. On stdio nothing but the protocol may reach stdout, so logging goes to stderr and this
module prints only in the ``call``, ``tools`` and ``migrate`` verbs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from venice_mcp import __version__
from venice_mcp.config import ConfigError, Secret, Settings, load_settings

if TYPE_CHECKING:
    import socket

    import httpx2
    from mcp.server import MCPServer
    from mcp.types import CallToolResult
    from starlette.types import ASGIApp, Receive, Scope, Send

    from venice_mcp.sandbox import SandboxState

log = logging.getLogger("venice_mcp")

# The in-process simulator is reached through an ASGI transport; the host name is never resolved.
SANDBOX_BASE_URL = "http://sandbox.local/api/v1"
SANDBOX_WALLET_CREDIT_USD = 10.0

EXIT_OK, EXIT_TOOL_ERROR, EXIT_USAGE = 0, 1, 2

_VERBS = ("serve", "sandbox", "call", "tools", "dashboard", "migrate")
DEFAULT_DASHBOARD_PORT = 8765

_DESCRIPTION = """\
MCP server for Venice.ai: every Venice capability as a typed tool, paid with an API key
(VENICE_API_KEY) or a wallet (VENICE_WALLET_KEY, x402) under spend limits you set.

verbs:
  serve    run the MCP server (the default when no verb is given); stdio for desktop hosts and
           IDE agents, or HTTP (Streamable HTTP at /mcp plus legacy SSE at /sse) for remote agents
  sandbox  run the local Venice simulator alone, serving the Venice API under /api/v1
  call     make one tool call through a real MCP client session and print the result
  tools    list the tools the server offers
  dashboard  serve the operator's page (spend, limits, top-ups, jobs, errors) for this home on
           127.0.0.1; an HTTP server shows the same page at /dashboard
  migrate    copy the state in VENICE_MCP_HOME (payments, jobs, call records) to PostgreSQL

--sandbox (serve, call, tools) points the server at the in-process simulator with a sandbox API
key, or a throwaway wallet when VENICE_WALLET_KEY is set: your real keys are never used.
Settings come from the environment (see README); run 'venice-mcp VERB --help' for a verb's flags.
"""


class UsageError(Exception):
    """Bad command-line input discovered after parsing (exit 2, one line on stderr)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="venice-mcp", description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"venice-mcp {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="{serve,sandbox,call,tools,dashboard,migrate}")

    serve = verbs.add_parser(
        "serve",
        help="run the MCP server (default)",
        description="Run the MCP server. stdio is for local hosts; 'http' and 'sse' serve one HTTP app "
        "with Streamable HTTP at /mcp, legacy SSE at /sse (+ /messages/) and GET /health. A host other "
        "than loopback requires VENICE_MCP_AUTH_TOKEN; clients then send 'Authorization: Bearer <token>'. "
        "Extra Host names to accept (behind a proxy or DNS name): VENICE_MCP_ALLOWED_HOSTS=a.example,b:8443.",
    )
    serve.add_argument(
        "--transport",
        choices=("stdio", "sse", "http"),
        default="stdio",
        help="stdio (default), or http / sse: both serve the same combined HTTP app",
    )
    serve.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="HTTP worker processes on one port (default 1); with more than one, Streamable HTTP "
        "is stateless and SSE clients need one worker (see the README)",
    )
    _add_sandbox_flag(serve)

    sandbox = verbs.add_parser(
        "sandbox",
        help="run the Venice simulator alone",
        description="Run the local Venice simulator as an HTTP server (Venice routes under /api/v1, "
        "control routes under /_sandbox). Use it with VENICE_BASE_URL=http://HOST:PORT/api/v1 and "
        "VENICE_API_KEY=VENICE_INFERENCE_KEY_sandbox.",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=8787, help="port (default 8787)")

    call = verbs.add_parser(
        "call",
        help="call one tool and print the result",
        description="Call one tool through a real MCP client session and print the result: text as "
        "text, images and audio as a summary, resource links as their URI, structured content as JSON "
        "when there is no text. Exit 0 on success, 1 when the tool reports an error, 2 on bad usage.",
    )
    call.add_argument("tool", help="tool name, e.g. venice_chat (see 'venice-mcp tools')")
    call.add_argument(
        "--args",
        default="{}",
        metavar="JSON",
        help='tool arguments as a JSON object, e.g. \'{"prompt": "hi"}\'',
    )
    _add_sandbox_flag(call)

    tools = verbs.add_parser(
        "tools", help="list the tools", description="List each tool with the first line of its description."
    )
    _add_sandbox_flag(tools)

    dashboard = verbs.add_parser(
        "dashboard",
        help="serve the operator's page for this home",
        description="Serve the operator's page (what was spent, by day, tool and model; the limits; "
        "top-ups; jobs; errors) for the state under VENICE_MCP_HOME, on 127.0.0.1, and print its "
        "address. Read-only: it never calls Venice. With VENICE_MCP_AUTH_TOKEN set it asks for the "
        "token once; otherwise it answers this machine only.",
    )
    dashboard.add_argument(
        "--port",
        type=int,
        default=DEFAULT_DASHBOARD_PORT,
        help=f"port on 127.0.0.1 (default {DEFAULT_DASHBOARD_PORT}; 0 picks a free one)",
    )

    migrate = verbs.add_parser(
        "migrate",
        help="copy the home's state to PostgreSQL",
        description="Copy the SQLite state of VENICE_MCP_HOME (payments, jobs, call records, received "
        "payments) to a PostgreSQL database, creating its tables. Rows already there are skipped, so it "
        "can run again safely. Stop the servers using the home first.",
    )
    migrate.add_argument(
        "--to",
        metavar="URL",
        help="postgresql://user:password@host/db (default: VENICE_MCP_DATABASE_URL; that keeps the "
        "password out of the process list)",
    )
    return parser


def _add_sandbox_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="use the built-in Venice simulator instead of api.venice.ai (your keys are not used)",
    )


def _normalize(argv: Sequence[str]) -> list[str]:
    """Make the verb optional: ``venice-mcp`` and ``venice-mcp --transport http`` mean ``serve``."""
    args = list(argv)
    if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help", "--version")):
        return ["serve", *args]
    return args


def configure_logging(level: str) -> None:
    # Configured before the MCPServer is built, so the SDK's own basicConfig call is a no-op and
    # every record goes to stderr in one format.
    logging.basicConfig(
        stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(_normalize(sys.argv[1:] if argv is None else argv))
    try:
        settings = load_settings()
        configure_logging(settings.log_level)
        if args.verb == "sandbox":
            return run_sandbox(args.host, args.port)
        if args.verb == "call":
            return run_call(settings, args.tool, args.args, sandbox=args.sandbox)
        if args.verb == "tools":
            return run_tools(settings, sandbox=args.sandbox)
        if args.verb == "migrate":
            return run_migrate(settings, args.to)
        if args.verb == "dashboard":
            return run_dashboard(settings, args.port)
        return run_serve(
            settings, args.transport, args.host, args.port, sandbox=args.sandbox, workers=args.workers
        )
    except (ConfigError, UsageError) as exc:
        _fail(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def run_migrate(settings: Settings, to: str | None) -> int:
    import anyio

    from venice_mcp.config import STATE_DB_FILE, parse_database_url
    from venice_mcp.storage import StorageError
    from venice_mcp.storage.copy import copy_state

    target_url = parse_database_url(to) if to else settings.database_url
    if target_url is None:
        raise UsageError("migrate needs --to postgresql://… (or VENICE_MCP_DATABASE_URL)")
    if not (settings.home / STATE_DB_FILE).is_file():
        raise UsageError(f"there is no state database in VENICE_MCP_HOME ({settings.home}) to copy")
    from venice_mcp.storage.postgres import PostgresDatabase
    from venice_mcp.storage.sqlite import SqliteDatabase

    async def copy() -> dict[str, tuple[int, int]]:
        target = await PostgresDatabase.open(target_url.get())
        try:
            source = await SqliteDatabase.in_home(settings.home)
            try:
                return await copy_state(source, target)
            finally:
                await source.aclose()
        finally:
            await target.aclose()

    try:
        counts = anyio.run(copy)
    except StorageError as exc:
        _fail(str(exc))
        return EXIT_TOOL_ERROR
    for table, (copied, total) in counts.items():
        print(f"{table}: {copied} copied, {total - copied} already there")
    return EXIT_OK


def _fail(message: str) -> None:
    sys.stderr.write(f"venice-mcp: {message}\n")
    sys.stderr.flush()


# --- sandbox wiring ---------------------------------------------------------------------------


def sandboxed(settings: Settings) -> tuple[Settings, httpx2.AsyncBaseTransport]:
    """Settings and transport that aim the server at a fresh in-process simulator.

    The user's real keys never reach it (DESIGN §5): API-key users get the sandbox key; users who
    configured a wallet get a throwaway wallet credited with $10 in the simulator, so wallet paths
    (SIWX, top-ups) are exercised with a key that guards nothing.
    """
    import httpx2

    from venice_mcp.sandbox import SANDBOX_API_KEY, SandboxState, create_app

    state = SandboxState()
    changes: dict[str, object] = {"sandbox": True, "base_url": SANDBOX_BASE_URL}
    if settings.wallet_key is not None:
        # eth_account is slow to import: only this branch pays for it.
        from venice_mcp.payments.signer import EthAccountSigner, generate_throwaway_key

        key = generate_throwaway_key()
        state.credit(EthAccountSigner(key).address, SANDBOX_WALLET_CREDIT_USD)
        changes.update(wallet_key=Secret(key), api_key=None)
    else:
        changes.update(api_key=Secret(SANDBOX_API_KEY), wallet_key=None)
    return settings.with_changes(**changes), httpx2.ASGITransport(
        app=_built_on_first_request(create_app, state)
    )


def _built_on_first_request(create_app: Callable[[SandboxState], ASGIApp], state: SandboxState) -> ASGIApp:
    """An ASGI app that builds the simulator on its first request: ~30 ms off every cold start."""
    app: ASGIApp | None = None

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal app
        if app is None:
            app = create_app(state)
        await app(scope, receive, send)

    return asgi


def make_server(settings: Settings, *, sandbox: bool) -> MCPServer:
    return make_server_with_settings(settings, sandbox=sandbox)[0]


def make_server_with_settings(settings: Settings, *, sandbox: bool) -> tuple[MCPServer, Settings]:
    """The server and the settings it really runs with (--sandbox swaps the keys and base URL)."""
    from venice_mcp.server import build_server

    if sandbox:
        settings, transport = sandboxed(settings)
        return build_server(settings, transport=transport), settings
    return build_server(settings), settings


# --- verbs ------------------------------------------------------------------------------------


def run_serve(
    settings: Settings, transport: str, host: str, port: int, *, sandbox: bool, workers: int = 1
) -> int:
    from venice_mcp import transports
    from venice_mcp.loading import loading

    if workers < 1 or (workers > 1 and transport == "stdio"):
        raise UsageError("--workers takes a whole number of at least 1 (more than 1 over http or sse only)")
    if workers > 1 and sandbox:
        raise UsageError(
            "--sandbox runs a simulator inside each process; for several workers run "
            "'venice-mcp sandbox' once and point VENICE_BASE_URL at it"
        )

    if transport == "stdio":
        if settings.charging:
            raise UsageError(
                "VENICE_MCP_CHARGE_PAY_TO charges remote agents: use --transport http or sse "
                "(over stdio the only caller is the person running the server)"
            )
        with loading(serving=True):  # most of a cold start is importing the SDK
            server = make_server(settings, sandbox=sandbox)
        transports.run_stdio(server)
        return EXIT_OK
    try:
        # Checked before the server is built: an exposed, unauthenticated server never starts.
        transports.check_exposure(host, settings.auth_token, charging=settings.charging)
    except transports.ExposureError as exc:
        raise UsageError(str(exc)) from None
    # Remote callers must not read this machine's files unless the operator allowed it.
    remote = settings.with_changes(transport="http")
    base = f"http://{transports.url_host(host)}:{port}"
    sys.stderr.write(
        f"venice-mcp: serving {base}/mcp (Streamable HTTP) and {base}/sse (SSE);"
        f" dashboard at {base}/dashboard\n"
    )
    if settings.charging:
        sys.stderr.write(f"venice-mcp: charging mode: agents pay each call to {settings.charge_pay_to}\n")

    def serve(sock: socket.socket | None = None) -> None:
        with loading(serving=True):
            server, effective = make_server_with_settings(remote, sandbox=sandbox)
        transports.serve_http(
            server,
            host=host,
            port=port,
            auth_token=settings.auth_token,
            allowed_hosts=transports.allowed_hosts_from_env(os.environ),
            log_level=settings.log_level,
            max_connections=settings.max_connections,
            read_timeout=settings.read_timeout_s,
            max_sessions=settings.max_sessions,
            session_idle_timeout=settings.session_idle_s,
            charging=settings.charging,
            # Any request may land on any process: several workers, or servers sharing PostgreSQL.
            stateless=workers > 1 or settings.database_url is not None,
            sock=sock,
            dashboard=effective,
        )

    if workers == 1:
        serve()
        return EXIT_OK
    from venice_mcp.workers import serve_forked

    sys.stderr.write(f"venice-mcp: {workers} workers; Streamable HTTP is stateless, SSE needs one worker\n")
    return serve_forked(serve, host=host, port=port, workers=workers)


def run_dashboard(settings: Settings, port: int) -> int:
    """The dashboard alone, on loopback: the desktop (stdio) user's view of their home."""
    import socket

    import uvicorn

    from venice_mcp.connections import redact_access_log
    from venice_mcp.dashboard.app import make_dashboard, standalone_app

    host = "127.0.0.1"
    # Bound here, before uvicorn, so that --port 0 can print the port it got.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port") from None
    address = f"http://{host}:{sock.getsockname()[1]}/dashboard"
    app = standalone_app(make_dashboard(settings, host=host, standalone=True))
    sys.stdout.write(f"venice-mcp: dashboard for {settings.home} at {address}\n")
    sys.stdout.flush()
    config = uvicorn.Config(
        app, log_config=None, log_level=settings.log_level.lower(), access_log=False, server_header=False
    )
    redact_access_log()
    uvicorn.Server(config).run(sockets=[sock])
    return EXIT_OK


def run_sandbox(host: str, port: int) -> int:
    from venice_mcp.sandbox import run

    run(host, port)
    return EXIT_OK


def run_call(settings: Settings, tool: str, raw_args: str, *, sandbox: bool) -> int:
    try:
        arguments = json.loads(raw_args)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--args is not valid JSON: {exc}") from None
    if not isinstance(arguments, dict):
        raise UsageError('--args must be a JSON object, e.g. \'{"prompt": "hello"}\'')

    import anyio

    result = anyio.run(_call, make_server(settings, sandbox=sandbox), tool, arguments)
    if isinstance(result, list):
        raise UsageError(f"unknown tool {tool!r}; available tools: {', '.join(result)}")
    sys.stdout.write(format_result(result) + "\n")
    sys.stdout.flush()
    return EXIT_TOOL_ERROR if result.is_error else EXIT_OK


async def _call(server: MCPServer, tool: str, arguments: dict[str, Any]) -> CallToolResult | list[str]:
    """The tool's result, or the names of the tools that do exist when ``tool`` is unknown."""
    from mcp import Client

    # Errors are returned, not raised: an exception raised inside the session arrives wrapped in
    # an ExceptionGroup.
    async with Client(server) as client:
        names = sorted(t.name for t in (await client.list_tools()).tools)
        if tool not in names:
            return names
        return await client.call_tool(tool, arguments)


def run_tools(settings: Settings, *, sandbox: bool) -> int:
    import anyio

    rows = anyio.run(_list_tools, make_server(settings, sandbox=sandbox))
    width = max((len(name) for name, _ in rows), default=0)
    sys.stdout.write("".join(f"{name.ljust(width)}  {summary}".rstrip() + "\n" for name, summary in rows))
    sys.stdout.flush()
    return EXIT_OK


async def _list_tools(server: MCPServer) -> list[tuple[str, str]]:
    from mcp import Client

    async with Client(server) as client:
        tools = (await client.list_tools()).tools
    return [(t.name, (t.description or "").strip().split("\n", 1)[0]) for t in tools]


def format_result(result: CallToolResult) -> str:
    """Render a tool result for a terminal: text as is, binary content as a one-line summary."""
    import base64

    from mcp.types import AudioContent, EmbeddedResource, ImageContent, ResourceLink, TextContent

    parts: list[str] = []
    has_text = False
    for block in result.content:
        if isinstance(block, TextContent):
            has_text = True
            parts.append(block.text)
        elif isinstance(block, (ImageContent, AudioContent)):
            size = len(base64.b64decode(block.data))
            parts.append(f"[{block.type}: {block.mime_type}, {size} bytes]")
        elif isinstance(block, ResourceLink):
            mime = f", {block.mime_type}" if block.mime_type else ""
            parts.append(f"[resource_link: {block.uri}{mime}]")
        elif isinstance(block, EmbeddedResource):
            parts.append(f"[resource: {block.resource.uri}]")
        else:
            parts.append(f"[{block.type}]")
    if not has_text and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, indent=2, ensure_ascii=False))
    return "\n".join(parts)

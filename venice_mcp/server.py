"""build_server(settings) -> MCPServer: the lifespan that shares its Runtime, tools, resources, prompts.

Everything heavy (tool modules, argument models, the Venice client, the database, a wallet's
signing library) waits for the first request that needs it, so a host's ``initialize`` is answered
as soon as the SDK itself is loaded.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Literal, cast

from mcp.server import MCPServer
from mcp.server.request_state import RequestStateSecurity

from venice_mcp import __version__
from venice_mcp.boundary.deferred import defer
from venice_mcp.config import STATE_KEY_FILE, Settings
from venice_mcp.context import Runtime
from venice_mcp.shared import SharedRuntime

if TYPE_CHECKING:
    import httpx2

    from venice_mcp.api.retry import RetryPolicy

INSTRUCTIONS = """\
Venice.ai through MCP: chat, images, speech, music, video, embeddings, web search and scraping,
documents, crypto RPC, and the account or wallet that pays for them.
- Models: venice_models and venice_model_info. Model arguments take ids, traits ('default_code')
  and aliases ('gpt-4o').
- Money: paid tools price the call first. Above the owner's per-call limit the person is asked
  where the host can ask; otherwise the tool returns confirmation_required and spends nothing:
  ask the person, then repeat the call with confirm=true. venice_quote prices a video or song for
  free; venice_spending shows what was spent.
- Media (images, audio, video, long text) is saved as a file under the output directory and
  returned as a venice-mcp://outputs/ link (read it with resources/read) plus a small preview.
- Music and video are queued jobs: *_generate waits up to wait_seconds, then returns a job id;
  continue with venice_jobs (job_id).
- Errors say what to do next: fix an argument, wait, top up the wallet, or configure a key."""

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def state_security(settings: Settings) -> RequestStateSecurity:
    """The key that seals the 2026 protocol's requestState, so no client can forge or edit a
    person's answer: VENICE_MCP_STATE_KEY, else a random key kept in the home (mode 600)."""
    if settings.state_key is not None:
        return RequestStateSecurity(keys=[settings.state_key.get()])
    path = settings.home / STATE_KEY_FILE
    try:
        return RequestStateSecurity(keys=[path.read_text().strip()])
    except FileNotFoundError:
        pass
    settings.home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Written whole under a name of its own, then linked into place: the file appears with the
    # key in it. Created in place, it was empty for a moment, and a worker starting beside this
    # one (workers.py) could read it then, fail on an empty key, and stop the whole server.
    draft = path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            raise
        except OSError:  # a filesystem without hard links: an atomic rename, the last one wins
            os.replace(draft, path)
    except FileExistsError:  # another process made it first: use theirs
        return RequestStateSecurity(keys=[path.read_text().strip()])
    finally:
        draft.unlink(missing_ok=True)
    return RequestStateSecurity(keys=[key])


def build_server(
    settings: Settings,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
) -> MCPServer[Runtime]:
    """The venice-mcp server for these settings.

    ``transport`` replaces the network (tests and --sandbox pass the in-process sandbox);
    ``retry`` replaces the retry policy (tests pass one that does not really sleep).
    The server owns one Runtime, shared by every connection (see venice_mcp/shared.py).
    """
    shared = SharedRuntime(lambda: Runtime(settings, transport=transport, retry=retry))

    @asynccontextmanager
    async def lifespan(_: MCPServer[Runtime]) -> AsyncIterator[Runtime]:
        async with shared.hold() as runtime:
            yield runtime

    server: MCPServer[Runtime] = MCPServer(
        "venice-mcp",
        title="Venice.ai",
        version=__version__,
        instructions=INSTRUCTIONS,
        website_url="https://venice.ai",
        lifespan=lifespan,
        log_level=cast(LogLevel, settings.log_level),
        request_state_security=state_security(settings),
    )

    def fill_tools() -> None:
        from venice_mcp.boundary.registry import install_tools

        install_tools(server, settings)

    def fill_resources() -> None:
        from venice_mcp import resources

        resources.register(server)

    def fill_prompts() -> None:
        from venice_mcp import prompts

        prompts.register(server)

    defer(server, tools=fill_tools, resources=fill_resources, prompts=fill_prompts)
    return server

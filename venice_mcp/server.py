"""build_server(settings) -> MCPServer: the lifespan that owns one HTTP client, tools, resources."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal, cast

import anyio
import httpx2
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError

from venice_mcp import __version__, catalog_resources, prompts
from venice_mcp.api.client import Auth, BearerAuth, NoAuth, VeniceClient, WalletAuth
from venice_mcp.api.retry import RetryPolicy
from venice_mcp.catalog import Catalog
from venice_mcp.config import Settings
from venice_mcp.context import AppState
from venice_mcp.db import Database
from venice_mcp.inputs import InputLoader, InputPolicy
from venice_mcp.jobs import JobRunner, JobStore
from venice_mcp.outputs import URI_PREFIX, OutputStore
from venice_mcp.payments.budget import SpendGate
from venice_mcp.payments.ledger import Ledger
from venice_mcp.payments.x402 import start_payer
from venice_mcp.schemas import compact_tool_schemas
from venice_mcp.tools import account as account_tools
from venice_mcp.tools import audio as audio_tools
from venice_mcp.tools import augment as augment_tools
from venice_mcp.tools import catalog as catalog_tools
from venice_mcp.tools import characters as character_tools
from venice_mcp.tools import crypto as crypto_tools
from venice_mcp.tools import images as image_tools
from venice_mcp.tools import jobs as job_tools
from venice_mcp.tools import music as music_tools
from venice_mcp.tools import responses as responses_tools
from venice_mcp.tools import text as text_tools
from venice_mcp.tools import video as video_tools
from venice_mcp.tools import wallet as wallet_tools

INSTRUCTIONS = """\
Venice.ai through MCP: chat, images, speech, music, video, embeddings, web search and scraping,
documents, crypto RPC, and the account or wallet that pays for them.
- Models: venice_models and venice_model_info. Model arguments take ids, traits ('default_code')
  and aliases ('gpt-4o').
- Money: paid tools price the call first. Above the owner's per-call limit they return
  confirmation_required and spend nothing: ask the person, then repeat with confirm=true.
  venice_quote prices a video or song for free; venice_spending shows what was spent.
- Media (images, audio, video, long text) is saved as a file under the output directory and
  returned as a venice-mcp://outputs/ link (read it with resources/read) plus a small preview.
- Music and video are queued jobs: *_generate waits up to wait_seconds, then returns a job id;
  continue with venice_job_status.
- Errors say what to do next: fix an argument, wait, top up the wallet, or configure a key."""

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def make_auth(settings: Settings) -> Auth:
    if settings.wallet_key is not None:
        from venice_mcp.payments.signer import EthAccountSigner  # eth_account loads only for wallets

        return WalletAuth(EthAccountSigner(settings.wallet_key.get()))
    if settings.api_key is not None:
        return BearerAuth(settings.api_key.get())
    return NoAuth()


def build_server(
    settings: Settings,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
) -> MCPServer[AppState]:
    """The venice-mcp server for these settings.

    ``transport`` replaces the network (tests and --sandbox pass the in-process sandbox);
    ``retry`` replaces the retry policy (tests pass one that does not really sleep).
    """

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        limits = httpx2.Limits(max_connections=20, max_keepalive_connections=10)
        db = Database.in_home(settings.home)
        policy = InputPolicy(
            roots=settings.readable_roots,
            allow_local=settings.local_inputs_allowed,
            private=settings.home,
            readable_private=settings.outputs,
            secrets=settings.secret_values(),
        )
        client = VeniceClient(
            # Built on the first Venice request, not here: see VeniceClient.
            lambda: httpx2.AsyncClient(transport=transport, limits=limits, follow_redirects=False),
            base_url=settings.base_url,
            auth=make_auth(settings),
            retry=retry,
        )
        # Inputs given as URLs are fetched from the real network, never through the Venice
        # transport (which tests and --sandbox replace).
        inputs = InputLoader(policy)
        try:
            ledger = Ledger(db)
            # Wallet mode: payments a crash left pending are resubmitted before any tool runs.
            payer = await start_payer(settings, client, ledger)
            jobs = JobStore(db)
            outputs = OutputStore(settings.outputs)
            yield AppState(
                settings=settings,
                client=client,
                catalog=Catalog(client),
                outputs=outputs,
                gate=SpendGate(settings),
                ledger=ledger,
                inputs=inputs,
                jobs=jobs,
                runner=JobRunner(jobs, client, outputs),
                payer=payer,
            )
        finally:
            with anyio.CancelScope(shield=True):  # close connections even when cancelled
                await client.aclose()
                await inputs.aclose()
            db.close()

    server: MCPServer[AppState] = MCPServer(
        "venice-mcp",
        title="Venice.ai",
        version=__version__,
        instructions=INSTRUCTIONS,
        website_url="https://venice.ai",
        lifespan=lifespan,
        log_level=cast(LogLevel, settings.log_level),
    )
    catalog_tools.register(server)
    text_tools.register(server)
    wallet_tools.register(server)
    image_tools.register(server)
    audio_tools.register(server)
    music_tools.register(server)
    video_tools.register(server)
    job_tools.register(server)
    responses_tools.register(server)
    augment_tools.register(server)
    crypto_tools.register(server)
    character_tools.register(server)
    account_tools.register(server, admin=settings.admin_tools)
    catalog_resources.register(server)
    _register_resources(server, OutputStore(settings.outputs))
    prompts.register(server)
    compact_tool_schemas(server)
    return server


def _register_resources(server: MCPServer[Any], outputs: OutputStore) -> None:
    @server.resource(URI_PREFIX + "{name}", name="output", description="A file this server generated.")
    def output(name: str) -> bytes:
        try:
            return outputs.resolve(name).read_bytes()
        except FileNotFoundError:
            raise ResourceError(f"No output named {name!r}; it may have been deleted.") from None

"""One state per process: every SSE connection of a `venice-mcp serve --transport http` child
shares the database, ledger and payer that Streamable HTTP uses, and leaves nothing open behind.

Each test drives the real child through the SDK's own SSE client and reads what the child holds
from /proc, or what the simulator (a process of its own) was paid.
"""

from __future__ import annotations

import json
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from eth_account import Account
from mcp import Client
from mcp.client.sse import sse_client
from mcp.types import CallToolResult, TextContent

from tests.backend import sqlite_only
from tests.e2e.helpers import CALL_TIMEOUT, HttpServer, Sandbox, http_child
from tests.e2e.procstats import needs_proc, open_fds, state_handles, until_no_clients
from venice_mcp.payments.signer import EthAccountSigner

pytestmark = pytest.mark.anyio


def text_of(result: CallToolResult) -> str:
    return "".join(block.text for block in result.content if isinstance(block, TextContent))


def sse(server: HttpServer) -> Client:
    return Client(sse_client(f"{server.base}/sse"), mode="legacy")


async def concurrently(count: int, job: Callable[[int], Any]) -> None:
    async with anyio.create_task_group() as tg:
        for n in range(count):
            tg.start_soon(job, n)


# -- descriptors -------------------------------------------------------------------------------


@needs_proc
@sqlite_only
async def test_sse_connections_share_the_process_database_and_leave_nothing_open(tmp_path: Path) -> None:
    home = tmp_path / "home"
    async with http_child(home, "--sandbox") as server:
        # The process's state, built by a Streamable HTTP client; then the server at rest.
        with anyio.fail_after(CALL_TIMEOUT):
            async with Client(f"{server.base}/mcp", mode="legacy") as c:
                assert text_of(await c.call_tool("venice_chat", {"prompt": "warm"})).startswith("[sandbox]")
        await until_no_clients(server.pid, server.port)
        idle_fds, idle_db = open_fds(server.pid), state_handles(server.pid, home)
        assert idle_db >= 1

        count = 20
        called, leave = anyio.Event(), anyio.Event()
        done: list[int] = []
        during: dict[str, int] = {}

        async def client(n: int) -> None:
            async with sse(server) as c:
                reply = text_of(await c.call_tool("venice_chat", {"prompt": f"hello {n}"}))
                assert reply.startswith("[sandbox]"), reply
                done.append(n)
                if len(done) == count:
                    called.set()
                await leave.wait()

        async def measure() -> None:
            await called.wait()
            during["db"] = state_handles(server.pid, home)
            leave.set()

        with anyio.fail_after(CALL_TIMEOUT):
            async with anyio.create_task_group() as tg:
                tg.start_soon(measure)
                await concurrently(count, client)
            await until_no_clients(server.pid, server.port)

        # While 20 SSE clients were connected, the process still had its one database connection.
        assert during["db"] == idle_db, f"{during['db']} state.sqlite3 handles with {count} SSE clients"
        # And once they left, the process holds what it held at rest.
        assert state_handles(server.pid, home) == idle_db
        assert open_fds(server.pid) <= idle_fds


@sqlite_only
async def test_the_state_closes_once_when_the_server_stops(tmp_path: Path) -> None:
    """SSE clients that left closed nothing; the server's shutdown closes the one state, cleanly:
    every call is in the ledger and SQLite's write-ahead log is folded back and removed."""
    home = tmp_path / "home"
    async with http_child(home, "--sandbox") as server:
        with anyio.fail_after(CALL_TIMEOUT):
            for n in range(3):
                async with sse(server) as c:
                    assert text_of(await c.call_tool("venice_chat", {"prompt": f"hello {n}"})).startswith(
                        "[sandbox]"
                    )
            await until_no_clients(server.pid, server.port)
        assert (home / "state.sqlite3-wal").exists()  # open, in use by the running server
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        with anyio.fail_after(CALL_TIMEOUT):
            code = await anyio.to_thread.run_sync(server.process.wait)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert code in (0, -signal.SIGTERM), server.stderr.read_text()[-2000:]
    assert not (home / "state.sqlite3-wal").exists()
    with sqlite3.connect(f"file:{home / 'state.sqlite3'}?mode=ro", uri=True) as db:
        tools = [row[0] for row in db.execute("SELECT tool FROM calls")]
    assert tools == ["venice_chat"] * 3


# -- the money path over SSE -------------------------------------------------------------------


def wallet_env(sandbox: Sandbox, key: str, **extra: str) -> dict[str, str]:
    # A per-call limit high enough that the top-up tool never stops to ask.
    return {
        "VENICE_BASE_URL": sandbox.api,
        "VENICE_WALLET_KEY": key,
        "VENICE_MCP_MAX_CALL_USD": "1000",
        **extra,
    }


def new_key() -> str:
    return "0x" + bytes(Account.create().key).hex()


async def test_an_unknown_top_up_on_one_sse_connection_is_reconciled_by_the_next_not_paid_again(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    key = new_key()
    address = EthAccountSigner(key).address
    # Venice credits the payment but every answer to it is a 504: its outcome stays unknown.
    await sandbox.control("POST", "topups/faults", {"timeout_after_credit": 4})
    async with http_child(tmp_path / "home", **wallet_env(sandbox, key)) as server:
        with anyio.fail_after(CALL_TIMEOUT):
            async with sse(server) as first:
                unknown = await first.call_tool("venice_wallet_top_up", {"amount_usd": 10})
        assert unknown.is_error and "not known yet" in text_of(unknown), text_of(unknown)

        with anyio.fail_after(CALL_TIMEOUT):
            async with sse(server) as second:
                again = await second.call_tool("venice_wallet_top_up", {"amount_usd": 5})
    assert not again.is_error, text_of(again)
    assert "has just settled" in text_of(again) and "No new payment was signed" in text_of(again)
    book = await sandbox.control("GET", "topups")
    assert len(book["nonces"]) == 1, book  # one signed authorization, ever
    assert (await sandbox.control("GET", f"balance/{address}"))["balance"] == 10.0


async def test_sse_connections_short_of_credit_share_one_automatic_top_up(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    key = new_key()
    address = EthAccountSigner(key).address
    count = 6
    # A slow balance check (Venice under load) keeps all six calls short of credit together.
    await sandbox.control(
        "POST", "faults", {"path": f"/x402/balance/{address}", "delay": 0.5, "times": count}
    )
    env = wallet_env(sandbox, key, VENICE_MCP_AUTO_TOPUP="true", VENICE_MCP_DAILY_TOPUP_USD="50")
    replies: list[CallToolResult] = []
    async with http_child(tmp_path / "home", **env) as server:

        async def chat(n: int) -> None:
            async with sse(server) as c:
                replies.append(await c.call_tool("venice_chat", {"prompt": f"hello {n}"}))

        with anyio.fail_after(CALL_TIMEOUT):
            await concurrently(count, chat)
    assert [r.is_error for r in replies] == [False] * count, [text_of(r) for r in replies]
    book = await sandbox.control("GET", "topups")
    assert len(book["nonces"]) == 1, json.dumps(book)[:2000]  # one $10 top-up served all six
    assert 9.0 < (await sandbox.control("GET", f"balance/{address}"))["balance"] < 10.0

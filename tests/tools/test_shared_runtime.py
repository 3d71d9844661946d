"""One server, one state: connections held at once share it, and the last one out closes it (the
in-process counterpart of tests/e2e/test_shared_state.py, which drives SSE over a real socket)."""

from __future__ import annotations

import os
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client

from tests.backend import sqlite_only
from tests.e2e.procstats import needs_proc, state_handles
from tests.tools.conftest import text_of
from venice_mcp.config import Settings
from venice_mcp.sandbox import SandboxState, create_app
from venice_mcp.server import build_server

pytestmark = [pytest.mark.anyio, needs_proc, sqlite_only]  # counts the SQLite file's handles


async def test_connections_to_one_server_share_one_state_that_the_last_one_out_closes(
    sandbox: SandboxState, settings: Settings, tmp_path: Path
) -> None:
    server = build_server(settings, transport=httpx2.ASGITransport(app=create_app(sandbox)))
    home, me = tmp_path / "home", os.getpid()

    async def chat(client: Client, prompt: str) -> None:
        result = await client.call_tool("venice_chat", {"prompt": prompt})
        assert text_of(result).startswith("[sandbox]"), text_of(result)

    with anyio.fail_after(30):
        async with Client(server) as first:
            await chat(first, "one")
            one = state_handles(me, home)
            assert one >= 1
            async with Client(server, mode="legacy") as second:
                await chat(second, "two")
                assert state_handles(me, home) == one  # the same database connection
            assert state_handles(me, home) == one  # the second one leaving closed nothing
            await chat(first, "still here")
        assert state_handles(me, home) == 0  # the last one out closed it

        async with Client(server) as later:  # and a later connection finds a fresh one
            await chat(later, "again")
            assert state_handles(me, home) == one
    assert state_handles(me, home) == 0

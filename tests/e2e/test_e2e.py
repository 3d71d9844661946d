"""The real ``venice-mcp`` CLI as a child process, over stdio, Streamable HTTP and SSE.

Every server runs with ``--sandbox``, so nothing leaves the machine and no real key is used.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from tests.e2e.helpers import CALL_TIMEOUT, HttpServer, child_env, cli

MODES = ["auto", "legacy"]


def reply_text(result: CallToolResult) -> str:
    assert not result.is_error, result
    return "".join(block.text for block in result.content if isinstance(block, TextContent))


async def chat_through(server: Any, mode: str) -> str:
    with anyio.fail_after(CALL_TIMEOUT):
        async with Client(server, mode=mode) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert "venice_chat" in names
            return reply_text(await client.call_tool("venice_chat", {"prompt": "hello"}))


# --- stdio ------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_stdio_serve_sandbox_chat(mode: str, tmp_path: Path) -> None:
    command, *args = cli("serve", "--sandbox")
    params = StdioServerParameters(command=command, args=args, env=child_env(tmp_path))
    assert (await chat_through(params, mode)).startswith("[sandbox]")


# --- Streamable HTTP --------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_streamable_http_chat(mode: str, http_server: HttpServer) -> None:
    assert (await chat_through(f"{http_server.base}/mcp", mode)).startswith("[sandbox]")


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_streamable_http_with_the_right_token(mode: str, token_server: HttpServer) -> None:
    async with httpx2.AsyncClient(headers=token_server.auth, timeout=CALL_TIMEOUT) as http:
        transport = streamable_http_client(f"{token_server.base}/mcp", http_client=http)
        assert (await chat_through(transport, mode)).startswith("[sandbox]")


@pytest.mark.anyio
async def test_streamable_http_without_token_is_refused(token_server: HttpServer) -> None:
    async with httpx2.AsyncClient(timeout=CALL_TIMEOUT) as http:
        for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}):
            response = await http.post(f"{token_server.base}/mcp", json={}, headers=headers)
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == "Bearer"
        assert (await http.get(f"{token_server.base}/health")).text == "ok"
    with pytest.raises(Exception):  # noqa: B017 - the SDK wraps the 401 in its own error types
        await chat_through(f"{token_server.base}/mcp", "legacy")


# --- SSE --------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_sse_chat(mode: str, http_server: HttpServer) -> None:
    assert (await chat_through(sse_client(f"{http_server.base}/sse"), mode)).startswith("[sandbox]")


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_sse_with_the_right_token(mode: str, token_server: HttpServer) -> None:
    transport = sse_client(f"{token_server.base}/sse", headers=token_server.auth)
    assert (await chat_through(transport, mode)).startswith("[sandbox]")


@pytest.mark.anyio
async def test_sse_without_token_is_refused(token_server: HttpServer) -> None:
    async with httpx2.AsyncClient(timeout=CALL_TIMEOUT) as http:
        assert (await http.get(f"{token_server.base}/sse")).status_code == 401
    with pytest.raises(Exception):  # noqa: B017 - HTTPStatusError, wrapped in an ExceptionGroup
        await chat_through(sse_client(f"{token_server.base}/sse"), "legacy")


# --- one-shot verbs ---------------------------------------------------------------------------


def run_cli(tmp: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli(*args),
        env=child_env(tmp, **env),
        capture_output=True,
        text=True,
        timeout=CALL_TIMEOUT,
        check=False,
    )


def test_call_prints_the_reply(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "call", "venice_chat", "--sandbox", "--args", '{"prompt":"hello"}')
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("[sandbox] ")


def test_call_sandbox_with_a_wallet_uses_a_funded_throwaway_wallet(tmp_path: Path) -> None:
    # The configured wallet holds no sandbox credit, so success means the throwaway one was used.
    wallet = {"VENICE_WALLET_KEY": "0x" + "11" * 32, "VENICE_API_KEY": "real-key-never-sent"}
    done = run_cli(tmp_path, "call", "venice_chat", "--sandbox", "--args", '{"prompt":"hello"}', **wallet)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("[sandbox] ")


def test_call_unknown_tool_is_usage_error(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "call", "venice_nope", "--sandbox")
    assert done.returncode == 2
    assert "venice_chat" in done.stderr and "Traceback" not in done.stderr


def test_malformed_env_is_one_line_exit_2(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "tools", "--sandbox", VENICE_MCP_MAX_CALL_USD="abc")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("venice-mcp: VENICE_MCP_MAX_CALL_USD") and done.stderr.count("\n") == 1


def test_exposed_bind_without_token_refuses_to_start(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "serve", "--transport", "sse", "--host", "0.0.0.0", "--port", "9")
    assert done.returncode == 2
    assert "VENICE_MCP_AUTH_TOKEN" in done.stderr and done.stderr.count("\n") == 1


def test_help(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "--help")
    assert done.returncode == 0
    for verb in ("serve", "sandbox", "call", "tools"):
        assert verb in done.stdout

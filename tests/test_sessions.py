"""Session limits of the HTTP app: a cap per transport, and idle Streamable HTTP sessions expire."""

from __future__ import annotations

from typing import Any

import anyio
import httpx2
import pytest

from tests.test_transports import http, lifespan_of, stand_in
from venice_mcp.sessions import SseSessionLimit
from venice_mcp.transports import build_http_app

pytestmark = pytest.mark.anyio

LEGACY = "2025-11-25"
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}


async def open_session(client: httpx2.AsyncClient) -> httpx2.Response:
    return await client.post("/mcp", json=INITIALIZE, headers=HEADERS)


def assert_too_many_sessions(response: httpx2.Response) -> None:
    assert response.status_code == 503
    body = response.json()
    assert body["jsonrpc"] == "2.0" and body["error"]["message"] == "Too many open sessions"


async def test_a_session_over_the_cap_gets_503_with_a_json_rpc_error() -> None:
    app = build_http_app(stand_in(), max_sessions=2)
    async with lifespan_of(app), http(app) as client:
        with anyio.fail_after(10):
            opened = [await open_session(client) for _ in range(2)]
            refused = await open_session(client)
    assert [r.status_code for r in opened] == [200, 200]
    assert_too_many_sessions(refused)


async def test_an_idle_session_expires_and_frees_its_place() -> None:
    app = build_http_app(stand_in(), max_sessions=1, session_idle_timeout=0.2)
    async with lifespan_of(app), http(app) as client:
        first = await open_session(client)
        assert first.status_code == 200
        with anyio.fail_after(10):
            # Refused openings never touch the first session, so it goes idle and ends.
            while (second := await open_session(client)).status_code == 503:
                await anyio.sleep(0.05)  # a poll interval, not a wait for an outcome
        assert second.status_code == 200
        ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
        headers = {
            **HEADERS,
            "Mcp-Session-Id": first.headers["mcp-session-id"],
            "MCP-Protocol-Version": LEGACY,
        }
        assert (await client.post("/mcp", json=ping, headers=headers)).status_code == 404


async def test_sse_streams_over_the_cap_get_503_and_a_closed_stream_frees_its_place() -> None:
    ended = anyio.Event()
    started = 0

    async def stream(scope: Any, receive: Any, send: Any) -> None:
        nonlocal started
        started += 1
        if scope["path"] == "/sse":
            await ended.wait()

    app = SseSessionLimit(stream, max_sessions=2)
    sse = {"type": "http", "path": "/sse", "method": "GET", "headers": []}
    refusals: list[dict[str, Any]] = []

    async def collect(message: dict[str, Any]) -> None:
        refusals.append(message)

    async def nothing() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            for _ in range(2):
                tg.start_soon(app, sse, nothing, collect)
            while started < 2:
                await anyio.sleep(0)
            await app(sse, nothing, collect)  # the third: refused at once
            assert refusals[0]["status"] == 503 and b"Too many open sessions" in refusals[1]["body"]
            # Other routes are never counted.
            await app({**sse, "path": "/messages/", "method": "POST"}, nothing, collect)
            assert started == 3
            ended.set()
        await app(sse, nothing, collect)
    assert started == 4 and len(refusals) == 2

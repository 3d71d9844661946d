"""The combined HTTP app, in process: bearer auth, exposure refusal, Host checks, health.

A one-tool stand-in server keeps these tests about the transport, not about Venice tools.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
import pytest
from mcp.server import MCPServer

from venice_mcp.config import Secret
from venice_mcp.transports import (
    BearerAuth,
    ExposureError,
    allowed_hosts_from_env,
    build_http_app,
    check_exposure,
    is_loopback,
    transport_security,
)

pytestmark = pytest.mark.anyio

TOKEN = "t0ken-that-is-long-enough-1234"
MODERN = "2026-07-28"


def stand_in() -> MCPServer:
    server = MCPServer("stand-in")

    @server.tool()
    def echo(text: str) -> str:
        """Echo the text back."""
        return text

    return server


@asynccontextmanager
async def lifespan_of(app: Any) -> AsyncIterator[None]:
    """Drive an ASGI lifespan the way uvicorn does (httpx2's ASGITransport does not)."""
    to_app_send, to_app_recv = anyio.create_memory_object_stream[dict[str, Any]](4)
    from_app_send, from_app_recv = anyio.create_memory_object_stream[dict[str, Any]](4)
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    async with anyio.create_task_group() as tg:
        tg.start_soon(app, scope, to_app_recv.receive, from_app_send.send)
        with anyio.fail_after(5):
            await to_app_send.send({"type": "lifespan.startup"})
            assert (await from_app_recv.receive())["type"] == "lifespan.startup.complete"
        try:
            yield
        finally:
            with anyio.fail_after(5):
                await to_app_send.send({"type": "lifespan.shutdown"})
                assert (await from_app_recv.receive())["type"] == "lifespan.shutdown.complete"


def http(app: Any, base: str = "http://127.0.0.1:8000", **headers: str) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=base, headers=headers)


async def list_tools(client: httpx2.AsyncClient, **headers: str) -> httpx2.Response:
    """One modern-era tools/list: a single POST, no session needed."""
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/list",
        "params": {
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": MODERN,
                "io.modelcontextprotocol/clientCapabilities": {},
            }
        },
    }
    return await client.post(
        "/mcp",
        json=body,
        headers={
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": MODERN,
            "Mcp-Method": "tools/list",
            **headers,
        },
    )


def tool_names(response: httpx2.Response) -> list[str]:
    text = response.text
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        text = next(line[5:] for line in text.splitlines() if line.startswith("data:"))
    return [t["name"] for t in json.loads(text)["result"]["tools"]]


# --- bearer auth ------------------------------------------------------------------------------


async def test_request_without_token_gets_401_with_bearer_challenge() -> None:
    app = build_http_app(stand_in(), auth_token=Secret(TOKEN))
    async with http(app) as client:
        response = await list_tools(client)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}x", "Bearer ", f"Basic {TOKEN}", TOKEN, f"bearer{TOKEN}"])
async def test_wrong_token_gets_401(header: str) -> None:
    app = build_http_app(stand_in(), auth_token=Secret(TOKEN))
    async with http(app) as client:
        response = await list_tools(client, Authorization=header)
    assert response.status_code == 401


async def test_sse_endpoints_need_the_token_too() -> None:
    app = build_http_app(stand_in(), auth_token=Secret(TOKEN))
    async with http(app) as client:
        assert (await client.get("/sse")).status_code == 401
        assert (await client.post("/messages/?session_id=abc", json={})).status_code == 401


async def test_right_token_reaches_the_server_and_lifespan_passes_through() -> None:
    app = build_http_app(stand_in(), auth_token=Secret(TOKEN))
    assert isinstance(app, BearerAuth)
    async with lifespan_of(app), http(app, Authorization=f"Bearer {TOKEN}") as client:
        response = await list_tools(client)
    assert response.status_code == 200, response.text
    assert tool_names(response) == ["echo"]


async def test_health_is_open_even_with_a_token() -> None:
    app = build_http_app(stand_in(), auth_token=Secret(TOKEN))
    async with http(app) as client:
        response = await client.get("/health")
    assert (response.status_code, response.text) == (200, "ok")


async def test_no_token_configured_means_no_auth_on_loopback() -> None:
    app = build_http_app(stand_in())
    async with lifespan_of(app), http(app) as client:
        response = await list_tools(client)
    assert response.status_code == 200, response.text


# --- exposure ---------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com", ""])
def test_non_loopback_host_without_token_is_refused(host: str) -> None:
    with pytest.raises(ExposureError, match="VENICE_MCP_AUTH_TOKEN"):
        check_exposure(host, None)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_host_needs_no_token(host: str) -> None:
    assert is_loopback(host)
    check_exposure(host, None)


def test_non_loopback_host_with_token_is_allowed() -> None:
    check_exposure("0.0.0.0", Secret(TOKEN))


# --- DNS-rebinding host checks ----------------------------------------------------------------


async def test_foreign_host_header_gets_421() -> None:
    app = build_http_app(stand_in())
    async with lifespan_of(app), http(app) as client:
        response = await list_tools(client, Host="evil.example.com")
    assert response.status_code == 421


async def test_foreign_origin_gets_403() -> None:
    app = build_http_app(stand_in())
    async with lifespan_of(app), http(app) as client:
        response = await list_tools(client, Origin="http://evil.example.com")
    assert response.status_code == 403


async def test_bound_host_and_operator_hosts_are_accepted() -> None:
    extra = allowed_hosts_from_env({"VENICE_MCP_ALLOWED_HOSTS": " mcp.example.com , proxy.local:8443,"})
    assert extra == ["mcp.example.com", "proxy.local:8443"]
    app = build_http_app(stand_in(), host="10.1.2.3", auth_token=Secret(TOKEN), allowed_hosts=extra)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with lifespan_of(app), http(app, **auth) as client:
        for host in ("10.1.2.3:8000", "mcp.example.com", "mcp.example.com:443", "proxy.local:8443"):
            assert (await list_tools(client, Host=host)).status_code == 200, host
        assert (await list_tools(client, Host="proxy.local:9999")).status_code == 421


def test_wildcard_bind_does_not_open_the_host_check() -> None:
    security = transport_security("0.0.0.0")
    assert security.enable_dns_rebinding_protection
    assert not any(h.startswith("0.0.0.0") for h in security.allowed_hosts)


def test_unsubstituted_bundle_value_means_no_extra_hosts() -> None:
    assert allowed_hosts_from_env({"VENICE_MCP_ALLOWED_HOSTS": "${user_config.allowed_hosts}"}) == []


async def test_oversized_body_gets_413() -> None:
    app = build_http_app(stand_in(), max_request_body_size=1024)
    async with lifespan_of(app), http(app) as client:
        response = await client.post(
            "/mcp",
            content=b"{" + b" " * 2048 + b"}",
            headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"},
        )
    assert response.status_code == 413

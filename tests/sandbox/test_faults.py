"""Injected faults fire exactly `times` times, in Venice's shapes."""

from __future__ import annotations

import anyio
import httpx2
import pytest

from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio

CHAT = {"model": "default", "messages": [{"role": "user", "content": "hi"}]}


async def post(client: httpx2.AsyncClient, headers: dict[str, str]) -> httpx2.Response:
    return await client.post("/chat/completions", json=CHAT, headers=headers)


async def test_429_with_retry_after_fires_once(
    client: httpx2.AsyncClient, state: SandboxState, key_headers: dict[str, str]
) -> None:
    state.faults.add(path="/chat/completions", status=429, retry_after=1, times=1)
    first = await post(client, key_headers)
    assert first.status_code == 429
    assert first.headers["retry-after"] == "1"
    assert first.json() == {"error": "The model is currently overloaded. Please try again later."}
    assert first.headers["x-ratelimit-remaining-requests"] == "0"
    assert int(first.headers["x-ratelimit-reset-requests"]) > 1_600_000_000_000  # Unix ms
    assert (await post(client, key_headers)).status_code == 200


async def test_plain_rate_limit(
    client: httpx2.AsyncClient, state: SandboxState, key_headers: dict[str, str]
) -> None:
    state.faults.add(path="/chat/completions", status=429)
    response = await post(client, key_headers)
    assert response.json() == {"error": "Rate limit exceeded"}
    assert "retry-after" not in response.headers


async def test_503_fires_twice(
    client: httpx2.AsyncClient, state: SandboxState, key_headers: dict[str, str]
) -> None:
    state.faults.add(path="/chat/completions", status=503, times=2)
    assert [(await post(client, key_headers)).status_code for _ in range(3)] == [503, 503, 200]


async def test_method_and_path_must_match(
    client: httpx2.AsyncClient, state: SandboxState, key_headers: dict[str, str]
) -> None:
    state.faults.add(path="/api/v1/chat/completions", method="GET", status=500)
    state.faults.add(path="/embeddings", status=500)
    assert (await post(client, key_headers)).status_code == 200
    assert len(state.faults.pending) == 2


async def test_delay_fault(
    client: httpx2.AsyncClient, state: SandboxState, key_headers: dict[str, str]
) -> None:
    state.faults.add(path="/chat/completions", delay=0.05, times=1)
    with anyio.fail_after(5):
        assert (await post(client, key_headers)).status_code == 200
    assert state.faults.pending == []


async def test_dropped_connection(
    client: httpx2.AsyncClient, state: SandboxState, key_headers: dict[str, str]
) -> None:
    state.faults.add(path="/chat/completions", drop=True, times=1)
    with pytest.raises(httpx2.TransportError):
        await post(client, key_headers)
    assert (await post(client, key_headers)).status_code == 200


async def test_requests_are_recorded(
    client: httpx2.AsyncClient, state: SandboxState, key_headers: dict[str, str]
) -> None:
    state.faults.add(path="/chat/completions", status=500)
    await post(client, key_headers)
    await client.get("/models", params={"type": "image"})
    first, second = state.requests
    assert (first.method, first.path, first.status, first.json) == ("POST", "/chat/completions", 500, CHAT)
    assert first.headers["authorization"] == key_headers["Authorization"]
    assert (second.path, second.query, second.json, second.status) == (
        "/models",
        {"type": "image"},
        None,
        200,
    )


def test_fault_needs_an_effect(state: SandboxState) -> None:
    with pytest.raises(ValueError):
        state.faults.add(path="/chat/completions")

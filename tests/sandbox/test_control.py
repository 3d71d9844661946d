"""The /_sandbox control surface used by subprocess tests."""

from __future__ import annotations

import httpx2
import pytest

from venice_mcp.sandbox import SandboxState, create_app

pytestmark = pytest.mark.anyio


async def test_control_endpoints(state: SandboxState, key_headers: dict[str, str]) -> None:
    transport = httpx2.ASGITransport(app=create_app(state))
    async with httpx2.AsyncClient(transport=transport, base_url="http://sandbox.test") as c:
        added = await c.post(
            "/_sandbox/faults", json={"path": "/chat/completions", "status": 503, "times": 1}
        )
        assert added.status_code == 200
        assert (await c.post("/_sandbox/faults", json={"path": "/x", "bogus": 1})).status_code == 400
        body = {"model": "default", "messages": [{"role": "user", "content": "hi"}]}
        assert (await c.post("/api/v1/chat/completions", json=body, headers=key_headers)).status_code == 503

        credit = await c.post(
            "/_sandbox/credit", json={"address": "0xAbC0000000000000000000000000000000000123", "usd": 7.5}
        )
        assert credit.json()["balance"] == 7.5
        assert state.balance("0xabc0000000000000000000000000000000000123") == 7.5
        assert (await c.post("/_sandbox/credit", json={"address": "0x1", "usd": "lots"})).status_code == 400

        recorded = (await c.get("/_sandbox/requests")).json()
        assert [(r["path"], r["status"]) for r in recorded] == [("/chat/completions", 503)]

        assert (await c.post("/_sandbox/reset")).json() == {"ok": True}
        assert state.requests == []
        assert state.balance("0xabc0000000000000000000000000000000000123") == 0.0


async def test_recorded_requests_are_bounded() -> None:
    """A sandbox left running keeps only its most recent requests, oldest first, not all of them."""
    state = SandboxState(recorded_limit=3)
    transport = httpx2.ASGITransport(app=create_app(state))
    async with httpx2.AsyncClient(transport=transport, base_url="http://sandbox.test") as c:
        for n in range(20):
            assert (await c.get("/api/v1/models", params={"n": n})).status_code == 200
        recorded = (await c.get("/_sandbox/requests")).json()
    assert 3 <= len(recorded) < 6
    assert [int(r["query"]["n"]) for r in recorded] == list(range(20 - len(recorded), 20))

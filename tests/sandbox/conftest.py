from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from tests.sandbox.facilitation import NOW
from tests.sandbox.siwe import Wallet
from venice_mcp.sandbox import SANDBOX_API_KEY, SandboxState, create_app

BASE_URL = "http://sandbox.test/api/v1"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def state() -> SandboxState:
    return SandboxState()


@pytest.fixture
async def client(state: SandboxState) -> AsyncIterator[httpx2.AsyncClient]:
    transport = httpx2.ASGITransport(app=create_app(state))
    async with httpx2.AsyncClient(transport=transport, base_url=BASE_URL) as c:
        yield c


@pytest.fixture
def key_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {SANDBOX_API_KEY}"}


@pytest.fixture
def wallet(state: SandboxState) -> Wallet:
    w = Wallet.random()
    state.credit(w.address, 10.0)
    return w


@pytest.fixture
async def fac(state: SandboxState) -> AsyncIterator[httpx2.AsyncClient]:
    """The facilitator's client, at the sandbox's root (not /api/v1), with the clock pinned."""
    state.clock = lambda: float(NOW)
    transport = httpx2.ASGITransport(app=create_app(state))
    async with httpx2.AsyncClient(transport=transport, base_url="http://sandbox.test") as c:
        yield c

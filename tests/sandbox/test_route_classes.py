"""Route classes decide which credentials count (Bearer-only and ADMIN routes come later)."""

from __future__ import annotations

import pytest

from tests.sandbox.siwe import Wallet
from venice_mcp.sandbox import SANDBOX_ADMIN_KEY, SANDBOX_API_KEY, SandboxState
from venice_mcp.sandbox.auth import Access, authenticate
from venice_mcp.sandbox.errors import VeniceError

URL = "http://sandbox.test/api/v1/characters"


def auth(access: Access, headers: dict[str, str], state: SandboxState) -> object:
    return authenticate(access, headers, state, host="sandbox.test", url=URL)


def test_siwx_alone_on_bearer_only_route_is_401(state: SandboxState) -> None:
    with pytest.raises(VeniceError) as caught:
        auth(Access.BEARER, {"sign-in-with-x": Wallet.random().header()}, state)
    assert (caught.value.status, caught.value.body) == (401, {"error": "Authentication failed"})


def test_bearer_only_route_ignores_siwx_next_to_a_key(state: SandboxState) -> None:
    headers = {"sign-in-with-x": "garbage", "authorization": f"Bearer {SANDBOX_API_KEY}"}
    assert auth(Access.BEARER, headers, state) is not None


def test_no_credentials_on_bearer_only_route_is_402(state: SandboxState) -> None:
    with pytest.raises(VeniceError) as caught:
        auth(Access.BEARER, {}, state)
    assert caught.value.status == 402
    assert "PAYMENT-REQUIRED" in caught.value.headers


def test_admin_routes_need_the_admin_key(state: SandboxState) -> None:
    with pytest.raises(VeniceError) as caught:
        auth(Access.ADMIN, {"authorization": f"Bearer {SANDBOX_API_KEY}"}, state)
    assert (caught.value.status, caught.value.body) == (401, {"error": "Admin API key required"})
    assert auth(Access.ADMIN, {"authorization": f"Bearer {SANDBOX_ADMIN_KEY}"}, state) is not None

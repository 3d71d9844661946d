"""The client against the sandbox, which verifies SIWX signatures for real."""

from __future__ import annotations

from typing import Any

import anyio
import httpx2
import pytest

from venice_mcp.api import errors
from venice_mcp.api.client import BearerAuth, VeniceClient, WalletAuth
from venice_mcp.api.retry import RetryPolicy
from venice_mcp.payments.signer import EthAccountSigner
from venice_mcp.sandbox import SANDBOX_API_KEY, SandboxState, create_app

pytestmark = pytest.mark.anyio

KEY = "0x" + "11" * 32
OTHER_KEY = "0x" + "22" * 32
CHAT = {"model": "zai-org-glm-5-2", "messages": [{"role": "user", "content": "hello"}]}


async def _instant(_: float) -> None:
    return None


def client_for(state: SandboxState, auth: Any) -> VeniceClient:
    http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=create_app(state)))
    return VeniceClient(
        http, base_url="http://sandbox.test/api/v1", auth=auth, retry=RetryPolicy(sleep=_instant)
    )


class ImpostorSigner:
    """Claims one wallet's address but signs with another key."""

    def __init__(self) -> None:
        self._claimed = EthAccountSigner(KEY)
        self._real = EthAccountSigner(OTHER_KEY)

    @property
    def address(self) -> str:
        return self._claimed.address

    def sign_message(self, text: str) -> str:
        return self._real.sign_message(text)

    def sign_typed_data(self, typed: dict[str, Any]) -> str:
        return self._real.sign_typed_data(typed)


async def test_wallet_request_is_verified_and_debited() -> None:
    state = SandboxState()
    signer = EthAccountSigner(KEY)
    state.credit(signer.address, 1.0)
    response = await client_for(state, WalletAuth(signer)).request(
        "POST", "/chat/completions", json_body=CHAT
    )
    assert response.body["choices"][0]["message"]["content"].startswith("[sandbox]")
    assert response.balance_usd == pytest.approx(1.0)
    assert state.balance(signer.address) < 1.0


async def test_each_retry_carries_a_fresh_nonce_the_sandbox_accepts() -> None:
    state = SandboxState()
    signer = EthAccountSigner(KEY)
    state.credit(signer.address, 1.0)
    state.faults.add(path="/chat/completions", status=503, times=2)
    response = await client_for(state, WalletAuth(signer)).request(
        "POST", "/chat/completions", json_body=CHAT
    )
    assert response.attempts == 3
    sent = [r for r in state.requests if r.path == "/chat/completions"]
    headers = {r.headers["sign-in-with-x"] for r in sent}
    assert len(headers) == 3 and [r.status for r in sent] == [503, 503, 200]


async def test_a_signature_from_the_wrong_key_is_rejected() -> None:
    state = SandboxState()
    state.credit(EthAccountSigner(KEY).address, 1.0)
    with pytest.raises(errors.AuthenticationError) as info:
        await client_for(state, WalletAuth(ImpostorSigner())).request(
            "POST", "/chat/completions", json_body=CHAT
        )
    assert info.value.code == "X402_SIGN_IN_INVALID_SIGNATURE"


async def test_empty_wallet_gets_the_insufficient_balance_form() -> None:
    state = SandboxState()
    with pytest.raises(errors.PaymentRequiredError) as info:
        await client_for(state, WalletAuth(EthAccountSigner(KEY))).request(
            "POST", "/chat/completions", json_body=CHAT
        )
    assert info.value.kind == "insufficient_balance"
    assert "venice_wallet_top_up" in info.value.agent_message()


async def test_wallet_keeps_at_most_five_requests_in_flight() -> None:
    state = SandboxState()
    signer = EthAccountSigner(KEY)
    state.credit(signer.address, 5.0)
    state.faults.add(path="/chat/completions", delay=0.05, times=10)
    client = client_for(state, WalletAuth(signer))
    statuses: list[int] = []

    async def one() -> None:
        statuses.append((await client.request("POST", "/chat/completions", json_body=CHAT)).status)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(one)
    assert statuses == [200] * 10
    assert all(r.status == 200 for r in state.requests if r.path == "/chat/completions")


async def test_bearer_key_is_accepted_and_unknown_key_is_401() -> None:
    state = SandboxState()
    ok = await client_for(state, BearerAuth(SANDBOX_API_KEY)).request(
        "POST", "/chat/completions", json_body=CHAT
    )
    assert ok.status == 200
    with pytest.raises(errors.AuthenticationError):
        await client_for(state, BearerAuth("VENICE_INFERENCE_KEY_nope")).request(
            "POST", "/chat/completions", json_body=CHAT
        )

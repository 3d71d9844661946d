"""The project's own SIWX client (venice_mcp.payments) against the sandbox's independent verifier."""

from __future__ import annotations

import httpx2
import pytest

from tests.sandbox.siwe import Wallet
from venice_mcp.payments.signer import EthAccountSigner
from venice_mcp.payments.siwx import sign_in_header
from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio


async def test_client_header_verifies(client: httpx2.AsyncClient, state: SandboxState) -> None:
    wallet = Wallet.random()
    state.credit(wallet.address, 1.0)
    signer = EthAccountSigner(wallet.key)
    url = "http://sandbox.test/api/v1/chat/completions"
    body = {"model": "default", "messages": [{"role": "user", "content": "hi"}]}
    response = await client.post(url, json=body, headers={"SIGN-IN-WITH-X": sign_in_header(signer, url)})
    assert response.status_code == 200, response.text
    assert state.balance(wallet.address) < 1.0

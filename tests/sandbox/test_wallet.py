"""Wallet callers: the $0.10 floor (402 form b), debits and the ledger, 5 requests in flight."""

from __future__ import annotations

import base64
import json

import anyio
import httpx2
import pytest

from tests.sandbox.siwe import Wallet
from venice_mcp.sandbox import SANDBOX_ADMIN_KEY, SandboxState

pytestmark = pytest.mark.anyio

CHAT = {"model": "default", "messages": [{"role": "user", "content": "hello there"}]}


async def test_low_balance_gets_form_b(client: httpx2.AsyncClient, state: SandboxState) -> None:
    poor = Wallet.random()
    state.credit(poor.address, 0.04)
    response = await client.post("/chat/completions", json=CHAT, headers={"SIGN-IN-WITH-X": poor.header()})
    assert response.status_code == 402
    body = response.json()
    assert body["code"] == "PAYMENT_REQUIRED"
    assert body["reason"] == "insufficient_balance"
    assert body["currentBalanceUsd"] == pytest.approx(0.04)
    assert body["minimumBalanceUsd"] == 0.1
    assert body["suggestedTopUpUsd"] == 10
    assert body["minimumTopUpUsd"] == 5
    assert body["supportedChains"] == ["base", "solana"]
    assert len(body["topUpInstructions"]) == 8
    assert body["topUpInstructions"]["receiverWallet"] == "0x2670b922ef37c7df47158725c0cc407b5382293f"
    assert set(body["siwxChallenge"]["info"]) == {
        "domain",
        "uri",
        "version",
        "nonce",
        "issuedAt",
        "expirationTime",
        "statement",
    }
    header = json.loads(base64.b64decode(response.headers["PAYMENT-REQUIRED"]))
    assert header["x402Version"] == 2
    assert "code" not in header  # the header is the x402 object, not the body
    assert [a["network"] for a in header["accepts"]] == ["eip155:8453", "solana"]


async def test_chat_debits_the_wallet(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet
) -> None:
    response = await client.post("/chat/completions", json=CHAT, headers={"SIGN-IN-WITH-X": wallet.header()})
    assert response.status_code == 200
    assert float(response.headers["x-venice-balance-usd"]) == pytest.approx(10.0)  # balance at start
    cost = response.json()["cost"]["usd"]
    assert cost > 0
    assert state.balance(wallet.address) == pytest.approx(10.0 - cost)
    charge = state.ledger(wallet.address)[-1]
    assert charge["type"] == "CHARGE"
    assert charge["amount"] == pytest.approx(-cost)
    assert charge["requestId"] == response.json()["id"]
    assert charge["modelId"] == "zai-org-glm-5-2"
    assert charge["balanceAfter"] == pytest.approx(state.balance(wallet.address))


async def test_embeddings_debit_by_input_price(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet
) -> None:
    body = {"model": "text-embedding-bge-m3", "input": "x" * 4000}
    response = await client.post("/embeddings", json=body, headers={"SIGN-IN-WITH-X": wallet.header()})
    assert response.status_code == 200
    assert response.json()["usage"]["prompt_tokens"] == 1000
    assert state.balance(wallet.address) == pytest.approx(10.0 - 1000 * 0.15 / 1e6)


async def test_debit_is_clamped_at_zero(client: httpx2.AsyncClient, state: SandboxState) -> None:
    w = Wallet.random()
    state.credit(w.address, 0.1)
    body = {"model": "claude-opus-4-8", "messages": [{"role": "user", "content": "x" * 400_000}]}
    response = await client.post("/chat/completions", json=body, headers={"SIGN-IN-WITH-X": w.header()})
    assert response.status_code == 200
    assert response.json()["cost"]["usd"] > 0.1
    assert state.balance(w.address) == 0.0


async def test_bearer_callers_see_their_accounts_balance_not_a_wallets(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    response = await client.post("/chat/completions", json=CHAT, headers=key_headers)
    account = (
        await client.get("/billing/balance", headers={"Authorization": f"Bearer {SANDBOX_ADMIN_KEY}"})
    ).json()["balances"]
    assert float(response.headers["x-venice-balance-usd"]) == account["usd"]
    assert float(response.headers["x-venice-balance-diem"]) == account["diem"]


async def test_sixth_concurrent_request_is_refused(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet
) -> None:
    state.faults.add(path="/chat/completions", delay=30, times=5)
    statuses: list[int] = []

    async def call() -> None:
        r = await client.post("/chat/completions", json=CHAT, headers={"SIGN-IN-WITH-X": wallet.header()})
        statuses.append(r.status_code)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(call)
            await state.wait_inflight(wallet.address, 5)
            sixth = await client.post(
                "/chat/completions", json=CHAT, headers={"SIGN-IN-WITH-X": wallet.header()}
            )
            assert sixth.status_code == 429
            assert sixth.json() == {"error": "Too many concurrent requests", "code": "X402_CONCURRENCY_LIMIT"}
            state.faults.release_delays()
    assert statuses == [200] * 5
    assert state.inflight(wallet.address) == 0
    after = await client.post("/chat/completions", json=CHAT, headers={"SIGN-IN-WITH-X": wallet.header()})
    assert after.status_code == 200


async def test_streamed_reply_holds_its_slot_until_done(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet
) -> None:
    response = await client.post(
        "/chat/completions", json={**CHAT, "stream": True}, headers={"SIGN-IN-WITH-X": wallet.header()}
    )
    assert response.status_code == 200
    assert state.inflight(wallet.address) == 0
    assert state.ledger(wallet.address)[-1]["type"] == "CHARGE"

"""Credentials: Bearer keys, real SIWX verification with Venice's codes, the no-credentials 402."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx2
import pytest

from tests.sandbox.siwe import Wallet, encode
from venice_mcp.sandbox import SANDBOX_ADMIN_KEY, SandboxState

pytestmark = pytest.mark.anyio

CHAT = {"model": "default", "messages": [{"role": "user", "content": "hello"}]}


async def chat_as(client: httpx2.AsyncClient, header: str, name: str = "SIGN-IN-WITH-X") -> httpx2.Response:
    return await client.post("/chat/completions", json=CHAT, headers={name: header})


def code_of(response: httpx2.Response) -> Any:
    assert response.status_code == 401, response.text
    return response.json()["code"]


async def test_valid_siwx_is_accepted(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    response = await chat_as(client, wallet.header())
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == "[sandbox] You said: hello"


async def test_legacy_header_and_lower_case_name(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    assert (await chat_as(client, wallet.header(), "X-Sign-In-With-X")).status_code == 200
    assert (await chat_as(client, wallet.header(), "sign-in-with-x")).status_code == 200


async def test_own_host_domain_is_accepted(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    assert (await chat_as(client, wallet.header(domain="sandbox.test"))).status_code == 200


async def test_structured_form_is_rebuilt_and_verified(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    assert (await chat_as(client, wallet.structured_header())).status_code == 200


async def test_reused_nonce_is_rejected(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    header = wallet.header()
    assert (await chat_as(client, header)).status_code == 200
    assert code_of(await chat_as(client, header)) == "X402_SIGN_IN_NONCE_REUSED"


async def test_nonce_is_consumed_even_when_the_request_fails(
    client: httpx2.AsyncClient, state: SandboxState
) -> None:
    poor = Wallet.random()  # no credit: the first use gets a 402, yet the nonce is spent
    header = poor.header()
    assert (await chat_as(client, header)).status_code == 402
    assert code_of(await chat_as(client, header)) == "X402_SIGN_IN_NONCE_REUSED"


async def test_nonces_are_per_wallet(client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet) -> None:
    other = Wallet.random()
    state.credit(other.address, 1.0)
    assert (await chat_as(client, wallet.header(nonce="abcdef0123456789"))).status_code == 200
    assert (await chat_as(client, other.header(nonce="abcdef0123456789"))).status_code == 200


async def test_stale_issued_at(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    old = datetime.now(timezone.utc) - timedelta(minutes=6)
    response = await chat_as(client, wallet.header(issued_at=old, expiration=old + timedelta(hours=1)))
    assert code_of(response) == "X402_SIGN_IN_EXPIRED"


async def test_future_issued_at(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    future = datetime.now(timezone.utc) + timedelta(minutes=2)
    assert code_of(await chat_as(client, wallet.header(issued_at=future))) == "X402_SIGN_IN_FUTURE_TIMESTAMP"


async def test_small_clock_skew_is_tolerated(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    ahead = datetime.now(timezone.utc) + timedelta(seconds=10)
    assert (await chat_as(client, wallet.header(issued_at=ahead))).status_code == 200


async def test_expiration_time_is_enforced(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    now = datetime.now(timezone.utc)
    header = wallet.header(issued_at=now - timedelta(minutes=2), expiration=now - timedelta(seconds=1))
    assert code_of(await chat_as(client, header)) == "X402_SIGN_IN_EXPIRED"


async def test_not_before_is_enforced(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    later = datetime.now(timezone.utc) + timedelta(minutes=1)
    assert code_of(await chat_as(client, wallet.header(not_before=later))) == "X402_SIGN_IN_NOT_BEFORE"


async def test_wrong_domain(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    assert (
        code_of(await chat_as(client, wallet.header(domain="evil.example"))) == "X402_SIGN_IN_DOMAIN_MISMATCH"
    )


async def test_wrong_chain(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    header = wallet.header(chain_id=1, payload_chain=1)
    assert code_of(await chat_as(client, header)) == "X402_SIGN_IN_UNSUPPORTED_CHAIN"


async def test_payload_chain_must_agree_with_message(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    header = wallet.header(chain_id=8453, payload_chain="eip155:1")
    assert code_of(await chat_as(client, header)) == "X402_SIGN_IN_CHAIN_MISMATCH"
    assert (
        code_of(await chat_as(client, wallet.header(payload_chain="base"))) == "X402_SIGN_IN_INVALID_CHAIN_ID"
    )
    for form in (8453, "8453", "eip155:8453", None):
        assert (await chat_as(client, wallet.header(payload_chain=form))).status_code == 200


async def test_signature_by_another_key(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    header = wallet.header(signer=Wallet.random())
    assert code_of(await chat_as(client, header)) == "X402_SIGN_IN_INVALID_SIGNATURE"


async def test_timestamp_far_from_issued_at(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    now = datetime.now(timezone.utc)
    header = wallet.header(issued_at=now, timestamp_ms=int(now.timestamp() * 1000) - 60_000)
    assert code_of(await chat_as(client, header)) == "X402_SIGN_IN_TIMESTAMP_MISMATCH"


async def test_garbage_and_incomplete_payloads(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    assert code_of(await chat_as(client, "not base64 json!")) == "X402_SIGN_IN_PARSE_ERROR"
    assert (
        code_of(await chat_as(client, encode({"address": wallet.address}))) == "X402_SIGN_IN_INVALID_PAYLOAD"
    )
    bad_message = encode({"address": wallet.address, "message": "hello", "signature": "0x00"})
    assert code_of(await chat_as(client, bad_message)) == "X402_SIGN_IN_INVALID_MESSAGE"


async def test_message_address_must_match_payload(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    payload = json.loads(base64.b64decode(wallet.header()))
    payload["address"] = Wallet.random().address
    assert code_of(await chat_as(client, encode(payload))) == "X402_SIGN_IN_ADDRESS_MISMATCH"


async def test_short_nonce(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    assert code_of(await chat_as(client, wallet.header(nonce="abc"))) == "X402_SIGN_IN_MISSING_NONCE"


async def test_siwx_wins_over_bearer(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet, key_headers: dict[str, str]
) -> None:
    headers = {**key_headers, "SIGN-IN-WITH-X": wallet.header()}
    response = await client.post("/chat/completions", json=CHAT, headers=headers)
    assert response.status_code == 200
    assert "x-venice-balance-usd" in response.headers
    assert state.balance(wallet.address) < 10.0


async def test_bearer_keys(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    assert (await client.post("/chat/completions", json=CHAT, headers=key_headers)).status_code == 200
    admin = {"Authorization": f"Bearer {SANDBOX_ADMIN_KEY}"}
    assert (await client.post("/chat/completions", json=CHAT, headers=admin)).status_code == 200
    unknown = await client.post("/chat/completions", json=CHAT, headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401
    assert unknown.json() == {"error": "Authentication failed"}


async def test_invalid_key_is_ignored_on_public_routes(client: httpx2.AsyncClient) -> None:
    response = await client.get("/models", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 200


async def test_no_credentials_gets_discovery_402(client: httpx2.AsyncClient) -> None:
    response = await client.post("/chat/completions", json=CHAT)
    assert response.status_code == 402
    body = response.json()
    assert body["x402Version"] == 2
    assert body["error"] == "Authentication required"
    assert body["resource"]["url"].endswith("/api/v1/chat/completions")
    base, solana = body["accepts"]
    assert base == {
        "scheme": "exact",
        "network": "eip155:8453",
        "amount": "10000000",
        "asset": "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913",
        "payTo": "0x2670b922ef37c7df47158725c0cc407b5382293f",
        "maxTimeoutSeconds": 300,
        "extra": {"name": "USD Coin", "version": "2"},
    }
    assert solana["network"] == "solana"
    assert solana["amount"] == "10000000"
    assert "sign-in-with-x" in body["extensions"]
    assert set(body["authOptions"]) == {"apiKey", "x402Wallet"}
    header = json.loads(base64.b64decode(response.headers["PAYMENT-REQUIRED"]))
    assert "authOptions" not in header
    assert {k: v for k, v in body.items() if k not in ("authOptions", "extensions")} == {
        k: v for k, v in header.items() if k != "extensions"
    }

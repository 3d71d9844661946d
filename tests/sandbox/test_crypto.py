"""Sandbox crypto RPC: networks, allowlists, batches, idempotency and billing headers."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from tests.sandbox.siwe import Wallet
from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio


def call(method: str, params: list[Any] | None = None, id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "params": params or [], "id": id}


async def test_networks_are_public_and_sorted(client: httpx2.AsyncClient) -> None:
    r = await client.get("/crypto/rpc/networks")
    assert r.status_code == 200
    networks = r.json()["networks"]
    assert networks == sorted(networks) and len(networks) == 27 and "blast-mainnet" in networks


async def test_single_call_with_billing_headers(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    r = await client.post("/crypto/rpc/base-mainnet", json=call("eth_chainId"), headers=key_headers)
    assert r.status_code == 200 and r.json() == {"jsonrpc": "2.0", "id": 1, "result": "0x2105"}
    assert r.headers["x-venice-rpc-credits"] == "20"
    assert r.headers["x-venice-rpc-cost-usd"] == "0.00001400"
    assert len(r.headers["x-request-id"]) == 32


async def test_batch_is_billed_per_item_and_unsimulated_methods_error_in_band(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    batch = [call("eth_blockNumber", id=1), call("trace_block", ["latest"], id=2), call("getSlot", id=3)]
    r = await client.post("/crypto/rpc/ethereum-mainnet", json=batch[:2], headers=key_headers)
    assert r.status_code == 200
    first, second = r.json()
    assert first["result"].startswith("0x") and second["error"]["code"] == -32601
    assert r.headers["x-venice-rpc-credits"] == str(20 + 5)
    solana = await client.post("/crypto/rpc/solana-mainnet", json=[batch[2]], headers=key_headers)
    assert solana.status_code == 200 and isinstance(solana.json()[0]["result"], int)
    assert solana.headers["x-venice-rpc-credits"] == "30"


async def test_one_unsupported_method_fails_the_whole_batch(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    batch = [call("eth_blockNumber"), call("eth_newFilter", id=2), call("getBalance", id=3)]
    r = await client.post("/crypto/rpc/ethereum-mainnet", json=batch, headers=key_headers)
    assert r.status_code == 400
    assert r.json()["error"] == "Unsupported method(s) for ethereum-mainnet: eth_newFilter, getBalance"
    assert "x-venice-rpc-credits" not in r.headers


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/crypto/rpc/moon-mainnet", call("eth_chainId"), "Unsupported network: moon-mainnet"),
        ("/crypto/rpc/base-mainnet", [], "Request body must be a JSON-RPC request or a non-empty batch"),
        ("/crypto/rpc/base-mainnet", [call("eth_chainId", id=i) for i in range(101)], "limited to 100"),
        ("/crypto/rpc/base-mainnet", {"jsonrpc": "2.0", "id": 1}, "Invalid request parameters"),
        ("/crypto/rpc/base-mainnet", call("eth_subscribe"), "requires a WebSocket connection"),
    ],
)
async def test_rejections(
    client: httpx2.AsyncClient, key_headers: dict[str, str], path: str, body: Any, message: str
) -> None:
    r = await client.post(path, json=body, headers=key_headers)
    assert r.status_code == 400 and message in r.json()["error"]


async def test_idempotency_key_replays_and_refuses_a_different_body(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    headers = {**key_headers, "Idempotency-Key": "send-tx-1"}
    first = await client.post("/crypto/rpc/ethereum-mainnet", json=call("eth_blockNumber"), headers=headers)
    again = await client.post("/crypto/rpc/ethereum-mainnet", json=call("eth_blockNumber"), headers=headers)
    assert first.status_code == again.status_code == 200
    assert "idempotent-replayed" not in first.headers and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["x-request-id"] == first.headers["x-request-id"]
    other = await client.post("/crypto/rpc/ethereum-mainnet", json=call("eth_chainId"), headers=headers)
    assert other.status_code == 400 and "different request body" in other.json()["error"]
    # A key that does not match the pattern is ignored: the request simply runs again.
    bad = {**key_headers, "Idempotency-Key": "has spaces"}
    one = await client.post("/crypto/rpc/ethereum-mainnet", json=call("eth_chainId"), headers=bad)
    two = await client.post("/crypto/rpc/ethereum-mainnet", json=call("eth_blockNumber"), headers=bad)
    assert one.status_code == two.status_code == 200 and "idempotent-replayed" not in two.headers


async def test_wallet_is_debited_the_rpc_cost_but_not_for_replays(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet
) -> None:
    def headers() -> dict[str, str]:
        return {"SIGN-IN-WITH-X": wallet.header(), "Idempotency-Key": "w1"}

    r = await client.post("/crypto/rpc/zksync-mainnet", json=call("eth_chainId"), headers=headers())
    assert r.status_code == 200 and r.headers["x-venice-rpc-credits"] == "30"
    assert state.balance(wallet.address) == pytest.approx(10 - 30 * 7e-7)
    replay = await client.post("/crypto/rpc/zksync-mainnet", json=call("eth_chainId"), headers=headers())
    assert replay.headers["idempotent-replayed"] == "true"
    assert state.balance(wallet.address) == pytest.approx(10 - 30 * 7e-7)

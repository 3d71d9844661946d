"""venice_crypto_networks and venice_crypto_rpc through an MCP client, against the sandbox."""

from __future__ import annotations

import pytest
from mcp import Client

from tests.tools.conftest import text_of, venice_requests
from venice_mcp.sandbox import SandboxState, spec

pytestmark = pytest.mark.anyio


async def test_networks_by_family(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_crypto_networks", {})
    assert not result.is_error, text_of(result)
    data = result.structured_content or {}
    assert len(data["networks"]) == 27
    assert data["by_family"]["Solana"] == ["solana-devnet", "solana-mainnet"]
    assert "- Starknet: starknet-mainnet, starknet-sepolia" in text_of(result)
    [sent] = venice_requests(sandbox, "/crypto/rpc/networks")
    assert sent.method == "GET"


async def test_single_call_with_generated_idempotency_key(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_crypto_rpc", {"network": "base-mainnet", "method": "eth_chainId"})
    assert not result.is_error, text_of(result)
    data = result.structured_content or {}
    assert data["response"] == {"jsonrpc": "2.0", "id": 1, "result": "0x2105"}
    assert data["credits"] == 20 and data["cost_usd"] == pytest.approx(0.000014) and not data["replayed"]
    assert "20 credits, $0.0000" in text_of(result)
    [sent] = venice_requests(sandbox, "/crypto/rpc/{network}")
    assert sent.json == {"jsonrpc": "2.0", "method": "eth_chainId", "params": [], "id": 1}
    assert sent.headers["idempotency-key"] == data["idempotency_key"]
    assert data["idempotency_key"].startswith("venice-mcp-")
    spec.validate_body("/crypto/rpc/{network}", sent.json)


async def test_batch_and_replay_with_a_given_key(client: Client, sandbox: SandboxState) -> None:
    calls = [
        {"method": "eth_blockNumber"},
        {"method": "eth_getBalance", "params": ["0x0000000000000000000000000000000000000001", "latest"]},
    ]
    args = {"network": "ethereum-mainnet", "calls": calls, "idempotency_key": "batch-1"}
    first = await client.call_tool("venice_crypto_rpc", args)
    again = await client.call_tool("venice_crypto_rpc", args)
    assert not first.is_error and not again.is_error
    one, two = first.structured_content or {}, again.structured_content or {}
    assert [item["id"] for item in one["response"]] == [1, 2]
    assert two["replayed"] is True and two["response"] == one["response"]
    assert "not billed again" in text_of(again)
    sent = venice_requests(sandbox, "/crypto/rpc/{network}")
    assert len(sent) == 2 and all(r.headers["idempotency-key"] == "batch-1" for r in sent)


async def test_unsupported_method_is_venices_400_for_the_whole_batch(client: Client) -> None:
    calls = [{"method": "eth_blockNumber"}, {"method": "eth_newFilter", "params": [{}]}]
    result = await client.call_tool("venice_crypto_rpc", {"network": "ethereum-mainnet", "calls": calls})
    assert result.is_error
    assert "400" in text_of(
        result
    ) and "Unsupported method(s) for ethereum-mainnet: eth_newFilter" in text_of(result)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"network": "base-mainnet"}, "exactly one of 'method'"),
        ({"network": "../models", "method": "eth_chainId"}, "not a network slug"),
        ({"network": "base-mainnet", "calls": [{"method": "eth_chainId"}] * 101}, "1 to 100 calls"),
        ({"network": "base-mainnet", "calls": []}, "1 to 100 calls"),
        (
            {"network": "base-mainnet", "method": "eth_chainId", "idempotency_key": "no spaces"},
            "idempotency_key",
        ),
    ],
)
async def test_arguments_checked_before_any_request(
    client: Client, sandbox: SandboxState, args: dict[str, object], message: str
) -> None:
    result = await client.call_tool("venice_crypto_rpc", args)
    assert result.is_error and message in text_of(result)
    assert venice_requests(sandbox, "/crypto/rpc/{network}") == []


async def test_huge_results_are_saved_and_cut(client: Client) -> None:
    calls = [{"method": "eth_getBalance", "params": [f"0x{i:040x}", "latest"]} for i in range(100)]
    args = {"network": "ethereum-mainnet", "calls": calls, "max_chars": 1000}
    result = await client.call_tool("venice_crypto_rpc", args)
    assert not result.is_error, text_of(result)
    data = result.structured_content or {}
    assert data["truncated"] is True and "response" not in data and data["file"]["uri"].endswith(".json")
    assert "venice_read_output" in text_of(result) and data["credits"] == 2000

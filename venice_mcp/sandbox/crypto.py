"""GET /crypto/rpc/networks and POST /crypto/rpc/{network}: Venice's JSON-RPC proxy, without a chain.

Venice's checks are reproduced (network slug, batch of 1–100, a string ``method`` per item, the
per-family allowlist rejecting the whole batch with every offending method named, Idempotency-Key
replay and reuse with a different body) and so are its billing headers. Results are fake but
deterministic for a few methods per family; other allowlisted methods answer with a JSON-RPC
error item (HTTP 200, billed 5 credits, as an upstream "method not available" would be).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import Any

from starlette.responses import JSONResponse, Response

from venice_mcp.sandbox import spec
from venice_mcp.sandbox.context import Context
from venice_mcp.sandbox.errors import error

USD_PER_CREDIT = 0.0000007
ERROR_CREDITS = 5
MAX_BATCH = 100
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{1,255}$")

NETWORKS = (
    "arbitrum-mainnet",
    "arbitrum-sepolia",
    "avalanche-fuji",
    "avalanche-mainnet",
    "base-mainnet",
    "base-sepolia",
    "blast-mainnet",
    "blast-sepolia",
    "bsc-mainnet",
    "bsc-testnet",
    "ethereum-holesky",
    "ethereum-mainnet",
    "ethereum-sepolia",
    "linea-mainnet",
    "linea-sepolia",
    "optimism-mainnet",
    "optimism-sepolia",
    "polygon-amoy",
    "polygon-mainnet",
    "robinhood-mainnet",
    "robinhood-testnet",
    "solana-devnet",
    "solana-mainnet",
    "starknet-mainnet",
    "starknet-sepolia",
    "zksync-mainnet",
    "zksync-sepolia",
)
CHAIN_IDS = {
    "arbitrum-mainnet": 42161,
    "arbitrum-sepolia": 421614,
    "avalanche-fuji": 43113,
    "avalanche-mainnet": 43114,
    "base-mainnet": 8453,
    "base-sepolia": 84532,
    "blast-mainnet": 81457,
    "blast-sepolia": 168587773,
    "bsc-mainnet": 56,
    "bsc-testnet": 97,
    "ethereum-holesky": 17000,
    "ethereum-mainnet": 1,
    "ethereum-sepolia": 11155111,
    "linea-mainnet": 59144,
    "linea-sepolia": 59141,
    "optimism-mainnet": 10,
    "optimism-sepolia": 11155420,
    "polygon-amoy": 80002,
    "polygon-mainnet": 137,
    "robinhood-mainnet": 4663,
    "robinhood-testnet": 46630,
    "zksync-mainnet": 324,
    "zksync-sepolia": 300,
}


def _names(text: str) -> list[str]:
    return text.split()


# Explicit allowlists (a representative subset of Venice's), with the pricing tier of each method.
EVM_METHODS: dict[str, int] = {
    **dict.fromkeys(
        _names(
            "eth_blockNumber eth_chainId eth_getBalance eth_call eth_gasPrice eth_maxPriorityFeePerGas "
            "eth_getTransactionCount eth_getCode eth_getStorageAt eth_estimateGas eth_feeHistory eth_getLogs "
            "eth_getBlockByNumber eth_getBlockByHash eth_getBlockReceipts eth_getTransactionByHash "
            "eth_getTransactionReceipt eth_getProof eth_simulateV1 eth_sendRawTransaction eth_syncing "
            "net_version net_listening net_peerCount web3_clientVersion web3_sha3 eth_sendUserOperation "
            "eth_estimateUserOperationGas eth_getUserOperationByHash eth_getUserOperationReceipt "
            "eth_supportedEntryPoints zks_estimateFee zks_getBlockDetails linea_estimateGas bor_getAuthor"
        ),
        1,
    ),
    **dict.fromkeys(
        _names(
            "trace_block trace_call trace_callMany trace_filter trace_transaction trace_rawTransaction "
            "debug_traceBlock debug_traceBlockByHash debug_traceBlockByNumber debug_traceCall "
            "debug_traceTransaction debug_storageRangeAt txpool_inspect txpool_status arbtrace_block "
            "arbtrace_call arbtrace_callMany arbtrace_filter arbtrace_transaction"
        ),
        2,
    ),
    **dict.fromkeys(
        _names(
            "trace_replayBlockTransactions trace_replayTransaction txpool_content "
            "arbtrace_replayBlockTransactions arbtrace_replayTransaction"
        ),
        4,
    ),
}
SOLANA_METHODS: dict[str, int] = {
    **dict.fromkeys(
        _names(
            "getAccountInfo getBalance getBlockHeight getLatestBlockhash getSlot getHealth getVersion "
            "getProgramAccounts getSignatureStatuses getTransaction getTokenAccountBalance sendTransaction "
            "simulateTransaction getEpochInfo getMinimumBalanceForRentExemption"
        ),
        1,
    ),
    "getLargestAccounts": 4,
    "getSupply": 4,
}
STARKNET_METHODS: dict[str, int] = dict.fromkeys(
    _names(
        "starknet_blockNumber starknet_chainId starknet_getBlockWithTxHashes starknet_call "
        "starknet_getNonce starknet_getClassHashAt starknet_getStorageAt starknet_specVersion "
        "starknet_getTransactionReceipt starknet_addInvokeTransaction starknet_estimateFee"
    ),
    1,
)
WEBSOCKET_ONLY = re.compile(r"^(eth_subscribe|eth_unsubscribe|[a-z]+(Subscribe|Unsubscribe))$")


def family(network: str) -> str:
    if network.startswith("solana-"):
        return "solana"
    if network.startswith("starknet-"):
        return "starknet"
    return "evm"


def base_credits(network: str) -> int:
    return 30 if network.startswith(("zksync-", "solana-")) else 20


def allowlist(network: str) -> dict[str, int]:
    return {"evm": EVM_METHODS, "solana": SOLANA_METHODS, "starknet": STARKNET_METHODS}[family(network)]


async def networks(ctx: Context) -> Response:
    return JSONResponse({"networks": list(NETWORKS)})


def _digest(*parts: Any) -> int:
    return int.from_bytes(hashlib.sha256("\0".join(map(str, parts)).encode()).digest()[:6], "big")


def _result(network: str, method: str, params: list[Any]) -> Any:
    """A deterministic fake result, or None when the sandbox does not simulate the method."""
    block = 20_000_000 + _digest(network, "block") % 1_000_000
    if method == "eth_blockNumber":
        return hex(block)
    if method == "eth_chainId":
        return hex(CHAIN_IDS[network])
    if method == "net_version":
        return str(CHAIN_IDS[network])
    if method == "eth_getBalance":
        address = str(params[0]).lower() if params else ""
        return hex(_digest(network, "balance", address) * 10**6)
    if method == "eth_gasPrice":
        return hex(1_000_000_000 + _digest(network, "gas") % 10**9)
    if method == "eth_getTransactionCount":
        return hex(_digest(network, "nonce", str(params[0]).lower() if params else "") % 500)
    if method == "web3_clientVersion":
        return "venice-sandbox/1.0"
    if method == "getSlot":
        return 300_000_000 + _digest(network, "slot") % 1_000_000
    if method == "getBalance":
        return {"context": {"slot": 300_000_000}, "value": _digest(network, "lamports", params[:1]) % 10**12}
    if method == "getHealth":
        return "ok"
    if method == "getLatestBlockhash":
        blockhash = hashlib.sha256(f"{network}-blockhash".encode()).hexdigest()[:44]
        return {
            "context": {"slot": 300_000_000},
            "value": {"blockhash": blockhash, "lastValidBlockHeight": 1},
        }
    if method == "starknet_blockNumber":
        return 900_000 + _digest(network, "block") % 10_000
    if method == "starknet_chainId":
        return "0x534e5f4d41494e" if network.endswith("mainnet") else "0x534e5f5345504f4c4941"
    return None


def _answer(network: str, item: dict[str, Any], tiers: dict[str, int]) -> tuple[dict[str, Any], int]:
    method = item["method"]
    raw = item.get("params")
    params: list[Any] = raw if isinstance(raw, list) else []
    out: dict[str, Any] = {"jsonrpc": "2.0", "id": item.get("id")}
    value = _result(network, method, params)
    if value is None:
        out["error"] = {"code": -32601, "message": f"the method {method} is not available in the sandbox"}
        return out, ERROR_CREDITS
    out["result"] = value
    return out, base_credits(network) * tiers[method]


def _check_methods(network: str, items: list[Any]) -> None:
    tiers = allowlist(network)
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("method"), str):
            raise error(400, "Each JSON-RPC request must include a string 'method'")
    for item in items:
        if WEBSOCKET_ONLY.match(item["method"]) and item["method"] not in tiers:
            raise error(
                400,
                f"Method {item['method']} requires a WebSocket connection and is not supported "
                "by this HTTP proxy",
            )
    bad = sorted({i["method"] for i in items if i["method"] not in tiers})
    if bad:
        raise error(400, f"Unsupported method(s) for {network}: {', '.join(bad)}")


def _caller_key(ctx: Context) -> str:
    token = ctx.request.headers.get("authorization", "")
    return ctx.caller.wallet.lower() if ctx.caller.wallet else hashlib.sha256(token.encode()).hexdigest()


async def rpc(ctx: Context) -> Response:
    network = ctx.request.path_params["network"]
    if network not in NETWORKS:
        raise error(400, f"Unsupported network: {network}")
    body = ctx.body
    if body is None or body == [] or body == {}:
        raise error(400, "Request body must be a JSON-RPC request or a non-empty batch")
    if isinstance(body, list) and len(body) > MAX_BATCH:
        raise error(400, f"Batch requests are limited to {MAX_BATCH} items")
    spec.validate_body("/crypto/rpc/{network}", body)
    items = body if isinstance(body, list) else [body]
    _check_methods(network, items)

    key = ctx.request.headers.get("idempotency-key")
    store = ctx.state.rpc_idempotency
    fingerprint = hashlib.sha256(json.dumps([network, body], sort_keys=True).encode()).hexdigest()
    cache_key = (_caller_key(ctx), key) if key and IDEMPOTENCY_KEY.match(key) else None
    if cache_key is not None and cache_key in store:
        cached = store[cache_key]
        if cached["fingerprint"] != fingerprint:
            raise error(400, "Idempotency-Key has already been used with a different request body")
        headers = {**cached["headers"], "Idempotent-Replayed": "true"}
        return JSONResponse(cached["body"], headers=headers)

    tiers = allowlist(network)
    answers = [_answer(network, item, tiers) for item in items]
    credits = sum(c for _, c in answers)
    cost = credits * USD_PER_CREDIT
    out: Any = [a for a, _ in answers] if isinstance(body, list) else answers[0][0]
    request_id = secrets.token_hex(16)
    headers = {
        "X-Venice-RPC-Credits": str(credits),
        "X-Venice-RPC-Cost-USD": f"{cost:.8f}",
        "X-Request-ID": request_id,
    }
    if cache_key is not None:
        store[cache_key] = {"fingerprint": fingerprint, "body": out, "headers": headers}
    ctx.charge(cost, request_id=request_id, model_id=f"crypto-rpc-{network}")
    return JSONResponse(out, headers=headers)

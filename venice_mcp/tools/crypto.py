"""Crypto RPC tools: Venice's pay-per-call JSON-RPC proxy to EVM, Solana and Starknet networks."""

import json
import re
import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, ConfigDict, Field

from venice_mcp import pricing
from venice_mcp.api.client import VeniceResponse
from venice_mcp.call import Call
from venice_mcp.reply import Reply
from venice_mcp.tools._common import Confirm, usd
from venice_mcp.tools._declare import tool
from venice_mcp.tools._pages import DEFAULT_PAGE, MAX_PAGE, page_of

# The Venice operations each tool reaches (spec paths); tools/spec_coverage.py reads this.
ENDPOINTS = {
    "GET /crypto/rpc/networks": ("venice_crypto_networks",),
    "POST /crypto/rpc/{network}": ("venice_crypto_rpc",),
}

MAX_BATCH = 100
NETWORK = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


class RpcCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Annotated[str, Field(min_length=1, description="e.g. eth_getBalance.")]
    params: Annotated[list[Any], Field()] = []


def _family(network: str) -> str:
    if network.startswith("solana-"):
        return "Solana"
    if network.startswith("starknet-"):
        return "Starknet"
    return "EVM"


def _replayed(response: VeniceResponse) -> bool:
    return response.headers.get("idempotent-replayed") == "true"


def _billed(response: VeniceResponse) -> float | None:
    """A replay from Venice's idempotency cache is not billed again."""
    return 0.0 if _replayed(response) else _header_float(response.headers, "x-venice-rpc-cost-usd")


def _header_float(headers: Mapping[str, str], name: str) -> float | None:
    try:
        return float(headers[name])
    except (KeyError, ValueError):
        return None


@tool("Crypto RPC networks", "read_only", "crypto")
async def venice_crypto_networks(call: Call) -> Reply:
    """Networks venice_crypto_rpc reaches, by chain family."""
    state = call.state
    response = await state.client.request("GET", "/crypto/rpc/networks", kind="fast", auth="optional")
    networks = [n for n in (response.body or {}).get("networks") or [] if isinstance(n, str)]
    groups: dict[str, list[str]] = {}
    for n in networks:
        groups.setdefault(_family(n), []).append(n)
    lines = [f"{len(networks)} networks (free to list; calls are billed per credit):"]
    lines += [f"- {family}: {', '.join(names)}" for family, names in groups.items()]
    return Reply("\n".join(lines), {"networks": networks, "by_family": groups})


@tool("Crypto JSON-RPC", "paid", "crypto")
async def venice_crypto_rpc(
    call: Call,
    network: Annotated[str, Field(description="From venice_crypto_networks.")],
    method: Annotated[str | None, Field(description="e.g. eth_blockNumber (or calls).")] = None,
    params: Annotated[list[Any] | None, Field()] = None,
    calls: Annotated[
        list[RpcCall] | None,
        Field(description="A batch (or method)."),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Field(description="Same key and body replay the answer unpaid."),
    ] = None,
    max_chars: Annotated[int, Field(ge=500, le=MAX_PAGE, description="Characters in this reply.")] = (
        DEFAULT_PAGE
    ),
    confirm: Confirm = False,
) -> Reply:
    """JSON-RPC to a blockchain node: one call or a batch of ≤100 (~$0.000014 per EVM call)."""
    state = call.state
    if not NETWORK.match(network):
        raise ToolError(f"{network!r} is not a network slug; list them with venice_crypto_networks.")
    if (method is None) == (calls is None):
        raise ToolError("Give exactly one of 'method' (a single call) or 'calls' (a batch).")
    if calls is not None and not 1 <= len(calls) <= MAX_BATCH:
        raise ToolError(f"'calls' must hold 1 to {MAX_BATCH} calls; split larger batches.")
    if method is None and params is not None:
        raise ToolError("'params' goes with 'method'; in a batch each call carries its own params.")
    if idempotency_key is not None and not IDEMPOTENCY_KEY.match(idempotency_key):
        # Venice silently ignores a malformed key, which would make retries unsafe: refuse it here.
        raise ToolError("idempotency_key must be 1–255 characters of A–Z, a–z, 0–9, '_' or '-'.")
    key = idempotency_key or f"venice-mcp-{uuid.uuid4().hex}"
    body: Any
    if method is not None:
        methods = [method]
        body = {"jsonrpc": "2.0", "method": method, "params": params or [], "id": 1}
    else:
        assert calls is not None
        methods = [c.method for c in calls]
        body = [
            {"jsonrpc": "2.0", "method": c.method, "params": c.params, "id": i}
            for i, c in enumerate(calls, 1)
        ]
    estimate = pricing.crypto_rpc(network, methods)
    state.client.ensure_credentials()
    # The Idempotency-Key makes a retried POST a replay on Venice's side, never a second
    # broadcast or charge: so retries after 5xx and dropped connections are safe.
    response = await call.paid_request(
        model=network,
        estimate=estimate,
        confirm=confirm,
        path=f"/crypto/rpc/{network}",
        json_body=body,
        headers={"Idempotency-Key": key},
        kind="fast",
        idempotency="safe",
        charge=_billed,
    )
    replayed = _replayed(response)
    cost = _header_float(response.headers, "x-venice-rpc-cost-usd")
    credits = response.headers.get("x-venice-rpc-credits")
    items = response.body if isinstance(response.body, list) else [response.body]
    errors = [i for i in items if isinstance(i, dict) and "error" in i]
    head = f"{network}: {len(items)} answer(s)"
    if errors:
        head += f", {len(errors)} with a JSON-RPC error"
    head += f" · {credits or '?'} credits, {usd(cost)}"
    if replayed:
        head += " · replayed from Venice's idempotency cache (not billed again)"
    page = page_of(
        json.dumps(response.body, indent=1),
        offset=0,
        max_chars=max_chars,
        outputs=state.outputs,
        kind="rpc",
        ext="json",
        hint=network,
    )
    structured: dict[str, Any] = {
        "network": network,
        "idempotency_key": key,
        "replayed": replayed,
        "credits": int(credits) if credits and credits.isdigit() else None,
        "cost_usd": cost,
        "request_id": response.headers.get("x-request-id"),
        **page.info,
    }
    if not page.info.get("truncated"):
        structured["response"] = response.body
    return Reply(f"{head}\nIdempotency-Key: {key}\n\n{page.text}", structured, page.attachments)

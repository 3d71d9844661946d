"""A paying agent's side of x402 over MCP, written here from the specification (independent of
venice_mcp.payments): read the PaymentRequired, sign an EIP-3009 authorization with eth_account,
send it in ``_meta["x402/payment"]``."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from eth_account import Account

PAY_TO = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C"
USDC = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
AGENT_KEY = "0x" + "a1" * 32
OTHER_KEY = "0x" + "b2" * 32

_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "TransferWithAuthorization": [
        {"name": "from", "type": "address"},
        {"name": "to", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "validAfter", "type": "uint256"},
        {"name": "validBefore", "type": "uint256"},
        {"name": "nonce", "type": "bytes32"},
    ],
}


def payment_required(result: Any) -> dict[str, Any] | None:
    """The PaymentRequired of a tool result, as transport-mcp.md tells clients to find it."""
    structured = getattr(result, "structured_content", None)
    if isinstance(structured, dict) and "x402Version" in structured and "accepts" in structured:
        return structured
    try:
        body = json.loads(result.content[0].text)
    except (AttributeError, IndexError, ValueError):
        return None
    return body if isinstance(body, dict) and "accepts" in body else None


def sign(
    required: dict[str, Any],
    key: str = AGENT_KEY,
    *,
    signer_key: str | None = None,
    value: str | None = None,
    valid_after: int | None = None,
    valid_before: int | None = None,
    nonce: str | None = None,
    **accepted_changes: Any,
) -> dict[str, Any]:
    """A PaymentPayload for the ``exact`` requirement (metered tools offer ``upto`` first); the
    keyword arguments make it wrong in one way (``signer_key`` signs as someone else than ``key``'s
    address claims)."""
    exact = next(a for a in required["accepts"] if a["scheme"] == "exact")
    accepted = {**exact, **accepted_changes}
    now = int(time.time())
    payer = Account.from_key(key).address
    auth = {
        "from": payer,
        "to": accepted["payTo"],
        "value": value if value is not None else accepted["amount"],
        "validAfter": str(now - 60 if valid_after is None else valid_after),
        "validBefore": str(now + 300 if valid_before is None else valid_before),
        "nonce": nonce or "0x" + os.urandom(32).hex(),
    }
    typed = {
        "types": _TYPES,
        "primaryType": "TransferWithAuthorization",
        "domain": {
            "name": accepted["extra"]["name"],
            "version": accepted["extra"]["version"],
            "chainId": 8453,
            "verifyingContract": USDC,
        },
        "message": {
            **auth,
            "value": int(auth["value"]),
            "validAfter": int(auth["validAfter"]),
            "validBefore": int(auth["validBefore"]),
            "nonce": bytes.fromhex(auth["nonce"][2:]),
        },
    }
    signed = Account.sign_typed_data(signer_key or key, full_message=typed)
    return {
        "x402Version": 2,
        "resource": required["resource"],
        "accepted": accepted,
        "payload": {"signature": "0x" + bytes(signed.signature).hex(), "authorization": auth},
    }


PERMIT2 = "0x000000000022D473030F116dDEE9F6B43aC78BA3"
UPTO_PROXY = "0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002"
_UPTO_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "PermitWitnessTransferFrom": [
        {"name": "permitted", "type": "TokenPermissions"},
        {"name": "spender", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
        {"name": "witness", "type": "Witness"},
    ],
    "TokenPermissions": [{"name": "token", "type": "address"}, {"name": "amount", "type": "uint256"}],
    "Witness": [
        {"name": "to", "type": "address"},
        {"name": "facilitator", "type": "address"},
        {"name": "validAfter", "type": "uint256"},
    ],
}


def sign_upto(
    required: dict[str, Any], key: str = AGENT_KEY, *, facilitator: str | None = None
) -> dict[str, Any]:
    """A PaymentPayload for the ``upto`` offer: a Permit2 witness transfer of the maximum, as the
    x402 package's upto client builds it (scheme_upto_evm.md)."""
    accepted = next(a for a in required["accepts"] if a["scheme"] == "upto")
    now = int(time.time())
    auth = {
        "from": Account.from_key(key).address,
        "permitted": {"token": USDC, "amount": accepted["amount"]},
        "spender": UPTO_PROXY,
        "nonce": str(int.from_bytes(os.urandom(32), "big")),
        "deadline": str(now + 300),
        "witness": {
            "to": accepted["payTo"],
            "facilitator": facilitator or accepted["extra"]["facilitatorAddress"],
            "validAfter": "0",
        },
    }
    typed = {
        "types": _UPTO_TYPES,
        "primaryType": "PermitWitnessTransferFrom",
        "domain": {"name": "Permit2", "chainId": 8453, "verifyingContract": PERMIT2},
        "message": {
            "permitted": {"token": USDC, "amount": int(accepted["amount"])},
            "spender": UPTO_PROXY,
            "nonce": int(auth["nonce"]),  # type: ignore[arg-type]
            "deadline": int(auth["deadline"]),  # type: ignore[arg-type]
            "witness": {**auth["witness"], "validAfter": 0},  # type: ignore[dict-item]
        },
    }
    signed = Account.sign_typed_data(key, full_message=typed)
    return {
        "x402Version": 2,
        "resource": required["resource"],
        "accepted": accepted,
        "payload": {"signature": "0x" + bytes(signed.signature).hex(), "permit2Authorization": auth},
    }

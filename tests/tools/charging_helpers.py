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
    """A PaymentPayload for the first accepted requirement; the keyword arguments make it wrong in
    one way (``signer_key`` signs as someone else than ``key``'s address claims)."""
    accepted = {**required["accepts"][0], **accepted_changes}
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

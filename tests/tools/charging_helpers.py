"""A paying agent's side of x402 over MCP, written from the specification (independent of
venice_mcp.payments): read the PaymentRequired, sign an EIP-3009 or Permit2 authorization with
eth_account (the sandbox tests' signers), send it in ``_meta["x402/payment"]``."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from eth_account import Account

from tests.sandbox import payments as eip3009
from tests.sandbox import permits as permit2

PAY_TO = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C"
USDC = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
AGENT_KEY = "0x" + "a1" * 32
OTHER_KEY = "0x" + "b2" * 32


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
    signature = eip3009.sign(signer_key or key, auth)
    return {
        "x402Version": 2,
        "resource": required["resource"],
        "accepted": accepted,
        "payload": {"signature": signature, "authorization": auth},
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
        "spender": permit2.PROXY,
        "nonce": str(int.from_bytes(os.urandom(32), "big")),
        "deadline": str(now + 300),
        "witness": {
            "to": accepted["payTo"],
            "facilitator": facilitator or accepted["extra"]["facilitatorAddress"],
            "validAfter": "0",
        },
    }
    return {
        "x402Version": 2,
        "resource": required["resource"],
        "accepted": accepted,
        "payload": {"signature": permit2.sign(key, auth), "permit2Authorization": auth},
    }

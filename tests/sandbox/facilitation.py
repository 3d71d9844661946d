"""Test-side facilitator requests: x402 v2 verify/settle bodies signed with eth_account directly
(tests/sandbox/payments.py's EIP-712 signer, independent of the sandbox's own encoder)."""

from __future__ import annotations

import os
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from tests.sandbox.payments import USDC, sign

NOW = 1_760_000_000  # the sandbox clock, pinned: validity windows are tested to the second
PAY_TO = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C"
AMOUNT = 10_000  # $0.01 in USDC atomic units
RESOURCE = "mcp://venice-mcp/tools/venice_chat"


def payer() -> LocalAccount:
    account: LocalAccount = Account.create()  # a throwaway key per test
    return account


def key(account: LocalAccount) -> str:
    return "0x" + bytes(account.key).hex()


def requirements(**changes: Any) -> dict[str, Any]:
    req: dict[str, Any] = {
        "scheme": "exact",
        "network": "eip155:8453",
        "amount": str(AMOUNT),
        "asset": USDC,
        "payTo": PAY_TO,
        "maxTimeoutSeconds": 60,
        "extra": {"name": "USD Coin", "version": "2"},
    }
    req.update(changes)
    return req


def authorization(account: LocalAccount, **changes: Any) -> dict[str, str]:
    auth = {
        "from": account.address,
        "to": PAY_TO,
        "value": str(AMOUNT),
        "validAfter": str(NOW - 60),
        "validBefore": str(NOW + 120),
        "nonce": "0x" + os.urandom(32).hex(),
    }
    auth.update(changes)
    return auth


def body(
    account: LocalAccount,
    *,
    auth: dict[str, str] | None = None,
    req: dict[str, Any] | None = None,
    accepted: dict[str, Any] | None = None,
    signer: LocalAccount | None = None,
    chain_id: int = 8453,
) -> dict[str, Any]:
    """A verify/settle request; ``accepted`` defaults to the requirements, the signer to the payer."""
    auth = auth if auth is not None else authorization(account)
    req = req if req is not None else requirements()
    signature = sign(key(signer or account), auth, chain_id=chain_id)
    return {
        "x402Version": 2,
        "paymentPayload": {
            "x402Version": 2,
            "resource": {"url": RESOURCE, "description": "venice_chat", "mimeType": "application/json"},
            "accepted": accepted if accepted is not None else req,
            "payload": {"signature": signature, "authorization": auth},
        },
        "paymentRequirements": req,
    }

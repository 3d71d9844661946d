"""Test-side ``upto`` requests: Permit2 permitWitnessTransferFrom payloads signed with eth_account
directly, the EIP-712 types written from scheme_upto_evm.md and the x402 package's
UPTO_PERMIT2_WITNESS_TYPES (independent of the sandbox's own encoder)."""

from __future__ import annotations

import os
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from tests.sandbox.facilitation import NOW, PAY_TO, RESOURCE, key
from tests.sandbox.payments import USDC

MAXIMUM = 50_000  # $0.05: what the payer authorizes
PERMIT2 = "0x000000000022D473030F116dDEE9F6B43aC78BA3"
PROXY = "0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002"
FACILITATOR = "0xbb2D55eF821910e4cf9EAC1dcfe195A067896119"  # the sandbox's, as /supported says
TYPES = {
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
    "TokenPermissions": [
        {"name": "token", "type": "address"},
        {"name": "amount", "type": "uint256"},
    ],
    "Witness": [
        {"name": "to", "type": "address"},
        {"name": "facilitator", "type": "address"},
        {"name": "validAfter", "type": "uint256"},
    ],
}


def requirements(**changes: Any) -> dict[str, Any]:
    req: dict[str, Any] = {
        "scheme": "upto",
        "network": "eip155:8453",
        "amount": str(MAXIMUM),
        "asset": USDC,
        "payTo": PAY_TO,
        "maxTimeoutSeconds": 300,
        "extra": {"name": "USD Coin", "version": "2", "facilitatorAddress": FACILITATOR},
    }
    req.update(changes)
    return req


def authorization(
    account: LocalAccount,
    *,
    amount: int = MAXIMUM,
    token: str = USDC,
    to: str = PAY_TO,
    facilitator: str = FACILITATOR,
    valid_after: int = 0,
    **changes: Any,
) -> dict[str, Any]:
    """A permit2Authorization as the x402 package's client sends it (nonce in decimal)."""
    auth: dict[str, Any] = {
        "from": account.address,
        "permitted": {"token": token, "amount": str(amount)},
        "spender": PROXY,
        "nonce": str(int.from_bytes(os.urandom(32), "big")),
        "deadline": str(NOW + 300),
        "witness": {"to": to, "facilitator": facilitator, "validAfter": str(valid_after)},
    }
    auth.update(changes)
    return auth


def sign(private_key: str, auth: dict[str, Any], *, chain_id: int = 8453, contract: str = PERMIT2) -> str:
    nonce = str(auth["nonce"])
    typed = {
        "types": TYPES,
        "primaryType": "PermitWitnessTransferFrom",
        "domain": {"name": "Permit2", "chainId": chain_id, "verifyingContract": contract},
        "message": {
            "permitted": {"token": auth["permitted"]["token"], "amount": int(auth["permitted"]["amount"])},
            "spender": auth["spender"],
            "nonce": int(nonce, 16) if nonce.startswith("0x") else int(nonce),
            "deadline": int(auth["deadline"]),
            "witness": {
                "to": auth["witness"]["to"],
                "facilitator": auth["witness"]["facilitator"],
                "validAfter": int(auth["witness"]["validAfter"]),
            },
        },
    }
    signed = Account.sign_typed_data(private_key, full_message=typed)
    return "0x" + bytes(signed.signature).hex()


def payload(
    account: LocalAccount, auth: dict[str, Any], signer: LocalAccount | None = None, **kw: Any
) -> Any:
    return {"signature": sign(key(signer or account), auth, **kw), "permit2Authorization": auth}


def body(
    account: LocalAccount,
    *,
    auth: dict[str, Any] | None = None,
    req: dict[str, Any] | None = None,
    accepted: dict[str, Any] | None = None,
    signer: LocalAccount | None = None,
    chain_id: int = 8453,
    contract: str = PERMIT2,
) -> dict[str, Any]:
    """A verify request; ``accepted`` defaults to the (verify-time) requirements."""
    auth = auth if auth is not None else authorization(account)
    req = req if req is not None else requirements()
    return {
        "x402Version": 2,
        "paymentPayload": {
            "x402Version": 2,
            "resource": {"url": RESOURCE, "description": "venice_chat", "mimeType": "application/json"},
            "accepted": accepted if accepted is not None else req,
            "payload": payload(account, auth, signer, chain_id=chain_id, contract=contract),
        },
        "paymentRequirements": req,
    }


def charging(request: dict[str, Any], amount: int) -> dict[str, Any]:
    """The settle request for ``request``: same payload, requirements carrying the actual charge."""
    return {**request, "paymentRequirements": {**request["paymentRequirements"], "amount": str(amount)}}

"""Test-side EIP-3009 payment signing with eth_account directly (independent of venice_mcp.payments)."""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data

from tests.sandbox.siwe import Wallet

USDC = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
PAY_TO = "0x2670b922ef37c7df47158725c0cc407b5382293f"  # Venice's Base receiver, as the sandbox advertises
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
TYPES = {
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


def authorization(
    wallet: Wallet, *, value: int = 5_000_000, to: str = PAY_TO, **changes: Any
) -> dict[str, Any]:
    now = int(time.time())
    auth: dict[str, Any] = {
        "from": wallet.address,
        "to": to,
        "value": str(value),
        "validAfter": str(now - 600),
        "validBefore": str(now + 300),
        "nonce": "0x" + os.urandom(32).hex(),
    }
    auth.update(changes)
    return auth


def sign(
    key: str, auth: dict[str, Any], *, name: str = "USD Coin", chain_id: int = 8453, contract: str = USDC
) -> str:
    typed = {
        "types": TYPES,
        "primaryType": "TransferWithAuthorization",
        "domain": {"name": name, "version": "2", "chainId": chain_id, "verifyingContract": contract},
        "message": {
            "from": auth["from"],
            "to": auth["to"],
            "value": int(auth["value"]),
            "validAfter": int(auth["validAfter"]),
            "validBefore": int(auth["validBefore"]),
            "nonce": bytes.fromhex(str(auth["nonce"])[2:]),
        },
    }
    signed = Account.sign_message(encode_typed_data(full_message=typed), private_key=key)
    return "0x" + bytes(signed.signature).hex()


def high_s(signature: str) -> str:
    """The malleated twin of a signature: (r, n - s, v flipped); ecrecover-equivalent, USDC-invalid."""
    raw = bytearray(bytes.fromhex(signature[2:]))
    s = int.from_bytes(raw[32:64], "big")
    raw[32:64] = (N - s).to_bytes(32, "big")
    raw[64] = 55 - raw[64]
    return "0x" + bytes(raw).hex()


def with_v(signature: str, v: int) -> str:
    raw = bytearray(bytes.fromhex(signature[2:]))
    raw[64] = v
    return "0x" + bytes(raw).hex()


def venice_shape(auth: dict[str, Any], signature: str, network: str = "base") -> dict[str, Any]:
    return {
        "x402Version": 2,
        "scheme": "exact",
        "network": network,
        "payload": {"signature": signature, "authorization": auth},
    }


def v2_shape(auth: dict[str, Any], signature: str, accepted: dict[str, Any]) -> dict[str, Any]:
    return {
        "x402Version": 2,
        "accepted": accepted,
        "payload": {"signature": signature, "authorization": auth},
    }


def b64(obj: Any) -> str:
    return base64.b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode()


def unb64(value: str) -> Any:
    return json.loads(base64.b64decode(value))

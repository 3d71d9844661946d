"""Venice's 402 bodies: (a) no credentials (x402 v2 discovery + authOptions) and (b) a signed-in
wallet below the $0.10 floor. Both carry PAYMENT-REQUIRED = base64 of the x402 v2 object.

The rails are Venice's real ones (nothing settles on-chain in the sandbox); the resource URL and
SIWX challenge domain are the sandbox's own origin, as Venice's are its own.
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

from venice_mcp.sandbox.errors import VeniceError
from venice_mcp.sandbox.state import iso_ms

BASE_NETWORK = "eip155:8453"
BASE_USDC = "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913"
BASE_PAY_TO = "0x2670b922ef37c7df47158725c0cc407b5382293f"
SOLANA_USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
SOLANA_PAY_TO = "8qUL23aSj7mDWdoLMXGHFvnVCT9wd7jXcysiekroADEL"
SOLANA_FEE_PAYER = "BFK9TLC3edb13K6v4YyH3DwPb5DSUpkWvb7XnqCL9b4F"
SOLANA_MAINNET = "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"
SUGGESTED_TOP_UP_USD = 10
MINIMUM_TOP_UP_USD = 5
STATEMENT = "Sign in to Venice AI"


def accepts(usd: int = SUGGESTED_TOP_UP_USD, *, solana_network: str = "solana") -> list[dict[str, Any]]:
    amount = str(usd * 1_000_000)  # USDC has 6 decimals
    return [
        {
            "scheme": "exact",
            "network": BASE_NETWORK,
            "amount": amount,
            "asset": BASE_USDC,
            "payTo": BASE_PAY_TO,
            "maxTimeoutSeconds": 300,
            "extra": {"name": "USD Coin", "version": "2"},
        },
        {
            "scheme": "exact",
            "network": solana_network,
            "amount": amount,
            "asset": SOLANA_USDC,
            "payTo": SOLANA_PAY_TO,
            "maxTimeoutSeconds": 300,
            "extra": {"name": "USD Coin", "version": "2", "feePayer": SOLANA_FEE_PAYER},
        },
    ]


def siwx_challenge(host: str, url: str, now: float) -> dict[str, Any]:
    return {
        "info": {
            "domain": host,
            "uri": url,
            "version": "1",
            "nonce": secrets.token_hex(16),
            "issuedAt": iso_ms(now),
            "expirationTime": iso_ms(now + 300),
            "statement": STATEMENT,
        },
        "supportedChains": [
            {"chainId": BASE_NETWORK, "type": "eip191"},
            {"chainId": BASE_NETWORK, "type": "eip1271"},
            {"chainId": SOLANA_MAINNET, "type": "ed25519"},
        ],
    }


def payment_required(error: str, host: str, url: str, now: float) -> dict[str, Any]:
    """The x402 v2 PaymentRequired object (what the PAYMENT-REQUIRED header encodes)."""
    return {
        "x402Version": 2,
        "error": error,
        "resource": {"url": url, "description": "Venice API", "mimeType": "application/json"},
        "accepts": accepts(),
        "extensions": {"sign-in-with-x": siwx_challenge(host, url, now)},
    }


def encode_header(obj: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode()


AUTH_OPTIONS = {
    "apiKey": {
        "header": "Authorization: Bearer YOUR_API_KEY",
        "getKey": "https://venice.ai/settings/api",
        "docs": "https://docs.venice.ai/api-reference",
    },
    "x402Wallet": {
        "header": "SIGN-IN-WITH-X",
        "legacyHeader": "X-Sign-In-With-X",
        "topUp": "POST /api/v1/x402/top-up",
        "docs": "https://docs.venice.ai/api-reference/endpoint/x402/top-up",
    },
}


def no_credentials(host: str, url: str, now: float) -> VeniceError:
    """Form (a): no Authorization and no SIWX on a route that needs credentials."""
    required = payment_required("Authentication required", host, url, now)
    body = {**required, "authOptions": AUTH_OPTIONS}
    return VeniceError(402, body, {"PAYMENT-REQUIRED": encode_header(required)})


def insufficient_balance(balance: float, minimum: float, host: str, url: str, now: float) -> VeniceError:
    """Form (b): a signed-in wallet whose credit is below the admission floor."""
    required = payment_required("Payment required", host, url, now)
    body = {
        "error": "Payment required",
        "code": "PAYMENT_REQUIRED",
        "reason": "insufficient_balance",
        "message": "Insufficient x402 balance",
        "currentBalanceUsd": balance,
        "minimumBalanceUsd": minimum,
        "description": "Venice API",
        "suggestedTopUpUsd": SUGGESTED_TOP_UP_USD,
        "minimumTopUpUsd": MINIMUM_TOP_UP_USD,
        "supportedTokens": ["USDC"],
        "supportedChains": ["base", "solana"],
        "topUpInstructions": {
            "step1": "POST /api/v1/x402/top-up with no payment header to get payment requirements",
            "step2": "Choose a payment option from accepts and sign a USDC transfer authorization "
            "using the x402 SDK (createPaymentHeader)",
            "step3": "POST /api/v1/x402/top-up with the signed X-402-Payment header",
            "receiverWallet": BASE_PAY_TO,
            "tokenAddress": BASE_USDC,
            "tokenDecimals": 6,
            "network": BASE_NETWORK,
            "minimumAmountUsd": MINIMUM_TOP_UP_USD,
        },
        "siwxChallenge": required["extensions"]["sign-in-with-x"],
    }
    return VeniceError(402, body, {"PAYMENT-REQUIRED": encode_header(required)})

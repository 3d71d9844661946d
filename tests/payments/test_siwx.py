"""SIWX signing reproduces the shared test vector byte for byte, and every header is fresh."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

from eth_account import Account
from eth_account.messages import encode_defunct

from venice_mcp.payments.signer import EthAccountSigner
from venice_mcp.payments.siwx import SiweFields, domain_for, format_message, iso_ms, sign_in_header

DEV_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
DEV_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
VECTOR_MESSAGE = (
    "api.venice.ai wants you to sign in with your Ethereum account:\n"
    "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23\n\n"
    "Sign in to Venice AI\n\n"
    "URI: https://api.venice.ai/api/v1/chat/completions\n"
    "Version: 1\n"
    "Chain ID: 8453\n"
    "Nonce: a1b2c3d4e5f67890\n"
    "Issued At: 2026-01-01T00:00:00.000Z\n"
    "Expiration Time: 2026-01-01T00:05:00.000Z"
)
VECTOR_SIGNATURE = (
    "0x886c7ff5e38c3146b9b49fbb6e60715d80d615561ee7aca6b534e7c168eabc84"
    "34c3a1f1bdd3df23a2d35c65ef8924d527c859ed5e9e16eee3ca8a9869e390801b"
)


def test_message_and_signature_match_the_shared_vector() -> None:
    signer = EthAccountSigner(DEV_KEY)
    fields = SiweFields(
        domain="api.venice.ai",
        address=signer.address,
        uri="https://api.venice.ai/api/v1/chat/completions",
        nonce="a1b2c3d4e5f67890",
        issued_at="2026-01-01T00:00:00.000Z",
        expiration_time="2026-01-01T00:05:00.000Z",
    )
    message = format_message(fields)
    assert message == VECTOR_MESSAGE
    assert len(message.encode()) == 307
    assert signer.sign_message(message) == VECTOR_SIGNATURE


def test_header_is_venice_message_form_and_recovers_to_the_wallet() -> None:
    signer = EthAccountSigner(DEV_KEY)
    fixed = datetime(2026, 1, 1, tzinfo=timezone.utc)
    header = sign_in_header(
        signer,
        "https://api.venice.ai/api/v1/chat/completions",
        now=lambda: fixed,
        nonce=lambda: "a1b2c3d4e5f67890",
    )
    payload = json.loads(base64.b64decode(header))
    assert payload == {
        "address": DEV_ADDRESS,
        "message": VECTOR_MESSAGE,
        "signature": VECTOR_SIGNATURE,
        "timestamp": int(fixed.timestamp() * 1000),
        "chainId": 8453,
    }
    recovered = Account.recover_message(
        encode_defunct(text=payload["message"]), signature=payload["signature"]
    )
    assert recovered == DEV_ADDRESS


def test_every_header_has_a_new_nonce() -> None:
    signer = EthAccountSigner(DEV_KEY)
    nonces = set()
    for _ in range(20):
        payload = json.loads(base64.b64decode(sign_in_header(signer, "https://api.venice.ai/api/v1/models")))
        nonce = next(line for line in payload["message"].splitlines() if line.startswith("Nonce: "))
        assert len(nonce) == len("Nonce: ") + 16
        nonces.add(nonce)
    assert len(nonces) == 20


def test_domain_is_the_host_of_the_request_url_with_port() -> None:
    assert domain_for("https://api.venice.ai/api/v1/chat/completions") == "api.venice.ai"
    assert domain_for("http://127.0.0.1:8787/api/v1/models") == "127.0.0.1:8787"


def test_iso_ms_matches_javascript_to_iso_string() -> None:
    t = datetime(2026, 9, 30, 19, 0, 0, 123456, tzinfo=timezone.utc)
    assert iso_ms(t) == "2026-09-30T19:00:00.123Z"


def test_signer_never_shows_its_key() -> None:
    signer = EthAccountSigner(DEV_KEY)
    assert DEV_KEY[2:] not in repr(signer) and DEV_KEY[2:] not in str(signer)
    assert DEV_ADDRESS in repr(signer)

"""The payer's EIP-3009 signing reproduces ../shared/reference/x402_vectors.py, refuses anything but
USDC on Base mainnet, and emits the payload shapes Venice accepts."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from venice_mcp.payments.signer import EthAccountSigner
from venice_mcp.payments.x402 import (
    HEADER_V2,
    HEADER_VENICE,
    PaymentRefused,
    Requirement,
    check_domain,
    check_requirement,
    eip712_domain,
    select_requirement,
    sign_authorization,
    sign_payment,
    typed_data,
)

# Inputs and expected outputs of x402_vectors.py (x402.md §8), public dev key: never fund it.
DEV_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
DEV_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
PAY_TO = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C"
NONCE = "0xc78bf66f6c3766ec7563452ef340be1013825f8c7b81ebd7666f7464a2848f13"
AUTH = {
    "from": DEV_ADDRESS,
    "to": PAY_TO,
    "value": "5000000",
    "validAfter": "0",
    "validBefore": "1767225900",
    "nonce": NONCE,
}
V1_DOMAIN_SEPARATOR = "0x02fa7265e7c5d81118673727957699e4d68f74cd74b7db77da710fe8a2c7834f"
V1_STRUCT_HASH = "0x0fdf14f8a712a5ed27e5edfb474e6bf841f09b4d4392be3f14d50d1999f7e6df"
V1_DIGEST = "0xe79867087c1ed8cec6b19af0ae363b8563304fc31e5beb49f5e432f70952be6e"
V1_SIGNATURE = (
    "0x6514b3a64e9f60072c6ec10d8e01f2321f3cbeba7e8f52f4e087031b9a97e835"
    "463a717c61b2ce3681065128bcdafcb87c9abdd20025994cb8b198b2d80021ce1c"
)
SEPOLIA_DOMAIN = {
    "name": "USDC",
    "version": "2",
    "chainId": 84532,
    "verifyingContract": "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
}
# Venice's discovery entry (venice-api.md §6.4 (d)): lower-case asset, CAIP-2 network, $5 minimum.
VENICE_ENTRY: dict[str, Any] = {
    "scheme": "exact",
    "network": "eip155:8453",
    "amount": "5000000",
    "asset": "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913",
    "payTo": PAY_TO,
    "maxTimeoutSeconds": 300,
    "extra": {"name": "USD Coin", "version": "2"},
}
SOLANA_ENTRY = {
    "scheme": "exact",
    "network": "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp",
    "amount": "5000000",
    "asset": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
    "payTo": "8qUL23aSj7mDWdoLMXGHFvnVCT9wd7jXcysiekroADEL",
    "maxTimeoutSeconds": 300,
    "extra": {"name": "USD Coin", "version": "2", "feePayer": "BFK9TLC3edb13K6v4YyH3DwPb5DSUpkWvb7XnqCL9b4F"},
}


def requirement(**changes: Any) -> Requirement:
    return check_requirement({**VENICE_ENTRY, **changes})


def test_vector_1_domain_separator_struct_hash_digest_and_signature() -> None:
    req = requirement()
    domain = eip712_domain(req)
    signable = encode_typed_data(full_message=typed_data(domain, AUTH))
    # EIP-712 signable message: version byte 0x01, header = domain separator, body = struct hash.
    assert "0x" + signable.header.hex() == V1_DOMAIN_SEPARATOR
    assert "0x" + signable.body.hex() == V1_STRUCT_HASH
    assert "0x" + keccak(b"\x19\x01" + signable.header + signable.body).hex() == V1_DIGEST
    signature = sign_authorization(EthAccountSigner(DEV_KEY), domain, AUTH)
    assert signature == V1_SIGNATURE
    recovered = Account.recover_message(signable, signature=bytes.fromhex(signature[2:]))
    assert recovered == DEV_ADDRESS


def test_lower_case_payto_and_asset_sign_the_same_bytes() -> None:
    req = requirement(payTo=PAY_TO.lower())
    auth = {**AUTH, "to": PAY_TO.lower()}
    assert sign_authorization(EthAccountSigner(DEV_KEY), eip712_domain(req), auth) == V1_SIGNATURE


def test_vector_2_sepolia_domain_is_refused() -> None:
    with pytest.raises(PaymentRefused, match="only USDC on Base mainnet"):
        check_domain(SEPOLIA_DOMAIN)
    with pytest.raises(PaymentRefused):
        typed_data(SEPOLIA_DOMAIN, AUTH)
    sepolia_entry = {
        **VENICE_ENTRY,
        "network": "eip155:84532",
        "asset": SEPOLIA_DOMAIN["verifyingContract"],
        "extra": {"name": "USDC", "version": "2"},
    }
    with pytest.raises(PaymentRefused, match="not Base mainnet"):
        select_requirement({"x402Version": 2, "accepts": [sepolia_entry]})
    # Mainnet network and asset but the Sepolia-style "USDC" name: a signature that never verifies.
    with pytest.raises(PaymentRefused, match="EIP-712 domain"):
        select_requirement(
            {"x402Version": 2, "accepts": [{**VENICE_ENTRY, "extra": {"name": "USDC", "version": "2"}}]}
        )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"scheme": "upto"}, "scheme"),
        ({"asset": "0xd9aAEc86B65D86f6A7B5B1b0c42FFA531710b6CA"}, "asset"),  # USDbC, not USDC
        ({"payTo": "0x1234"}, "payTo"),
        ({"payTo": "0x" + "0" * 40}, "payTo"),
        ({"payTo": PAY_TO + "\n"}, "payTo"),  # `$` would have let a trailing newline through
        ({"amount": "5.0"}, "amount"),
        ({"amount": "5000000\n"}, "amount"),
        ({"amount": 0}, "amount"),
        (
            {"extra": {"name": "USD Coin", "version": "2", "assetTransferMethod": "permit2"}},
            "transfer method",
        ),
        ({"extra": None}, "domain"),
        ({"maxTimeoutSeconds": "300"}, "maxTimeoutSeconds"),
    ],
)
def test_bad_requirements_are_refused(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(PaymentRefused, match=reason):
        select_requirement({"x402Version": 2, "accepts": [SOLANA_ENTRY, {**VENICE_ENTRY, **change}]})


def test_base_entry_is_chosen_among_rails_and_the_base_alias_is_accepted() -> None:
    req = select_requirement({"x402Version": 2, "accepts": [SOLANA_ENTRY, VENICE_ENTRY]})
    assert req.pay_to == PAY_TO and req.min_units == 5_000_000
    assert check_requirement({**VENICE_ENTRY, "network": "base"}).min_usd == 5.0


def test_no_requirements_is_refused() -> None:
    for body in (None, {}, {"accepts": []}, {"accepts": [SOLANA_ENTRY]}):
        with pytest.raises(PaymentRefused):
            select_requirement(body)


def _decode(header: str) -> dict[str, Any]:
    return json.loads(base64.b64decode(header))  # type: ignore[no-any-return]


def test_venice_shape_is_what_venice_x402_client_sends() -> None:
    signer = EthAccountSigner(DEV_KEY)
    req = requirement()
    nonce = bytes.fromhex(NONCE[2:])
    signed = sign_payment(signer, req, 10_000_000, now=1_767_225_600, nonce=nonce)
    assert signed.header_name == HEADER_VENICE
    payload = _decode(signed.header)
    assert list(payload) == ["x402Version", "scheme", "network", "payload"]
    assert payload["x402Version"] == 2 and payload["scheme"] == "exact" and payload["network"] == "base"
    assert list(payload["payload"]) == ["signature", "authorization"]
    auth = payload["payload"]["authorization"]
    assert list(auth) == ["from", "to", "value", "validAfter", "validBefore", "nonce"]
    assert all(isinstance(v, str) for v in auth.values())
    assert auth == {
        "from": DEV_ADDRESS,
        "to": PAY_TO,
        "value": "10000000",
        "validAfter": str(1_767_225_600 - 600),
        "validBefore": str(1_767_225_600 + 300),
        "nonce": NONCE,
    }
    # The compact JSON of the npm SDK (JSON.stringify): no spaces.
    assert b" " not in base64.b64decode(signed.header)
    sig = bytes.fromhex(payload["payload"]["signature"][2:])
    assert len(sig) == 65 and sig[64] in (27, 28)
    typed = typed_data(eip712_domain(req), auth)
    assert Account.recover_message(encode_typed_data(full_message=typed), signature=sig) == DEV_ADDRESS


def test_x402v2_shape_echoes_the_accepted_entry() -> None:
    req = requirement()
    resource = {"url": "https://api.venice.ai/api/v1/x402/top-up"}
    signed = sign_payment(EthAccountSigner(DEV_KEY), req, 5_000_000, shape="x402v2", resource=resource)
    assert signed.header_name == HEADER_V2
    payload = _decode(signed.header)
    assert payload["x402Version"] == 2 and payload["resource"] == resource
    assert payload["accepted"] == VENICE_ENTRY  # verbatim, lower-case asset included
    assert payload["payload"]["authorization"]["value"] == "5000000"
    assert len(payload["payload"]["authorization"]["nonce"]) == 66


def test_every_signature_has_a_fresh_nonce() -> None:
    signer = EthAccountSigner(DEV_KEY)
    nonces = {sign_payment(signer, requirement(), 5_000_000).nonce for _ in range(5)}
    assert len(nonces) == 5


class _BadSigner:
    """A signer returning v = 0/1 (some hardware does); or a high-s malleated signature."""

    def __init__(self, mutate: str) -> None:
        self.inner = EthAccountSigner(DEV_KEY)
        self.mutate = mutate

    @property
    def address(self) -> str:
        return self.inner.address

    def sign_message(self, text: str) -> str:
        return self.inner.sign_message(text)

    def sign_typed_data(self, typed: dict[str, Any]) -> str:
        raw = bytearray(bytes.fromhex(self.inner.sign_typed_data(typed)[2:]))
        if self.mutate == "v01":
            raw[64] -= 27
        elif self.mutate == "high_s":
            n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
            s = int.from_bytes(raw[32:64], "big")
            raw[32:64] = (n - s).to_bytes(32, "big")
            raw[64] = 55 - raw[64]
        elif self.mutate == "short":
            raw = raw[:64]
        return "0x" + bytes(raw).hex()


def test_signer_v_0_1_is_normalised_and_high_s_or_short_is_refused() -> None:
    domain = eip712_domain(requirement())
    assert sign_authorization(_BadSigner("v01"), domain, AUTH) == V1_SIGNATURE
    for mutate in ("high_s", "short"):
        with pytest.raises(PaymentRefused):
            sign_authorization(_BadSigner(mutate), domain, AUTH)

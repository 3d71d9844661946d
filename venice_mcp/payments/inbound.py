"""Checking a payment an agent sent (an x402 v2 ``PaymentPayload`` in USDC on Base) against what
this server asked, before anyone else sees it. Two schemes: ``exact``, an EIP-3009
``transferWithAuthorization`` of the price; ``upto``, a Permit2 ``permitWitnessTransferFrom`` of a
maximum, settled later for what the call cost (metered tools).

Everything the facilitator would refuse is refused here first, for free and with a reason the
agent can act on: the scheme, network and asset; the receiving address; the amount; the time
window; and the signature, which must recover to the payer it names. The facilitator checks again
(and the balance, which only the chain knows).
"""

from __future__ import annotations

import re
from typing import Any

from venice_mcp.payments.receipts import Received
from venice_mcp.payments.x402 import (
    BASE_NETWORK,
    PINNED_DOMAIN,
    SECP256K1_HALF_N,
    USDC_BASE,
    typed_data,
)

# A facilitator needs a few seconds of validity left to land the transfer on-chain.
VALID_BEFORE_MARGIN_S = 6

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_NONCE = re.compile(r"^0x[0-9a-fA-F]{64}$")
_SIGNATURE = re.compile(r"^0x[0-9a-fA-F]{130}$")
_UNITS = re.compile(r"^[0-9]{1,30}$")
_UINT = re.compile(r"^[0-9]{1,78}$")  # a uint256 in decimal (Permit2 nonces are random uint256s)
# x402's reason codes (specification v2, §9), as the facilitator would give them.
PAYLOAD, VERSION = "invalid_payload", "invalid_x402_version"
SCHEME, NETWORK = "invalid_scheme", "invalid_network"
REQUIREMENTS = "invalid_payment_requirements"
RECIPIENT = "invalid_exact_evm_payload_recipient_mismatch"
VALUE = "invalid_exact_evm_payload_authorization_value_mismatch"
AFTER = "invalid_exact_evm_payload_authorization_valid_after"
BEFORE = "invalid_exact_evm_payload_authorization_valid_before"
SIGNATURE = "invalid_exact_evm_payload_signature"


class PaymentInvalid(Exception):
    """The payment cannot be accepted; ``reason`` is the x402 code, the message says why."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def check_payment(payment: Any, requirement: dict[str, Any], *, now: int) -> Received:
    """The checked authorization, or PaymentInvalid. ``requirement`` is what this server asks
    (its ``amount`` the least it accepts); an agent may pay more, never less."""
    accepted = _accepted(payment, requirement, scheme="exact")
    pay_to = str(requirement["payTo"])
    body = payment.get("payload")
    auth = body.get("authorization") if isinstance(body, dict) else None
    signature = body.get("signature") if isinstance(body, dict) else None
    if not isinstance(auth, dict) or not isinstance(signature, str) or not _SIGNATURE.match(signature):
        raise PaymentInvalid(PAYLOAD, "the payment carries no EIP-3009 authorization and signature")
    fields = {k: auth.get(k) for k in ("from", "to", "value", "validAfter", "validBefore", "nonce")}
    if not all(isinstance(v, str) for v in fields.values()):
        raise PaymentInvalid(PAYLOAD, "every authorization field must be a string")
    payer, to, value, after, before, nonce = (str(fields[k]) for k in fields)
    if not (_ADDRESS.match(payer) and _ADDRESS.match(to) and _NONCE.match(nonce)):
        raise PaymentInvalid(PAYLOAD, "the authorization's addresses or nonce are malformed")
    if not (_UNITS.match(value) and _UNITS.match(after) and _UNITS.match(before)):
        raise PaymentInvalid(PAYLOAD, "the authorization's value and times are not integers")
    if to.lower() != pay_to.lower():
        raise PaymentInvalid(RECIPIENT, f"the authorization does not pay this server's address {pay_to}")
    amount = str(accepted.get("amount", ""))
    if value != amount:
        raise PaymentInvalid(VALUE, "the authorization's value is not the accepted amount")
    if int(value) < int(requirement["amount"]):
        raise PaymentInvalid(
            VALUE,
            f"the payment is {int(value)} units; this call costs {requirement['amount']}",
        )
    if int(after) > now:
        raise PaymentInvalid(AFTER, "the authorization is not valid yet")
    if int(before) < now + VALID_BEFORE_MARGIN_S:
        raise PaymentInvalid(BEFORE, "the authorization has expired")
    if recover_payer(auth, signature) != payer.lower():
        raise PaymentInvalid(SIGNATURE, "the signature is not the payer's")
    # What the facilitator is asked to verify and settle: this call's requirement at the amount
    # the agent accepted (they are equal unless it chose to pay more).
    settled_as = {**requirement, "amount": value}
    return Received(
        network=BASE_NETWORK,
        asset=USDC_BASE,
        payer=payer,
        nonce=nonce,
        value=int(value),
        pay_to=pay_to,
        valid_before=int(before),
        payload=payment,
        requirement=settled_as,
    )


def recover_payer(auth: dict[str, Any], signature: str) -> str | None:
    """The lower-case address that signed ``auth`` for USDC on Base, or None if none did (a
    malformed or high-s signature: USDC's ecrecover refuses those too)."""
    from eth_account import Account  # ~0.5 s to import: only in charging mode, at the first payment
    from eth_account.messages import encode_typed_data

    raw = bytes.fromhex(signature[2:])
    v = raw[64]
    if v not in (27, 28) or int.from_bytes(raw[32:64], "big") > SECP256K1_HALF_N:
        return None
    try:
        message = encode_typed_data(full_message=typed_data(dict(PINNED_DOMAIN), auth))
        return str(Account.recover_message(message, signature=raw)).lower()
    except (ValueError, TypeError):
        return None


def _shown(value: Any) -> str:
    return repr(value)[:60]


# -- upto: a Permit2 permitWitnessTransferFrom, settled for what the call cost ---------------------

PERMIT2 = "0x000000000022D473030F116dDEE9F6B43aC78BA3"  # canonical Permit2, the same on every chain
UPTO_PROXY = "0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002"  # x402UptoPermit2Proxy, the spender
# The witness types of x402's upto scheme (its Python package's UPTO_PERMIT2_WITNESS_TYPES).
UPTO_TYPES: dict[str, list[dict[str, str]]] = {
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
UPTO_PREFIX = "permit2:"  # Permit2 nonces are a namespace of their own beside EIP-3009's


def check_upto(payment: Any, requirement: dict[str, Any], *, now: int) -> Received:
    """The checked ``upto`` authorization (its value is the maximum), or PaymentInvalid."""
    accepted = _accepted(payment, requirement, scheme="upto")
    body = payment.get("payload")
    auth = body.get("permit2Authorization") if isinstance(body, dict) else None
    signature = body.get("signature") if isinstance(body, dict) else None
    if not isinstance(auth, dict) or not isinstance(signature, str) or not _SIGNATURE.match(signature):
        raise PaymentInvalid(PAYLOAD, "the payment carries no Permit2 authorization and signature")
    permitted, witness = auth.get("permitted"), auth.get("witness")
    if not isinstance(permitted, dict) or not isinstance(witness, dict):
        raise PaymentInvalid(PAYLOAD, "the Permit2 authorization lacks 'permitted' or 'witness'")
    fields = {
        "from": auth.get("from"),
        "spender": auth.get("spender"),
        "nonce": auth.get("nonce"),
        "deadline": auth.get("deadline"),
        "token": permitted.get("token"),
        "amount": permitted.get("amount"),
        "to": witness.get("to"),
        "facilitator": witness.get("facilitator"),
        "validAfter": witness.get("validAfter"),
    }
    if not all(isinstance(v, str) for v in fields.values()):
        raise PaymentInvalid(PAYLOAD, "every Permit2 authorization field must be a string")
    f = {k: str(v) for k, v in fields.items()}
    addresses = ("from", "spender", "token", "to", "facilitator")
    numbers = ("nonce", "deadline", "amount", "validAfter")
    if not all(_ADDRESS.match(f[k]) for k in addresses) or not all(_UINT.match(f[k]) for k in numbers):
        raise PaymentInvalid(PAYLOAD, "the Permit2 authorization's addresses or numbers are malformed")
    pay_to = str(requirement["payTo"])
    if f["to"].lower() != pay_to.lower():
        raise PaymentInvalid(RECIPIENT, f"the authorization does not pay this server's address {pay_to}")
    if f["spender"].lower() != UPTO_PROXY.lower():
        raise PaymentInvalid(PAYLOAD, "the Permit2 spender is not x402's upto proxy")
    facilitator = str(requirement.get("extra", {}).get("facilitatorAddress", ""))
    if f["facilitator"].lower() != facilitator.lower():
        raise PaymentInvalid(PAYLOAD, "the authorization names another facilitator")
    if f["token"].lower() != USDC_BASE.lower():
        raise PaymentInvalid(REQUIREMENTS, "the authorization is not for USDC on Base")
    if f["amount"] != str(accepted.get("amount", "")) or int(f["amount"]) < int(requirement["amount"]):
        raise PaymentInvalid(
            VALUE, f"the authorized maximum is not this call's price ({requirement['amount']})"
        )
    if int(f["validAfter"]) > now:
        raise PaymentInvalid(AFTER, "the authorization is not valid yet")
    if int(f["deadline"]) < now + VALID_BEFORE_MARGIN_S:
        raise PaymentInvalid(BEFORE, "the authorization has expired")
    if _recover_upto(f, signature) != f["from"].lower():
        raise PaymentInvalid(SIGNATURE, "the signature is not the payer's")
    return Received(
        network=BASE_NETWORK,
        asset=USDC_BASE,
        payer=f["from"],
        nonce=UPTO_PREFIX + str(int(f["nonce"])),
        value=int(f["amount"]),
        pay_to=pay_to,
        valid_before=int(f["deadline"]),
        payload=payment,
        requirement={**requirement, "amount": f["amount"]},
        scheme="upto",
    )


def _accepted(payment: Any, requirement: dict[str, Any], *, scheme: str) -> dict[str, Any]:
    """The payment's ``accepted`` requirement, checked against what this server offered."""
    if not isinstance(payment, dict):
        raise PaymentInvalid(PAYLOAD, "the payment in _meta['x402/payment'] is not a JSON object")
    if payment.get("x402Version") != 2:
        raise PaymentInvalid(VERSION, "this server speaks x402 version 2")
    accepted = payment.get("accepted")
    if not isinstance(accepted, dict):
        raise PaymentInvalid(PAYLOAD, "the payment names no accepted requirement ('accepted')")
    if accepted.get("scheme") != scheme:
        raise PaymentInvalid(SCHEME, f"scheme {_shown(accepted.get('scheme'))} is not offered for this call")
    if accepted.get("network") != BASE_NETWORK:
        raise PaymentInvalid(NETWORK, f"network {_shown(accepted.get('network'))} is not Base")
    if str(accepted.get("asset", "")).lower() != USDC_BASE.lower():
        raise PaymentInvalid(REQUIREMENTS, f"asset {_shown(accepted.get('asset'))} is not USDC on Base")
    pay_to = str(requirement["payTo"])
    if str(accepted.get("payTo", "")).lower() != pay_to.lower():
        raise PaymentInvalid(RECIPIENT, f"the payment is not to this server's address {pay_to}")
    return accepted


def _recover_upto(f: dict[str, str], signature: str) -> str | None:
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    raw = bytes.fromhex(signature[2:])
    if raw[64] not in (27, 28) or int.from_bytes(raw[32:64], "big") > SECP256K1_HALF_N:
        return None
    typed = {
        "types": UPTO_TYPES,
        "primaryType": "PermitWitnessTransferFrom",
        "domain": {"name": "Permit2", "chainId": 8453, "verifyingContract": PERMIT2},
        "message": {
            "permitted": {"token": f["token"], "amount": int(f["amount"])},
            "spender": f["spender"],
            "nonce": int(f["nonce"]),
            "deadline": int(f["deadline"]),
            "witness": {"to": f["to"], "facilitator": f["facilitator"], "validAfter": int(f["validAfter"])},
        },
    }
    try:
        return str(Account.recover_message(encode_typed_data(full_message=typed), signature=raw)).lower()
    except (ValueError, TypeError):
        return None

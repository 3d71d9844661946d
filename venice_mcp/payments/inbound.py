"""Checking a payment an agent sent (an x402 v2 ``PaymentPayload``, scheme ``exact``: an EIP-3009
``transferWithAuthorization`` of USDC on Base) against what this server asked, before anyone else
sees it.

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
    if not isinstance(payment, dict):
        raise PaymentInvalid(PAYLOAD, "the payment in _meta['x402/payment'] is not a JSON object")
    if payment.get("x402Version") != 2:
        raise PaymentInvalid(VERSION, "this server speaks x402 version 2")
    accepted = payment.get("accepted")
    if not isinstance(accepted, dict):
        raise PaymentInvalid(PAYLOAD, "the payment names no accepted requirement ('accepted')")
    if accepted.get("scheme") != "exact":
        raise PaymentInvalid(SCHEME, f"scheme {_shown(accepted.get('scheme'))} is not offered")
    if accepted.get("network") != BASE_NETWORK:
        raise PaymentInvalid(NETWORK, f"network {_shown(accepted.get('network'))} is not Base")
    if str(accepted.get("asset", "")).lower() != USDC_BASE.lower():
        raise PaymentInvalid(REQUIREMENTS, f"asset {_shown(accepted.get('asset'))} is not USDC on Base")
    pay_to = str(requirement["payTo"])
    if str(accepted.get("payTo", "")).lower() != pay_to.lower():
        raise PaymentInvalid(RECIPIENT, f"the payment is not to this server's address {pay_to}")
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

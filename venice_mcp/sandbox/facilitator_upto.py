"""The sandbox facilitator's ``upto`` scheme on Base (scheme_upto.md, scheme_upto_evm.md): the
client signs a Permit2 ``permitWitnessTransferFrom`` for a *maximum*; the payee settles the
*actual* amount, anything from 0 to that maximum, once.

Wire format: what the field's reference implementation (the ``x402`` PyPI package,
mechanisms/evm/upto/client.py, types.py ``UptoPermit2Payload``, constants.py) signs and sends.
``paymentPayload.payload`` is::

    {"signature": "0x<65 bytes>",
     "permit2Authorization": {
        "from": "0x…", "permitted": {"token": "<USDC>", "amount": "<max, decimal>"},
        "spender": "0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002",   # x402UptoPermit2Proxy
        "nonce": "<uint256, decimal>", "deadline": "<unix s>",
        "witness": {"to": "<payTo>", "facilitator": "<our signer>", "validAfter": "<unix s>"}}}

(the package sends the nonce in decimal, the spec's example in 0x hex: both are read as uint256).
The signed EIP-712 data, domain ``{name: "Permit2", chainId: 8453, verifyingContract:
0x000000000022D473030F116dDEE9F6B43aC78BA3}`` (no version), primary type
``PermitWitnessTransferFrom``, with ``from`` not in the message (Permit2 recovers the owner)::

    PermitWitnessTransferFrom(TokenPermissions permitted,address spender,uint256 nonce,
        uint256 deadline,Witness witness)
    TokenPermissions(address token,uint256 amount)
    Witness(address to,address facilitator,uint256 validAfter)

encoded here by hand (nested structs hash to bytes32), nothing from x402 or venice_mcp.payments.

Checks run in the spec's order (scheme_upto_evm.md Phase 3) as far as the sandbox's split allows:
what holds forever first (signature → amount → token and network, then the reference's spender,
recipient and facilitator checks), then what depends on the book and the clock (Permit2 allowance
→ balance → deadline/validAfter → spent nonce, the last standing in for the spec's simulation).
Reason strings are the spec's where it has one (``insufficient_funds``, ``invalid_network``,
``invalid_payload``, ``invalid_upto_evm_payload_settlement_exceeds_amount``), else the reference
package's (``invalid_permit2_signature``, ``permit2_amount_mismatch``, …); an ``accepted`` that
disagrees with the requirements gets a sandbox reason of the same form.

A Permit2 allowance below the amount is the spec's ``412 Precondition Failed`` with error code
PERMIT2_ALLOWANCE_REQUIRED: the answer's HTTP status is 412 and its body the usual verify/settle
body with the reference's reason string ``permit2_allowance_required``. Allowances are simulated
(facilitator_state.py): unlimited unless a test sets one.

Settling: ``paymentRequirements.amount`` is the actual charge; more than the signed maximum is
refused. A settlement of 0 moves nothing and has no transaction (``"transaction": ""``), yet it
does consume the authorization here: scheme_upto.md makes every authorization single-use "after
settlement (regardless of amount)", so a later settle of the same payload for more is refused
(on-chain its Permit2 nonce stays unused and it "simply expires"). Settling the very same payload
for the very same amount again returns the first settlement; for another amount, the nonce is used.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response

from venice_mcp.sandbox.facilitator import (
    ASSET,
    INSUFFICIENT_FUNDS,
    INVALID_NETWORK,
    INVALID_PAYLOAD,
    INVALID_PAYMENT_REQUIREMENTS,
    INVALID_X402_VERSION,
    NETWORK,
    SIGNER,
    Refusal,
    settle_refused,
    verify_refused,
)
from venice_mcp.sandbox.facilitator_state import (
    AllowanceRequired,
    FacilitatorSettlement,
    InsufficientFunds,
)
from venice_mcp.sandbox.state import SandboxState
from venice_mcp.sandbox.topup import CHAIN_ID, VALID_BEFORE_BUFFER_S, recover

SCHEME = "upto"
PERMIT2 = "0x000000000022D473030F116dDEE9F6B43aC78BA3"  # canonical Permit2, the verifyingContract
PROXY = "0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002"  # x402UptoPermit2Proxy, the permit's spender
PERMIT2_NAME = "Permit2"

DOMAIN_TYPE = "EIP712Domain(string name,uint256 chainId,address verifyingContract)"
TOKEN_PERMISSIONS_TYPE = "TokenPermissions(address token,uint256 amount)"
WITNESS_TYPE = "Witness(address to,address facilitator,uint256 validAfter)"
PERMIT_WITNESS_TYPE = (
    "PermitWitnessTransferFrom(TokenPermissions permitted,address spender,uint256 nonce,"
    "uint256 deadline,Witness witness)" + TOKEN_PERMISSIONS_TYPE + WITNESS_TYPE
)

SCHEME_MISMATCH = "invalid_upto_evm_scheme"
NETWORK_MISMATCH = "invalid_upto_evm_network_mismatch"
ACCEPTED_MISMATCH = "invalid_upto_evm_accepted_mismatch"  # the sandbox's own
INVALID_SIGNATURE = "invalid_permit2_signature"
AMOUNT_MISMATCH = "permit2_amount_mismatch"
SETTLEMENT_EXCEEDS_AMOUNT = "invalid_upto_evm_payload_settlement_exceeds_amount"
TOKEN_MISMATCH = "permit2_token_mismatch"
INVALID_SPENDER = "invalid_permit2_spender"
RECIPIENT_MISMATCH = "invalid_permit2_recipient_mismatch"
FACILITATOR_MISMATCH = "upto_facilitator_mismatch"
ALLOWANCE_REQUIRED = "permit2_allowance_required"
DEADLINE_EXPIRED = "permit2_deadline_expired"
NOT_YET_VALID = "permit2_not_yet_valid"
NONCE_USED = "permit2_invalid_nonce"

ALLOWANCE_REQUIRED_STATUS = 412  # scheme_upto_evm.md Phase 3 step 2

_UINT256_MAX = 2**256 - 1
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_SIGNATURE = re.compile(r"^0x[0-9a-fA-F]{130}$")
_DECIMAL = re.compile(r"^[0-9]{1,78}$")
_HEX_NONCE = re.compile(r"^0x[0-9a-fA-F]{1,64}$")


# -- EIP-712 by hand ---------------------------------------------------------------------------


def _keccak(data: bytes) -> bytes:
    from eth_utils.crypto import keccak

    return bytes(keccak(data))


def permit2_digest(auth: dict[str, str], *, chain_id: int = CHAIN_ID, permit2: str = PERMIT2) -> bytes:
    """keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(PermitWitnessTransferFrom)) for a
    normalised authorization (see ``_authorization``: flat, numbers as decimal strings)."""
    from eth_abi.abi import encode

    separator = _keccak(
        encode(
            ["bytes32", "bytes32", "uint256", "address"],
            [_keccak(DOMAIN_TYPE.encode()), _keccak(PERMIT2_NAME.encode()), chain_id, permit2.lower()],
        )
    )
    permitted = _keccak(
        encode(
            ["bytes32", "address", "uint256"],
            [_keccak(TOKEN_PERMISSIONS_TYPE.encode()), auth["token"].lower(), int(auth["amount"])],
        )
    )
    witness = _keccak(
        encode(
            ["bytes32", "address", "address", "uint256"],
            [
                _keccak(WITNESS_TYPE.encode()),
                auth["to"].lower(),
                auth["facilitator"].lower(),
                int(auth["validAfter"]),
            ],
        )
    )
    struct = _keccak(
        encode(
            ["bytes32", "bytes32", "address", "uint256", "uint256", "bytes32"],
            [
                _keccak(PERMIT_WITNESS_TYPE.encode()),
                permitted,
                auth["spender"].lower(),
                int(auth["nonce"]),
                int(auth["deadline"]),
                witness,
            ],
        )
    )
    return _keccak(b"\x19\x01" + separator + struct)


# -- checks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UptoPayment:
    """A payment that passed every check that does not depend on time or on the book."""

    payer: str
    pay_to: str
    maximum: int  # permitted.amount, what the payer signed for
    amount: int  # requirements.amount: the maximum at verify, the actual charge at settle
    authorization: dict[str, str]  # flat: from, token, amount, spender, nonce (decimal), …
    signature: str
    resource: str | None

    @property
    def nonce(self) -> str:
        return self.authorization["nonce"]

    def same_as(self, settled: FacilitatorSettlement) -> bool:
        def norm(auth: dict[str, str]) -> dict[str, str]:
            return {k: v.lower() for k, v in auth.items()}

        return (
            norm(self.authorization) == norm(settled.authorization)
            and self.signature.lower() == settled.signature.lower()
            and self.amount == settled.amount
        )


def _dict(value: Any, reason: str, what: str, payer: str | None = None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Refusal(reason, f"{what} must be a JSON object", payer)
    return value


def _uint(value: Any, what: str, payer: str | None) -> str:
    if not isinstance(value, str) or not _DECIMAL.match(value) or int(value) > _UINT256_MAX:
        raise Refusal(INVALID_PAYLOAD, f"{what} must be a uint256 as a decimal string", payer)
    return str(int(value))


def _nonce(value: Any, payer: str) -> str:
    """Permit2 nonces are uint256: decimal (the x402 package) or 0x hex (the spec's example)."""
    if isinstance(value, str) and _HEX_NONCE.match(value):
        return str(int(value, 16))
    return _uint(value, "permit2Authorization.nonce", payer)


def _requirements(body: dict[str, Any]) -> dict[str, Any]:
    req = _dict(body.get("paymentRequirements"), INVALID_PAYMENT_REQUIREMENTS, "paymentRequirements")
    if req.get("network") != NETWORK:
        raise Refusal(INVALID_NETWORK, f"network {req.get('network')!r} is not supported; only {NETWORK}")
    if str(req.get("asset", "")).lower() != ASSET:
        raise Refusal(INVALID_PAYMENT_REQUIREMENTS, f"asset {req.get('asset')!r} is not USDC on Base")
    if not isinstance(req.get("payTo"), str) or not _ADDRESS.match(req["payTo"]):
        raise Refusal(INVALID_PAYMENT_REQUIREMENTS, "payTo must be a 0x address")
    amount = req.get("amount")
    if not isinstance(amount, str) or not _DECIMAL.match(amount) or int(amount) > _UINT256_MAX:
        raise Refusal(INVALID_PAYMENT_REQUIREMENTS, "amount must be a decimal string of atomic units")
    return req


def _authorization(payload: dict[str, Any]) -> tuple[dict[str, str], str]:
    """The permit2Authorization, flattened and normalised (addresses as sent, numbers decimal)."""
    inner = _dict(payload.get("payload"), INVALID_PAYLOAD, "paymentPayload.payload")
    raw, signature = inner.get("permit2Authorization"), inner.get("signature")
    if not isinstance(raw, dict) or not isinstance(signature, str):
        raise Refusal(INVALID_PAYLOAD, "an upto payload needs a permit2Authorization and a signature")
    payer = raw.get("from")
    if not isinstance(payer, str) or not _ADDRESS.match(payer):
        raise Refusal(INVALID_PAYLOAD, "permit2Authorization.from must be a 0x address")
    permitted = _dict(raw.get("permitted"), INVALID_PAYLOAD, "permit2Authorization.permitted", payer)
    witness = _dict(raw.get("witness"), INVALID_PAYLOAD, "permit2Authorization.witness", payer)
    addresses = {
        "token": permitted.get("token"),
        "spender": raw.get("spender"),
        "to": witness.get("to"),
        "facilitator": witness.get("facilitator"),
    }
    for name, value in addresses.items():
        if not isinstance(value, str) or not _ADDRESS.match(value):
            raise Refusal(INVALID_PAYLOAD, f"permit2Authorization {name} must be a 0x address", payer)
    auth = {"from": payer, **{k: str(v) for k, v in addresses.items()}}
    auth["amount"] = _uint(permitted.get("amount"), "permitted.amount", payer)
    auth["deadline"] = _uint(raw.get("deadline"), "permit2Authorization.deadline", payer)
    auth["validAfter"] = _uint(witness.get("validAfter"), "witness.validAfter", payer)
    auth["nonce"] = _nonce(raw.get("nonce"), payer)
    return auth, signature


def _accepted(payload: dict[str, Any], req: dict[str, Any], maximum: int, payer: str) -> None:
    accepted = _dict(payload.get("accepted"), INVALID_PAYLOAD, "paymentPayload.accepted", payer)
    if accepted.get("scheme") != SCHEME:
        raise Refusal(SCHEME_MISMATCH, f"accepted scheme {accepted.get('scheme')!r} is not 'upto'", payer)
    if accepted.get("network") != req["network"]:
        raise Refusal(
            NETWORK_MISMATCH, f"accepted network {accepted.get('network')!r} is not {req['network']!r}", payer
        )
    for name in ("asset", "payTo"):  # addresses compare case-insensitively
        ours, theirs = str(req[name]), str(accepted.get(name, ""))
        if theirs.lower() != ours.lower():
            raise Refusal(ACCEPTED_MISMATCH, f"accepted {name} {theirs!r} is not the required {ours}", payer)
    # The amount the client accepted is the maximum it signed (at settle, requirements carry the
    # actual charge instead, so they are not the yardstick here).
    if str(accepted.get("amount", "")) != str(maximum):
        raise Refusal(
            ACCEPTED_MISMATCH,
            f"accepted amount {accepted.get('amount')!r} is not the signed {maximum}",
            payer,
        )


def static_checks(body: Any, *, settling: bool) -> UptoPayment:
    """Every check that holds or fails forever, whatever the clock and the book say."""
    body = _dict(body, INVALID_PAYLOAD, "the request body")
    if body.get("x402Version") != 2:
        raise Refusal(INVALID_X402_VERSION, f"x402Version {body.get('x402Version')!r}: only 2 is supported")
    payload = _dict(body.get("paymentPayload"), INVALID_PAYLOAD, "paymentPayload")
    if payload.get("x402Version") != 2:
        raise Refusal(
            INVALID_X402_VERSION, f"paymentPayload.x402Version {payload.get('x402Version')!r}: only 2"
        )
    req = _requirements(body)
    auth, signature = _authorization(payload)
    payer, maximum, amount = auth["from"], int(auth["amount"]), int(req["amount"])
    _accepted(payload, req, maximum, payer)
    # 1. the signature recovers to permit2Authorization.from
    if not _SIGNATURE.match(signature):
        raise Refusal(INVALID_SIGNATURE, "signature must be 65 bytes of 0x-prefixed hex", payer)
    try:
        signer = recover(permit2_digest(auth), signature)
    except Exception as exc:  # malformed or non-canonical: Permit2's ecrecover would refuse it too
        raise Refusal(INVALID_SIGNATURE, f"signature does not recover ({exc})", payer) from None
    if signer.lower() != payer.lower():
        raise Refusal(INVALID_SIGNATURE, f"signature is by {signer}, not the payer", payer)
    # 4. the amount: the maximum itself at verification, at most the maximum at settlement
    if settling and amount > maximum:
        raise Refusal(
            SETTLEMENT_EXCEEDS_AMOUNT, f"settling {amount} exceeds the authorized maximum {maximum}", payer
        )
    if not settling and amount != maximum:
        raise Refusal(AMOUNT_MISMATCH, f"permitted amount {maximum} is not the required {amount}", payer)
    # 6. token (the network was checked with the requirements)
    if auth["token"].lower() != ASSET:
        raise Refusal(TOKEN_MISMATCH, f"permitted token {auth['token']} is not USDC on Base", payer)
    # The reference implementation's further checks: who may pull, to whom, through whom.
    if auth["spender"].lower() != PROXY.lower():
        raise Refusal(INVALID_SPENDER, f"spender {auth['spender']} is not the x402 upto proxy {PROXY}", payer)
    if auth["to"].lower() != req["payTo"].lower():
        raise Refusal(RECIPIENT_MISMATCH, f"witness pays {auth['to']}, not payTo {req['payTo']}", payer)
    if auth["facilitator"].lower() != SIGNER.lower():
        raise Refusal(
            FACILITATOR_MISMATCH, f"witness names facilitator {auth['facilitator']}, not {SIGNER}", payer
        )
    resource = payload.get("resource")
    url = resource.get("url") if isinstance(resource, dict) else None
    return UptoPayment(
        payer=payer,
        pay_to=auth["to"],
        maximum=maximum,
        amount=amount,
        authorization=auth,
        signature=signature,
        resource=url if isinstance(url, str) else None,
    )


def live_checks(payment: UptoPayment, state: SandboxState) -> None:
    """What depends on the book and on now: allowance, balance, validity window, spent nonce.
    ``payment.amount`` is the maximum when verifying and the actual charge when settling."""
    book, now, payer = state.facilitator, state.clock(), payment.payer
    if book.permit2_allowance(payer) < payment.amount:  # 2.
        raise Refusal(
            ALLOWANCE_REQUIRED,
            "PERMIT2_ALLOWANCE_REQUIRED: the payer's USDC allowance to Permit2 is below the amount; "
            "approve Permit2 once, then retry",
            payer,
        )
    if book.balance_units(payer) < payment.amount:  # 3.
        raise Refusal(INSUFFICIENT_FUNDS, "the payer's USDC balance is below the amount", payer)
    if int(payment.authorization["deadline"]) < now + VALID_BEFORE_BUFFER_S:  # 5.
        raise Refusal(DEADLINE_EXPIRED, "the permit's deadline has passed (or is within seconds)", payer)
    if int(payment.authorization["validAfter"]) > now:
        raise Refusal(NOT_YET_VALID, "the permit is not valid yet (witness.validAfter)", payer)
    if book.spent(payer, payment.nonce, SCHEME) is not None:  # what simulating settle would reveal
        raise Refusal(NONCE_USED, "this Permit2 nonce was already used", payer)


# -- answers -----------------------------------------------------------------------------------


def _status(refusal: Refusal) -> int:
    return ALLOWANCE_REQUIRED_STATUS if refusal.reason == ALLOWANCE_REQUIRED else 200


def verify(body: Any, state: SandboxState) -> Response:
    try:
        payment = static_checks(body, settling=False)
        live_checks(payment, state)
    except Refusal as refusal:
        return verify_refused(refusal, _status(refusal))
    return JSONResponse({"isValid": True, "payer": payment.payer})


def _settled(settlement: FacilitatorSettlement) -> JSONResponse:
    return JSONResponse(
        {
            "success": True,
            "payer": settlement.payer,
            "transaction": settlement.transaction,
            "network": settlement.network,
            "amount": str(settlement.amount),
        }
    )


def _resubmitted(payment: UptoPayment, earlier: FacilitatorSettlement) -> JSONResponse:
    if not payment.same_as(earlier):
        raise Refusal(NONCE_USED, "this Permit2 nonce was already used", payment.payer)
    earlier.submissions += 1
    return _settled(earlier)


def _transaction(payment: UptoPayment) -> str:
    if payment.amount == 0:
        return ""  # a zero settlement sends nothing on-chain
    key = f"upto:{payment.payer.lower()}:{payment.nonce}"
    return "0x" + hashlib.sha256(b"facilitator-tx:" + key.encode()).hexdigest()


def settle(body: Any, state: SandboxState) -> Response:
    book = state.facilitator
    try:
        payment = static_checks(body, settling=True)
        earlier = book.spent(payment.payer, payment.nonce, SCHEME)
        if earlier is not None:  # before the clock and balance: a late retry must still succeed
            return _resubmitted(payment, earlier)
        live_checks(payment, state)
        ours = FacilitatorSettlement(
            payer=payment.payer,
            pay_to=payment.pay_to,
            amount=payment.amount,
            nonce=payment.nonce,
            transaction=_transaction(payment),
            network=NETWORK,
            resource=payment.resource,
            signature=payment.signature,
            authorization=payment.authorization,
            scheme=SCHEME,
            maximum=payment.maximum,
        )
        try:
            settled = book.settle(ours)
        except AllowanceRequired:  # changed since live_checks (no await between: defensive)
            raise Refusal(ALLOWANCE_REQUIRED, "PERMIT2_ALLOWANCE_REQUIRED", payment.payer) from None
        except InsufficientFunds:
            raise Refusal(
                INSUFFICIENT_FUNDS, "the payer's USDC balance is below the amount", payment.payer
            ) from None
        if settled is not ours:  # a concurrent settle of the same nonce won
            return _resubmitted(payment, settled)
        return _settled(settled)
    except Refusal as refusal:
        return settle_refused(refusal, body, _status(refusal))

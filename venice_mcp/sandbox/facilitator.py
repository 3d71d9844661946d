"""The sandbox as an x402 facilitator: GET /facilitator/supported, POST /facilitator/verify and
POST /facilitator/settle (x402-specification-v2.md §7), schemes ``exact`` (here) and ``upto``
(facilitator_upto.py, chosen by ``paymentRequirements.scheme``) with USDC on Base.

It checks what a real facilitator checks before it pays gas: the requirements are ones it serves,
``accepted`` is those requirements, the EIP-3009 authorization pays them exactly and in time, the
EIP-712 signature recovers to the payer (topup.py's own encoder, nothing from venice_mcp.payments),
the nonce is unspent and the simulated balance covers it. Settling the very same payment again
returns the first settlement (a payee retrying after a timeout is not charged twice); another
authorization reusing a spent nonce is refused. Nothing settles on-chain: the hash is fake.

Reason strings are the spec's (§9) where it lists one, else the reference implementation's
(x402 Go, mechanisms/evm/exact/facilitator/errors.go); ``accepted`` disagreeing with the
requirements in asset, payTo or amount has neither, so it gets a sandbox reason of the same form.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from venice_mcp.sandbox import x402
from venice_mcp.sandbox.facilitator_state import FacilitatorSettlement, InsufficientFunds
from venice_mcp.sandbox.state import SandboxState
from venice_mcp.sandbox.topup import (
    AUTH_FIELDS,
    CHAIN_ID,
    USDC_NAME,
    USDC_VERSION,
    VALID_BEFORE_BUFFER_S,
    recover,
    transfer_digest,
)

PREFIX = "/facilitator"
SCHEME = "exact"
NETWORK = x402.BASE_NETWORK
ASSET = x402.BASE_USDC
# The address a real facilitator would send transferWithAuthorization from (keccak of a label).
SIGNER = "0xbb2D55eF821910e4cf9EAC1dcfe195A067896119"

INVALID_X402_VERSION = "invalid_x402_version"
INVALID_PAYLOAD = "invalid_payload"
INVALID_PAYMENT_REQUIREMENTS = "invalid_payment_requirements"
UNSUPPORTED_SCHEME = "unsupported_scheme"
INVALID_NETWORK = "invalid_network"
SCHEME_MISMATCH = "invalid_exact_evm_scheme"
NETWORK_MISMATCH = "invalid_exact_evm_network_mismatch"
ACCEPTED_MISMATCH = "invalid_exact_evm_accepted_mismatch"  # the sandbox's own
RECIPIENT_MISMATCH = "invalid_exact_evm_payload_recipient_mismatch"
VALUE_MISMATCH = "invalid_exact_evm_payload_authorization_value_mismatch"
VALID_AFTER = "invalid_exact_evm_payload_authorization_valid_after"
VALID_BEFORE = "invalid_exact_evm_payload_authorization_valid_before"
INVALID_SIGNATURE = "invalid_exact_evm_payload_signature"
NONCE_ALREADY_USED = "invalid_exact_evm_nonce_already_used"
INSUFFICIENT_FUNDS = "insufficient_funds"

Handler = Callable[[Request, SandboxState], Awaitable[Response]]

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_NONCE = re.compile(r"^0x[0-9a-fA-F]{64}$")
_SIGNATURE = re.compile(r"^0x[0-9a-fA-F]{130}$")
_DECIMAL = re.compile(r"^[0-9]{1,78}$")


class Refusal(Exception):
    def __init__(self, reason: str, message: str, payer: str | None = None) -> None:
        super().__init__(reason, message)
        self.reason, self.message, self.payer = reason, message, payer


@dataclass(frozen=True)
class Payment:
    """A payment that passed every check that does not depend on time or on the book."""

    payer: str
    pay_to: str
    amount: int
    authorization: dict[str, str]
    signature: str
    resource: str | None

    def same_as(self, settled: FacilitatorSettlement) -> bool:
        def norm(auth: dict[str, str]) -> dict[str, str]:
            return {k: v.lower() for k, v in auth.items()}

        return norm(self.authorization) == norm(settled.authorization) and (
            self.signature.lower() == settled.signature.lower()
        )


def supported() -> dict[str, Any]:
    # A kind's optional ``extra`` (v2 §7.3.1) is where an upto facilitator announces the address
    # clients bind into the permit's witness (scheme_upto_evm.md, "Facilitator Address Discovery").
    return {
        "kinds": [
            {"x402Version": 2, "scheme": SCHEME, "network": NETWORK},
            {"x402Version": 2, "scheme": "upto", "network": NETWORK, "extra": {"facilitatorAddress": SIGNER}},
        ],
        "extensions": [],
        "signers": {"eip155:*": [SIGNER]},
    }


# -- checks ------------------------------------------------------------------------------------


def _dict(value: Any, reason: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Refusal(reason, f"{what} must be a JSON object")
    return value


def _requirements(body: dict[str, Any]) -> dict[str, Any]:
    req = _dict(body.get("paymentRequirements"), INVALID_PAYMENT_REQUIREMENTS, "paymentRequirements")
    if req.get("scheme") != SCHEME:
        raise Refusal(
            UNSUPPORTED_SCHEME, f"scheme {req.get('scheme')!r} is not supported; only 'exact' and 'upto'"
        )
    if req.get("network") != NETWORK:
        raise Refusal(INVALID_NETWORK, f"network {req.get('network')!r} is not supported; only {NETWORK}")
    if str(req.get("asset", "")).lower() != ASSET:
        raise Refusal(INVALID_PAYMENT_REQUIREMENTS, f"asset {req.get('asset')!r} is not USDC on Base")
    if not isinstance(req.get("payTo"), str) or not _ADDRESS.match(req["payTo"]):
        raise Refusal(INVALID_PAYMENT_REQUIREMENTS, "payTo must be a 0x address")
    if not isinstance(req.get("amount"), str) or not _DECIMAL.match(req["amount"]):
        raise Refusal(INVALID_PAYMENT_REQUIREMENTS, "amount must be a decimal string of atomic units")
    return req


def _accepted(payload: dict[str, Any], req: dict[str, Any]) -> None:
    accepted = _dict(payload.get("accepted"), INVALID_PAYLOAD, "paymentPayload.accepted")
    if accepted.get("scheme") != req["scheme"]:
        raise Refusal(SCHEME_MISMATCH, f"accepted scheme {accepted.get('scheme')!r} is not {req['scheme']!r}")
    if accepted.get("network") != req["network"]:
        raise Refusal(
            NETWORK_MISMATCH, f"accepted network {accepted.get('network')!r} is not {req['network']!r}"
        )
    for name in ("asset", "payTo", "amount"):  # addresses compare case-insensitively
        ours, theirs = str(req[name]), str(accepted.get(name, ""))
        if theirs.lower() != ours.lower():
            raise Refusal(ACCEPTED_MISMATCH, f"accepted {name} {theirs!r} is not the required {ours!r}")


def _authorization(payload: dict[str, Any]) -> tuple[dict[str, str], str]:
    inner = _dict(payload.get("payload"), INVALID_PAYLOAD, "paymentPayload.payload")
    auth, signature = inner.get("authorization"), inner.get("signature")
    if not isinstance(auth, dict) or not isinstance(signature, str):
        raise Refusal(INVALID_PAYLOAD, "payload needs an EIP-3009 authorization and a signature")
    if set(auth) != set(AUTH_FIELDS) or not all(isinstance(auth[k], str) for k in AUTH_FIELDS):
        raise Refusal(INVALID_PAYLOAD, f"authorization must have exactly {list(AUTH_FIELDS)}, as strings")
    if not (_ADDRESS.match(auth["from"]) and _ADDRESS.match(auth["to"])):
        raise Refusal(INVALID_PAYLOAD, "authorization from and to must be 0x addresses")
    if not all(_DECIMAL.match(auth[k]) for k in ("value", "validAfter", "validBefore")):
        raise Refusal(
            INVALID_PAYLOAD, "value, validAfter and validBefore must be decimal strings", auth["from"]
        )
    if not _NONCE.match(auth["nonce"]):
        raise Refusal(INVALID_PAYLOAD, "nonce must be 32 bytes of 0x-prefixed hex", auth["from"])
    return {k: str(auth[k]) for k in AUTH_FIELDS}, signature


def static_checks(body: Any) -> Payment:
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
    _accepted(payload, req)
    auth, signature = _authorization(payload)
    payer = auth["from"]
    if auth["to"].lower() != req["payTo"].lower():
        raise Refusal(RECIPIENT_MISMATCH, f"authorization pays {auth['to']}, not payTo {req['payTo']}", payer)
    if int(auth["value"]) != int(req["amount"]):
        raise Refusal(VALUE_MISMATCH, f"authorization value {auth['value']} is not {req['amount']}", payer)
    if not _SIGNATURE.match(signature):
        raise Refusal(INVALID_SIGNATURE, "signature must be 65 bytes of 0x-prefixed hex", payer)
    digest = transfer_digest(auth, name=USDC_NAME, version=USDC_VERSION, chain_id=CHAIN_ID, contract=ASSET)
    try:
        signer = recover(digest, signature)
    except Exception as exc:  # malformed or non-canonical: USDC's ecrecover would refuse it too
        raise Refusal(INVALID_SIGNATURE, f"signature does not recover ({exc})", payer) from None
    if signer.lower() != payer.lower():
        raise Refusal(INVALID_SIGNATURE, f"signature is by {signer}, not the payer", payer)
    resource = payload.get("resource")
    url = resource.get("url") if isinstance(resource, dict) else None
    return Payment(
        payer=payer,
        pay_to=auth["to"],
        amount=int(auth["value"]),
        authorization=auth,
        signature=signature,
        resource=url if isinstance(url, str) else None,
    )


def live_checks(payment: Payment, state: SandboxState) -> None:
    """The checks that depend on now and on the book: validity window, nonce, balance."""
    now, book, payer = state.clock(), state.facilitator, payment.payer
    if int(payment.authorization["validBefore"]) < now + VALID_BEFORE_BUFFER_S:
        raise Refusal(VALID_BEFORE, "authorization has expired (or expires within seconds)", payer)
    if int(payment.authorization["validAfter"]) > now:
        raise Refusal(VALID_AFTER, "authorization is not valid yet", payer)
    if book.spent(payer, payment.authorization["nonce"]) is not None:
        raise Refusal(NONCE_ALREADY_USED, "this authorization nonce was already used", payer)
    if book.balance_units(payer) < payment.amount:
        raise Refusal(INSUFFICIENT_FUNDS, "the payer's USDC balance is below the amount", payer)


# -- routes ------------------------------------------------------------------------------------


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return None


def _upto(body: Any) -> bool:
    req = body.get("paymentRequirements") if isinstance(body, dict) else None
    return isinstance(req, dict) and req.get("scheme") == "upto"


def _network(body: Any) -> str:
    req = body.get("paymentRequirements") if isinstance(body, dict) else None
    network = req.get("network") if isinstance(req, dict) else None
    return network if isinstance(network, str) else NETWORK


def verify_refused(refusal: Refusal, status: int = 200) -> JSONResponse:
    """A payment that does not verify, as the spec's VerifyResponse."""
    out: dict[str, Any] = {
        "isValid": False,
        "invalidReason": refusal.reason,
        "invalidMessage": refusal.message,
    }
    if refusal.payer:
        out["payer"] = refusal.payer
    return JSONResponse(out, status_code=status)


def settle_refused(refusal: Refusal, body: Any, status: int = 200) -> JSONResponse:
    """A settlement refused, as the spec's SettleResponse (nothing moved)."""
    out: dict[str, Any] = {"success": False, "errorReason": refusal.reason, "errorMessage": refusal.message}
    if refusal.payer:
        out["payer"] = refusal.payer
    out.update({"transaction": "", "network": _network(body)})
    return JSONResponse(out, status_code=status)


async def supported_route(request: Request, state: SandboxState) -> Response:
    return JSONResponse(supported())


async def verify_route(request: Request, state: SandboxState) -> Response:
    body = await _body(request)
    state.facilitator.called("verify", body)
    if _upto(body):
        from venice_mcp.sandbox import facilitator_upto  # it builds on this module

        return facilitator_upto.verify(body, state)
    try:
        payment = static_checks(body)
        live_checks(payment, state)
    except Refusal as refusal:
        return verify_refused(refusal)
    return JSONResponse({"isValid": True, "payer": payment.payer})


def _settled(settlement: FacilitatorSettlement) -> JSONResponse:
    return JSONResponse(
        {
            "success": True,
            "payer": settlement.payer,
            "transaction": settlement.transaction,
            "network": settlement.network,
        }
    )


def _resubmitted(payment: Payment, earlier: FacilitatorSettlement) -> JSONResponse:
    if not payment.same_as(earlier):
        raise Refusal(NONCE_ALREADY_USED, "this authorization nonce was already used", payment.payer)
    earlier.submissions += 1
    return _settled(earlier)


async def settle_route(request: Request, state: SandboxState) -> Response:
    body = await _body(request)
    book = state.facilitator
    book.called("settle", body)
    if _upto(body):
        from venice_mcp.sandbox import facilitator_upto  # it builds on this module

        return facilitator_upto.settle(body, state)
    try:
        payment = static_checks(body)
        earlier = book.spent(payment.payer, payment.authorization["nonce"])
        if earlier is not None:  # before the clock and balance: a late retry must still succeed
            return _resubmitted(payment, earlier)
        live_checks(payment, state)
        key = f"{payment.payer.lower()}:{payment.authorization['nonce'].lower()}"
        ours = FacilitatorSettlement(
            payer=payment.payer,
            pay_to=payment.pay_to,
            amount=payment.amount,
            nonce=payment.authorization["nonce"],
            transaction="0x" + hashlib.sha256(b"facilitator-tx:" + key.encode()).hexdigest(),
            network=NETWORK,
            resource=payment.resource,
            signature=payment.signature,
            authorization=payment.authorization,
        )
        try:
            settled = book.settle(ours)
        except InsufficientFunds:  # spent elsewhere since live_checks (no await between: defensive)
            raise Refusal(
                INSUFFICIENT_FUNDS, "the payer's USDC balance is below the amount", payment.payer
            ) from None
        if settled is not ours:  # a concurrent settle of the same nonce won
            return _resubmitted(payment, settled)
        return _settled(settled)
    except Refusal as refusal:
        return settle_refused(refusal, body)


ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", PREFIX + "/supported", supported_route),
    ("POST", PREFIX + "/verify", verify_route),
    ("POST", PREFIX + "/settle", settle_route),
)

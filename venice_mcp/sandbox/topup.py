"""x402 wallet routes: POST /x402/top-up (discovery and settlement), GET /x402/balance/{wallet},
GET /x402/transactions/{wallet} (venice-api.md §6.4 (d), §6.5, §6.6).

Settlement checks a payment as strictly as USDC's ``transferWithAuthorization`` would, with this
module's own EIP-712 encoding (keccak + ABI by hand, recovery with eth_keys): nothing here comes
from venice_mcp.payments, so a bug shared by payer and verifier cannot hide. Both payload shapes
Venice accepts are decoded (v1-style ``{x402Version, scheme, network, payload}`` as Venice's own
client sends it, and v2 ``{accepted, payload}``), from ``PAYMENT-SIGNATURE``, ``X-402-Payment`` or
``X-PAYMENT``. A payment is credited once per (payer, authorization nonce); a resubmission gets
the same ``paymentId`` and credits nothing. Nothing settles on-chain: the transaction hash is fake.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any

from starlette.responses import JSONResponse, Response

from venice_mcp.sandbox import siwx, x402
from venice_mcp.sandbox.context import Context
from venice_mcp.sandbox.errors import VeniceError, error
from venice_mcp.sandbox.topup_state import Settlement

PATH = "/x402/top-up"
PAYMENT_HEADERS = ("payment-signature", "x-402-payment", "x-payment")
SIWX_HEADERS = ("sign-in-with-x", "x-sign-in-with-x")
BASE_ALIASES = frozenset({"base", "eip155:8453"})
CHAIN_ID = 8453
USDC_NAME, USDC_VERSION = "USD Coin", "2"
MIN_UNITS = x402.MINIMUM_TOP_UP_USD * 1_000_000
MAX_UNITS = 10_000 * 1_000_000
# A facilitator wants a few seconds of validity left to land the transfer.
VALID_BEFORE_BUFFER_S = 6
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
AUTH_FIELDS = ("from", "to", "value", "validAfter", "validBefore", "nonce")

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_NONCE = re.compile(r"^0x[0-9a-fA-F]{64}$")
_SIGNATURE = re.compile(r"^0x[0-9a-fA-F]{130}$")
_DECIMAL = re.compile(r"^[0-9]{1,78}$")


def reject(status: int, code: str, message: str, **details: Any) -> VeniceError:
    """Top-up errors carry the CODE in ``error`` and prose in ``message`` (venice-api.md §6.5)."""
    body: dict[str, Any] = {"error": code, "message": message}
    if details:
        body["details"] = details
    return VeniceError(status, body)


def discovery() -> dict[str, Any]:
    return {
        "x402Version": 2,
        "accepts": x402.accepts(x402.MINIMUM_TOP_UP_USD, solana_network=x402.SOLANA_MAINNET),
    }


# -- EIP-712 by hand ---------------------------------------------------------------------------


def _keccak(data: bytes) -> bytes:
    from eth_utils.crypto import keccak

    return bytes(keccak(data))


def transfer_digest(auth: dict[str, str], *, name: str, version: str, chain_id: int, contract: str) -> bytes:
    """keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(TransferWithAuthorization))."""
    from eth_abi.abi import encode

    domain_type = _keccak(
        b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    )
    separator = _keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [domain_type, _keccak(name.encode()), _keccak(version.encode()), chain_id, contract.lower()],
        )
    )
    struct_type = _keccak(
        b"TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,"
        b"uint256 validBefore,bytes32 nonce)"
    )
    struct = _keccak(
        encode(
            ["bytes32", "address", "address", "uint256", "uint256", "uint256", "bytes32"],
            [
                struct_type,
                auth["from"].lower(),
                auth["to"].lower(),
                int(auth["value"]),
                int(auth["validAfter"]),
                int(auth["validBefore"]),
                bytes.fromhex(auth["nonce"][2:]),
            ],
        )
    )
    return _keccak(b"\x19\x01" + separator + struct)


def recover(digest: bytes, signature: str) -> str:
    """The signer of a strict 65-byte r‖s‖v signature (v 27/28, low s), or raise."""
    from eth_keys.datatypes import Signature

    raw = bytes.fromhex(signature[2:])
    r, s, v = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big"), raw[64]
    if v not in (27, 28):
        raise ValueError("v must be 27 or 28")
    if not (0 < s <= SECP256K1_N // 2) or not (0 < r < SECP256K1_N):
        raise ValueError("s must be in the lower half of the curve order")
    public = Signature(vrs=(v - 27, r, s)).recover_public_key_from_msg_hash(digest)
    return str(public.to_checksum_address())


# -- settlement --------------------------------------------------------------------------------


def _decode(header: str) -> dict[str, Any]:
    text = header.strip()
    try:
        payload = json.loads(base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise reject(400, "INVALID_PAYMENT_FORMAT", "Payment header is not base64-encoded JSON") from None
    if not isinstance(payload, dict):
        raise reject(400, "INVALID_PAYMENT_FORMAT", "Payment header is not a JSON object")
    return payload


def _parts(payload: dict[str, Any]) -> tuple[str, str, dict[str, Any], dict[str, Any] | None]:
    """(scheme, network, inner payload, accepted-or-None) of either shape."""
    if payload.get("x402Version") not in (1, 2):
        raise reject(400, "INVALID_PAYMENT_FORMAT", "Unsupported x402Version")
    accepted = payload.get("accepted")
    if isinstance(accepted, dict):  # x402 v2 PaymentPayload
        scheme, network = accepted.get("scheme"), accepted.get("network")
    else:  # v1-style envelope (venice-x402-client, x402-fetch)
        accepted = None
        scheme, network = payload.get("scheme"), payload.get("network")
    inner = payload.get("payload")
    if not isinstance(inner, dict):
        raise reject(400, "INVALID_PAYMENT_FORMAT", "Payment payload is missing")
    return str(scheme), str(network), inner, accepted


def _check(
    scheme: str, network: str, inner: dict[str, Any], accepted: dict[str, Any] | None
) -> dict[str, str]:
    if scheme != "exact":
        raise reject(400, "UNSUPPORTED_SCHEME", "Only the 'exact' scheme is supported")
    if network.lower() not in BASE_ALIASES:
        raise reject(400, "UNSUPPORTED_NETWORK", f"Unsupported network: {network}")
    if accepted is not None:
        if str(accepted.get("asset", "")).lower() != x402.BASE_USDC:
            raise reject(400, "UNSUPPORTED_TOKEN", "Only USDC on Base is accepted")
        if str(accepted.get("payTo", "")).lower() != x402.BASE_PAY_TO:
            raise reject(400, "INVALID_PAYMENT_RECIPIENT", "Payment recipient does not match")
    auth = inner.get("authorization")
    signature = inner.get("signature")
    if not isinstance(auth, dict) or not isinstance(signature, str):
        raise reject(400, "INVALID_PAYMENT_FORMAT", "Payment needs an authorization and a signature")
    if set(auth) != set(AUTH_FIELDS) or not all(isinstance(auth[k], str) for k in AUTH_FIELDS):
        raise reject(
            400, "INVALID_PAYMENT_FORMAT", "Authorization fields must be the six EIP-3009 fields, as strings"
        )
    if not _ADDRESS.match(auth["from"]):
        raise reject(400, "INVALID_PAYMENT_PAYER", "Invalid payer address")
    if not _ADDRESS.match(auth["to"]) or auth["to"].lower() != x402.BASE_PAY_TO:
        raise reject(400, "INVALID_PAYMENT_RECIPIENT", "Payment recipient does not match")
    if not all(_DECIMAL.match(auth[k]) for k in ("value", "validAfter", "validBefore")):
        raise reject(400, "INVALID_AMOUNT", "value, validAfter and validBefore must be decimal strings")
    if not _NONCE.match(auth["nonce"]):
        raise reject(400, "INVALID_PAYMENT_FORMAT", "nonce must be 32 bytes of 0x-prefixed hex")
    value = int(auth["value"])
    if value < MIN_UNITS:
        raise reject(400, "AMOUNT_TOO_LOW", f"Minimum top-up is ${x402.MINIMUM_TOP_UP_USD}")
    if value > MAX_UNITS:
        raise reject(400, "AMOUNT_TOO_HIGH", "Maximum top-up is $10000")
    if not _SIGNATURE.match(signature):
        raise reject(400, "PAYMENT_VERIFICATION_FAILED", "Signature must be 65 bytes of 0x-prefixed hex")
    digest = transfer_digest(
        auth, name=USDC_NAME, version=USDC_VERSION, chain_id=CHAIN_ID, contract=x402.BASE_USDC
    )
    try:
        signer = recover(digest, signature)
    except Exception as exc:  # malformed or non-canonical: USDC's ecrecover would refuse it too
        raise reject(400, "PAYMENT_VERIFICATION_FAILED", f"Invalid payment signature ({exc})") from None
    if signer.lower() != auth["from"].lower():
        raise reject(400, "PAYMENT_VERIFICATION_FAILED", "Payment signature does not match the payer")
    return {k: str(auth[k]) for k in AUTH_FIELDS}


def _ok(state: Any, settlement: Settlement) -> JSONResponse:
    receipt = {
        "success": True,
        "network": x402.BASE_NETWORK,
        "payer": settlement.payer,
        "transaction": settlement.transaction,
    }
    body = {
        "success": True,
        "data": {
            "walletAddress": settlement.payer,
            "amountCredited": settlement.credited_usd,
            "newBalance": state.balance(settlement.payer),
            "paymentId": settlement.payment_id,
        },
    }
    return JSONResponse(body, headers={"PAYMENT-RESPONSE": x402.encode_header(receipt)})


async def top_up(ctx: Context) -> Response:
    headers = {k.lower(): v for k, v in ctx.request.headers.items()}
    found = next(((n, headers[n]) for n in PAYMENT_HEADERS if headers.get(n)), None)
    if found is None:
        required = discovery()
        return JSONResponse(
            required, status_code=402, headers={"PAYMENT-REQUIRED": x402.encode_header(required)}
        )
    state, book = ctx.state, ctx.state.topups
    payload = _decode(found[1])
    scheme, network, inner, accepted = _parts(payload)
    raw_auth: dict[str, Any] = inner["authorization"] if isinstance(inner.get("authorization"), dict) else {}
    book.submitted(
        {
            "header": found[0],
            "shape": "x402v2" if accepted is not None else "venice",
            "from": raw_auth.get("from"),
            "nonce": raw_auth.get("nonce"),
            "value": raw_auth.get("value"),
        }
    )
    faults = book.faults
    if faults.take("rate_limited"):
        extra = {"retry-after": f"{faults.retry_after:g}"} if faults.retry_after is not None else {}
        raise VeniceError(429, {"error": "Rate limit exceeded. Please try again later."}, extra)
    if faults.take("in_progress"):
        raise reject(409, "PAYMENT_IN_PROGRESS", "This payment is still settling; retry shortly")
    auth = _check(scheme, network, inner, accepted)
    key = f"{auth['from'].lower()}:{auth['nonce'].lower()}"
    settlement = book.settlements.get(key)
    if settlement is not None:  # credited at most once, however often it is submitted
        settlement.submissions += 1
    else:
        settlement = _settle(state, auth, key)
    # Faults that lose the answer after the payment was processed (new or already settled).
    if faults.take("timeout_after_credit"):
        raise reject(
            504, "SETTLEMENT_TIMEOUT", "Settlement timed out; the transfer may still land. Check the balance."
        )
    if faults.take("drop_after_credit"):
        from venice_mcp.sandbox.app import _Dropped

        return _Dropped()
    if faults.take("hang_after_credit"):
        await book.hang()
    return _ok(state, settlement)


def _settle(state: Any, auth: dict[str, str], key: str) -> Settlement:
    now = state.clock()
    if int(auth["validAfter"]) >= now:
        raise reject(400, "PAYMENT_VERIFICATION_FAILED", "Authorization is not valid yet (validAfter)")
    if int(auth["validBefore"]) < now + VALID_BEFORE_BUFFER_S:
        raise reject(400, "PAYMENT_VERIFICATION_FAILED", "Authorization has expired (validBefore)")
    if state.topups.faults.take("settlement_failed"):
        raise reject(402, "SETTLEMENT_FAILED", "Settlement failed; no funds were transferred")
    usd = int(auth["value"]) / 1_000_000
    digest = hashlib.sha256(key.encode()).hexdigest()
    settlement = Settlement(
        payment_id="x402-" + digest[:32],
        payer=auth["from"],
        nonce=auth["nonce"],
        value=int(auth["value"]),
        transaction="0x" + hashlib.sha256(b"tx:" + key.encode()).hexdigest(),
        credited_usd=usd,
    )
    state.topups.settlements[key] = settlement
    state.credit(auth["from"], usd)
    return settlement


# -- wallet reads ------------------------------------------------------------------------------


def _signed_in_wallet(ctx: Context, what: str) -> str:
    """The path wallet, once the SIWX signer is shown to be it (402 / 401 / 403 otherwise)."""
    headers = {k.lower(): v for k, v in ctx.request.headers.items()}
    wallet = str(ctx.request.path_params.get("wallet", ""))
    host = headers.get("host", "api.venice.ai")
    url = f"{ctx.request.url.scheme}://{host}/api/v1{ctx.request.url.path.split('/api/v1', 1)[-1]}"
    proof = next((headers[n] for n in SIWX_HEADERS if headers.get(n)), None)
    if proof is None:
        required = x402.payment_required("Authentication required", host, url, ctx.state.clock())
        required["accepts"] = []
        body = {**required, "authOptions": x402.AUTH_OPTIONS}
        raise VeniceError(402, body, {"PAYMENT-REQUIRED": x402.encode_header(required)})
    if not _ADDRESS.match(wallet):
        raise error(
            400, "Invalid request parameters", details={"walletAddress": {"_errors": ["Invalid address"]}}
        )
    try:
        address, nonce = siwx.verify(
            proof, host=host, now=ctx.state.clock(), extra_domains=frozenset(ctx.state.extra_domains)
        )
    except VeniceError:
        raise error(401, "Invalid Sign-in-with-x signature") from None
    if not ctx.state.use_nonce(address, nonce):
        raise error(401, "Invalid Sign-in-with-x signature")
    if address.lower() != wallet.lower():
        raise error(403, f"You can only access {what} for your own wallet")
    return address


async def balance(ctx: Context) -> Response:
    wallet = _signed_in_wallet(ctx, "balance")
    state = ctx.state
    credit = state.balance(wallet)
    diem = state.diem.get(wallet.lower())
    data: dict[str, Any] = {
        "walletAddress": wallet,
        "balanceUsd": credit,
        "canConsume": credit >= state.minimum_balance_usd or bool(diem),
        "minimumTopUpUsd": x402.MINIMUM_TOP_UP_USD,
        "suggestedTopUpUsd": x402.SUGGESTED_TOP_UP_USD,
    }
    if diem:
        data["diemBalanceUsd"] = diem
    return JSONResponse({"success": True, "data": data})


def _int_query(ctx: Context, name: str, default: int, lo: int, hi: int | None) -> int:
    raw = ctx.request.query_params.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]+", raw) or int(raw) < lo or (hi is not None and int(raw) > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise error(
            400,
            "Invalid request parameters",
            details={name: {"_errors": [f"{name} must be an integer {bound}"]}},
        )
    return int(raw)


async def transactions(ctx: Context) -> Response:
    wallet = _signed_in_wallet(ctx, "transaction history")
    limit = _int_query(ctx, "limit", 50, 1, 100)
    offset = _int_query(ctx, "offset", 0, 0, None)
    rows = list(reversed(ctx.state.ledger(wallet)))  # newest first
    page = rows[offset : offset + limit]
    data = {
        "walletAddress": wallet,
        "currentBalance": ctx.state.balance(wallet),
        "transactions": page,
        "pagination": {"limit": limit, "offset": offset, "hasMore": offset + limit < len(rows)},
    }
    return JSONResponse({"success": True, "data": data})

"""The wallet payer: x402 top-ups of Venice credit, in USDC on Base, under limits the agent cannot raise.

One top-up, start to finish:

1. discovery: ``POST /x402/top-up`` with no payment header; Venice answers 402 with its payment
   requirements (``accepts[]``), from the configured Venice origin only;
2. the Base entry is checked against pinned values (scheme ``exact``, ``eip155:8453``, the USDC
   contract, EIP-712 domain "USD Coin"/"2", a well-formed ``payTo`` taken from that answer, the
   amount at least Venice's minimum and within the configured limits) and refused otherwise;
3. an EIP-3009 ``transferWithAuthorization`` is signed as EIP-712 through the Signer protocol;
4. the signed header is committed to the ledger as ``pending`` (inside the same BEGIN IMMEDIATE
   transaction that checks the rolling 24 h limit) BEFORE it is sent;
5. it is sent; after an ambiguous outcome (timeout, dropped connection, 5xx such as
   ``504 SETTLEMENT_TIMEOUT``, ``409 PAYMENT_IN_PROGRESS``) the SAME header is resubmitted, with
   backoff and a bound: Venice credits one signed payment at most once and answers a resubmission
   with the same ``paymentId``. A new authorization is never signed for the same intent.

At server start, payments left ``pending``/``unknown`` are resubmitted first (``reconcile``),
except those another live payer sharing the ledger is sending right now (its lease on the row; see
ledger.py). If reconciling settles an earlier top-up, no new payment is signed in that call: the
credit it needed has just arrived. This module knows nothing of MCP; the tools and the client's
auto top-up hook call into it.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import logging
import os
import re
import time
import uuid
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import anyio

from venice_mcp.api import errors
from venice_mcp.api.client import VeniceClient
from venice_mcp.api.retry import backoff
from venice_mcp.config import Settings
from venice_mcp.payments.ledger import DAY_S, LEASE_S, Ledger, NewPayment, new_owner, retire_owner
from venice_mcp.payments.signer import Signer

log = logging.getLogger(__name__)

# Pinned mainnet values (DESIGN §5.2). The sandbox advertises the same ones.
BASE_CHAIN_ID = 8453
BASE_NETWORK = "eip155:8453"
NETWORK_ALIASES = frozenset({"eip155:8453", "base"})
USDC_BASE = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
USDC_NAME = "USD Coin"
USDC_VERSION = "2"
USDC_DECIMALS = 6
UNITS_PER_USD = 1_000_000  # 10 ** USDC_DECIMALS
PINNED_DOMAIN: dict[str, Any] = {
    "name": USDC_NAME,
    "version": USDC_VERSION,
    "chainId": BASE_CHAIN_ID,
    "verifyingContract": USDC_BASE,
}
VENICE_MIN_TOPUP_USD = 5.0
VENICE_MAX_TOPUP_USD = 10_000.0

TOPUP_PATH = "/x402/top-up"
HEADER_VENICE = "X-402-Payment"  # what venice-x402-client 0.2.0 sends
HEADER_V2 = "PAYMENT-SIGNATURE"  # canonical x402 v2
# venice-x402-client parity: validAfter = now - 600, validBefore = now + maxTimeoutSeconds. The
# validity is capped: a signed authorization is a bearer instrument until validBefore.
VALID_AFTER_SKEW_S = 600
MAX_VALIDITY_S = 600
# One send plus three resubmissions of the same header, with backoff between them.
MAX_SUBMISSIONS = 4
RESUBMIT_BASE_DELAY_S = 1.0
SECP256K1_HALF_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141 // 2

# Matched with fullmatch: ``$`` would let a trailing newline through.
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_UNITS = re.compile(r"[0-9]{1,30}")
# The one 503 that proves a top-up was not processed: x402 is not configured at this origin.
NOT_CONFIGURED_CODE = "X402_NOT_CONFIGURED"

PaymentShape = Literal["venice", "x402v2"]
Reason = Literal["manual", "auto"]

TRANSFER_TYPES: dict[str, list[dict[str, str]]] = {
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


# -- errors ------------------------------------------------------------------------------------


class PaymentError(errors.VeniceError):
    """A top-up that did not happen (or whose outcome is not known); the text is agent-ready."""

    status_word = "error"

    def agent_message(self) -> str:
        return str(self)


class PaymentRefused(PaymentError):
    """Refused before anything was signed or sent: requirements or limits do not allow it."""

    status_word = "refused"


class PaymentFailed(PaymentError):
    """Venice refused the signed payment before any money moved."""

    status_word = "failed"


class PaymentUnknown(PaymentError):
    """The payment may or may not have settled; it is stored and will be resubmitted, never re-signed."""

    status_word = "unknown"


# -- amounts -----------------------------------------------------------------------------------


def usd_to_units(usd: float) -> int:
    return round(usd * UNITS_PER_USD)


def units_to_usd(units: int | str) -> float:
    return int(units) / UNITS_PER_USD


def fmt_usd(usd: float) -> str:
    return f"${usd:,.2f}"


# -- requirements ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """One checked ``accepts[]`` entry: USDC on Base, paid to ``pay_to``, at least ``min_units``."""

    raw: dict[str, Any]
    min_units: int
    pay_to: str
    asset: str
    max_timeout_s: int
    name: str
    version: str

    @property
    def min_usd(self) -> float:
        return units_to_usd(self.min_units)


def decode_b64_json(value: str) -> Any:
    """base64 (standard alphabet, padding optional) of UTF-8 JSON."""
    text = value.strip()
    try:
        return json.loads(base64.b64decode(text + "=" * (-len(text) % 4)).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def encode_b64_json(obj: Any) -> str:
    return base64.b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode()


def check_requirement(entry: Any) -> Requirement:
    """Check one ``accepts[]`` entry against the pinned Base USDC values; raise PaymentRefused."""
    if not isinstance(entry, dict):
        raise PaymentRefused("a payment option is not a JSON object")
    network = entry.get("network")
    if not isinstance(network, str) or network.strip().lower() not in NETWORK_ALIASES:
        raise PaymentRefused(f"network {network!r} is not Base mainnet ({BASE_NETWORK})")
    if entry.get("scheme") != "exact":
        raise PaymentRefused(f"scheme {entry.get('scheme')!r} is not 'exact'")
    asset = entry.get("asset")
    if not isinstance(asset, str) or asset.lower() != USDC_BASE.lower():
        raise PaymentRefused(f"asset {asset!r} is not USDC on Base ({USDC_BASE})")
    extra = entry.get("extra")
    if not isinstance(extra, dict):
        raise PaymentRefused("the payment option has no EIP-712 domain ('extra')")
    if extra.get("name") != USDC_NAME or extra.get("version") != USDC_VERSION:
        raise PaymentRefused(
            f"EIP-712 domain {extra.get('name')!r}/{extra.get('version')!r} is not USDC's "
            f"{USDC_NAME!r}/{USDC_VERSION!r} on Base"
        )
    if extra.get("assetTransferMethod") not in (None, "eip3009"):
        raise PaymentRefused(f"transfer method {extra.get('assetTransferMethod')!r} is not EIP-3009")
    pay_to = entry.get("payTo")
    if not isinstance(pay_to, str) or not _ADDRESS.fullmatch(pay_to) or int(pay_to, 16) == 0:
        raise PaymentRefused(f"payTo {pay_to!r} is not a valid address")
    amount = entry.get("amount", entry.get("maxAmountRequired"))
    if isinstance(amount, int) and not isinstance(amount, bool):
        amount = str(amount)
    if not isinstance(amount, str) or not _UNITS.fullmatch(amount) or int(amount) <= 0:
        raise PaymentRefused(f"amount {amount!r} is not a positive number of USDC base units")
    timeout = entry.get("maxTimeoutSeconds", 300)
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0:
        raise PaymentRefused(f"maxTimeoutSeconds {timeout!r} is not a positive integer")
    return Requirement(
        raw=entry,
        min_units=int(amount),
        pay_to=pay_to,
        asset=asset,
        max_timeout_s=timeout,
        name=str(extra["name"]),
        version=str(extra["version"]),
    )


def select_requirement(payment_required: Any) -> Requirement:
    """The Base USDC option of a discovery answer; refuse with every reason when there is none."""
    accepts = payment_required.get("accepts") if isinstance(payment_required, dict) else None
    if not isinstance(accepts, list) or not accepts:
        raise PaymentRefused("Venice's top-up answer carried no payment requirements; nothing was paid.")
    base = [
        a
        for a in accepts
        if isinstance(a, dict) and str(a.get("network", "")).strip().lower() in NETWORK_ALIASES
    ]
    reasons: list[str] = []
    for entry in base or accepts:
        try:
            return check_requirement(entry)
        except PaymentRefused as exc:
            reasons.append(str(exc))
    raise PaymentRefused(
        "Refusing to pay: Venice's payment requirements are not USDC on Base as pinned ("
        + "; ".join(reasons)
        + "). Nothing was signed."
    )


def eip712_domain(req: Requirement) -> dict[str, Any]:
    """The signing domain, from the requirement's ``extra``, checked against the pinned USDC domain."""
    domain = {
        "name": req.name,
        "version": req.version,
        "chainId": BASE_CHAIN_ID,
        "verifyingContract": req.asset,
    }
    check_domain(domain)
    return domain


def check_domain(domain: dict[str, Any]) -> None:
    pinned = PINNED_DOMAIN
    ok = (
        domain.get("name") == pinned["name"]
        and domain.get("version") == pinned["version"]
        and domain.get("chainId") == pinned["chainId"]
        and str(domain.get("verifyingContract", "")).lower() == str(pinned["verifyingContract"]).lower()
    )
    if not ok:
        raise PaymentRefused(
            f"Refusing to sign for EIP-712 domain {domain!r}: only USDC on Base mainnet "
            f"({USDC_NAME!r}, version {USDC_VERSION!r}, chain {BASE_CHAIN_ID}, {USDC_BASE}) is allowed."
        )


# -- signing -----------------------------------------------------------------------------------


def authorization(
    sender: str, req: Requirement, value_units: int, *, now: int, nonce: bytes
) -> dict[str, str]:
    """The six EIP-3009 fields, every one a JSON string (decimal integers, 0x-hex nonce)."""
    if len(nonce) != 32:
        raise ValueError("an EIP-3009 nonce is 32 bytes")
    validity = min(req.max_timeout_s, MAX_VALIDITY_S)
    return {
        "from": sender,
        "to": req.pay_to,
        "value": str(value_units),
        "validAfter": str(max(0, now - VALID_AFTER_SKEW_S)),
        "validBefore": str(now + validity),
        "nonce": "0x" + nonce.hex(),
    }


def typed_data(domain: dict[str, Any], auth: dict[str, str]) -> dict[str, Any]:
    """EIP-712 ``TransferWithAuthorization`` for ``auth`` under ``domain`` (checked against the pin)."""
    check_domain(domain)
    return {
        "types": TRANSFER_TYPES,
        "primaryType": "TransferWithAuthorization",
        "domain": domain,
        "message": {
            "from": auth["from"],
            "to": auth["to"],
            "value": int(auth["value"]),
            "validAfter": int(auth["validAfter"]),
            "validBefore": int(auth["validBefore"]),
            "nonce": bytes.fromhex(auth["nonce"].removeprefix("0x")),
        },
    }


def sign_authorization(signer: Signer, domain: dict[str, Any], auth: dict[str, str]) -> str:
    """Sign through the Signer protocol; the result is 65 bytes, v 27/28, low-s (as USDC requires)."""
    signature = signer.sign_typed_data(typed_data(domain, auth))
    raw = bytes.fromhex(signature.removeprefix("0x"))
    if len(raw) != 65:
        raise PaymentRefused("the signer returned a signature that is not 65 bytes; nothing was sent")
    v = raw[64]
    if v in (0, 1):  # some signers (hardware, HSM) give 0/1; USDC's ecrecover wants 27/28
        raw = raw[:64] + bytes([v + 27])
    if raw[64] not in (27, 28) or int.from_bytes(raw[32:64], "big") > SECP256K1_HALF_N:
        raise PaymentRefused("the signer returned a non-canonical signature; nothing was sent")
    return "0x" + raw.hex()


def payment_payload(
    shape: PaymentShape,
    req: Requirement,
    auth: dict[str, str],
    signature: str,
    resource: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    """(header name, JSON payload) in the chosen shape.

    ``venice``: byte-for-byte what ``venice-x402-client`` 0.2.0 sends (npm ``x402`` 1.x
    ``createPaymentHeader(signer, 2, …)``): the v1 envelope stamped ``x402Version: 2`` with
    ``network: "base"``, in ``X-402-Payment``. ``x402v2``: the v2 ``PaymentPayload`` with the chosen
    ``accepts[]`` entry echoed verbatim in ``accepted`` (its amount is Venice's minimum; the signed
    value may be larger), in ``PAYMENT-SIGNATURE``.
    """
    inner = {"signature": signature, "authorization": auth}
    if shape == "x402v2":
        payload: dict[str, Any] = {"x402Version": 2}
        if resource:
            payload["resource"] = resource
        payload["accepted"] = req.raw
        payload["payload"] = inner
        return HEADER_V2, payload
    return HEADER_VENICE, {"x402Version": 2, "scheme": "exact", "network": "base", "payload": inner}


@dataclass(frozen=True)
class SignedPayment:
    header_name: str
    header: str
    nonce: str
    value_units: int
    valid_before: int
    pay_to: str


def sign_payment(
    signer: Signer,
    req: Requirement,
    value_units: int,
    *,
    shape: PaymentShape = "venice",
    resource: dict[str, Any] | None = None,
    now: int | None = None,
    nonce: bytes | None = None,
) -> SignedPayment:
    """Sign one top-up of ``value_units`` for ``req`` and encode its payment header."""
    now = int(time.time()) if now is None else now
    auth = authorization(signer.address, req, value_units, now=now, nonce=nonce or os.urandom(32))
    signature = sign_authorization(signer, eip712_domain(req), auth)
    name, payload = payment_payload(shape, req, auth, signature, resource)
    return SignedPayment(
        header_name=name,
        header=encode_b64_json(payload),
        nonce=auth["nonce"],
        value_units=value_units,
        valid_before=int(auth["validBefore"]),
        pay_to=req.pay_to,
    )


# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopUpResult:
    intent_id: str
    status: str  # settled
    amount_usd: float
    credited_usd: float | None
    new_balance_usd: float | None
    payment_id: str | None
    transaction: str | None
    submissions: int
    reason: Reason
    # False when no payment was signed in this call: reconciling settled this earlier top-up first.
    new_payment: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "new_payment": self.new_payment,
            "intent_id": self.intent_id,
            "amount_usd": self.amount_usd,
            "credited_usd": self.credited_usd,
            "new_balance_usd": self.new_balance_usd,
            "payment_id": self.payment_id,
            "transaction": self.transaction,
            "submissions": self.submissions,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class WalletBalance:
    address: str
    balance_usd: float | None
    can_consume: bool | None
    diem_usd: float | None
    minimum_top_up_usd: float | None
    suggested_top_up_usd: float | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class Limits:
    max_topup_usd: float
    daily_topup_usd: float
    topped_up_24h_usd: float
    auto_topup: bool
    auto_amount_usd: float
    max_call_usd: float

    @property
    def remaining_24h_usd(self) -> float:
        return max(0.0, self.daily_topup_usd - self.topped_up_24h_usd)

    def as_dict(self) -> dict[str, Any]:
        return {
            "max_topup_usd": self.max_topup_usd,
            "daily_topup_usd": self.daily_topup_usd,
            "topped_up_24h_usd": round(self.topped_up_24h_usd, 6),
            "remaining_24h_usd": round(self.remaining_24h_usd, 6),
            "auto_topup": self.auto_topup,
            "auto_topup_amount_usd": self.auto_amount_usd,
            "max_call_usd": self.max_call_usd,
        }


# -- the payer ---------------------------------------------------------------------------------


class Payer:
    """Tops up one wallet's Venice credit under the configured limits; see the module docstring."""

    def __init__(
        self,
        client: VeniceClient,
        signer: Signer,
        ledger: Ledger,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        new_nonce: Callable[[], bytes] = lambda: os.urandom(32),
    ) -> None:
        self.client = client
        self.signer = signer
        self.ledger = ledger
        self.settings = settings
        self.clock = clock
        self.new_nonce = new_nonce
        # Serializes top-ups in this process (the ledger transaction serializes across processes).
        self._lock = anyio.Lock()
        # Bumped on every settled top-up: a call that met a 402 while another call was paying
        # retries on that credit instead of paying again.
        self._generation = 0
        # This payer's lease id on the payment rows it sends (other payers may share the ledger).
        self.owner = new_owner()
        weakref.finalize(self, retire_owner, self.owner)

    @property
    def address(self) -> str:
        return self.signer.address

    @property
    def origin(self) -> str:
        return self.client.base_url

    # -- limits --------------------------------------------------------------------------------

    async def limits(self) -> Limits:
        s = self.settings
        return Limits(
            max_topup_usd=s.max_topup_usd,
            daily_topup_usd=s.daily_topup_usd,
            topped_up_24h_usd=await self.ledger.topups_since(self.clock() - DAY_S, wallet=self.address),
            auto_topup=s.auto_topup,
            auto_amount_usd=min(s.topup_amount_usd, s.max_topup_usd),
            max_call_usd=s.max_call_usd,
        )

    async def has_open_payments(self) -> bool:
        """Is a payment of this origin still of unknown outcome (it counts against the limit)?"""
        return bool(await self.ledger.open_payments(origin=self.origin, since=self.clock() - DAY_S))

    async def check_amount(self, amount_usd: float, *, daily: bool = True) -> None:
        """Refuse, before any network work, an amount the configured limits cannot allow.

        ``daily=False`` leaves the rolling 24 h check to after reconciling: a payment of unknown
        outcome counts against it until resolved, and may turn out never to have moved money."""
        s = self.settings
        if not amount_usd > 0:
            raise PaymentRefused("The top-up amount must be a positive number of US dollars.")
        if amount_usd > s.max_topup_usd + 1e-9:
            raise PaymentRefused(
                f"Refused: {fmt_usd(amount_usd)} is above the per-top-up limit of {fmt_usd(s.max_topup_usd)} "
                "set by VENICE_MCP_MAX_TOPUP_USD (only the server's owner can change it). Nothing was paid."
            )
        if amount_usd > VENICE_MAX_TOPUP_USD:
            raise PaymentRefused(
                f"Refused: Venice accepts at most {fmt_usd(VENICE_MAX_TOPUP_USD)} per top-up."
            )
        if amount_usd < VENICE_MIN_TOPUP_USD - 1e-9:
            raise PaymentRefused(
                f"Refused: Venice's minimum top-up is {fmt_usd(VENICE_MIN_TOPUP_USD)}; "
                f"{fmt_usd(amount_usd)} is below it. Nothing was paid."
            )
        if not daily:
            return
        limits = await self.limits()
        if amount_usd > limits.remaining_24h_usd + 1e-9:
            raise self._daily_refusal(amount_usd, limits.topped_up_24h_usd)

    def _daily_refusal(self, amount_usd: float, used: float) -> PaymentRefused:
        limit = self.settings.daily_topup_usd
        return PaymentRefused(
            f"Refused: a {fmt_usd(amount_usd)} top-up would exceed the rolling 24-hour limit of "
            f"{fmt_usd(limit)} set by VENICE_MCP_DAILY_TOPUP_USD ({fmt_usd(used)} already topped up "
            f"in the last 24 hours, {fmt_usd(max(0.0, limit - used))} left). Nothing was paid."
        )

    def auto_amount(self, venice_minimum_usd: float = VENICE_MIN_TOPUP_USD) -> float:
        """What one automatic top-up pays: the configured amount, within the per-top-up limit,
        and at least Venice's minimum; refused when the limits do not allow the minimum."""
        s = self.settings
        amount = max(min(s.topup_amount_usd, s.max_topup_usd), venice_minimum_usd)
        if amount > s.max_topup_usd + 1e-9:
            raise PaymentRefused(
                f"Automatic top-up cannot pay: Venice's minimum top-up is {fmt_usd(venice_minimum_usd)} "
                f"but VENICE_MCP_MAX_TOPUP_USD is {fmt_usd(s.max_topup_usd)}. The owner must raise it."
            )
        return amount

    # -- Venice reads --------------------------------------------------------------------------

    async def discover(self) -> tuple[Any, dict[str, Any] | None]:
        """POST /x402/top-up without a payment header: Venice's 402 with the requirements."""
        try:
            response = await self.client.request(
                "POST", TOPUP_PATH, kind="fast", auth="none", idempotency="never", allow_top_up=False
            )
        except errors.PaymentRequiredError as exc:
            required = exc.body if isinstance(exc.body, dict) and "accepts" in exc.body else None
            if required is None and exc.headers.get("payment-required"):
                required = decode_b64_json(exc.headers["payment-required"])
            resource = required.get("resource") if isinstance(required, dict) else None
            return required, resource if isinstance(resource, dict) else None
        raise PaymentRefused(
            f"Venice answered the top-up discovery with {response.status} instead of 402; nothing was paid."
        )

    async def balance(self) -> WalletBalance:
        """GET /x402/balance/{wallet} (signed in with SIWX)."""
        response = await self.client.request(
            "GET", f"/x402/balance/{self.address}", kind="fast", allow_top_up=False
        )
        data = _data(response.body)

        def num(key: str) -> float | None:
            value = data.get(key)
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

        can = data.get("canConsume")
        return WalletBalance(
            address=str(data.get("walletAddress") or self.address),
            balance_usd=num("balanceUsd"),
            can_consume=can if isinstance(can, bool) else None,
            diem_usd=num("diemBalanceUsd"),
            minimum_top_up_usd=num("minimumTopUpUsd"),
            suggested_top_up_usd=num("suggestedTopUpUsd"),
            raw=data,
        )

    async def transactions(self, limit: int, offset: int) -> dict[str, Any]:
        response = await self.client.request(
            "GET",
            f"/x402/transactions/{self.address}",
            params={"limit": limit, "offset": offset},
            kind="fast",
            allow_top_up=False,
        )
        body = response.body if isinstance(response.body, dict) else {}
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    # -- top-ups -------------------------------------------------------------------------------

    async def top_up(self, amount_usd: float, *, reason: Reason = "manual") -> TopUpResult:
        """Top up ``amount_usd`` (a new intent). Raises PaymentRefused/Failed/Unknown.

        If reconciling first settles an earlier top-up, that one is returned (``new_payment``
        False) and nothing new is signed. The daily limit is checked after that reconciling."""
        await self.check_amount(amount_usd, daily=False)
        async with self._lock:
            return await self._top_up_locked(amount_usd, reason)

    async def _top_up_locked(self, amount_usd: float | None, reason: Reason) -> TopUpResult:
        # Settle what is still open first: its outcome changes both the balance and the limit.
        # If an earlier top-up settles now, the credit this call wanted may be there already:
        # sign nothing new (one top-up per need; the caller decides whether to ask again).
        settled = [r for r in await self._reconcile_locked() if isinstance(r, TopUpResult)]
        if settled:
            log.info("an earlier top-up settled while reconciling; no new payment signed")
            return dataclasses.replace(settled[-1], new_payment=False)
        required, resource = await self.discover()
        req = select_requirement(required)
        if amount_usd is None:
            amount_usd = self.auto_amount(req.min_usd)
        await self.check_amount(amount_usd)
        value = usd_to_units(amount_usd)
        if value < req.min_units:
            raise PaymentRefused(
                f"Refused: Venice's minimum top-up is {fmt_usd(req.min_usd)}; "
                f"{fmt_usd(amount_usd)} is below it."
            )
        signed = sign_payment(
            self.signer,
            req,
            value,
            shape=self.settings.payment_shape,
            resource=resource,
            now=int(self.clock()),
            nonce=self.new_nonce(),
        )
        intent = "topup-" + uuid.uuid4().hex
        inserted, used = await self.ledger.reserve_payment(
            NewPayment(
                intent_id=intent,
                origin=self.origin,
                reason=reason,
                wallet=self.address,
                amount_usd=amount_usd,
                value=str(value),
                pay_to=signed.pay_to,
                nonce=signed.nonce,
                valid_before=signed.valid_before,
                header_name=signed.header_name,
                header=signed.header,
            ),
            daily_limit_usd=self.settings.daily_topup_usd,
            owner=self.owner,
            now=self.clock(),
            lease_s=LEASE_S,
        )
        if not inserted:  # another process got there first; this signature is dropped unsent
            raise self._daily_refusal(amount_usd, used)
        log.info("top-up %s: %s committed as pending; sending", intent, fmt_usd(amount_usd))
        row = await self.ledger.payment(intent)
        assert row is not None
        return await self._submit(row, ambiguous=False)

    async def _submit(self, row: dict[str, Any], *, ambiguous: bool) -> TopUpResult:
        """Send (or resubmit) one stored payment header until its outcome is known, boundedly.

        The caller holds the row's lease (``reserve_payment`` or ``claim_payment``); it is
        refreshed at every send and ends when this returns, however it returns. ``ambiguous``: an
        earlier send may have reached Venice (resubmissions), so a refusal now cannot prove that
        nothing moved.
        """
        intent = str(row["intent_id"])
        try:
            return await self._send_loop(row, ambiguous=ambiguous)
        finally:  # cancelled or crashed mid-way: let another payer resubmit it without waiting
            with anyio.CancelScope(shield=True):
                await self.ledger.release_payment(intent, owner=self.owner)

    async def _send_loop(self, row: dict[str, Any], *, ambiguous: bool) -> TopUpResult:
        intent = str(row["intent_id"])
        headers = {str(row["header_name"]): str(row["header"])}
        retry = self.client.retry
        last: errors.VeniceError | None = None
        # Sends of this header this payer made; with the row's count before them, it tells whether
        # anybody else sent it meanwhile (then a refusal cannot prove that nothing moved).
        mine = int(row["submissions"])
        # Past validBefore the authorization can no longer settle anew: one send asks Venice whether
        # it was credited earlier, and repeating it could not change the answer.
        sends = 1 if int(row["valid_before"]) < self.clock() else MAX_SUBMISSIONS
        for attempt in range(sends):
            await self.ledger.count_submission(intent, owner=self.owner, now=self.clock(), lease_s=LEASE_S)
            mine += 1
            try:
                response = await self.client.request(
                    "POST",
                    TOPUP_PATH,
                    headers=headers,
                    kind="fast",
                    auth="none",
                    idempotency="never",
                    allow_top_up=False,
                )
            except errors.APIConnectionError as exc:  # sent, maybe processed, answer lost
                ambiguous, last = True, exc
                log.warning("top-up %s: no answer (%s); resubmitting it", intent, type(exc).__name__)
            except errors.RateLimitError as exc:  # refused before processing
                last = exc
                wait = exc.retry_after if exc.retry_after is not None else backoff(retry, attempt) * 2
                if wait > retry.max_wait or attempt + 1 >= sends:
                    return await self._give_up(row, ambiguous, exc, mine, rate_limited=True)
                await retry.sleep(wait)
                continue
            except errors.APIStatusError as exc:
                last = exc
                if _ambiguous_status(exc):
                    ambiguous = True  # PAYMENT_IN_PROGRESS, SETTLEMENT_TIMEOUT, other server trouble
                    log.warning("top-up %s: %s %s; resubmitting it", intent, exc.status, exc.code)
                else:
                    return await self._give_up(row, ambiguous, exc, mine)
            else:
                return await self._settled(row, response.body, response.headers)
            if attempt + 1 < sends:
                await retry.sleep(backoff_delay(retry, attempt))
        assert last is not None
        return await self._give_up(row, True, last, mine)

    async def _settled(self, row: dict[str, Any], body: Any, headers: Mapping[str, str]) -> TopUpResult:
        data = _data(body)
        receipt = decode_b64_json(headers.get("payment-response", "")) or {}
        tx = receipt.get("transaction") if isinstance(receipt, dict) else None

        def num(key: str) -> float | None:
            value = data.get(key)
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

        payment_id = data.get("paymentId") if isinstance(data.get("paymentId"), str) else None
        intent = str(row["intent_id"])
        with anyio.CancelScope(shield=True):  # Venice credited it: that is recorded, whatever happens
            await self.ledger.finish_payment(
                intent,
                "settled",
                owner=self.owner,
                payment_id=payment_id,
                tx_hash=tx if isinstance(tx, str) else None,
                credited_usd=num("amountCredited"),
                new_balance_usd=num("newBalance"),
            )
        self._generation += 1
        final = await self.ledger.payment(intent) or row
        log.info("top-up %s settled (%s)", intent, payment_id)
        return TopUpResult(
            intent_id=intent,
            status="settled",
            amount_usd=float(row["amount_usd"]),
            credited_usd=num("amountCredited"),
            new_balance_usd=num("newBalance"),
            payment_id=payment_id,
            transaction=tx if isinstance(tx, str) else None,
            submissions=int(final["submissions"]),
            reason="auto" if row["reason"] == "auto" else "manual",
        )

    async def _give_up(
        self,
        row: dict[str, Any],
        ambiguous: bool,
        exc: errors.VeniceError,
        own_submissions: int,
        *,
        rate_limited: bool = False,
    ) -> TopUpResult:
        """Record the outcome of a send loop that got no success answer, and report it.

        The ledger has the last word: a payment another payer settled meanwhile is returned as
        settled, and a refusal is recorded ``failed`` only if no other send of it can have happened.
        """
        intent = str(row["intent_id"])
        amount = fmt_usd(float(row["amount_usd"]))
        said = exc.agent_message() if not isinstance(exc, PaymentError) else str(exc)
        with anyio.CancelScope(shield=True):
            final = await self.ledger.finish_payment(
                intent,
                "unknown" if ambiguous else "failed",
                owner=self.owner,
                own_submissions=own_submissions,
                detail=said[:500],
            )
        status = final["status"] if final is not None else "unknown"
        if status == "settled" and final is not None:
            log.info("top-up %s: settled by another payer sharing the ledger", intent)
            self._generation += 1
            return self._from_row(final)
        if status == "failed":
            if rate_limited:
                raise PaymentFailed(
                    f"Venice rate-limited the {amount} top-up (10 per minute per IP) and nothing was "
                    f"charged. Wait a minute, then call venice_wallet_top_up again. ({said})"
                )
            raise PaymentFailed(f"Venice refused the {amount} top-up; no money moved. {said}")
        shared = (
            " Another venice-mcp server sharing this ledger also sent it, so this refusal does not prove "
            "that nothing moved."
            if not ambiguous
            else ""
        )
        raise PaymentUnknown(
            f"The {amount} top-up's outcome is not known yet ({said}).{shared} The signed payment is stored "
            "and will be resubmitted as is at the next top-up or server start; a second payment is never "
            "signed for it, and it counts against the daily limit meanwhile. Check venice_wallet_balance."
        )

    def _from_row(self, row: dict[str, Any]) -> TopUpResult:
        def num(key: str) -> float | None:
            value = row.get(key)
            return float(value) if isinstance(value, (int, float)) else None

        return TopUpResult(
            intent_id=str(row["intent_id"]),
            status="settled",
            amount_usd=float(row["amount_usd"]),
            credited_usd=num("credited_usd"),
            new_balance_usd=num("new_balance_usd"),
            payment_id=row.get("payment_id"),
            transaction=row.get("tx_hash"),
            submissions=int(row["submissions"]),
            reason="auto" if row["reason"] == "auto" else "manual",
        )

    # -- reconciliation ------------------------------------------------------------------------

    async def reconcile(self) -> list[dict[str, Any]]:
        """Resubmit every payment whose outcome is not known (at start, before anything else),
        except those another live payer is sending right now."""
        async with self._lock:
            return [
                r.as_dict()
                if isinstance(r, TopUpResult)
                else {"intent_id": r[0], "status": r[1].status_word, "detail": str(r[1])}
                for r in await self._reconcile_locked()
            ]

    async def _reconcile_locked(self) -> list[TopUpResult | tuple[str, PaymentError]]:
        outcomes: list[TopUpResult | tuple[str, PaymentError]] = []
        for open_row in await self.ledger.open_payments(origin=self.origin, since=self.clock() - DAY_S):
            intent = str(open_row["intent_id"])
            row = await self.ledger.claim_payment(intent, owner=self.owner, now=self.clock(), lease_s=LEASE_S)
            if row is None:  # settled meanwhile, or a live payer is sending it right now
                log.info("top-up %s is being sent by another payer; not resubmitting it", intent)
                continue
            log.info("reconciling top-up %s (%s)", intent, row["status"])
            try:
                outcomes.append(await self._submit(row, ambiguous=True))
            except PaymentError as exc:
                outcomes.append((intent, exc))
        return outcomes

    # -- automatic top-up (the client's insufficient-balance hook) -------------------------------

    async def on_insufficient_balance(self, error: errors.PaymentRequiredError) -> bool:
        """Top up once for a call that met the insufficient-balance 402, if allowed; True to retry."""
        if not self.settings.auto_topup:
            return False
        seen = self._generation
        async with self._lock:
            if self._generation != seen:
                return True  # another call paid while this one waited: retry on that credit
            try:
                info: WalletBalance | None = await self.balance()
            except errors.VeniceError as exc:
                log.info("balance check before auto top-up failed (%s); going by the 402", type(exc).__name__)
                info = None
            if info is not None and info.diem_usd is not None:
                raise PaymentRefused(
                    f"{error.agent_message()} This wallet is linked to a Venice account with DIEM "
                    f"({fmt_usd(info.diem_usd)} left this epoch), which Venice spends first: a USDC top-up "
                    "does not fix this 402, so nothing was paid. Wait for the next DIEM epoch or fund the "
                    "linked account."
                )
            if info is not None and info.can_consume:
                return True  # credit is there now (e.g. a top-up from elsewhere): just retry
            try:
                result = await self._top_up_locked(None, "auto")
            except PaymentError as exc:
                raise type(exc)(f"{error.agent_message()} Automatic top-up did not complete: {exc}") from exc
            if result.new_payment:
                log.info("auto top-up paid %s; retrying the call once", fmt_usd(result.amount_usd))
            else:
                log.info(
                    "an earlier top-up of %s settled; retrying the call once", fmt_usd(result.amount_usd)
                )
            return True


def _ambiguous_status(exc: errors.APIStatusError) -> bool:
    """Whether an error answer to a payment may hide a processed payment. 409 (PAYMENT_IN_PROGRESS)
    and 5xx may; a 503 is definitive only with X402_NOT_CONFIGURED (x402 is off at this origin)."""
    if exc.status == 503:
        return exc.code != NOT_CONFIGURED_CODE
    return exc.status == 409 or exc.status >= 500


def _data(body: Any) -> dict[str, Any]:
    """The ``data`` object of a Venice success envelope ``{success, data}``."""
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, dict) else {}


def backoff_delay(retry: Any, attempt: int) -> float:
    """Wait before resubmitting a payment: 1 s, 2 s, 4 s (with the policy's jitter), capped."""
    ceiling = min(retry.max_delay, RESUBMIT_BASE_DELAY_S * (2**attempt))
    return float(ceiling / 2 + retry.jitter() * ceiling / 2)


RECONCILE_TIMEOUT_S = 60.0


async def start_payer(settings: Settings, client: VeniceClient, ledger: Ledger) -> Payer | None:
    """The payer for a wallet-configured server (None otherwise), after reconciling open payments.

    Runs in the server's lifespan, before any tool call: payments left pending by a crash are
    resubmitted as stored (bounded in time; what stays open is retried at the next top-up). With
    VENICE_MCP_AUTO_TOPUP on, the client's insufficient-balance hook is pointed at the payer.
    """
    from venice_mcp.api.client import WalletAuth

    if not isinstance(client.auth, WalletAuth):
        return None
    payer = Payer(client, client.auth.signer, ledger, settings)
    try:
        with anyio.move_on_after(RECONCILE_TIMEOUT_S):
            for outcome in await payer.reconcile():
                log.warning("reconciled top-up %s: %s", outcome.get("intent_id"), outcome.get("status"))
    except Exception:  # a start must not fail on it; the rows stay open and are retried later
        log.exception("reconciling open payments failed; they stay open")
    if settings.auto_topup:
        client.on_insufficient_balance = payer.on_insufficient_balance
    return payer

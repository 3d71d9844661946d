"""The payee: in charging mode, remote agents pay this server per paid call with x402 over MCP
(reference/x402-spec/transport-mcp.md), through a facilitator (facilitator.py).

A paid tool states its price before it spends (the spend gate's estimate). Here that price
becomes a requirement: the estimate × VENICE_MCP_CHARGE_MARKUP, at least VENICE_MCP_CHARGE_MIN_USD,
rounded up to USDC's 6 decimals, paid to VENICE_MCP_CHARGE_PAY_TO in USDC on Base (``exact``).
A call without a payment stops with ``PaymentNeeded`` (nothing reaches Venice). With one: check
it locally (inbound.py), write it to the receipts before anything else (a replay stops there),
ask the facilitator to verify it, let the tool run, and settle only when the tool succeeded; a
failed tool voids the authorization, which is then never settled.

A settlement without a definite answer is resubmitted with the same payload (a facilitator settles
one authorization once: its nonce is spent on-chain), a few times within the call, and again at
the next start (``reconcile``). The operator's own limits hold first: a call whose Venice price is
above VENICE_MCP_MAX_CALL_USD, or unknown in advance, is refused before the agent pays, and
paying agents together spend at most VENICE_MCP_DAILY_VENICE_USD of Venice credit per 24 h.

Nothing here knows MCP: the boundary reads the payment from the request and writes the results.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio

from venice_mcp.config import Settings
from venice_mcp.payments.budget import Estimate, format_usd
from venice_mcp.payments.facilitator import Facilitator, FacilitatorUnclear, Verdict
from venice_mcp.payments.inbound import PaymentInvalid, check_payment, check_upto
from venice_mcp.payments.ledger import new_owner, owner_is_dead, retire_owner
from venice_mcp.payments.receipts import DailyShareSpent, Receipt, Receipts, Replayed
from venice_mcp.payments.x402 import BASE_NETWORK, UNITS_PER_USD, USDC_BASE, USDC_NAME, USDC_VERSION

log = logging.getLogger(__name__)

PAYMENT_META = "x402/payment"
RESPONSE_META = "x402/payment-response"
# How long an agent's authorization must stay valid: verification, the tool and the settlement.
MAX_TIMEOUT_S = 300
# Tools Venice meters by use: they also offer ``upto`` (authorize the price bound, settle the
# reported cost), when the facilitator supports it.
METERED = frozenset({"venice_chat", "venice_responses", "venice_embeddings", "venice_crypto_rpc"})
SETTLE_ATTEMPTS = 3
SETTLE_BACKOFF_S = (0.5, 2.0)


class PaymentNeeded(Exception):
    """Stop before spending: the agent must (re)pay. ``body`` is the x402 PaymentRequired object."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body.get("error", "payment required"))
        self.body = body


class ChargeRefused(Exception):
    """This call is not offered to paying agents (the operator's limits); nothing was paid."""


class SettlementFailed(Exception):
    """The tool ran but its payment did not settle; ``body`` is PaymentRequired with the reason."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body.get("error", "settlement failed"))
        self.body = body


@dataclass
class Admission:
    """A verified payment for one call, waiting for the call's outcome."""

    row: int
    tool: str
    scheme: str
    maximum: int  # what the agent authorized (exact: the price)
    payload: dict[str, Any]
    requirement: dict[str, Any]
    required: dict[str, Any]  # the PaymentRequired this call would answer (for a settlement failure)


def price_units(venice_usd: float, settings: Settings) -> int:
    """What an agent pays for a call Venice prices at ``venice_usd``, in USDC base units (rounded up)."""
    usd = max(venice_usd * settings.charge_markup, settings.charge_min_usd)
    return max(1, math.ceil(round(usd * UNITS_PER_USD, 6)))


class Payee:
    def __init__(
        self,
        settings: Settings,
        receipts: Receipts,
        facilitator: Facilitator,
        *,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        assert settings.charge_pay_to is not None
        self._sleep = sleep
        self.settings = settings
        self.pay_to = settings.charge_pay_to
        self.receipts = receipts
        self.facilitator = facilitator
        self.owner = new_owner()
        self._upto: str | bool | None = False  # the facilitator's upto address; False: not asked yet

    # -- what is asked -------------------------------------------------------------------------

    def requirement(self, units: int) -> dict[str, Any]:
        return {
            "scheme": "exact",
            "network": BASE_NETWORK,
            "amount": str(units),
            "asset": USDC_BASE,
            "payTo": self.pay_to,
            "maxTimeoutSeconds": MAX_TIMEOUT_S,
            "extra": {"name": USDC_NAME, "version": USDC_VERSION},
        }

    def upto_requirement(self, units: int, facilitator: str) -> dict[str, Any]:
        extra = {"name": USDC_NAME, "version": USDC_VERSION, "facilitatorAddress": facilitator}
        return {**self.requirement(units), "scheme": "upto", "extra": extra}

    async def upto_facilitator(self) -> str | None:
        """The facilitator's address for ``upto`` on Base, if it offers the scheme (asked once)."""
        if self._upto is False:
            try:
                kinds = (await self.facilitator.supported()).get("kinds")
            except FacilitatorUnclear as exc:
                log.info("no upto: %s", exc)
                return None  # asked again next time
            self._upto = next(
                (
                    str(k["extra"]["facilitatorAddress"])
                    for k in (kinds if isinstance(kinds, list) else [])
                    if isinstance(k, dict)
                    and k.get("scheme") == "upto"
                    and k.get("network") == BASE_NETWORK
                    and k.get("x402Version") == 2
                    and isinstance(k.get("extra"), dict)
                    and isinstance(k["extra"].get("facilitatorAddress"), str)
                ),
                None,
            )
        return self._upto if isinstance(self._upto, str) else None

    def payment_required(
        self, tool: str, units: int, error: str, upto: str | None = None, description: str = ""
    ) -> dict[str, Any]:
        accepts = [self.requirement(units)]
        if upto is not None:
            accepts.insert(0, self.upto_requirement(units, upto))  # the cheaper one for the agent first
        return {
            "x402Version": 2,
            "error": error,
            "resource": {
                "url": f"mcp://tool/{tool}",
                "description": description or f"One {tool} call on this venice-mcp server",
                "mimeType": "application/json",
            },
            "accepts": accepts,
        }

    # -- a call --------------------------------------------------------------------------------

    async def admit(
        self, *, tool: str, estimate: Estimate, payment: Any, request_ref: str | None = None
    ) -> Admission:
        """A verified, recorded payment for this call; or PaymentNeeded / ChargeRefused (nothing
        was sent to Venice, nothing will settle)."""
        settings = self.settings
        if estimate.usd is None:
            raise ChargeRefused(
                f"{tool} with these arguments has no price in advance ({estimate.basis}), so this server "
                "does not offer it to paying agents. Nothing was charged."
            )
        if estimate.usd > settings.max_call_usd:
            raise ChargeRefused(
                f"This {tool} call would cost {format_usd(estimate.usd)} at Venice ({estimate.basis}), above "
                f"this server's per-call limit of {format_usd(settings.max_call_usd)}. Nothing was charged."
            )
        units = price_units(estimate.usd, settings)
        upto = await self.upto_facilitator() if tool in METERED else None
        price = f"{format_usd(units / UNITS_PER_USD)} in USDC on Base"
        if upto is not None:
            price = f"at most {price} (upto: you pay what Venice reports it cost, × the markup)"

        def needed(why: str) -> PaymentNeeded:
            return PaymentNeeded(self.payment_required(tool, units, why, upto))

        if payment is None:
            raise needed(f"Payment required: this {tool} call costs {price}.")
        accepted = payment.get("accepted") if isinstance(payment, dict) else None
        scheme = accepted.get("scheme") if isinstance(accepted, dict) else None
        try:
            if scheme == "upto" and upto is not None:
                got = check_upto(payment, self.upto_requirement(units, upto), now=int(time.time()))
            else:
                got = check_payment(payment, self.requirement(units), now=int(time.time()))
        except PaymentInvalid as exc:
            raise needed(f"Payment refused ({exc.reason}): {exc}. Nothing was charged.") from None
        try:
            row = await self.receipts.receive(
                got,
                tool=tool,
                request_ref=request_ref,
                price_usd=got.value / UNITS_PER_USD,
                venice_usd=estimate.usd,
                daily_limit=settings.daily_venice_usd,
                owner=self.owner,
            )
        except Replayed:
            raise needed("Payment refused: this authorization was already used. Sign a new one.") from None
        except DailyShareSpent as exc:
            raise ChargeRefused(
                f"This server's daily allowance for paying agents ({format_usd(exc.limit)} of Venice "
                "credit per 24 hours) is used up; try again later. Nothing was charged."
            ) from None
        try:
            verdict = await self.facilitator.verify(got.payload, got.requirement)
        except FacilitatorUnclear as exc:
            await self.receipts.move(row, "voided", detail=str(exc))
            raise needed(
                f"Payment not verified: {exc}. Nothing was charged; sign a new authorization and retry."
            ) from None
        if not verdict.ok:
            await self.receipts.move(row, "voided", detail=verdict.reason)
            reason = verdict.reason or "invalid"
            raise needed(f"Payment refused by the facilitator ({reason}). Nothing was charged.")
        await self.receipts.move(row, "verified")
        required = self.payment_required(tool, units, "Settlement failed", upto)
        return Admission(row, tool, got.scheme, got.value, got.payload, got.requirement, required)

    async def void(self, admission: Admission, why: str) -> None:
        """The call failed: this authorization is never settled."""
        await self.receipts.move(admission.row, "voided", detail=why[:200])

    async def settle(self, admission: Admission, venice_usd: float | None = None) -> dict[str, Any]:
        """Settle a successful call's payment; the SettlementResponse, or SettlementFailed.
        ``venice_usd`` is what Venice reported the call cost: ``upto`` settles that (× markup,
        never above what was authorized); ``exact`` settles the price agreed."""
        amount = admission.maximum
        if admission.scheme == "upto" and venice_usd is not None:
            amount = min(admission.maximum, price_units(venice_usd, self.settings))
        requirement = {**admission.requirement, "amount": str(amount)}
        await self.receipts.settling(admission.row, amount, venice_usd)
        verdict = await self._settle(admission.row, admission.payload, requirement)
        if verdict is None:
            body = dict(admission.required)
            body["error"] = (
                "Settlement outcome unknown: the facilitator did not answer. The same authorization "
                "will be resubmitted (it can settle at most once); no new payment is needed for it."
            )
            raise SettlementFailed(body)
        if not verdict.ok:
            body = dict(admission.required)
            body["error"] = f"Settlement failed ({verdict.reason or 'refused'}). Nothing was charged."
            raise SettlementFailed(body)
        response = {
            "success": True,
            "transaction": verdict.transaction or "",
            "network": verdict.network or BASE_NETWORK,
            "payer": verdict.payer or await self.receipts_payer(admission.row),
        }
        if admission.scheme == "upto":
            response["amount"] = str(amount)
        return response

    async def receipts_payer(self, row: int) -> str:
        receipt = await self.receipts.get(row)
        return receipt.payer if receipt is not None else ""

    async def _settle(self, row: int, payload: dict[str, Any], requirement: dict[str, Any]) -> Verdict | None:
        """Submit (and on no answer resubmit) the same payload; None when still unknown."""
        for attempt in range(SETTLE_ATTEMPTS):
            if attempt:
                await self.receipts.resubmitting(row)
                await self._sleep(SETTLE_BACKOFF_S[min(attempt - 1, len(SETTLE_BACKOFF_S) - 1)])
            try:
                verdict = await self.facilitator.settle(payload, requirement)
            except FacilitatorUnclear as exc:
                log.warning("settlement of received payment %d unclear: %s", row, exc)
                await self.receipts.move(row, "unknown", detail=str(exc))
                continue
            if verdict.ok:
                await self.receipts.move(row, "settled", tx_hash=verdict.transaction)
            else:
                await self.receipts.move(row, "failed", detail=verdict.reason)
            return verdict
        return None

    # -- at start ------------------------------------------------------------------------------

    async def reconcile(self) -> None:
        """Rows a previous run left open: a settlement sent without a known outcome is resubmitted
        (same payload); a payment whose call never finished is voided (the agent got no result)."""
        for receipt in await self.receipts.open_rows():
            if receipt.owner == self.owner or not owner_is_dead(receipt.owner):
                continue  # a live server's call in progress
            await self._reconcile_one(receipt)

    async def _reconcile_one(self, receipt: Receipt) -> None:
        if receipt.state in ("received", "verified"):
            await self.receipts.move(receipt.id, "voided", detail="the call did not finish")
            return
        amount = receipt.settle_amount if receipt.settle_amount is not None else receipt.value
        await self.receipts.resubmitting(receipt.id)
        verdict = await self._settle(
            receipt.id, receipt.payload, {**receipt.requirement, "amount": str(amount)}
        )
        outcome = "unknown" if verdict is None else "settled" if verdict.ok else "refused"
        log.info("received payment %d reconciled: %s", receipt.id, outcome)

    async def aclose(self) -> None:
        retire_owner(self.owner)
        await self.facilitator.aclose()

"""An x402 facilitator client: ``POST /verify`` and ``POST /settle`` (x402 specification v2, §7).

The facilitator checks a payment and moves the money on-chain; the payee (payee.py) decides what
to ask it and when. Answers are three kinds, kept apart because money depends on it: a definite
yes, a definite no (with the facilitator's reason), and *ambiguous* (a timeout, a dropped
connection, a 5xx, a body that is not the spec's): a settlement that may have happened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2

log = logging.getLogger(__name__)


class FacilitatorUnclear(Exception):
    """No definite answer (timeout, connection lost, 5xx, a malformed body): for a settlement, it
    may or may not have happened."""


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str | None  # the facilitator's invalidReason / errorReason when not ok
    message: str | None
    payer: str | None
    transaction: str | None = None  # settle only
    network: str | None = None
    raw: dict[str, Any] | None = None


class Facilitator:
    def __init__(
        self, url: str, make_client: Callable[[], httpx2.AsyncClient], *, timeout_s: float = 30.0
    ) -> None:
        self.url = url.rstrip("/")
        # Settling waits for a Base transaction: seconds, rarely more.
        self.timeout = httpx2.Timeout(timeout_s, connect=min(5.0, timeout_s))
        self._make_client = make_client
        self._client: httpx2.AsyncClient | None = None

    @property
    def http(self) -> httpx2.AsyncClient:
        if self._client is None:
            self._client = self._make_client()
        return self._client

    async def supported(self) -> dict[str, Any]:
        """``GET /supported``: the kinds (scheme, network) this facilitator handles."""
        try:
            response = await self.http.get(self.url + "/supported", timeout=self.timeout)
            answer = response.json() if response.status_code == 200 else None
        except (httpx2.HTTPError, ValueError):
            raise FacilitatorUnclear("the facilitator did not answer /supported") from None
        if not isinstance(answer, dict):
            raise FacilitatorUnclear("the facilitator's /supported answer is not a JSON object")
        return answer

    async def verify(self, payload: dict[str, Any], requirement: dict[str, Any]) -> Verdict:
        body = await self._post("/verify", payload, requirement)
        ok = body.get("isValid")
        if not isinstance(ok, bool):
            raise FacilitatorUnclear("the facilitator's /verify answer has no isValid")
        reason, message = _text(body.get("invalidReason")), _text(body.get("invalidMessage"))
        return Verdict(ok, reason, message, _text(body.get("payer")), raw=body)

    async def settle(self, payload: dict[str, Any], requirement: dict[str, Any]) -> Verdict:
        body = await self._post("/settle", payload, requirement)
        ok = body.get("success")
        if not isinstance(ok, bool):
            raise FacilitatorUnclear("the facilitator's /settle answer has no success")
        transaction = _text(body.get("transaction"))
        if ok and not transaction and str(requirement.get("amount")) != "0":
            raise FacilitatorUnclear("the facilitator settled without a transaction")
        return Verdict(
            ok,
            _text(body.get("errorReason")),
            _text(body.get("errorMessage")),
            _text(body.get("payer")),
            transaction,
            _text(body.get("network")),
            raw=body,
        )

    async def _post(self, path: str, payload: dict[str, Any], requirement: dict[str, Any]) -> dict[str, Any]:
        body = {"x402Version": 2, "paymentPayload": payload, "paymentRequirements": requirement}
        try:
            response = await self.http.post(self.url + path, json=body, timeout=self.timeout)
        except httpx2.HTTPError as exc:
            why = type(exc).__name__
            raise FacilitatorUnclear(f"the facilitator did not answer {path} ({why})") from None
        if response.status_code >= 500:
            raise FacilitatorUnclear(f"the facilitator answered {path} with HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise FacilitatorUnclear(f"the facilitator's {path} answer is not JSON") from None
        if not isinstance(answer, dict):
            raise FacilitatorUnclear(f"the facilitator's {path} answer is not a JSON object")
        if response.status_code >= 400 and "isValid" not in answer and "success" not in answer:
            # A 4xx without the spec's body: the request itself was refused, nothing settled.
            code = f"http_{response.status_code}"
            return {"isValid": False, "success": False, "invalidReason": code, "errorReason": code}
        return answer

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _text(value: Any) -> str | None:
    return value[:200] if isinstance(value, str) and value else None

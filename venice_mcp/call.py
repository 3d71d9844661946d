"""One tool call as a tool function sees it: the app state, the spend gate, the ledger, progress.

A tool function is a plain ``async def venice_x(call: Call, <typed arguments>) -> Reply``. The
boundary builds the Call with what only it can do: ask the person (in the client's protocol) and
report progress. Nothing here knows MCP, so a tool function can be called by name from a test with
any asker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from venice_mcp.payments.budget import Asker, Estimate, SpendStopped
from venice_mcp.payments.ledger import CallRecord

if TYPE_CHECKING:
    from venice_mcp.api.client import VeniceResponse
    from venice_mcp.context import AppState
    from venice_mcp.payments.payee import Admission

Progress = Callable[[float, float | None, str], Awaitable[None]]


async def _nobody(_: str) -> bool | None:
    return None


async def _no_progress(value: float, total: float | None, message: str) -> None:
    return None


@dataclass
class Spend:
    """What a paid call turned out to cost, filled in by the tool as Venice answers."""

    charge_usd: float | None = None
    request_id: str | None = None


def error_detail(exc: BaseException) -> str:
    """The kind of failure, never its message (which may quote the request): the exception's
    class, and Venice's HTTP status and error code when it answered."""
    parts = [str(p) for p in (getattr(exc, "status", None), getattr(exc, "code", None)) if p]
    return type(exc).__name__ + (f" ({', '.join(parts)})" if parts else "")


def _request_id(exc: BaseException) -> str | None:
    value = getattr(exc, "request_id", None)
    return value if isinstance(value, str) and value else None


class Ledgered:
    """``with call.ledgered(...) as spend``: the block's Spend, recorded when the block ends.
    (A class, not a generator: it runs on every paid call, and a generator-based context
    manager costs three more frames.)"""

    def __init__(self, call: Call, model: str | None, estimate: Estimate) -> None:
        self._call, self._model, self._estimate = call, model, estimate
        self.spend = Spend()

    def __enter__(self) -> Spend:
        return self.spend

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        spend, status, detail = self.spend, "ok", None
        if exc is not None:
            status, detail = "error", error_detail(exc)
            spend.request_id = spend.request_id or _request_id(exc)
        self._call.charged_usd = spend.charge_usd
        self._call.record(status, self._model, self._estimate, spend, detail)


class Call:
    def __init__(
        self,
        name: str,
        state: AppState,
        *,
        ask: Asker = _nobody,
        progress: Progress = _no_progress,
        payment: Any = None,
        request_ref: str | None = None,
    ) -> None:
        self.name = name
        self.state = state
        self.ask = ask
        self.progress = progress
        self.payment = payment  # charging mode: the agent's x402 payment for this call, if any
        self.request_ref = request_ref
        self.admission: Admission | None = None  # charging mode: the verified payment
        self.charged_usd: float | None = None  # what Venice reported the paid request cost

    async def approve(self, *, model: str | None, estimate: Estimate, confirm: bool) -> None:
        """The spend gate: return when the call may run, else raise SpendStopped (the stop is
        recorded in the ledger; nothing was sent to Venice). In charging mode the agent pays
        instead: PaymentNeeded or ChargeRefused stop the call, and nobody is asked."""
        state = self.state
        if state.payee is not None:
            if self.admission is not None:
                raise RuntimeError(f"{self.name} asked to be paid for twice in one call")
            self.admission = await state.payee.admit(
                tool=self.name, estimate=estimate, payment=self.payment, request_ref=self.request_ref
            )
            return
        if state.gate.within_limit(estimate):
            return
        try:
            await state.gate.approve(tool=self.name, estimate=estimate, confirm=confirm, ask=self.ask)
        except SpendStopped as stop:
            self.record(stop.status, model, estimate)
            raise

    def record(
        self,
        status: str,
        model: str | None,
        estimate: Estimate,
        spend: Spend | None = None,
        detail: str | None = None,
    ) -> None:
        charge, request_id = (spend.charge_usd, spend.request_id) if spend else (None, None)
        auth = self.state.settings.auth_mode
        self.state.ledger.record_call(
            CallRecord(self.name, auth, status, model, estimate.usd, charge, request_id, detail)
        )

    def ledgered(self, *, model: str | None, estimate: Estimate) -> Ledgered:
        """Record the paid call in the ledger whether it succeeds or fails (a failure with what
        kind of error it was, for the operator's page)."""
        return Ledgered(self, model, estimate)

    async def paid_request(
        self,
        *,
        model: str | None,
        estimate: Estimate,
        confirm: bool,
        path: str,
        method: str = "POST",
        charge: float | Callable[[VeniceResponse], float | None] | None = None,
        **request: Any,
    ) -> VeniceResponse:
        """The spend gate, then one ledgered Venice request.

        ``charge`` is what the call cost when known: a fixed price, or read from the response.
        """
        await self.approve(model=model, estimate=estimate, confirm=confirm)
        with self.ledgered(model=model, estimate=estimate) as spend:
            response = await self.state.client.request(method, path, **request)
            spend.request_id = response.request_id
            spend.charge_usd = charge(response) if callable(charge) else charge
        return response

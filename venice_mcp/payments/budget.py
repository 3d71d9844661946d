"""The spend gate: before a paid call, compare its estimated price with the per-call limit.

At or under VENICE_MCP_MAX_CALL_USD the call runs. Above it, or when the price is unknown and
could be large, a person is asked whenever the client can ask one (then ``confirm`` changes
nothing: the person decides); otherwise the call stops with ``confirmation_required`` and the
estimate, having spent nothing, and the agent may repeat it with ``confirm=true``. No argument can
raise the limit itself.

The gate decides; it does not know how to ask. Whoever runs the call (the tool boundary) passes an
``Asker`` that puts the question to the person in the client's own protocol.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from venice_mcp.config import Settings

# Put a yes/no question to the person: True or False as they answered, None when nobody can be asked.
Asker = Callable[[str], Awaitable[bool | None]]
StopStatus = Literal["confirmation_required", "declined"]


@dataclass(frozen=True)
class Estimate:
    usd: float | None  # None: Venice gives no price for this call in advance
    # How it was computed, shown to the person deciding; a callable is only formatted when asked
    # (most calls are under the limit, and nobody reads it then).
    described: str | Callable[[], str]
    could_be_large: bool = True  # only consulted when usd is None

    @property
    def basis(self) -> str:
        return self.described if isinstance(self.described, str) else self.described()


def format_usd(value: float | None) -> str:
    """Dollars for people: cents above a cent, two significant digits below (never "$0.0000")."""
    if value is None:
        return "unknown"
    if value == 0:
        return "$0"
    if value >= 0.01:
        return f"${value:.2f}"
    digits = max(4, 1 - math.floor(math.log10(abs(value))))  # a short chat is ~$0.00003
    return f"${value:.{digits}f}"


class SpendStopped(Exception):
    """The call stopped at the gate; nothing was sent to Venice and nothing was spent."""

    def __init__(self, tool: str, estimate: Estimate, limit: float, status: StopStatus) -> None:
        super().__init__(status)
        self.tool = tool
        self.estimate = estimate
        self.limit = limit
        self.status = status

    def text(self) -> str:
        price = format_usd(self.estimate.usd)
        if self.status == "declined":
            return f"The person declined this {self.tool} call (estimated {price}). Nothing was spent."
        return (
            f"confirmation_required: this {self.tool} call is estimated at {price} ({self.estimate.basis}), "
            f"above the per-call limit of {format_usd(self.limit)}. Nothing was spent. If the person wants "
            f"it, call {self.tool} again with the same arguments and confirm=true."
        )

    def data(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "estimate_usd": self.estimate.usd,
            "basis": self.estimate.basis,
            "limit_usd": self.limit,
        }


class SpendGate:
    def __init__(self, settings: Settings) -> None:
        self.limit = settings.max_call_usd

    def within_limit(self, estimate: Estimate) -> bool:
        if estimate.usd is None:
            return not estimate.could_be_large
        return estimate.usd <= self.limit

    def question(self, tool: str, estimate: Estimate) -> str:
        price = "an unknown amount" if estimate.usd is None else f"about {format_usd(estimate.usd)}"
        return (
            f"{tool} will cost {price} ({estimate.basis}), above the per-call limit of "
            f"{format_usd(self.limit)} set by VENICE_MCP_MAX_CALL_USD. Run it?"
        )

    async def approve(self, *, tool: str, estimate: Estimate, confirm: bool, ask: Asker) -> None:
        """Return when the call may run; raise SpendStopped when it may not (nothing spent).

        A person who can be asked is always asked: ``confirm`` is the agent's word, honoured only
        when nobody can be asked.
        """
        if self.within_limit(estimate):
            return
        answer = await ask(self.question(tool, estimate))
        if answer is True or (answer is None and confirm):
            return
        raise SpendStopped(
            tool, estimate, self.limit, "declined" if answer is False else "confirmation_required"
        )

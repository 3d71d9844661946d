"""The spend gate: before a paid call, compare its estimated price with the per-call limit.

At or under VENICE_MCP_MAX_CALL_USD the call runs. Above it, or when the price is unknown and
could be large, a person is asked through MCP elicitation whenever the client can ask (then
``confirm`` changes nothing: the person decides); otherwise the tool returns
``confirmation_required`` with the estimate, having spent nothing, and the agent may repeat the
call with ``confirm=true``. No argument can raise the limit itself.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from venice_mcp.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Estimate:
    usd: float | None  # None: Venice gives no price for this call in advance
    basis: str  # how it was computed, shown to the person deciding
    could_be_large: bool = True  # only consulted when usd is None


class Approval(BaseModel):
    approve: bool = Field(description="Run this paid call?")


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


class SpendGate:
    def __init__(self, settings: Settings) -> None:
        self.limit = settings.max_call_usd

    def within_limit(self, estimate: Estimate) -> bool:
        if estimate.usd is None:
            return not estimate.could_be_large
        return estimate.usd <= self.limit

    async def approve(
        self, ctx: Context[Any], *, tool: str, estimate: Estimate, confirm: bool
    ) -> CallToolResult | None:
        """None when the call may run; otherwise the result to return instead (nothing spent).

        A person who can be asked is always asked: ``confirm`` is the agent's word, honoured only
        when the client has no way to ask (no elicitation, or no back-channel for it).
        """
        if self.within_limit(estimate):
            return None
        price = "an unknown amount" if estimate.usd is None else f"about {format_usd(estimate.usd)}"
        limit = format_usd(self.limit)
        question = (
            f"{tool} will cost {price} ({estimate.basis}), above the per-call limit of {limit} "
            "set by VENICE_MCP_MAX_CALL_USD. Run it?"
        )
        answer = await self._ask(ctx, question)
        if answer is True or (answer is None and confirm):
            return None
        status = "declined" if answer is False else "confirmation_required"
        return self._stopped(tool, estimate, status)

    async def _ask(self, ctx: Context[Any], question: str) -> bool | None:
        """True/False when a person answered; None when this client cannot ask one."""
        caps = ctx.client_capabilities
        if caps is None or getattr(caps, "elicitation", None) is None:
            return None
        try:
            reply = await ctx.elicit(question, schema=Approval)
        except Exception as exc:  # no back-channel (2026 era, stateless HTTP): fall back to confirm=true
            log.info("elicitation unavailable (%s); asking the agent to confirm instead", type(exc).__name__)
            return None
        if reply.action == "accept" and reply.data is not None:
            return bool(reply.data.approve)
        return False

    def _stopped(self, tool: str, estimate: Estimate, status: str) -> CallToolResult:
        price = format_usd(estimate.usd)
        limit = format_usd(self.limit)
        if status == "declined":
            text = f"The person declined this {tool} call (estimated {price}). Nothing was spent."
        else:
            text = (
                f"confirmation_required: this {tool} call is estimated at {price} ({estimate.basis}), above "
                f"the per-call limit of {limit}. Nothing was spent. If the person wants it, call "
                f"{tool} again with the same arguments and confirm=true."
            )
        structured = {
            "status": status,
            "estimate_usd": estimate.usd,
            "basis": estimate.basis,
            "limit_usd": self.limit,
        }
        return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured)

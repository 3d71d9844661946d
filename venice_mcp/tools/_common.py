"""Shared pieces of tool modules: argument types and the cost line."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from venice_mcp.payments.budget import Estimate, format_usd

Confirm = Annotated[
    bool,
    Field(description="Only after the person agreed."),
]

usd = format_usd  # the one price formatter, under the short name tools use


def cost_note(estimate: Estimate, charge: float | None) -> str:
    if charge is not None:
        return f"cost {usd(charge)}"
    return f"estimated cost {usd(estimate.usd)}" if estimate.usd is not None else "cost not reported"

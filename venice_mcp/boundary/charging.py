"""x402 over MCP at the tool boundary (charging mode): the payment-required result and the
settlement of a call that succeeded (reference/x402-spec/transport-mcp.md).

The payee (payments/payee.py) decides; this module only speaks the transport: a ``PaymentRequired``
object as ``structuredContent`` and, identical, as JSON in ``content[0].text`` with
``isError: true``; the settlement response in the result's ``_meta["x402/payment-response"]``.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
from mcp.types import CallToolResult, InputRequiredResult, TextContent

from venice_mcp.boundary.eras import LINKS_SINCE
from venice_mcp.payments.payee import RESPONSE_META, Admission, Payee, SettlementFailed


def payment_result(body: dict[str, Any], version: str | None) -> CallToolResult:
    """``isError`` with the PaymentRequired object; eras before structuredContent get the text."""
    text = TextContent(type="text", text=json.dumps(body, separators=(",", ":")))
    structured = body if version is None or version >= LINKS_SINCE else None
    return CallToolResult(content=[text], structured_content=structured, is_error=True)


async def settled(
    payee: Payee,
    admission: Admission,
    result: CallToolResult | InputRequiredResult,
    version: str | None,
    venice_usd: float | None = None,
) -> CallToolResult | InputRequiredResult:
    """Settle the payment of a call that succeeded and say so in ``_meta``; a call that did not
    succeed settles nothing. A failed settlement answers with the payment error only: the tool's
    result is not given away unpaid."""
    if not isinstance(result, CallToolResult) or result.is_error:
        await payee.void(admission, "the call did not succeed")
        return result
    try:
        # Shielded: a client that leaves now must not strand a settlement half sent.
        with anyio.CancelScope(shield=True):
            receipt = await payee.settle(admission, venice_usd)
    except SettlementFailed as failed:
        return payment_result(failed.body, version)
    result.meta = {**(result.meta or {}), RESPONSE_META: receipt}
    return result

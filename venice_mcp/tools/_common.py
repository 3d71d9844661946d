"""Shared pieces of tool modules: error translation, annotations, result building."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ContentBlock, TextContent, ToolAnnotations
from pydantic import Field

from venice_mcp.api.client import VeniceResponse
from venice_mcp.api.errors import VeniceError
from venice_mcp.catalog import UnknownModelError
from venice_mcp.context import AppState
from venice_mcp.outputs import OutputFile
from venice_mcp.payments.budget import Estimate, format_usd
from venice_mcp.payments.ledger import CallRecord

log = logging.getLogger("venice_mcp.tools")

# Every tool reaches Venice, an outside system: open-world. Read-only tools spend nothing.
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=True)
PAID = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)


Confirm = Annotated[
    bool,
    Field(description="Run even if over the per-call price limit (only after the person agreed)."),
]


def tool_annotations(title: str, base: ToolAnnotations) -> ToolAnnotations:
    return base.model_copy(update={"title": title})


@contextmanager
def venice_errors() -> Iterator[None]:
    """Turn Venice failures into ToolError text the model can act on.

    Anything else is a bug: it propagates, the SDK logs it and the model sees a generic error.
    """
    try:
        yield
    except VeniceError as exc:
        log.info("tool call failed: %s", type(exc).__name__)
        raise ToolError(exc.agent_message()) from exc
    except UnknownModelError as exc:
        raise ToolError(str(exc)) from exc


def result(
    text: str, structured: dict[str, Any] | None = None, extra: Sequence[ContentBlock] = ()
) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text), *extra],
        structured_content=structured,
    )


usd = format_usd  # the one price formatter, under the short name tools use


@dataclass
class Spend:
    """What a paid call turned out to cost, filled in by the tool as Venice answers."""

    charge_usd: float | None = None
    request_id: str | None = None


async def gate(
    ctx: Context[Any], state: AppState, *, tool: str, model: str | None, estimate: Estimate, confirm: bool
) -> CallToolResult | None:
    """Ask the spend gate; a stopped call is recorded and its result returned to the agent."""
    stop = await state.gate.approve(ctx, tool=tool, estimate=estimate, confirm=confirm)
    if stop is not None:
        status = (stop.structured_content or {}).get("status", "confirmation_required")
        state.ledger.record_call(
            CallRecord(tool, state.settings.auth_mode, status, model=model, estimate_usd=estimate.usd)
        )
    return stop


@contextmanager
def ledgered(state: AppState, *, tool: str, model: str | None, estimate: Estimate) -> Iterator[Spend]:
    """Record the paid call in the ledger whether it succeeds or fails."""
    spend = Spend()
    status = "error"
    try:
        yield spend
        status = "ok"
    finally:
        state.ledger.record_call(
            CallRecord(
                tool,
                state.settings.auth_mode,
                status,
                model=model,
                estimate_usd=estimate.usd,
                charge_usd=spend.charge_usd,
                request_id=spend.request_id,
            )
        )


async def paid_request(
    ctx: Context[Any],
    state: AppState,
    *,
    tool: str,
    model: str | None,
    estimate: Estimate,
    confirm: bool,
    path: str,
    method: str = "POST",
    charge: float | Callable[[VeniceResponse], float | None] | None = None,
    **request: Any,
) -> VeniceResponse | CallToolResult:
    """The spend gate, then one ledgered Venice request.

    Returns Venice's response, or the result that stopped the call (nothing spent). ``charge`` is
    what the call cost when known: a fixed price, or read from the response.
    """
    stop = await gate(ctx, state, tool=tool, model=model, estimate=estimate, confirm=confirm)
    if stop is not None:
        return stop
    with ledgered(state, tool=tool, model=model, estimate=estimate) as spend:
        response = await state.client.request(method, path, **request)
        spend.request_id = response.request_id
        spend.charge_usd = charge(response) if callable(charge) else charge
    return response


def cost_note(estimate: Estimate, charge: float | None) -> str:
    if charge is not None:
        return f"cost {usd(charge)}"
    return f"estimated cost {usd(estimate.usd)}" if estimate.usd is not None else "cost not reported"


def file_result(
    saved: OutputFile,
    *,
    what: str,
    details: Sequence[str] = (),
    preview: ContentBlock | None = None,
    structured: dict[str, Any] | None = None,
) -> CallToolResult:
    """The standard reply for binary output: a text line (path, size, type, details), a
    resource_link the client can read back, and a small inline preview when one fits."""
    line = " · ".join([f"{what} saved to {saved.summary()}", *details])
    blocks: list[ContentBlock] = [TextContent(type="text", text=line), saved.link(what)]
    if preview is not None:
        blocks.append(preview)
    data = {"path": str(saved.path), "uri": saved.uri, "size": saved.size, "mime_type": saved.mime_type}
    return CallToolResult(content=blocks, structured_content={**data, **(structured or {})})

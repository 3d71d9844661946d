"""Shared pieces of tool modules: error translation, annotations, result building."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ContentBlock, TextContent, ToolAnnotations

from venice_mcp.api.errors import VeniceError
from venice_mcp.catalog import UnknownModelError

log = logging.getLogger("venice_mcp.tools")

# Every tool reaches Venice, an outside system: open-world. Read-only tools spend nothing.
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=True)
PAID = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)


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


def usd(value: float | None) -> str:
    if value is None:
        return "unknown"
    if value == 0:
        return "$0"
    return f"${value:.4f}" if value < 0.01 else f"${value:.2f}"

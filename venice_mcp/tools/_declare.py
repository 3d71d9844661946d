"""How a tool module declares a tool: ``@tool(title, kind, toolset)`` on a plain module-level function.

The decorator only attaches what the boundary needs to publish the tool (a human title, what kind
of effect it has, which toolset it belongs to); the function itself is returned unchanged, so it
stays importable and callable by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

# read_only: spends nothing, changes nothing. paid: spends money, changes nothing else.
# waits: repeatable, spends nothing, writes files (job status). admin: changes the account.
Kind = Literal["read_only", "paid", "waits", "admin"]
# The groups VENICE_MCP_TOOLSETS chooses from (config.TOOLSETS); "core" (models, outputs,
# spending) is always on.
Toolset = Literal["core", "text", "images", "audio", "video", "web", "crypto", "account", "wallet"]

F = TypeVar("F", bound=Callable[..., Any])
ATTRIBUTE = "__venice_tool__"


@dataclass(frozen=True)
class ToolInfo:
    title: str
    kind: Kind
    toolsets: tuple[Toolset, ...]  # listed when any of these is on
    admin: bool = False  # only with VENICE_MCP_ADMIN_TOOLS
    # The outputSchema published for the structured content: it must hold for every result the
    # tool returns, a spend-gate stop included (tests validate them against it).
    output: dict[str, Any] | None = None


def tool(
    title: str, kind: Kind, *toolsets: Toolset, admin: bool = False, output: dict[str, Any] | None = None
) -> Callable[[F], F]:
    def mark(fn: F) -> F:
        setattr(fn, ATTRIBUTE, ToolInfo(title, kind, toolsets, admin, output))
        return fn

    return mark


def info_of(fn: Any) -> ToolInfo | None:
    found = getattr(fn, ATTRIBUTE, None)
    return found if isinstance(found, ToolInfo) else None

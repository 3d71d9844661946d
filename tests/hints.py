"""Tool annotations as a client must read them: a hint left out means the spec's default."""

from __future__ import annotations

from typing import Any

# The MCP schema's defaults for ToolAnnotations.
SPEC_DEFAULTS = {
    "read_only_hint": False,
    "destructive_hint": True,
    "idempotent_hint": False,
    "open_world_hint": True,
}


def hints(tool: Any) -> dict[str, bool]:
    given = tool.annotations
    out = {}
    for name, default in SPEC_DEFAULTS.items():
        value = getattr(given, name, None) if given is not None else None
        out[name] = default if value is None else bool(value)
    return out

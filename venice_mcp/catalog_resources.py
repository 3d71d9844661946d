"""Resources: the model catalog by type, as the compact rows venice_models shows (JSON)."""

from __future__ import annotations

import json
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError

from venice_mcp.api.errors import VeniceError
from venice_mcp.context import app_state
from venice_mcp.tools.catalog import compact_row

MODEL_TYPES = ("text", "embedding", "image", "inpaint", "upscale", "tts", "asr", "music", "video")
URI = "venice-mcp://models/{type}"


def register(server: MCPServer[Any]) -> None:
    @server.resource(
        URI,
        name="models",
        title="Venice models by type",
        description="Venice models of one type (" + ", ".join(MODEL_TYPES) + ") as compact JSON rows: "
        "id, name, price, context, traits, capabilities.",
        mime_type="application/json",
    )
    async def models(type: str, ctx: Context) -> str:
        if type not in MODEL_TYPES:
            raise ResourceError(f"No model type {type!r}; use one of: {', '.join(MODEL_TYPES)}.")
        state = app_state(ctx)
        try:
            rows = [compact_row(m) for m in await state.catalog.models(type)]
        except VeniceError as exc:
            raise ResourceError(exc.agent_message()) from exc
        return json.dumps({"type": type, "count": len(rows), "models": rows}, indent=1)

"""GET /models, /models/traits and /models/compatibility_mapping."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from venice_mcp.sandbox import catalog
from venice_mcp.sandbox.context import Context


async def list_models(ctx: Context) -> Response:
    kind = catalog.check_type(ctx.query.get("type"), filters=True)
    return JSONResponse({"object": "list", "type": kind, "data": catalog.models_of(kind)})


async def list_traits(ctx: Context) -> Response:
    # Traits are per concrete type: the all/code filters fail validation here.
    kind = catalog.check_type(ctx.query.get("type"), filters=False)
    return JSONResponse({"object": "list", "type": kind, "data": catalog.traits(kind)})


async def compatibility_mapping(ctx: Context) -> Response:
    kind = catalog.check_type(ctx.query.get("type"), filters=False)
    return JSONResponse({"object": "list", "type": kind, "data": catalog.compatibility(kind)})

"""Resources: the files tools saved (with their own MIME type), the model catalog by type, image
styles, and job records. Their functions import what they need when first read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.server.mcpserver.resources import FunctionResource, Resource, ResourceTemplate
from mcp.types import InputRequiredResult

from venice_mcp.context import AppState, Runtime
from venice_mcp.outputs import URI_PREFIX, mime_type_of

MODEL_TYPES = ("text", "embedding", "image", "inpaint", "upscale", "tts", "asr", "music", "video")
MODELS_URI = "venice-mcp://models/{type}"
STYLES_URI = "venice-mcp://images/styles"
JOB_URI = "venice-mcp://jobs/{job_id}"


async def state_of(ctx: Context[Any]) -> AppState:
    runtime = ctx.request_context.lifespan_context
    assert isinstance(runtime, Runtime), "server lifespan did not run"
    return await runtime.state()


class OutputTemplate(ResourceTemplate):
    """The outputs template, whose resources carry the file's own MIME type (the one its
    resource_link announced), not one type for the whole template."""

    async def create_resource(
        self, uri: str, params: dict[str, Any], context: Context[Any, Any]
    ) -> Resource | InputRequiredResult:
        resource = await super().create_resource(uri, params, context)
        if isinstance(resource, FunctionResource):
            resource.mime_type = mime_type_of(Path(str(params.get("name", ""))))
        return resource


def register(server: MCPServer[Any]) -> None:
    async def output(name: str, ctx: Context) -> bytes:
        state = await state_of(ctx)
        try:
            return await anyio.to_thread.run_sync(state.outputs.read, name)
        except FileNotFoundError:
            raise ResourceError(f"No output named {name!r}; it may have been deleted.") from None

    template = OutputTemplate.from_function(
        output,
        URI_PREFIX + "{name}",
        name="output",
        description="A file this server generated.",
        mime_type="application/octet-stream",
    )
    # The SDK (pinned <3) has no public way to register a template object of its own class.
    server._resource_manager._templates[template.uri_template] = template

    @server.resource(
        MODELS_URI,
        name="models",
        title="Venice models by type",
        description="Venice models of one type (" + ", ".join(MODEL_TYPES) + ") as compact JSON rows: "
        "id, name, privacy, price, context, traits, capabilities (tee, e2ee among them).",
        mime_type="application/json",
    )
    async def models(type: str, ctx: Context) -> str:
        from venice_mcp.api.errors import VeniceError
        from venice_mcp.tools.catalog import compact_row

        if type not in MODEL_TYPES:
            raise ResourceError(f"No model type {type!r}; use one of: {', '.join(MODEL_TYPES)}.")
        state = await state_of(ctx)
        try:
            rows = [compact_row(m) for m in await state.catalog.models(type)]
        except VeniceError as exc:
            raise ResourceError(exc.agent_message()) from exc
        return json.dumps({"type": type, "count": len(rows), "models": rows}, indent=1)

    # A template (with an optional ?refresh) because only template resources get the session's
    # context, which holds the Venice client; reading venice-mcp://images/styles matches it.
    @server.resource(
        STYLES_URI + "{?refresh}",
        name="image-styles",
        description="Style presets for venice_image_generate's style_preset (JSON list of names).",
        mime_type="application/json",
    )
    async def image_styles(ctx: Context, refresh: str = "") -> str:
        from venice_mcp.api.errors import VeniceError
        from venice_mcp.tools.images import forget_styles, styles

        state = await state_of(ctx)
        if refresh:
            forget_styles(state)
        try:
            return json.dumps({"styles": await styles(state)})
        except VeniceError as exc:
            raise ResourceError(exc.agent_message()) from exc

    @server.resource(
        JOB_URI,
        name="job",
        title="A Venice music or video job",
        description="The local record of one queued music or video job (JSON): model, Venice's queue "
        "id, status, quote, progress, the saved file or the error.",
        mime_type="application/json",
    )
    async def job_record(job_id: str, ctx: Context) -> str:
        job = await (await state_of(ctx)).jobs.get(job_id)
        if job is None:
            raise ResourceError(f"No job {job_id!r}; list jobs with venice_jobs.")
        return json.dumps(job.summary(), indent=1, default=str)

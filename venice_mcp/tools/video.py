"""Video: quote, spend gate, queue, bounded wait; and the retired video transcription route."""

from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from venice_mcp import media_specs
from venice_mcp.api import errors
from venice_mcp.call import Call
from venice_mcp.context import AppState
from venice_mcp.inputs import InputError, kind_of
from venice_mcp.payments.budget import Estimate
from venice_mcp.reply import Reply
from venice_mcp.tools._common import Confirm
from venice_mcp.tools._declare import tool
from venice_mcp.tools._media import DEFAULT_WAIT, WaitSeconds, queue_paid_job, wait_and_reply

# The Venice operations these tools reach (tools/spec_coverage.py reads this); retrieve and
# complete are sent by venice_mcp/jobs.py while the tool waits.
ENDPOINTS = {
    "POST /video/quote": ("venice_video_generate",),
    "POST /video/queue": ("venice_video_generate",),
    "POST /video/retrieve": ("venice_video_generate",),
    "POST /video/complete": ("venice_video_generate",),
    "POST /video/transcriptions": ("venice_video_transcribe",),
}

DEFAULT_TEXT_TO_VIDEO = "wan-2.6-text-to-video"
DEFAULT_IMAGE_TO_VIDEO = "wan-2.6-image-to-video"
QUOTE_FIELDS = ("duration", "aspect_ratio", "resolution", "upscale_factor", "audio", "video_url")


async def media_ref(state: AppState, ref: str, what: str) -> str:
    """A media argument as Venice takes it: public URLs pass through, files become data: URLs."""
    try:
        if kind_of(ref.strip()) == "url":
            return await state.inputs.check_passthrough(ref.strip())
        if kind_of(ref.strip()) == "data":
            return ref.strip()
        return (await state.inputs.load(ref)).data_url()
    except InputError as exc:
        raise ToolError(f"Cannot use {what}: {exc}") from exc


async def video_quote(state: AppState, body: dict[str, Any]) -> float:
    """Venice's price (POST /video/quote: no credentials needed except for upscalers, nothing spent)."""
    quote = {"model": body["model"], **{k: body[k] for k in QUOTE_FIELDS if k in body}}
    quote.setdefault("duration", "5s")  # required by the schema; upscalers ignore it
    response = await state.client.request(
        "POST", "/video/quote", json_body=quote, kind="fast", auth="optional"
    )
    value = response.body.get("quote") if isinstance(response.body, dict) else None
    return float(value) if isinstance(value, (int, float)) else 0.0


@tool("Generate a video", "paid", "video")
async def venice_video_generate(
    call: Call,
    prompt: Annotated[str | None, Field(description="Optional for upscalers.")] = None,
    model: Annotated[
        str | None,
        Field(description=("Default wan-2.6-text-to-video (image-to-video with image).")),
    ] = None,
    duration: Annotated[str | None, Field(description="e.g. '5s'; default the shortest.")] = None,
    aspect_ratio: Annotated[str | None, Field()] = None,
    resolution: Annotated[str | None, Field()] = None,
    audio: Annotated[bool | None, Field(description="Sound, where switchable.")] = None,
    negative_prompt: Annotated[str | None, Field()] = None,
    image: Annotated[str | None, Field(description="First frame.")] = None,
    end_image: Annotated[str | None, Field(description="Last frame.")] = None,
    video: Annotated[str | None, Field(description="To upscale or work from.")] = None,
    audio_input: Annotated[str | None, Field(description="Audio track.")] = None,
    reference_images: Annotated[list[str] | None, Field(description="Reference-to-video models.")] = None,
    upscale_factor: Annotated[Literal[1, 2, 4] | None, Field(description="Upscalers only.")] = None,
    wait_seconds: WaitSeconds = DEFAULT_WAIT,
    confirm: Confirm = False,
) -> Reply:
    """Text/image-to-video or upscale; the MP4 within wait_seconds, else a job id.
    Media: path, https or data: URL."""
    state = call.state
    chosen = model or (DEFAULT_IMAGE_TO_VIDEO if image else DEFAULT_TEXT_TO_VIDEO)
    body: dict[str, Any] = {}
    for key, value in (
        ("prompt", prompt),
        ("negative_prompt", negative_prompt),
        ("duration", duration),
        ("aspect_ratio", aspect_ratio),
        ("resolution", resolution),
        ("audio", audio),
        ("upscale_factor", upscale_factor),
    ):
        if value is not None:
            body[key] = value
    state.client.ensure_credentials()
    resolved = await state.catalog.resolve(chosen, "video")
    body = {"model": resolved.id, **media_specs.video_defaults(resolved.spec, resolved.id, body)}
    # Media presence matters to the checks; placeholders stand in until the spend gate passes.
    for key, value in (
        ("image_url", image),
        ("end_image_url", end_image),
        ("video_url", video),
        ("audio_url", audio_input),
    ):
        if value:
            body[key] = value
    if reference_images:
        body["reference_image_urls"] = list(reference_images)
    media_specs.video(resolved.spec, resolved.id, body)
    for key, what in (
        ("image_url", "image"),
        ("end_image_url", "end_image"),
        ("video_url", "video"),
        ("audio_url", "audio_input"),
    ):
        if key in body:
            body[key] = await media_ref(state, body[key], what)
    if "reference_image_urls" in body:
        body["reference_image_urls"] = [
            await media_ref(state, r, "reference_images") for r in body["reference_image_urls"]
        ]
    try:
        estimate = Estimate(await video_quote(state, body), "Venice's quote for this job")
    except errors.PermissionDeniedError:
        # Venice prices upscalers only for API keys; a wallet queues without a quote.
        estimate = Estimate(None, "Venice quotes upscale jobs only to API-key callers")
    job = await queue_paid_job(
        call,
        kind="video",
        path="/video/queue",
        model=resolved.id,
        body=body,
        prompt=prompt,
        estimate=estimate,
        confirm=confirm,
    )
    return await wait_and_reply(call, job, wait_seconds)


@tool("Video transcription (retired)", "paid", "video")
async def venice_video_transcribe(
    call: Call,
    url: Annotated[str, Field(description="YouTube URL.")],
    response_format: Literal["json", "text"] = "json",
) -> Reply:
    """Retired by Venice (410); the error names what to use instead."""
    state = call.state
    try:
        state.client.ensure_credentials()
        response = await state.client.request(
            "POST",
            "/video/transcriptions",
            json_body={"url": url, "response_format": response_format},
        )
    except errors.GoneError as exc:
        raise ToolError(
            "Venice has retired video transcription (/video/transcriptions answers 410 Gone). "
            "To summarize or ask about a video, call venice_chat with messages whose content has a "
            '{"type": "video_url", "video_url": {"url": "..."}} part, on a model with '
            "supportsVideoInput (find one with venice_models, capability video input). For a "
            "word-for-word transcript, extract the audio track and use venice_transcribe."
        ) from exc
    body = response.body
    if isinstance(body, dict):
        text = str(body.get("transcript") or "")
        return Reply(text, {"transcript": text, "lang": body.get("lang")})
    return Reply(str(body), {"transcript": str(body)})

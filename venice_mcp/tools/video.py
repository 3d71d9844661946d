"""Video: quote, spend gate, queue, bounded wait; and the retired video transcription route."""

from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

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

# The Venice operations these tools reach (tools/spec_coverage.py reads this), all through the
# client's typed job operations (api/media.py); retrieve and complete are sent by
# venice_mcp/jobs.py while the tool waits.
ENDPOINTS = {
    "POST /video/quote": ("venice_video_generate",),
    "POST /video/queue": ("venice_video_generate",),
    "POST /video/retrieve": ("venice_video_generate",),
    "POST /video/complete": ("venice_video_generate",),
}

DEFAULT_TEXT_TO_VIDEO = "wan-2.6-text-to-video"
DEFAULT_IMAGE_TO_VIDEO = "wan-2.6-image-to-video"
QUOTE_FIELDS = ("duration", "aspect_ratio", "resolution", "upscale_factor", "audio", "video_url")


class Reference(BaseModel):
    """One reference medium of a video job; ``kind`` says which /video/queue field it fills."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["image", "video", "audio", "document", "scene", "element", "element_video", "keyframe"]
    src: str
    n: Annotated[int | None, Field(ge=0)] = None


# Published inline, without a docstring: a $defs entry and a description would cost every host
# bytes in each tools/list.
_REFERENCE_SCHEMA = {k: v for k, v in Reference.model_json_schema().items() if k != "description"}
ReferenceArg = Annotated[Reference, WithJsonSchema(_REFERENCE_SCHEMA)]


def reference_fields(references: list[Reference]) -> dict[str, Any]:
    """The /video/queue fields for ``references``, media still as given: lists in order; an
    element's first image is its frontal view, the rest its reference images."""
    out: dict[str, Any] = {}
    elements: dict[int, dict[str, Any]] = {}
    for ref in references:
        if ref.kind in media_specs.REFERENCE_LISTS:
            if ref.n is not None:
                raise media_specs.PreflightError(
                    f"n applies to element and keyframe references, not {ref.kind}."
                )
            out.setdefault(media_specs.REFERENCE_LISTS[ref.kind], []).append(ref.src)
        elif ref.kind == "keyframe":
            if ref.n is None:
                raise media_specs.PreflightError("A keyframe reference needs n, its frame (24 per second).")
            out.setdefault("keyframes", []).append({"image_url": ref.src, "frame_index": ref.n})
        else:
            element = elements.setdefault(ref.n if ref.n is not None else 1, {})
            if ref.kind == "element_video":
                if "video_url" in element:
                    raise media_specs.PreflightError(f"Element {ref.n or 1} has two videos; give one.")
                element["video_url"] = ref.src
            elif "frontal_image_url" in element:
                element.setdefault("reference_image_urls", []).append(ref.src)
            else:
                element["frontal_image_url"] = ref.src
    if elements:
        if sorted(elements) != list(range(1, len(elements) + 1)):
            raise media_specs.PreflightError(
                "Elements are numbered 1, 2, … like the prompt's @Element1, @Element2 "
                f"(got n {sorted(elements)})."
            )
        out["elements"] = [elements[n] for n in sorted(elements)]
    return out


async def media_input(state: AppState, ref: str, what: str) -> tuple[str, bytes | None]:
    """A media argument as Venice takes it, with its bytes when they were read here: public URLs
    pass through (Venice fetches them), files become data: URLs, data: URLs are decoded (for the
    secret check) and sent as given."""
    ref = ref.strip()
    try:
        if kind_of(ref) == "url":
            return await state.inputs.check_passthrough(ref), None
        loaded = await state.inputs.load(ref)
    except InputError as exc:
        raise ToolError(f"Cannot use {what}: {exc}") from exc
    return (ref if kind_of(ref) == "data" else loaded.data_url()), loaded.data


async def media_ref(state: AppState, ref: str, what: str) -> str:
    return (await media_input(state, ref, what))[0]


async def resolve_media(state: AppState, body: dict[str, Any]) -> list[float | None]:
    """Replace every media reference in ``body`` by what Venice takes; returns the length of each
    reference video (None where Venice fetches it and it is not read here)."""
    for key, what in (
        ("image_url", "image"),
        ("end_image_url", "end_image"),
        ("video_url", "video"),
        ("audio_url", "audio_input"),
    ):
        if key in body:
            body[key] = await media_ref(state, body[key], what)
    clips: list[float | None] = []
    for kind, field in media_specs.REFERENCE_LISTS.items():
        for n, ref in enumerate(body.get(field) or []):
            value, data = await media_input(state, ref, f"{kind} reference {n + 1}")
            body[field][n] = value
            if field == "reference_video_urls":
                clips.append(media_specs.video_seconds(data) if data is not None else None)
    for n, element in enumerate(body.get("elements") or [], start=1):
        for key in ("frontal_image_url", "video_url"):
            if key in element:
                element[key] = await media_ref(state, element[key], f"element {n}")
        element_images = element.get("reference_image_urls") or []
        for i, ref in enumerate(element_images):
            element_images[i] = await media_ref(state, ref, f"element {n}")
    for keyframe in body.get("keyframes") or []:
        keyframe["image_url"] = await media_ref(state, keyframe["image_url"], "keyframe")
    return clips


async def video_quote(state: AppState, body: dict[str, Any], **extra: Any) -> float:
    """Venice's price (POST /video/quote: no credentials needed except for upscalers, nothing spent)."""
    quote = {"model": body["model"], **{k: body[k] for k in QUOTE_FIELDS if k in body}, **extra}
    quote.setdefault("duration", "5s")  # required by the schema; upscalers ignore it
    return (await state.client.video.quote(quote)).quote


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
    references: Annotated[
        list[ReferenceArg] | None,
        Field(description="scene: @ImageN; element n: @ElementN, 1st image frontal; keyframe n: frame."),
    ] = None,
    upscale_factor: Annotated[Literal[1, 2, 4] | None, Field(description="Upscalers only.")] = None,
    wait_seconds: WaitSeconds = DEFAULT_WAIT,
    confirm: Confirm = False,
) -> Reply:
    """Text/image/reference-to-video or upscale; the MP4 within wait_seconds, else a job id.
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
    body.update(reference_fields(references or []))
    media_specs.video(resolved.spec, resolved.id, body)
    clips = await resolve_media(state, body)
    extra: dict[str, Any] = {}
    basis = "Venice's quote for this job"
    if clips:
        seconds, exact = media_specs.reference_seconds(resolved.id, clips)
        extra["reference_video_total_duration"] = seconds
        if not exact:
            basis += f", with reference video counted at up to {seconds:g} s"
    try:
        estimate = Estimate(await video_quote(state, body, **extra), basis)
    except errors.PermissionDeniedError:
        # Venice prices upscalers only for API keys; a wallet queues without a quote.
        estimate = Estimate(None, "Venice quotes upscale jobs only to API-key callers")
    job = await queue_paid_job(
        call,
        kind="video",
        model=resolved.id,
        body=body,
        prompt=prompt,
        estimate=estimate,
        confirm=confirm,
    )
    return await wait_and_reply(call, job, wait_seconds)

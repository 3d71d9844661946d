"""Queued jobs: list them or wait on one (venice_jobs), and price one without
queueing it (venice_quote)."""

import time
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from venice_mcp import media_specs
from venice_mcp.api import errors
from venice_mcp.call import Call
from venice_mcp.jobs import Job
from venice_mcp.reply import Reply
from venice_mcp.tools._common import usd
from venice_mcp.tools._declare import tool
from venice_mcp.tools._media import DEFAULT_WAIT, WaitSeconds, wait_and_reply
from venice_mcp.tools.music import DEFAULT_MUSIC_MODEL, music_quote
from venice_mcp.tools.video import DEFAULT_TEXT_TO_VIDEO, media_ref, video_quote

# The Venice operations these tools reach (tools/spec_coverage.py reads this), all through the
# client's typed job operations (api/media.py); retrieve and complete are sent by
# venice_mcp/jobs.py.
ENDPOINTS = {
    "POST /audio/retrieve": ("venice_jobs",),
    "POST /audio/complete": ("venice_jobs",),
    "POST /video/retrieve": ("venice_jobs",),
    "POST /video/complete": ("venice_jobs",),
    "POST /audio/quote": ("venice_quote",),
    "POST /video/quote": ("venice_quote",),
}


def _age(job: Job) -> str:
    seconds = max(0, int(time.time() - job.created))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def _line(job: Job) -> str:
    parts = [f"{job.id}", job.kind, job.model, job.status, _age(job)]
    if job.quote_usd is not None:
        parts.append(f"quoted {usd(job.quote_usd)}")
    if job.status == "completed" and job.output_path:
        parts.append(job.output_path)
    if job.status == "failed" and job.error:
        parts.append(job.error[:160])
    prompt = job.parameters.get("prompt")
    if prompt:
        parts.append(repr(str(prompt)[:60]))
    return " · ".join(parts)


@tool("Jobs", "waits", "audio", "video")
async def venice_jobs(
    call: Call,
    job_id: Annotated[str | None, Field(description="Wait on this one (or Venice's queue id).")] = None,
    wait_seconds: WaitSeconds = DEFAULT_WAIT,
    status: Annotated[
        Literal["pending", "queued", "processing", "completed", "failed"] | None,
        Field(description="'pending' = queued or processing."),
    ] = None,
    kind: Literal["music", "video"] | None = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 20,
) -> Reply:
    """Music and video jobs queued here, newest first; with job_id, wait on one up to wait_seconds
    and save its file. Free."""
    state = call.state
    if job_id is not None:
        job = await state.jobs.get(job_id.strip())
        if job is None:
            raise ToolError(f"No job {job_id!r} here. List known jobs with venice_jobs.")
        if job.base_url != state.settings.base_url and not job.done:
            raise ToolError(
                f"Job {job.id} was queued with Venice at {job.base_url}, but this server talks to "
                f"{state.settings.base_url}; start it with that VENICE_BASE_URL (or without --sandbox) "
                "to fetch the job."
            )
        return await wait_and_reply(call, job, wait_seconds)
    if state.settings.charging:
        # Every paying agent shares this server: a job is reached only by the id its caller got.
        raise ToolError(
            "On this server jobs are looked up by job_id only (the id venice_music_generate "
            "or venice_video_generate gave you)."
        )
    jobs = await state.jobs.list(status=status, kind=kind, limit=limit)
    if not jobs:
        text = "No jobs" + (f" with status {status}" if status else "") + " yet."
    else:
        text = "\n".join(_line(j) for j in jobs)
    return Reply(text, {"jobs": [j.summary() for j in jobs], "count": len(jobs)})


@tool("Price a job", "read_only", "audio", "video")
async def venice_quote(
    call: Call,
    kind: Annotated[Literal["video", "music"], Field()],
    model: Annotated[
        str | None,
        Field(description=f"Default {DEFAULT_TEXT_TO_VIDEO} or {DEFAULT_MUSIC_MODEL}."),
    ] = None,
    duration: Annotated[str | None, Field(description="Video, e.g. '5s'.")] = None,
    resolution: Annotated[str | None, Field()] = None,
    aspect_ratio: Annotated[str | None, Field()] = None,
    audio: Annotated[bool | None, Field()] = None,
    upscale_factor: Annotated[Literal[1, 2, 4] | None, Field(description="Video upscalers.")] = None,
    video: Annotated[str | None, Field(description="Upscale/v2v source.")] = None,
    duration_seconds: Annotated[int | None, Field(gt=0, description="Music.")] = None,
    prompt: Annotated[str | None, Field(description="Music text (per-character pricing).")] = None,
) -> Reply:
    """Venice's price for a video or music job, without queueing it (free)."""
    state = call.state
    if kind == "video":
        resolved = await state.catalog.resolve(model or DEFAULT_TEXT_TO_VIDEO, "video")
        args: dict[str, Any] = {
            k: v
            for k, v in (
                ("duration", duration),
                ("resolution", resolution),
                ("aspect_ratio", aspect_ratio),
                ("audio", audio),
                ("upscale_factor", upscale_factor),
            )
            if v is not None
        }
        args = media_specs.video_defaults(resolved.spec, resolved.id, args)
        media_specs.video(resolved.spec, resolved.id, args, for_quote=True)
        body = dict(args)
        if media_specs.video_kind(resolved.spec) == "video":
            # Venice reads the source video's length (and, to upscale, its size) to price the job.
            if not video:
                raise media_specs.PreflightError(f"{resolved.id} is priced from its source: pass 'video'.")
            body["video_url"] = await media_ref(state, video, "video")
        elif video:
            raise media_specs.PreflightError(f"{resolved.id} takes no source video; drop 'video'.")
        try:
            price = await video_quote(state, {"model": resolved.id, **body})
        except errors.PermissionDeniedError as exc:
            if not media_specs.is_upscale(resolved.id):
                raise
            raise ToolError(
                f"Venice quotes upscale jobs only to API-key callers (VENICE_API_KEY); it answered: "
                f"{exc}. venice_video_generate still asks before it queues one, without a price."
            ) from exc
    else:
        resolved = await state.catalog.resolve(model or DEFAULT_MUSIC_MODEL, "music")
        args = {"prompt": prompt or ""}
        if duration_seconds is not None:
            args["duration_seconds"] = duration_seconds
            media_specs.music_duration(resolved.spec, resolved.id, duration_seconds)
        if media_specs.music_charges_by_characters(resolved.spec) and not prompt:
            raise ToolError(f"{resolved.id} is priced per character: pass the text as 'prompt'.")
        price = await music_quote(state, resolved.id, resolved.spec, args)
    options = ", ".join(f"{k} {v}" for k, v in args.items() if k != "prompt")
    text = f"{kind.capitalize()} with {resolved.id}" + (f" ({options})" if options else "")
    text += f": Venice quotes {usd(price)}. Nothing was queued or spent."
    structured = {
        "kind": kind,
        "model": resolved.id,
        "quote_usd": price,
        "options": {k: v for k, v in args.items() if k != "prompt"},
        "within_limit": price <= state.settings.max_call_usd,
    }
    return Reply(text, structured)

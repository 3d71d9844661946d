"""/video/{quote,queue,retrieve,complete} and the retired /video/transcriptions (venice-api.md
§5.5, §5.6), plus the unauthenticated download route that stands in for a VPS download_url.

Prices are a deterministic formula (Venice's are dynamic): $0.02 per second at 480p, scaled by
the short side of the resolution over 480, plus a quarter when audio is on.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from venice_mcp.sandbox import audio, catalog, media, spec
from venice_mcp.sandbox.context import Context
from venice_mcp.sandbox.errors import VeniceError, error
from venice_mcp.sandbox.media_jobs import CONTENT_VIOLATION_MARKER, MediaJob, owner_of
from venice_mcp.sandbox.state import SandboxState

DOWNLOAD_PREFIX = "/_sandbox/media/"
DEFAULT_PROMPT_LIMIT = 2500
SHORT_SIDES = {
    "256p": 256,
    "360p": 360,
    "480p": 480,
    "540p": 540,
    "580p": 580,
    "720p": 720,
    "768P": 768,
    "1080p": 1080,
    "true_1080p": 1080,
    "1080P": 1080,
    "480P": 480,
    "1440p": 1440,
    "2K": 1440,
    "2160p": 2160,
    "4k": 2160,
    "2x": 1440,
    "4x": 2160,
}
_RETIRED = (
    "This endpoint has been retired. To analyze or transcribe a video, use POST /api/v1/chat/completions "
    "with a video_url content part on a model that supports video input."
)
_LINK = '</api/v1/chat/completions>; rel="successor-version", </api/v1/models>; rel="describedby"'
_MEDIA_FIELDS = ("image_url", "end_image_url", "audio_url", "video_url")
_MEDIA_LISTS = (
    "reference_image_urls",
    "reference_video_urls",
    "reference_audio_urls",
    "reference_document_urls",
)


def _constraints(model: dict[str, Any]) -> dict[str, Any]:
    value = model.get("model_spec", {}).get("constraints", {})
    return value if isinstance(value, dict) else {}


def is_upscale(model: dict[str, Any]) -> bool:
    return "upscale" in str(model.get("id", ""))


def is_vps(model: dict[str, Any]) -> bool:
    """Grok Imagine models are VPS-backed: queue gives a download_url, retrieve only status."""
    return str(model.get("id", "")).startswith("grok-imagine")


def seconds_of(duration: Any) -> int:
    if isinstance(duration, str) and duration.endswith("s") and duration[:-1].isdigit():
        return int(duration[:-1])
    return 5


def price(body: dict[str, Any], model: dict[str, Any]) -> float:
    c = _constraints(model)
    resolutions = c.get("resolutions") or ["720p"]
    res = body.get("resolution") if body.get("resolution") in resolutions else resolutions[0]
    if is_upscale(model):
        factor = body.get("upscale_factor") or 2
        res = "4x" if factor == 4 else "2x"
    seconds = 10 if is_upscale(model) else seconds_of(body.get("duration"))
    short = SHORT_SIDES.get(str(res), 720)
    audio_on = bool(c.get("audio")) and (body.get("audio", True) if c.get("audio_configurable") else True)
    usd = 0.02 * seconds * (short / 480) * (1.25 if audio_on else 1.0)
    return round(usd, 4)


def _caller_owner(ctx: Context) -> str:
    return owner_of(ctx.caller.wallet, ctx.caller.key_type)


async def quote(ctx: Context) -> Response:
    audio._require_model(ctx.body)
    body = ctx.body
    model = catalog.resolve(body if isinstance(body, dict) else {}, "video")
    if is_upscale(model):
        if ctx.caller.key_type is None:
            raise error(403, "Unauthorized access")
        body = {**body, "duration": body.get("duration") or "5s"}
    spec.validate_body("/video/quote", body)
    return JSONResponse({"quote": price(body, model)})


def _public(url: str) -> bool:
    if url.startswith("data:"):
        return True
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname
    if host in ("localhost", "metadata.google.internal") or host.endswith(".local"):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True
    return address.is_global


def check_video(model: dict[str, Any], body: dict[str, Any]) -> None:
    """Venice's strict per-model checks of a /video/queue body (after the schema)."""
    c = _constraints(model)
    mid = model["id"]
    kind = c.get("model_type")
    prompt = body.get("prompt")
    limit = int(c.get("prompt_character_limit") or DEFAULT_PROMPT_LIMIT)
    if prompt is not None and len(prompt) > limit:
        raise error(400, f"Prompt exceeds the maximum length of {limit} characters for this model")
    if prompt is not None and not prompt.strip():
        raise error(400, "prompt must contain at least one non-whitespace character")
    ratios = c.get("aspect_ratios") or []
    if "aspect_ratio" in body and not ratios:
        raise error(400, "This model does not support aspect_ratio")
    if ratios and "aspect_ratio" not in body:
        raise error(400, f"aspect_ratio is required for this model. Supported: {', '.join(ratios)}")
    if ratios and body.get("aspect_ratio") not in ratios:
        raise error(400, f"Invalid aspect_ratio for this model. Supported: {', '.join(ratios)}")
    resolutions = c.get("resolutions") or []
    if "resolution" in body:
        if is_upscale(model) or not resolutions:
            raise error(400, "This model does not support resolution")
        if body["resolution"] not in resolutions:
            raise error(400, f"Invalid resolution for this model. Supported: {', '.join(resolutions)}")
    durations = [d for d in c.get("durations") or [] if d != "Auto"]
    if "duration" in body:
        if body["duration"] == "Auto":
            raise error(400, "duration 'Auto' is not accepted; omit duration to match the source")
        if durations and body["duration"] not in durations:
            raise error(400, f"Invalid duration for this model. Supported: {', '.join(durations)}")
    elif kind != "video":
        raise error(400, "duration is required for this model")
    if "audio" in body and not c.get("audio_configurable"):
        raise error(400, "This model does not support audio")
    if "upscale_factor" in body and not is_upscale(model):
        raise error(400, "This model does not support upscale_factor")
    if kind == "text-to-video" and ("image_url" in body or "end_image_url" in body):
        raise error(400, "This model does not support image_url")
    if kind == "image-to-video" and "image_url" not in body and not body.get("reference_image_urls"):
        raise error(400, f"image_url is required for {mid}")
    if kind == "video" and "video_url" not in body:
        raise error(400, f"video_url is required for {mid}")
    if "video_url" in body and kind != "video" and not c.get("video_input"):
        raise error(400, "This model does not support video_url")
    if "audio_url" in body and not c.get("audio_input"):
        raise error(400, "This model does not support audio_url")
    urls = [body[f] for f in _MEDIA_FIELDS if isinstance(body.get(f), str)]
    urls += [u for f in _MEDIA_LISTS for u in body.get(f) or [] if isinstance(u, str)]
    for url in urls:
        if not _public(url):
            raise error(400, f"Media URL is not allowed (must be a public http(s) or data: URL): {url[:80]}")


async def queue(ctx: Context) -> Response:
    audio._require_model(ctx.body)
    body: Any = ctx.body
    model = catalog.resolve(body if isinstance(body, dict) else {}, "video")
    ctx.deprecation(model)
    # Upscale and video-to-video models take no prompt or duration; the schema still lists both.
    lenient = dict(body) if isinstance(body, dict) else body
    if isinstance(lenient, dict) and _constraints(model).get("model_type") == "video":
        lenient.setdefault("prompt", "-")
        lenient.setdefault("duration", "5s")
    spec.validate_body("/video/queue", lenient)
    check_video(model, body)
    cost = price(body, model)
    job = ctx.state.media_jobs.add(
        "video", model["id"], _caller_owner(ctx), body, price_usd=cost, average_ms=145_000
    )
    audio.debit_for_queue(ctx, cost, job.queue_id, model["id"])
    out: dict[str, Any] = {"model": model["id"], "queue_id": job.queue_id}
    if is_vps(model):
        host = ctx.request.headers.get("host", "sandbox.local")
        job.download_url = f"{ctx.request.url.scheme}://{host}{DOWNLOAD_PREFIX}{job.queue_id}"
        out["download_url"] = job.download_url
    return JSONResponse(out)


def dimensions(body: dict[str, Any], model: dict[str, Any]) -> tuple[int, int]:
    c = _constraints(model)
    resolutions = c.get("resolutions") or ["720p"]
    res = body.get("resolution") or ("720p" if "720p" in resolutions else resolutions[0])
    short = min(SHORT_SIDES.get(str(res), 720), 720)  # frames stay small; the size is in the header
    ratio = str(body.get("aspect_ratio") or "16:9")
    try:
        w, h = (float(x) for x in ratio.split(":"))
    except ValueError:
        w, h = 16.0, 9.0
    if w >= h:
        return 2 * round(short * w / h / 2), short
    return short, 2 * round(short * h / w / 2)


def video_bytes(job: MediaJob) -> bytes:
    model = catalog.find(job.model, "video") or {"id": job.model}
    width, height = dimensions(job.body, model)
    return media.mp4(seconds_of(job.body.get("duration")), width, height, seed=job.queue_id)


def _policy_failure(job: MediaJob) -> VeniceError:
    kind = _constraints(catalog.find(job.model, "video") or {}).get("model_type", "text-to-video")
    others = [
        m["id"]
        for m in catalog.models_of("video")
        if m["id"] != job.model and _constraints(m).get("model_type") == kind
    ]
    preferred = f"wan-2-7-{kind}"
    recommended = preferred if preferred in others else (others[0] if others else job.model)
    return VeniceError(
        422,
        {
            "error": {
                "message": (
                    "The selected model provider rejected this request due to its content policies. "
                    f"Credits have been refunded. Try using {recommended} instead."
                ),
                "type": "provider_content_policy",
                "credits_refunded": True,
                "recommended_model": recommended,
            }
        },
    )


async def retrieve(ctx: Context) -> Response:
    audio._require_model(ctx.body)
    spec.validate_body("/video/retrieve", ctx.body)
    jobs = ctx.state.media_jobs
    job = jobs.find("video", ctx.body, _caller_owner(ctx))
    if job.failure is not None:
        raise job.failure
    if not jobs.advance(job):
        return JSONResponse(job.processing())
    if CONTENT_VIOLATION_MARKER in str(job.body.get("prompt", "")):
        job.failure = _policy_failure(job)
        audio.refund(ctx, job)
        raise job.failure
    delete = bool(ctx.body.get("delete_media_on_completion"))
    if job.download_url:
        if delete:
            job.deleted = True
        return JSONResponse(
            {
                "status": "COMPLETED",
                "average_execution_time": job.average_ms,
                "execution_duration": job.average_ms,
            }
        )
    data = video_bytes(job)
    if delete:
        job.deleted = True
    return Response(data, media_type="video/mp4")


async def complete(ctx: Context) -> Response:
    audio._require_model(ctx.body)
    spec.validate_body("/video/complete", ctx.body)
    jobs = ctx.state.media_jobs
    if jobs.video_complete_rejects:
        raise error(400, "Request ID is invalid.")
    try:
        job = jobs.find("video", ctx.body, _caller_owner(ctx))
    except VeniceError as exc:
        if exc.status == 404:
            return JSONResponse({"success": True})
        raise
    job.completed_calls += 1
    if not job.finished:
        return JSONResponse({"success": False})
    job.deleted = True
    return JSONResponse({"success": True})


async def transcriptions(ctx: Context) -> Response:
    if ctx.state.media_jobs.video_transcriptions_retired:
        return JSONResponse(
            {"error": _RETIRED}, status_code=410, headers={"Deprecation": "true", "Link": _LINK}
        )
    spec.validate_body("/video/transcriptions", ctx.body)
    text = audio.transcript(30.0)
    if ctx.body.get("response_format") == "text":
        return Response(text, media_type="text/plain")
    return JSONResponse({"transcript": text, "lang": "en"})


def routes(state: SandboxState) -> list[BaseRoute]:
    """GET of a VPS download_url: no credentials, the MP4 while the job lives (24 h at Venice)."""

    async def download(request: Request) -> Response:
        job = state.media_jobs.by_download(request.path_params["queue_id"])
        if job is None or not job.finished or job.failure is not None:
            return JSONResponse({"error": "Not found"}, status_code=404)
        return Response(video_bytes(job), media_type="video/mp4")

    return [Route(DOWNLOAD_PREFIX + "{queue_id}", download, methods=["GET"])]

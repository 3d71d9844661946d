"""/video/{quote,queue,retrieve,complete} and the retired /video/transcriptions (venice-api.md
§5.5, §5.6), plus the unauthenticated download route that stands in for a VPS download_url.

Prices are a deterministic formula (Venice's are dynamic): $0.02 per second at 480p, scaled by
the short side of the resolution over 480, plus a quarter when audio is on. Seconds of reference
video are billed like seconds of output (Venice's "(input + output) x pixels" tier); an upscale or
video-to-video job is billed for its source's length. Venice fetches media URLs to read their
length; the sandbox is offline, so it reads data: URLs and takes a URL's clip as
``URL_CLIP_SECONDS`` long.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from venice_mcp.sandbox import audio, catalog, media, spec
from venice_mcp.sandbox.context import Context
from venice_mcp.sandbox.errors import STATUS_MESSAGES, VeniceError, error
from venice_mcp.sandbox.media_jobs import CONTENT_VIOLATION_MARKER, MediaJob, owner_of
from venice_mcp.sandbox.state import SandboxState

DOWNLOAD_PREFIX = "/_sandbox/media/"
DOWNLOAD_ROUTE = DOWNLOAD_PREFIX + "{queue_id}"
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
    "scene_image_urls",
)
_REFERENCE_FIELDS = (*_MEDIA_LISTS, "elements", "keyframes")
URL_CLIP_SECONDS = 5.0
URL_SOURCE_SECONDS = 10.0
DEFAULT_REFERENCE_IMAGES = 4  # where a model sets no cap of its own


@dataclass(frozen=True)
class References:
    """What a reference-to-video family takes (the video skill's "Reference media limits")."""

    images: int
    videos: int = 0
    audios: int = 0
    documents: int = 0
    elements: bool = False  # elements and scene images (Kling)
    clip: tuple[float, float] = (2.0, 15.0)  # seconds per reference video or audio clip
    total: float = 15.0  # seconds of reference video (and of reference audio) in all
    frames: bool = True  # False: image_url / end_image_url are refused beside reference media
    elements_need_image: bool = False


_FAMILIES: tuple[tuple[str, References], ...] = (
    (r"seedance-2-0-(fast-|mini-)?reference-to-video-basic", References(9, 3, 3)),
    (r"seedance-2-5-reference-to-video-basic", References(30, 10, 10, clip=(2.0, 30.0), total=30.0)),
    (r"seedance-2-5-us-reference-to-video-private", References(30, 10, 10, clip=(2.0, 30.0), total=30.0)),
    (r"wan-3-0-.*reference-to-video", References(10, 5, 5, documents=1, clip=(1.0, 15.0))),
    (r"minimax-h3-(max-)?reference-to-video", References(9, 3, 3, frames=False)),
    (r"minimax-h3-enhanced-reference-to-video", References(9, 0, 3, frames=False)),
    (r"kling-o3-(standard|pro)-reference-to-video", References(4, elements=True)),
    (r"kling-v3-4k-reference-to-video", References(4, elements=True, elements_need_image=True)),
    (r"kling-o3-4k-reference-to-video", References(7, elements=True)),
    (r"pixverse-c1-reference-to-video", References(7)),
    (r"grok-imagine(-1-5)?-reference-to-video-private", References(7)),
    (r"gemini-omni-flash-1-1-reference-to-video", References(10)),
    (r"gemini-omni-flash-reference-to-video", References(3)),
)


def references_of(model: dict[str, Any]) -> References | None:
    mid = str(model.get("id", ""))
    return next((refs for pattern, refs in _FAMILIES if re.fullmatch(pattern, mid)), None)


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


def _inline(url: Any) -> bytes | None:
    """The bytes of a base64 data: URL (None for anything else)."""
    if not isinstance(url, str) or not url.startswith("data:"):
        return None
    header, _, payload = url.partition(",")
    if ";base64" not in header:
        return None
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise error(400, "Media data URL is not valid base64") from None


def clip_seconds(url: Any) -> float | None:
    """A clip's length as read here: an inline MP4/MOV or WAV; None for a URL or another format."""
    data = _inline(url)
    return None if data is None else media.mp4_seconds(data) or media.wav_seconds(data)


def source_seconds(body: dict[str, Any]) -> float:
    """The length of the video an upscale or video-to-video job works on."""
    url = body.get("video_url")
    if _inline(url) is None:
        return URL_SOURCE_SECONDS
    seconds = clip_seconds(url)
    if seconds is None:
        raise error(400, "Could not read the video in video_url")
    return seconds


def price(body: dict[str, Any], model: dict[str, Any], reference_seconds: float = 0.0) -> float:
    c = _constraints(model)
    resolutions = c.get("resolutions") or ["720p"]
    res = body.get("resolution") if body.get("resolution") in resolutions else resolutions[0]
    if is_upscale(model):
        factor = body.get("upscale_factor") or 2
        res = "4x" if factor == 4 else "2x"
    from_source = c.get("model_type") == "video"
    seconds = source_seconds(body) if from_source else seconds_of(body.get("duration"))
    short = SHORT_SIDES.get(str(res), 720)
    audio_on = bool(c.get("audio")) and (body.get("audio", True) if c.get("audio_configurable") else True)
    usd = 0.02 * (seconds + reference_seconds) * (short / 480) * (1.25 if audio_on else 1.0)
    return round(usd, 4)


def _caller_owner(ctx: Context) -> str:
    return owner_of(ctx.caller.wallet, ctx.caller.key_type)


async def quote(ctx: Context) -> Response:
    catalog.require_model(ctx.body)
    body = ctx.body
    model = catalog.resolve(body if isinstance(body, dict) else {}, "video")
    if is_upscale(model):
        if ctx.caller.key_type is None:
            raise error(403, "Unauthorized access")
        body = {**body, "duration": body.get("duration") or "5s"}
    spec.validate_body("/video/quote", body)
    if _constraints(model).get("model_type") == "video" and not body.get("video_url"):
        raise error(400, "video_url is required to quote this model (its length sets the price)")
    # The quote drops what a model does not use: reference video counts only where it is taken.
    refs = references_of(model)
    reference_seconds = float(body.get("reference_video_total_duration") or 0)
    if refs is None or not refs.videos:
        reference_seconds = 0.0
    elif reference_seconds > refs.total:
        raise error(
            400, f"reference_video_total_duration must be at most {refs.total:g} seconds for this model"
        )
    return JSONResponse({"quote": price(body, model, reference_seconds)})


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
    if (
        kind == "image-to-video"
        and "image_url" not in body
        and not any(body.get(f) for f in _REFERENCE_FIELDS)
    ):
        raise error(400, f"image_url is required for {mid}")
    if kind == "video" and "video_url" not in body:
        raise error(400, f"video_url is required for {mid}")
    if "video_url" in body and kind != "video" and not c.get("video_input"):
        raise error(400, "This model does not support video_url")
    if "audio_url" in body and not c.get("audio_input"):
        raise error(400, "This model does not support audio_url")
    check_references(model, body)
    for url in media_urls(body):
        if not _public(url):
            raise error(400, f"Media URL is not allowed (must be a public http(s) or data: URL): {url[:80]}")


def media_urls(body: dict[str, Any]) -> list[str]:
    """Every media URL of a queue body, nested ones (elements, keyframes) included."""
    urls = [body[f] for f in _MEDIA_FIELDS if isinstance(body.get(f), str)]
    urls += [u for f in _MEDIA_LISTS for u in body.get(f) or []]
    for element in body.get("elements") or []:
        urls += [element[k] for k in ("frontal_image_url", "video_url") if k in element]
        urls += element.get("reference_image_urls") or []
    urls += [k["image_url"] for k in body.get("keyframes") or []]
    return [u for u in urls if isinstance(u, str)]


def check_references(model: dict[str, Any], body: dict[str, Any]) -> None:
    """Venice's per-model rules for reference media (after the schema's array limits)."""
    present = [f for f in _REFERENCE_FIELDS if body.get(f)]
    if not present:
        return
    c = _constraints(model)
    refs = references_of(model)
    if c.get("model_type") == "text-to-video":
        raise error(400, f"This model does not support {present[0]}")
    if refs is None:
        # Other image-driven models take a few reference images and nothing else.
        other = [f for f in present if f != "reference_image_urls"]
        if other:
            raise error(400, f"This model does not support {other[0]}")
        if len(body["reference_image_urls"]) > DEFAULT_REFERENCE_IMAGES:
            raise error(
                400, f"reference_image_urls supports at most {DEFAULT_REFERENCE_IMAGES} images for this model"
            )
        return
    caps = {
        "reference_image_urls": refs.images,
        "reference_video_urls": refs.videos,
        "reference_audio_urls": refs.audios,
        "reference_document_urls": refs.documents,
        "scene_image_urls": 4 if refs.elements else 0,
        "elements": 4 if refs.elements else 0,
        "keyframes": 0,
    }
    for field in present:
        if not caps[field]:
            raise error(400, f"This model does not support {field}")
        # audio_url counts as one more reference audio on these models
        count = len(body[field]) + (1 if field == "reference_audio_urls" and "audio_url" in body else 0)
        if count > caps[field]:
            raise error(400, f"{field} supports at most {caps[field]} items for this model")
    if body.get("reference_audio_urls") and not (
        body.get("reference_image_urls") or body.get("reference_video_urls")
    ):
        raise error(
            400, "Reference audio must be paired with at least one reference image or reference video"
        )
    if not refs.frames and ("image_url" in body or "end_image_url" in body):
        raise error(400, "image_url and end_image_url cannot be combined with reference media for this model")
    for element in body.get("elements") or []:
        if not element.get("frontal_image_url") and not element.get("video_url"):
            raise error(400, "Each element requires a frontal_image_url or a video_url")
    if body.get("elements") and refs.elements_need_image and "image_url" not in body:
        raise error(400, "image_url is required when using elements with this model")
    for field, noun in (("reference_video_urls", "video"), ("reference_audio_urls", "audio")):
        clips = [c for c in (clip_seconds(u) for u in body.get(field) or []) if c is not None]
        low, high = refs.clip
        if any(not low <= c <= high for c in clips):
            raise error(400, f"Each reference {noun} must be {low:g}-{high:g} seconds long")
        if sum(clips) > refs.total:
            raise error(400, f"Reference {noun}s must total at most {refs.total:g} seconds")


def reference_seconds(model: dict[str, Any], body: dict[str, Any]) -> float:
    """Seconds of reference video a queued job is billed for."""
    refs = references_of(model)
    if refs is None or not refs.videos:
        return 0.0
    clips = [clip_seconds(u) for u in body.get("reference_video_urls") or []]
    return sum(URL_CLIP_SECONDS if c is None else c for c in clips)


async def queue(ctx: Context) -> Response:
    catalog.require_model(ctx.body)
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
    cost = price(body, model, reference_seconds(model, body))
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
    catalog.require_model(ctx.body)
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
    catalog.require_model(ctx.body)
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
    """GET of a VPS download_url: no credentials, the MP4 while the job lives (24 h at Venice).
    Faults injected for ``DOWNLOAD_ROUTE`` fire here too (storage has bad moments as well)."""

    async def download(request: Request) -> Response:
        job = state.media_jobs.by_download(request.path_params["queue_id"])
        if job is not None:
            job.downloads.append({k.lower(): v for k, v in request.headers.items()})
        fault = state.faults.take("GET", DOWNLOAD_ROUTE)
        if fault is not None and fault.status is not None:
            message = fault.message or STATUS_MESSAGES.get(fault.status, "An unknown error occurred")
            return JSONResponse({"error": message}, status_code=fault.status)
        if job is None or not job.finished or job.failure is not None:
            return JSONResponse({"error": "Not found"}, status_code=404)
        return Response(video_bytes(job), media_type="video/mp4")

    return [Route(DOWNLOAD_ROUTE, download, methods=["GET"])]

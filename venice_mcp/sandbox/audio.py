"""/audio/speech, /audio/voices, /audio/transcriptions and the queued-audio routes
/audio/{quote,queue,retrieve,complete}, with Venice's validation order and bodies (venice-api.md
§5.1–§5.4)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, PlainTextResponse, Response

from venice_mcp.sandbox import catalog, media, spec
from venice_mcp.sandbox.context import Context, new_id
from venice_mcp.sandbox.errors import error
from venice_mcp.sandbox.media_jobs import CONTENT_VIOLATION_MARKER, MediaJob, owner_of

MAX_UPLOAD = 25 * 1024 * 1024
CHARS_PER_SECOND = 15.0  # speech pace used for the length of generated speech
_PHRASE = (
    "the quick brown fox jumps over the lazy dog while the sandbox keeps a steady deterministic pace "
    "so that every transcript reads the same way twice"
)
WORDS = tuple(_PHRASE.split())
_INSUFFICIENT = (
    "Insufficient USD or Diem balance to complete request. "
    "Visit https://venice.ai/settings/api to add credits."
)


def _owner(ctx: Context) -> str:
    return owner_of(ctx.caller.wallet, ctx.caller.key_type)


# -- /audio/speech -------------------------------------------------------------------------------


async def speech(ctx: Context) -> Response:
    catalog.require_model(ctx.body)
    spec.validate_body("/audio/speech", ctx.body)
    body: dict[str, Any] = ctx.body
    model = catalog.resolve(body, "tts")
    model_spec = model.get("model_spec", {})
    text = body["input"]
    if not any(ch.isalnum() for ch in text):
        raise error(400, "Input must contain speakable text")
    voices = model_spec.get("voices") or []
    voice = body.get("voice")
    if voice is not None and voice.startswith("vv_"):
        _check_cloned(ctx, voice, model["id"])
    elif (
        voice is not None
        and voices
        and voice not in voices
        and not model_spec.get("supports_custom_voice_id")
    ):
        raise error(
            400, f"Invalid voice '{voice}' for model {model['id']}", details={"supported_voices": voices}
        )
    formats = model_spec.get("supported_formats") or list(media.MIME_TYPES)
    fmt = body.get("response_format") or model_spec.get("default_format") or formats[0]
    if fmt not in formats:
        raise error(
            400,
            f"Unsupported response_format '{fmt}' for model {model['id']}. "
            f"Supported formats: {', '.join(formats)}",
        )
    seconds = max(0.5, len(text) / CHARS_PER_SECOND / float(body.get("speed") or 1.0))
    data = media.audio(fmt, seconds)
    rid = new_id("tts-")
    ctx.headers["x-request-id"] = rid
    ctx.charge(len(text) * catalog.price(model, "input") / 1e6, request_id=rid, model_id=model["id"])
    return Response(data, media_type=media.MIME_TYPES[fmt])


def _check_cloned(ctx: Context, handle: str, model_id: str) -> None:
    """A vv_ handle works only for its owner, with the model that cloned it, until it expires."""
    record = ctx.state.cloned_voices.get(handle)
    if record is None or record["owner"] != _owner(ctx) or record["expires"] <= ctx.state.clock():
        raise error(400, f"Voice '{handle}' was not found or has expired")
    if record["model"] != model_id:
        raise error(
            400, f"Voice '{handle}' was cloned for {record['model']} and cannot be used with {model_id}"
        )


# -- /audio/voices -------------------------------------------------------------------------------

CLONE_MODELS = ["tts-chatterbox-hd", "tts-minimax-speech-02-hd"]  # the spec's enum
CLONE_USD = 0.01  # a flat fee per clone; Venice publishes no amount (sandbox assumption)
DAY_S = 86_400


async def voices(ctx: Context) -> Response:
    if ctx.body is not None:  # a JSON body instead of multipart
        raise error(400, "No audio file provided")
    form = await ctx.request.form(max_part_size=MAX_UPLOAD + 1)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    name = fields.get("model", CLONE_MODELS[0])
    if name not in CLONE_MODELS:
        raise spec_error("model", name, CLONE_MODELS)
    model = catalog.resolve({"model": name}, "tts")
    cloning = model.get("model_spec", {}).get("voice_cloning")
    if not cloning:
        raise error(403, f"Voice cloning with {model['id']} is not available on your account")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise error(400, "No audio file provided")
    data = await upload.read()
    if len(data) > MAX_UPLOAD:
        raise error(413, "File exceeds the maximum allowed size of 25 MB.", code="PAYLOAD_TOO_LARGE")
    accepted = [str(f) for f in cloning.get("accepted_formats") or []]
    if _audio_kind(data) not in accepted:
        raise error(400, f"Unsupported voice sample: {model['id']} accepts {', '.join(accepted)} audio")
    handle = new_id("vv_")
    days = float(cloning.get("retention_days") or 7)
    ctx.state.cloned_voices[handle] = {
        "model": model["id"],
        "owner": _owner(ctx),
        "expires": ctx.state.clock() + days * DAY_S,
    }
    rid = new_id("clone-")
    ctx.headers["x-request-id"] = rid
    ctx.charge(CLONE_USD, request_id=rid, model_id=model["id"])
    return JSONResponse({"id": handle, "model": model["id"]})


# -- /audio/transcriptions -----------------------------------------------------------------------

_SIGNATURES = (
    (b"RIFF", "wav"),
    (b"fLaC", "flac"),
    (b"ID3", "mp3"),
    (b"OggS", "ogg"),
    (b"\x1a\x45\xdf\xa3", "webm"),
)


def _audio_kind(data: bytes) -> str | None:
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            return kind
    if data[4:8] == b"ftyp":
        return "mp4"
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xF6 == 0xF0:
        return "aac"
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:
        return "mp3"
    return None


def _seconds(data: bytes, kind: str) -> float:
    if kind == "wav":
        seconds = media.wav_seconds(data)
        if seconds is not None:
            return seconds
    if kind == "mp3" and data[:2] == b"\xff\xfb":
        return len(data) / 144 * 0.036  # the sandbox's own MP3 frames
    return len(data) / 16_000  # ~128 kbit/s


def transcript(seconds: float) -> str:
    count = max(1, round(seconds * 2.5))
    return " ".join(WORDS[i % len(WORDS)] for i in range(count)).capitalize() + "."


def _timestamps(text: str, seconds: float) -> dict[str, Any]:
    words = text.split()
    step = seconds / max(1, len(words))
    stamps = [
        {"word": w, "start": round(i * step, 3), "end": round((i + 1) * step, 3)} for i, w in enumerate(words)
    ]
    return {"word": stamps, "segment": [{"text": text, "start": 0.0, "end": round(seconds, 3)}]}


async def transcriptions(ctx: Context) -> Response:
    if ctx.body is not None:  # a JSON body instead of multipart
        raise error(400, "No audio file provided")
    form = await ctx.request.form(max_part_size=MAX_UPLOAD + 1)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    upload = form.get("file")
    catalog.require_model(fields)
    model = catalog.resolve(fields, "asr")
    fmt = fields.get("response_format", "json")
    if fmt not in ("json", "text"):
        raise spec_error("response_format", fmt, ["json", "text"])
    stamps = fields.get("timestamps", "false")
    if stamps not in ("true", "false"):
        raise spec_error("timestamps", stamps, ["true", "false"])
    if not isinstance(upload, UploadFile):
        raise error(400, "No audio file provided")
    data = await upload.read()
    if len(data) > MAX_UPLOAD:
        raise error(413, "File exceeds the maximum allowed size of 25 MB.", code="PAYLOAD_TOO_LARGE")
    kind = _audio_kind(data)
    if kind is None:
        raise error(
            400, "Unsupported audio file: the content is not wav, flac, m4a, aac, mp4, mp3, ogg or webm"
        )
    seconds = _seconds(data, kind)
    if seconds <= 0:
        raise error(422, "The audio could not be processed for transcription.")
    text = transcript(seconds)
    rid = new_id("asr-")
    ctx.headers["x-request-id"] = rid
    ctx.charge(seconds * catalog.price(model, "per_audio_second"), request_id=rid, model_id=model["id"])
    if fmt == "text":
        return PlainTextResponse(text)
    out: dict[str, Any] = {"text": text, "duration": round(seconds, 3)}
    if stamps == "true":
        out["timestamps"] = _timestamps(text, seconds)
    return JSONResponse(out)


def spec_error(name: str, value: str, options: list[str]) -> Any:
    from venice_mcp.sandbox.errors import detailed_error

    quoted = " | ".join(f"'{o}'" for o in options)
    return detailed_error(
        [
            {
                "code": "invalid_enum_value",
                "options": options,
                "received": value,
                "path": [name],
                "message": f"Invalid enum value. Expected {quoted}, received '{value}'",
            }
        ]
    )


# -- queued audio --------------------------------------------------------------------------------


def _has_duration(model_spec: dict[str, Any]) -> bool:
    return any(k in model_spec for k in ("duration_options", "min_duration", "max_duration"))


def _duration(model_spec: dict[str, Any], raw: Any) -> int | None:
    if raw is None:
        default = model_spec.get("default_duration")
        return int(default) if isinstance(default, (int, float)) else None
    seconds = int(raw)
    if not _has_duration(model_spec):
        raise error(400, "duration_seconds is not supported for this model")
    options = model_spec.get("duration_options")
    if options and seconds not in options:
        raise error(400, f"duration_seconds must be one of: {', '.join(str(int(o)) for o in options)}")
    lo, hi = model_spec.get("min_duration"), model_spec.get("max_duration")
    if not options and (
        (isinstance(lo, (int, float)) and seconds < lo) or (isinstance(hi, (int, float)) and seconds > hi)
    ):
        raise error(400, f"duration_seconds must be between {lo:g} and {hi:g}")
    return seconds


def music_price(model: dict[str, Any], seconds: int | None, characters: int | None) -> float:
    """USD for one job from the model's pricing shape (durations, generation, per_second, ...)."""
    pricing = model.get("model_spec", {}).get("pricing", {})
    if "generation" in pricing:
        return float(pricing["generation"]["usd"])
    if "durations" in pricing:
        tiers = sorted(pricing["durations"].values(), key=lambda t: t["max_seconds"])
        wanted = seconds or int(tiers[0]["max_seconds"])
        for tier in tiers:
            if tier["min_seconds"] <= wanted <= tier["max_seconds"]:
                return float(tier["usd"])
        return float(tiers[-1]["usd"])
    if "per_second" in pricing:
        return float(pricing["per_second"]["usd"]) * float(seconds or 30)
    if "per_thousand_characters" in pricing:
        if not characters:
            raise error(400, "character_count is required for this model")
        return float(pricing["per_thousand_characters"]["usd"]) * characters / 1000
    return 0.0


async def quote(ctx: Context) -> Response:
    catalog.require_model(ctx.body)
    spec.validate_body("/audio/quote", ctx.body)
    model = catalog.resolve(ctx.body, "music")
    seconds = _duration(model.get("model_spec", {}), ctx.body.get("duration_seconds"))
    price = music_price(model, seconds, ctx.body.get("character_count"))
    return JSONResponse({"quote": round(price, 6)})


def _unsupported(field: str) -> Any:
    return error(400, f"This model does not support {field}")


def check_music(model: dict[str, Any], body: dict[str, Any]) -> int | None:
    """Venice's strict per-model checks of an /audio/queue body; returns the duration in seconds."""
    ms = model.get("model_spec", {})
    prompt = body["prompt"].strip()
    low = int(ms.get("min_prompt_length", 10))
    high = ms.get("prompt_character_limit")
    if len(prompt) < low:
        raise error(400, f"prompt must be at least {low} characters")
    if isinstance(high, (int, float)) and len(prompt) > high:
        raise error(400, f"prompt must be at most {int(high)} characters")
    lyrics = body.get("lyrics_prompt")
    if lyrics is not None and not ms.get("supports_lyrics"):
        raise _unsupported("lyrics_prompt")
    if lyrics is not None and len(lyrics) > int(ms.get("lyrics_character_limit", 4096)):
        raise error(
            400, f"lyrics_prompt must be at most {int(ms.get('lyrics_character_limit', 4096))} characters"
        )
    if ms.get("lyrics_required") and not (lyrics or "").strip():
        raise error(400, "lyrics_prompt is required for this model")
    for flag, cap in (
        ("force_instrumental", "supports_force_instrumental"),
        ("lyrics_optimizer", "supports_lyrics_optimizer"),
        ("loop", "supports_loop"),
        ("language_code", "supports_language_code"),
        ("speed", "supports_speed"),
    ):
        if body.get(flag) is not None and not ms.get(cap):
            raise _unsupported(flag)
    if body.get("lyrics_optimizer") and (lyrics or "").strip():
        raise error(400, "lyrics_prompt must be empty when lyrics_optimizer is true")
    voice = body.get("voice")
    voices = ms.get("voices") or []
    if voice is not None:
        if not voices:
            raise _unsupported("voice")
        if voice not in voices and not ms.get("supports_custom_voice_id"):
            raise error(400, f"Invalid voice '{voice}'", details={"supported_voices": voices})
    speed = body.get("speed")
    if speed is not None:
        lo, hi = ms.get("min_speed", 0.25), ms.get("max_speed", 4)
        if not lo <= speed <= hi:
            raise error(400, f"speed must be between {lo:g} and {hi:g}")
    return _duration(ms, body.get("duration_seconds"))


def debit_for_queue(ctx: Context, price: float, rid: str, model_id: str) -> None:
    """Wallet callers need the whole quote in credit; it is charged when the job is accepted."""
    wallet = ctx.caller.wallet
    if wallet is None or price <= 0:
        return
    if ctx.state.balance(wallet) < price:
        raise error(402, _INSUFFICIENT)
    ctx.charge(price, request_id=rid, model_id=model_id)


def refund(ctx: Context, job: MediaJob) -> None:
    wallet = ctx.caller.wallet
    if wallet is not None and job.price_usd > 0 and not job.refunded:
        ctx.state.credit(wallet, job.price_usd, kind="REFUND")
    job.refunded = True


async def queue(ctx: Context) -> Response:
    catalog.require_model(ctx.body)
    spec.validate_body("/audio/queue", ctx.body)
    body: dict[str, Any] = ctx.body
    model = catalog.resolve(body, "music")
    if model.get("model_spec", {}).get("voice_changer"):
        raise error(400, "Voice-changer models are served by /audio/voice-changer/*")
    seconds = check_music(model, body)
    characters = len(body["prompt"])
    price = music_price(model, seconds, characters)
    job = ctx.state.media_jobs.add(
        "audio", model["id"], _owner(ctx), body, price_usd=price, average_ms=20_000
    )
    debit_for_queue(ctx, price, job.queue_id, model["id"])
    return JSONResponse({"model": model["id"], "queue_id": job.queue_id, "status": "QUEUED"})


def _music_bytes(job: MediaJob) -> tuple[bytes, str]:
    model = catalog.find(job.model, "music") or {}
    ms = model.get("model_spec", {})
    fmt = ms.get("default_format") or "mp3"
    fmt = fmt if fmt in ("mp3", "wav", "flac") else "mp3"
    raw = job.body.get("duration_seconds") or ms.get("default_duration") or 30
    seconds = min(float(raw), 600.0)
    return media.audio(fmt, seconds), fmt


def _violation(job: MediaJob) -> bool:
    return CONTENT_VIOLATION_MARKER in str(job.body.get("prompt", "")) + str(
        job.body.get("lyrics_prompt", "")
    )


async def retrieve(ctx: Context) -> Response:
    catalog.require_model(ctx.body)
    spec.validate_body("/audio/retrieve", ctx.body)
    jobs = ctx.state.media_jobs
    job = jobs.find("audio", ctx.body, _owner(ctx))
    if job.failure is not None:
        raise job.failure
    if not jobs.advance(job):
        return JSONResponse(job.processing())
    if _violation(job):
        cleaned = str(job.body.get("prompt", "")).replace(CONTENT_VIOLATION_MARKER, "").strip()
        job.failure = error(
            422,
            "Your prompt violates the content policy of Venice.ai or the model provider",
            suggested_prompt=cleaned or "An instrumental piece with a calm mood",
        )
        refund(ctx, job)
        raise job.failure
    data, fmt = _music_bytes(job)
    if ctx.body.get("delete_media_on_completion"):
        job.deleted = True
    model = catalog.find(job.model, "music") or {}
    headers = {
        "x-venice-audio-format": fmt,
        "x-venice-inference-time": f"{job.average_ms / 1000:.1f}",
        "x-venice-model-id": job.model,
        "x-venice-model-name": str(model.get("model_spec", {}).get("name") or job.model),
    }
    return Response(data, media_type=media.MIME_TYPES[fmt], headers=headers)


async def complete(ctx: Context) -> Response:
    catalog.require_model(ctx.body)
    spec.validate_body("/audio/complete", ctx.body)
    jobs = ctx.state.media_jobs
    try:
        job = jobs.find("audio", ctx.body, _owner(ctx))
    except Exception as exc:  # already deleted: nothing left to clean up
        if getattr(exc, "status", None) == 404:
            return JSONResponse({"success": True})
        raise
    job.completed_calls += 1
    if not job.finished:
        return JSONResponse({"success": False})
    job.deleted = True
    return JSONResponse({"success": True})

"""Speech: text to speech (/audio/speech), voice cloning (/audio/voices) and speech to text
(/audio/transcriptions)."""

import json
import time
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from venice_mcp import media_specs
from venice_mcp.call import Call
from venice_mcp.context import AppState
from venice_mcp.inputs import InputError
from venice_mcp.jobs import AUDIO_EXTENSIONS
from venice_mcp.outputs import AUDIO_INLINE_MAX_BYTES, OutputFile, audio_preview, truncate
from venice_mcp.payments.budget import Estimate
from venice_mcp.reply import Attachment, Reply, file_reply
from venice_mcp.tools._common import Confirm, cost_note
from venice_mcp.tools._declare import tool

# The Venice operations these tools reach (tools/spec_coverage.py reads this).
ENDPOINTS = {
    "POST /audio/speech": ("venice_speech",),
    "POST /audio/voices": ("venice_voice_clone",),
    "POST /audio/transcriptions": ("venice_transcribe",),
}

DEFAULT_TTS_MODEL = "tts-kokoro"
DEFAULT_CLONE_MODEL = "tts-chatterbox-hd"
CLONE_RETENTION_DAYS = 7  # when the model's voice_cloning gives no retention_days
DEFAULT_ASR_MODEL = "nvidia/parakeet-tdt-0.6b-v3"
TRANSCRIPT_INLINE_CHARS = 20_000
FORMAT_MIME = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
TRANSCRIBABLE = ("audio/", "video/mp4", "video/webm", "application/ogg")


@tool("Text to speech", "paid", "audio")
async def venice_speech(
    call: Call,
    text: Annotated[str, Field(min_length=1, max_length=media_specs.MAX_SPEECH_CHARS)],
    model: Annotated[str, Field(description="venice_models type=tts.")] = DEFAULT_TTS_MODEL,
    voice: Annotated[str | None, Field()] = None,
    response_format: Annotated[Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] | None, Field()] = None,
    speed: Annotated[float | None, Field(ge=0.25, le=4)] = None,
    language: Annotated[str | None, Field(min_length=2, max_length=32)] = None,
    prompt: Annotated[
        str | None, Field(max_length=500, description="Style or emotion (Qwen 3, Gemini).")
    ] = None,
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None,
    top_p: Annotated[float | None, Field(ge=0, le=1)] = None,
    confirm: Confirm = False,
) -> Reply:
    """Speak text with a Venice voice; the audio is saved as a file."""
    state = call.state
    state.client.ensure_credentials()
    resolved = await state.catalog.resolve(model, "tts")
    described = True
    if voice is not None and voice.startswith("vv_"):
        described = bool(await _cloning_models(state))
    fmt = media_specs.speech(
        resolved.spec,
        resolved.id,
        voice=voice,
        response_format=response_format,
        cloning_described=described,
    )
    media_specs.speech_sampling(resolved.spec, resolved.id, temperature=temperature, top_p=top_p)
    estimate = media_specs.speech_price(resolved.spec, text)
    body: dict[str, Any] = {"model": resolved.id, "input": text}
    for key, value in (
        ("voice", voice),
        ("response_format", response_format),
        ("speed", speed),
        ("language", language),
        ("prompt", prompt),
        ("temperature", temperature),
        ("top_p", top_p),
    ):
        if value is not None:
            body[key] = value
    dest = state.outputs.new_path("speech", fmt, resolved.id)
    response = await call.paid_request(
        model=resolved.id,
        estimate=estimate,
        confirm=confirm,
        path="/audio/speech",
        json_body=body,
        save_to=dest,
    )
    if response.path is None:
        raise ToolError(f"Venice answered without audio: {json.dumps(response.body)[:300]}")
    mime = response.content_type or FORMAT_MIME[fmt]
    path = response.path
    ext = AUDIO_EXTENSIONS.get(mime, fmt)
    if path.suffix != "." + ext:
        path = path.rename(path.with_suffix("." + ext))
    saved = OutputFile(path=path, size=response.size, mime_type=mime)
    preview = audio_preview(path.read_bytes(), mime) if saved.size <= AUDIO_INLINE_MAX_BYTES else None
    details = [
        f"model {resolved.id}",
        f"voice {voice or resolved.spec.get('default_voice') or 'default'}",
    ]
    details.append(cost_note(estimate, None))
    if preview is None:
        details.append("too large to include inline; read it from the link")
    return file_reply(
        saved,
        what="Speech",
        details=details,
        preview=preview,
        data={"model": resolved.id, "format": ext, "estimate_usd": estimate.usd},
    )


@tool("Clone a voice", "paid", "audio")
async def venice_voice_clone(
    call: Call,
    sample: Annotated[
        str,
        Field(description="Speech ≥ 5 s (≤ 25 MB): path, https or data: URL."),
    ],
    model: Annotated[str, Field(description="The voice works only with it.")] = DEFAULT_CLONE_MODEL,
    confirm: Confirm = False,
) -> Reply:
    """Clone a voice from a sample into a vv_… handle for venice_speech (same model, 7 days)."""
    state = call.state
    try:
        loaded = await state.inputs.load(sample)
    except InputError as exc:
        raise ToolError(f"Cannot read the sample: {exc}") from exc
    state.client.ensure_credentials()
    resolved = await state.catalog.resolve(model, "tts")
    cloning = await _cloning_models(state)
    if cloning and resolved.id not in cloning:
        raise ToolError(
            f"{resolved.id} cannot clone voices; models that can: {', '.join(cloning)}. "
            "Nothing was sent to Venice and nothing was spent."
        )
    fmt = media_specs.clone_sample(resolved.spec, resolved.id, loaded.mime_type)
    estimate = Estimate(None, "a flat per-clone fee Venice does not publish in advance", could_be_large=False)
    name = loaded.filename or f"sample.{'m4a' if fmt == 'mp4' else fmt}"
    response = await call.paid_request(
        model=resolved.id,
        estimate=estimate,
        confirm=confirm,
        path="/audio/voices",
        data={"model": resolved.id},
        files={"file": (name, loaded.data, loaded.mime_type)},
        kind="upload",
    )
    body = response.body if isinstance(response.body, dict) else {}
    handle = body.get("id")
    if not isinstance(handle, str) or not handle:
        raise ToolError(f"Venice answered without a voice handle: {json.dumps(response.body)[:300]}")
    voice_model = str(body.get("model") or resolved.id)
    days = (resolved.spec.get("voice_cloning") or {}).get("retention_days")
    days = float(days) if isinstance(days, (int, float)) else CLONE_RETENTION_DAYS
    expires = datetime.fromtimestamp(time.time() + days * 86_400, timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
    text = (
        f"Cloned voice {handle} for {voice_model} · expires {expires} ({days:g} days after "
        f"creation) · {cost_note(estimate, None)}. To use it: venice_speech with "
        f'voice="{handle}" and model="{voice_model}" (no other model accepts it).'
    )
    return Reply(
        text,
        {"voice": handle, "model": voice_model, "expires_at": expires, "retention_days": days},
    )


@tool("Speech to text", "paid", "audio")
async def venice_transcribe(
    call: Call,
    audio: Annotated[
        str,
        Field(description="Path, https:// or data: URL (≤ 25 MB)."),
    ],
    model: Annotated[str, Field()] = (DEFAULT_ASR_MODEL),
    response_format: Annotated[Literal["json", "text"], Field()] = "json",
    timestamps: Annotated[bool, Field(description="json only.")] = False,
    language: Annotated[str | None, Field(description="ISO 639-1 hint.")] = None,
    confirm: Confirm = False,
) -> Reply:
    """Transcribe a recording (wav, mp3, flac, m4a, aac, ogg, webm, mp4)."""
    state = call.state
    try:
        loaded = await state.inputs.load(audio)
    except InputError as exc:
        raise ToolError(f"Cannot read the recording: {exc}") from exc
    if not loaded.mime_type.startswith(TRANSCRIBABLE):
        raise ToolError(
            f"{loaded.filename} looks like {loaded.mime_type}, not audio. Venice transcribes wav, mp3, "
            "flac, m4a, aac, ogg, webm and mp4. Nothing was sent."
        )
    state.client.ensure_credentials()
    resolved = await state.catalog.resolve(model, "asr")
    estimate = media_specs.transcription_price(resolved.spec, loaded.data)
    form = {
        "model": resolved.id,
        "response_format": response_format,
        "timestamps": "true" if timestamps else "false",
    }
    if language:
        form["language"] = language
    files = {"file": (loaded.filename or "audio", loaded.data, loaded.mime_type)}
    response = await call.paid_request(
        model=resolved.id,
        estimate=estimate,
        confirm=confirm,
        path="/audio/transcriptions",
        data=form,
        files=files,
        kind="upload",
    )
    body = response.body
    data: dict[str, Any] = body if isinstance(body, dict) else {"text": str(body or "")}
    text = str(data.get("text") or "")
    duration = data.get("duration")
    facts = [f"model {resolved.id}"]
    if isinstance(duration, (int, float)):
        facts.append(f"{duration:.1f} s of audio")
    facts.append(cost_note(estimate, None))
    structured: dict[str, Any] = {"model": resolved.id, "duration": duration, "characters": len(text)}
    attachments: list[Attachment] = []
    shown, cut = truncate(
        text,
        TRANSCRIPT_INLINE_CHARS,
        how_to_continue="The whole transcript is in the linked file.",
    )
    stamps = data.get("timestamps")
    big_stamps = stamps is not None and len(json.dumps(stamps)) > TRANSCRIPT_INLINE_CHARS
    if cut or big_stamps:
        saved = state.outputs.write(text.encode(), "transcript", "txt", resolved.id)
        attachments.append(Attachment(saved, "The whole transcript"))
        facts.append(f"full transcript saved to {saved.summary()}")
        structured["file"] = {"path": str(saved.path), "uri": saved.uri, "size": saved.size}
        if stamps is not None:
            timed = state.outputs.write(json.dumps(data).encode(), "transcript", "json", resolved.id)
            attachments.append(Attachment(timed, "Transcript with timestamps (JSON)"))
            structured["timestamps_file"] = {"path": str(timed.path), "uri": timed.uri}
    else:
        structured["text"] = text
        if stamps is not None:
            structured["timestamps"] = stamps
    structured["truncated"] = cut
    return Reply(f"{shown}\n\n— {' · '.join(facts)}", structured, attachments)


async def _cloning_models(state: AppState) -> list[str]:
    """TTS models whose /models spec describes voice cloning (empty: the catalog describes none)."""
    models = await state.catalog.models("tts")
    return [str(m.get("id")) for m in models if (m.get("model_spec") or {}).get("voice_cloning")]

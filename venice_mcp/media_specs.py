"""What a speech, music or video model allows, read from its /models spec, checked before paying.

Venice's queue and speech bodies are strict per model: an option the model does not support is a
400, and for queued jobs possibly after a charge. Checking first makes every such mistake free,
and the message lists what the model does accept. A field the spec does not describe is left for
Venice to judge. Also here: price estimates for the synchronous audio routes.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from typing import Any

from venice_mcp.payments.budget import Estimate

MAX_SPEECH_CHARS = 4096
DEFAULT_VIDEO_PROMPT_LIMIT = 2500
AUDIO_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
# Upper bound for the length of compressed audio whose header we do not parse: 32 kbit/s.
MIN_BYTES_PER_SECOND = 4000


class PreflightError(ValueError):
    """An argument the model does not support; the message names the allowed values."""


def _listing(values: list[Any], limit: int = 40) -> str:
    shown = ", ".join(str(v) for v in values[:limit])
    return shown + (f", … ({len(values)} in all)" if len(values) > limit else "")


def _number(spec: dict[str, Any], key: str) -> float | None:
    value = spec.get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


# -- speech --------------------------------------------------------------------------------------


def speech(
    spec: dict[str, Any],
    model: str,
    *,
    voice: str | None,
    response_format: str | None,
    cloning_described: bool = True,
) -> str:
    """Check voice and format for a TTS model; returns the format that will be produced.

    A cloned-voice handle (``vv_…``) passes on a model with ``voice_cloning`` or a custom voice
    id, and on any model when the catalog describes cloning for none (``cloning_described``
    false): then only Venice can tell. Whether the handle belongs to this model is Venice's call.
    """
    voices = [str(v) for v in spec.get("voices") or []]
    if voice is not None and voices and voice not in voices:
        cloned = voice.startswith("vv_") and (bool(spec.get("voice_cloning")) or not cloning_described)
        if not cloned and not spec.get("supports_custom_voice_id"):
            raise PreflightError(
                f"Voice {voice!r} is not one of {model}'s voices (names are case-sensitive): "
                f"{_listing(voices)}."
            )
    formats = [str(f) for f in spec.get("supported_formats") or []]
    chosen = response_format or str(spec.get("default_format") or (formats[0] if formats else "mp3"))
    if formats and chosen not in formats:
        raise PreflightError(
            f"{model} cannot produce {chosen!r} audio; it supports: {', '.join(formats)}"
            + (f" (default {spec['default_format']})." if spec.get("default_format") else ".")
        )
    return chosen


# Which TTS models honour temperature / top_p. /models does not say (the speech skill's model table
# is the matrix; other models silently ignore both); a capabilities flag, where Venice sends one
# (the spec names supportsTemperatureParam / supportsTopPParam), wins.
SPEECH_SAMPLING = {
    "temperature": (
        "supportsTemperatureParam",
        ("tts-qwen3-0-6b", "tts-qwen3-1-7b", "tts-orpheus", "tts-chatterbox-hd", "tts-gemini-3-1-flash"),
    ),
    "top_p": ("supportsTopPParam", ("tts-qwen3-0-6b", "tts-qwen3-1-7b")),
}


def speech_sampling(spec: dict[str, Any], model: str, **given: float | None) -> None:
    """Refuse temperature / top_p on a model that would ignore them (and still charge)."""
    found = spec.get("capabilities")
    capabilities = found if isinstance(found, dict) else {}
    for name, value in given.items():
        flag, models = SPEECH_SAMPLING[name]
        advertised = capabilities.get(flag)
        takes = advertised if isinstance(advertised, bool) else model in models
        if value is not None and not takes:
            raise PreflightError(
                f"{model} ignores {name}; Venice applies it only on: {', '.join(models)}. Omit it."
            )


CLONE_FORMATS = ("mp3", "wav", "flac", "mp4")  # Chatterbox HD's samples; mp4 covers m4a
CLONE_MIME_FORMATS = {
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
    "audio/mp4": "mp4",
    "audio/x-m4a": "mp4",
    "audio/m4a": "mp4",
    "video/mp4": "mp4",
}


def clone_sample(spec: dict[str, Any], model: str, mime_type: str) -> str:
    """Check a voice sample's container against the model's accepted formats; returns it."""
    cloning = spec.get("voice_cloning")
    accepted = [str(f) for f in (cloning or {}).get("accepted_formats") or CLONE_FORMATS]
    fmt = CLONE_MIME_FORMATS.get(mime_type.split(";")[0].strip().lower())
    if fmt not in accepted:
        names = ", ".join("m4a/mp4" if f == "mp4" else f for f in accepted)
        raise PreflightError(f"The sample looks like {mime_type}; {model} clones from {names} audio.")
    return fmt


def speech_price(spec: dict[str, Any], text: str) -> Estimate:
    per_million = ((spec.get("pricing") or {}).get("input") or {}).get("usd")
    if not isinstance(per_million, (int, float)):
        return Estimate(None, "no published price for this voice model", could_be_large=False)
    return Estimate(
        len(text) * per_million / 1e6, f"{len(text)} characters at ${per_million:g}/1M characters"
    )


# -- transcription -------------------------------------------------------------------------------


def audio_seconds(data: bytes) -> tuple[float, bool]:
    """(seconds, exact): exact for PCM WAV headers, else an upper bound from the size."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        pos, byte_rate = 12, 0
        while pos + 8 <= len(data):
            chunk, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
            if chunk == b"fmt " and size >= 16:
                byte_rate = struct.unpack("<I", data[pos + 16 : pos + 20])[0]
            elif chunk == b"data" and byte_rate:
                return size / byte_rate, True
            pos += 8 + size + (size & 1)
    return len(data) / MIN_BYTES_PER_SECOND, False


def transcription_price(spec: dict[str, Any], data: bytes) -> Estimate:
    per_second = ((spec.get("pricing") or {}).get("per_audio_second") or {}).get("usd")
    if not isinstance(per_second, (int, float)):
        return Estimate(None, "no published price for this transcription model", could_be_large=False)
    seconds, exact = audio_seconds(data)
    basis = f"{seconds:.0f} s of audio" if exact else f"at most ~{math.ceil(seconds)} s of audio (from size)"
    return Estimate(seconds * per_second, f"{basis} at ${per_second:g}/s")


# -- music ---------------------------------------------------------------------------------------


def music(spec: dict[str, Any], model: str, args: dict[str, Any]) -> None:
    """Check an /audio/queue body (``args`` as it will be sent) against the model's spec."""
    prompt = str(args.get("prompt") or "").strip()
    low, high = _number(spec, "min_prompt_length"), _number(spec, "prompt_character_limit")
    if low is not None and len(prompt) < low:
        raise PreflightError(f"{model} needs a prompt of at least {low:g} characters (got {len(prompt)}).")
    if high is not None and len(prompt) > high:
        raise PreflightError(f"{model} takes a prompt of at most {high:g} characters (got {len(prompt)}).")
    lyrics = args.get("lyrics_prompt")
    if lyrics is not None and spec.get("supports_lyrics") is False:
        raise PreflightError(
            f"{model} does not take lyrics; omit 'lyrics' or pick a model with supports_lyrics."
        )
    lyrics_cap = _number(spec, "lyrics_character_limit")
    if lyrics is not None and lyrics_cap is not None and len(lyrics) > lyrics_cap:
        raise PreflightError(
            f"{model} takes lyrics of at most {lyrics_cap:g} characters (got {len(lyrics)})."
        )
    if spec.get("lyrics_required") and not str(lyrics or "").strip():
        raise PreflightError(f"{model} requires lyrics: pass 'lyrics'.")
    for arg, flag, cap in (
        ("force_instrumental", "force_instrumental", "supports_force_instrumental"),
        ("lyrics_optimizer", "lyrics_optimizer", "supports_lyrics_optimizer"),
        ("loop", "loop", "supports_loop"),
        ("language_code", "language_code", "supports_language_code"),
        ("speed", "speed", "supports_speed"),
    ):
        if args.get(flag) is not None and spec.get(cap) is False:
            raise PreflightError(f"{model} does not support {arg!r}; omit it.")
    if args.get("lyrics_optimizer") and str(lyrics or "").strip():
        raise PreflightError("Give either 'lyrics' or lyrics_optimizer=true, not both.")
    voice = args.get("voice")
    voices = [str(v) for v in spec.get("voices") or []]
    if voice is not None and spec.get("voices") is not None and not voices:
        raise PreflightError(f"{model} does not take a voice; omit 'voice'.")
    if voice is not None and voices and voice not in voices and not spec.get("supports_custom_voice_id"):
        raise PreflightError(f"Voice {voice!r} is not one of {model}'s voices: {_listing(voices)}.")
    speed = args.get("speed")
    lo, hi = _number(spec, "min_speed"), _number(spec, "max_speed")
    if speed is not None and lo is not None and hi is not None and not lo <= speed <= hi:
        raise PreflightError(f"{model} takes a speed between {lo:g} and {hi:g}.")
    duration = args.get("duration_seconds")
    if duration is not None:
        music_duration(spec, model, int(duration))


def music_duration(spec: dict[str, Any], model: str, seconds: int) -> None:
    options = [int(o) for o in spec.get("duration_options") or [] if isinstance(o, (int, float))]
    lo, hi = _number(spec, "min_duration"), _number(spec, "max_duration")
    described = options or lo is not None or hi is not None
    if not described and _described_music(spec):
        raise PreflightError(f"{model} has no duration setting; omit 'duration_seconds'.")
    if options and seconds not in options:
        raise PreflightError(f"{model} takes duration_seconds of: {', '.join(map(str, options))}.")
    if not options and ((lo is not None and seconds < lo) or (hi is not None and seconds > hi)):
        raise PreflightError(f"{model} takes duration_seconds between {lo or 1:g} and {hi:g}.")


def _described_music(spec: dict[str, Any]) -> bool:
    """True when the spec carries Venice's music capability fields (so absence means 'no')."""
    return any(k in spec for k in ("supports_lyrics", "supports_force_instrumental", "default_format"))


def music_charges_by_characters(spec: dict[str, Any]) -> bool:
    return "per_thousand_characters" in (spec.get("pricing") or {})


# -- video ---------------------------------------------------------------------------------------


def _constraints(spec: dict[str, Any]) -> dict[str, Any]:
    value = spec.get("constraints")
    return value if isinstance(value, dict) else {}


def video_kind(spec: dict[str, Any]) -> str:
    return str(_constraints(spec).get("model_type") or "text-to-video")


def is_upscale(model: str) -> bool:
    return "upscale" in model


def video_defaults(spec: dict[str, Any], model: str, args: dict[str, Any]) -> dict[str, Any]:
    """Fill what Venice requires but the agent left out: the shortest duration, and an aspect
    ratio (16:9 when offered) for models that list aspect ratios."""
    c = _constraints(spec)
    out = dict(args)
    durations = [str(d) for d in c.get("durations") or [] if d != "Auto"]
    if "duration" not in out and durations and video_kind(spec) != "video":
        out["duration"] = min(durations, key=lambda d: (len(d), d))
    ratios = [str(r) for r in c.get("aspect_ratios") or []]
    if "aspect_ratio" not in out and ratios:
        out["aspect_ratio"] = "16:9" if "16:9" in ratios else ratios[0]
    return out


def video(spec: dict[str, Any], model: str, args: dict[str, Any], *, for_quote: bool = False) -> None:
    """Check a /video/queue body against the model's constraints (``for_quote``: only the options
    that price it, no prompt or media)."""
    c = _constraints(spec)
    kind = video_kind(spec)
    if not for_quote:
        prompt = args.get("prompt")
        limit = int(_number(c, "prompt_character_limit") or DEFAULT_VIDEO_PROMPT_LIMIT)
        if prompt is None and kind != "video" and model != "minimax-h3-max-multi-angle":
            raise PreflightError(f"{model} needs a prompt.")
        if prompt is not None and len(prompt) > limit:
            raise PreflightError(f"{model} takes a prompt of at most {limit} characters (got {len(prompt)}).")
        if kind == "text-to-video" and ("image_url" in args or "end_image_url" in args):
            raise PreflightError(
                f"{model} is text-to-video and takes no image; use an image-to-video model "
                "(see venice_models type=video) or drop 'image'."
            )
        if kind == "image-to-video" and "image_url" not in args and not _refs_present(args):
            raise PreflightError(
                f"{model} is image-to-video: pass 'image' (a path, https:// URL or data: URL) or references."
            )
        if kind == "video" and "video_url" not in args:
            raise PreflightError(f"{model} works on a video: pass 'video' (an https:// URL or data: URL).")
        if "video_url" in args and kind != "video" and c.get("video_input") is False:
            raise PreflightError(f"{model} takes no input video; drop 'video'.")
        if "audio_url" in args and c.get("audio_input") is False:
            raise PreflightError(f"{model} takes no input audio; drop 'audio_input'.")
        video_references(spec, model, args)
    durations = [str(d) for d in c.get("durations") or [] if d != "Auto"]
    duration = args.get("duration")
    if duration is not None:
        if kind == "video" and not durations:
            raise PreflightError(f"{model} takes its length from the input video; omit 'duration'.")
        if durations and duration not in durations:
            raise PreflightError(f"{model} takes duration of: {', '.join(durations)} (got {duration!r}).")
    elif durations and kind != "video":
        raise PreflightError(f"{model} needs a duration: {', '.join(durations)}.")
    ratios = [str(r) for r in c.get("aspect_ratios") or []]
    ratio = args.get("aspect_ratio")
    if "aspect_ratios" in c:
        if ratio is not None and not ratios:
            raise PreflightError(
                f"{model} takes no aspect_ratio (the picture follows the input image); omit it."
            )
        if ratios and ratio is None and not for_quote:
            raise PreflightError(f"{model} needs an aspect_ratio: {', '.join(ratios)}.")
        if ratios and ratio is not None and ratio not in ratios:
            raise PreflightError(f"{model} takes aspect_ratio of: {', '.join(ratios)} (got {ratio!r}).")
    resolutions = [str(r) for r in c.get("resolutions") or []]
    resolution = args.get("resolution")
    if resolution is not None:
        if is_upscale(model):
            raise PreflightError(f"{model} is an upscaler: use upscale_factor (1, 2 or 4), not resolution.")
        if "resolutions" in c and resolution not in resolutions:
            allowed = ", ".join(resolutions) or "none (omit it)"
            raise PreflightError(f"{model} takes resolution of: {allowed} (got {resolution!r}).")
    if args.get("upscale_factor") is not None and not is_upscale(model):
        raise PreflightError(f"{model} is not an upscaler; upscale_factor does not apply.")
    if "audio" in args and c.get("audio_configurable") is False:
        on = "always has audio" if c.get("audio") else "has no audio"
        raise PreflightError(f"{model} {on}; the 'audio' switch does not apply to it, omit it.")


# -- video reference media -----------------------------------------------------------------------

# What each kind of reference becomes in a /video/queue body, and the spec's array limits.
REFERENCE_LISTS = {
    "image": "reference_image_urls",
    "video": "reference_video_urls",
    "audio": "reference_audio_urls",
    "document": "reference_document_urls",
    "scene": "scene_image_urls",
}
SPEC_MAX_ITEMS = {
    "reference_image_urls": 30,
    "reference_video_urls": 10,
    "reference_audio_urls": 10,
    "reference_document_urls": 1,
    "scene_image_urls": 4,
    "elements": 4,
    "keyframes": 10,
}
ELEMENT_IMAGES = 3  # reference images per element, besides its frontal image
DEFAULT_REFERENCE_IMAGES = 4  # Venice's cap where a model sets none
KEYFRAME_FPS = 24
MAX_REFERENCE_VIDEO_SECONDS = 150.0  # /video/quote's reference_video_total_duration ceiling


@dataclass(frozen=True)
class ReferenceCaps:
    """What one family of reference-to-video models takes. /models publishes none of this, so it
    comes from Venice's video skill ("Reference media limits" and the queue field table)."""

    images: int
    videos: int = 0
    audios: int = 0
    documents: int = 0
    elements: bool = False  # Kling: elements and scene images
    clip: tuple[float, float] = (2.0, 15.0)  # seconds of one reference video
    total: float = 15.0  # seconds of all reference videos together
    with_frames: bool = True  # MiniMax H3 refuses image/end_image beside references
    needs_image: bool = False


REFERENCE_FAMILIES: tuple[tuple[re.Pattern[str], ReferenceCaps], ...] = (
    (re.compile(r"seedance-2-0-(fast-|mini-)?reference-to-video-basic"), ReferenceCaps(9, 3, 3)),
    (
        re.compile(r"seedance-2-5-(us-)?reference-to-video-(basic|private)"),
        ReferenceCaps(30, 10, 10, clip=(2.0, 30.0), total=30.0),
    ),
    (re.compile(r"wan-3-0-.*reference-to-video"), ReferenceCaps(10, 5, 5, documents=1, clip=(1.0, 15.0))),
    (
        re.compile(r"minimax-h3-(max-)?reference-to-video"),
        ReferenceCaps(9, 3, 3, with_frames=False),
    ),
    (
        re.compile(r"minimax-h3-enhanced-reference-to-video"),
        ReferenceCaps(9, 0, 3, with_frames=False),
    ),
    (re.compile(r"kling-o3-(standard|pro)-reference-to-video"), ReferenceCaps(4, elements=True)),
    (re.compile(r"kling-o3-4k-reference-to-video"), ReferenceCaps(7, elements=True)),
    (
        re.compile(r"kling-v3-4k-reference-to-video"),
        ReferenceCaps(4, elements=True, needs_image=True),
    ),
    (re.compile(r"(pixverse-c1|grok-imagine(-1-5)?)-reference-to-video(-private)?"), ReferenceCaps(7)),
    (re.compile(r"gemini-omni-flash-1-1-reference-to-video"), ReferenceCaps(10)),
    (re.compile(r"gemini-omni-flash-reference-to-video"), ReferenceCaps(3)),
)


def reference_caps(model: str) -> ReferenceCaps | None:
    for pattern, caps in REFERENCE_FAMILIES:
        if pattern.fullmatch(model):
            return caps
    return None


def _refs_present(args: dict[str, Any]) -> list[str]:
    fields = [*REFERENCE_LISTS.values(), "elements", "keyframes"]
    return [f for f in fields if args.get(f)]


def video_references(spec: dict[str, Any], model: str, args: dict[str, Any]) -> None:
    """Check the reference media of a /video/queue body against what the model takes.

    A family the skill describes is held to its caps; another image-to-video model is left for
    Venice to judge, except where its /models constraints already say no.
    """
    present = _refs_present(args)
    if not present:
        return
    c = _constraints(spec)
    names = ", ".join(present)
    if video_kind(spec) == "text-to-video":
        raise PreflightError(
            f"{model} is text-to-video and takes no reference media ({names}); pick a "
            "reference-to-video model (venice_models type=video)."
        )
    for field, most in SPEC_MAX_ITEMS.items():
        if len(args.get(field) or []) > most:
            raise PreflightError(f"Venice takes at most {most} {field} per job (got {len(args[field])}).")
    audios = len(args.get("reference_audio_urls") or [])
    if audios and c.get("audio_input") is False:
        raise PreflightError(f"{model} takes no input audio; drop the audio references.")
    if audios and not (args.get("reference_image_urls") or args.get("reference_video_urls")):
        raise PreflightError("Reference audio needs at least one reference image or video beside it.")
    _check_elements(args)
    _check_keyframes(model, args)
    caps = reference_caps(model)
    if caps is None:
        images = len(args.get("reference_image_urls") or [])
        if images > DEFAULT_REFERENCE_IMAGES:
            raise PreflightError(f"{model} takes at most {DEFAULT_REFERENCE_IMAGES} reference images.")
        return
    takes = {
        "reference_image_urls": caps.images,
        "reference_video_urls": caps.videos,
        # audio_url counts as one more reference audio on these models
        "reference_audio_urls": caps.audios - (1 if "audio_url" in args and caps.audios else 0),
        "reference_document_urls": caps.documents,
        "scene_image_urls": SPEC_MAX_ITEMS["scene_image_urls"] if caps.elements else 0,
        "elements": SPEC_MAX_ITEMS["elements"] if caps.elements else 0,
        "keyframes": 0,
    }
    accepted = [f for f, n in takes.items() if n > 0]
    for field in present:
        count, most = len(args[field]), takes[field]
        if most <= 0:
            raise PreflightError(
                f"{model} does not take {field}; it takes: {', '.join(accepted) or 'no references'}."
            )
        if count > most:
            raise PreflightError(f"{model} takes at most {most} {field} (got {count}).")
    if not caps.with_frames and ("image_url" in args or "end_image_url" in args):
        raise PreflightError(f"{model} takes either 'image'/'end_image' or reference media, not both.")
    if caps.needs_image and args.get("elements") and "image_url" not in args:
        raise PreflightError(f"{model} needs 'image' (the first frame) with elements.")


def _check_elements(args: dict[str, Any]) -> None:
    for number, element in enumerate(args.get("elements") or [], start=1):
        if not element.get("frontal_image_url") and not element.get("video_url"):
            raise PreflightError(f"Element {number} needs an image (its frontal view) or a video.")
        if len(element.get("reference_image_urls") or []) > ELEMENT_IMAGES:
            raise PreflightError(
                f"Element {number} takes a frontal image and at most {ELEMENT_IMAGES} more images."
            )


def _check_keyframes(model: str, args: dict[str, Any]) -> None:
    frames = [int(k["frame_index"]) for k in args.get("keyframes") or []]
    if len(set(frames)) != len(frames):
        raise PreflightError("Each keyframe needs its own frame (n).")
    duration = str(args.get("duration") or "")
    seconds = int(duration[:-1]) if duration.endswith("s") and duration[:-1].isdigit() else None
    last = seconds * KEYFRAME_FPS if seconds is not None else None
    if last is not None and frames and max(frames) > last:
        raise PreflightError(
            f"A {duration} video at {KEYFRAME_FPS} fps ends at frame {last}; "
            f"keyframe n {max(frames)} is past it."
        )


def reference_seconds(model: str, clips: list[float | None]) -> tuple[float, bool]:
    """Check the reference videos' lengths; returns (seconds to quote, exact).

    A clip whose length is unknown here (a URL Venice fetches itself) counts at the most one clip
    may last, so the quote errs high rather than low.
    """
    caps = reference_caps(model)
    low, high = caps.clip if caps else (0.0, 15.0)
    total_cap = caps.total if caps else MAX_REFERENCE_VIDEO_SECONDS
    for n, seconds in enumerate(clips, start=1):
        if seconds is not None and not low <= seconds <= high:
            raise PreflightError(
                f"Reference video {n} lasts {seconds:.1f} s; {model} takes clips of {low:g}–{high:g} s."
            )
    known = sum(s for s in clips if s is not None)
    if known > total_cap:
        raise PreflightError(
            f"The reference videos last {known:.1f} s together; {model} takes at most {total_cap:g} s."
        )
    guessed = known + high * sum(1 for s in clips if s is None)
    return min(guessed, total_cap), all(s is not None for s in clips)


def video_seconds(data: bytes) -> float | None:
    """An MP4/MOV's length from its movie header (mvhd), or None when it cannot be read."""
    moov = _mp4_box(data, b"moov")
    mvhd = _mp4_box(moov, b"mvhd") if moov is not None else None
    if mvhd is None or len(mvhd) < 20:
        return None
    if mvhd[0] == 1 and len(mvhd) >= 32:
        scale, duration = struct.unpack(">IQ", mvhd[20:32])
    else:
        scale, duration = struct.unpack(">II", mvhd[12:20])
    return duration / scale if scale else None


def _mp4_box(data: bytes, kind: bytes) -> bytes | None:
    """The payload of the first box of ``kind`` at this level of an ISO BMFF byte string."""
    pos = 0
    while pos + 8 <= len(data):
        size, found = struct.unpack(">I4s", data[pos : pos + 8])
        head = 8
        if size == 1 and pos + 16 <= len(data):
            size, head = struct.unpack(">Q", data[pos + 8 : pos + 16])[0], 16
        elif size == 0:
            size = len(data) - pos
        if size < head:
            return None
        if found == kind:
            return data[pos + head : pos + size]
        pos += size
    return None

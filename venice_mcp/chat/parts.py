"""Media in chat messages (and Responses API input): local files become inline data, and every
part gets a token allowance.

A message's image, audio, video or document part may name a local path, an https URL or a data:
URL. Venice fetches URLs itself (image, video and document parts), so those pass through after the
same public-address check every tool applies; paths and data: URLs go through the confined input
loader and travel inline. Audio is always inline: Venice takes no audio URL.

For the price bound, media are counted by allowances, not by the size of their base64: an image
is at most ``IMAGE_TOKENS``; audio, video and documents by their size; a video or document Venice
fetches from a URL has no size known in advance, so it counts as the model's whole context.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from venice_mcp.chat import ChatError
from venice_mcp.inputs import InputError, InputLoader, LoadedInput, kind_of
from venice_mcp.pricing import CHARS_PER_TOKEN

# Per-image bound: providers downscale before tokenizing (Claude ~1,600 tokens at its largest,
# OpenAI ~1,100, Gemini 258-1,120).
IMAGE_TOKENS = 2_000
# Audio tokenizes by duration (Gemini: 32 tokens a second). Uncompressed audio is ~32 KB a second;
# compressed audio is counted as if it were at least 32 kbit/s.
RAW_AUDIO_TOKENS_PER_KB = 1.0
AUDIO_TOKENS_PER_KB = 8.0
# Video: ~300 tokens a second (Gemini) at no less than ~500 kbit/s.
VIDEO_TOKENS_PER_KB = 5.0
RAW_AUDIO_FORMATS = frozenset({"wav", "aiff", "flac", "pcm16", "pcm24"})
AUDIO_FORMATS = ("wav", "mp3", "aiff", "aac", "ogg", "flac", "m4a", "pcm16", "pcm24")
_AUDIO_MIME_FORMATS = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/aiff": "aiff",
    "audio/x-aiff": "aiff",
    "audio/aac": "aac",
    "audio/ogg": "ogg",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
}
# Chat part types, and the Responses API's image part (counted as an image_url).
MEDIA_KINDS = ("image_url", "input_audio", "video_url", "file", "input_image")
_LOOKS_LIKE_FILE = re.compile(r"(^~)|\\|(\.[A-Za-z0-9]{1,5}$)")  # base64 has no ~, \ or .


@dataclass
class Media:
    """What a conversation carries besides text: counts per part kind, and the token allowance."""

    counts: dict[str, int] = field(default_factory=dict)
    tokens: int = 0
    unbounded: bool = False  # a part whose size Venice learns only when it fetches it

    def add(self, kind: str, tokens: float = 0, *, unbounded: bool = False) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.tokens += math.ceil(tokens)
        self.unbounded = self.unbounded or unbounded


def _kb(size: int) -> float:
    return size / 1024


class PartError(ChatError):
    """A content part that cannot be sent; the message says which and why."""


async def prepare(messages: list[dict[str, Any]], loader: InputLoader) -> Media:
    """Load the local files of every media part in place and count what the messages carry.

    Raises:
        PartError: a part is malformed, not allowed in its message, or its file cannot be used.
    """
    media = Media()
    for index, message in enumerate(messages):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for part in content:
            if not isinstance(part, dict):
                raise PartError(f"messages[{index}]: a content part must be an object")
            kind = part.get("type")
            if kind not in MEDIA_KINDS:
                continue
            if message.get("role") != "user":
                raise PartError(f"messages[{index}]: only user messages may carry {kind} parts")
            where = f"messages[{index}] {kind}"
            try:
                await _PREPARE[kind](part, loader, media)
            except InputError as exc:
                raise PartError(f"{where}: {exc}") from None
            except (KeyError, TypeError, ValueError) as exc:
                raise PartError(f"{where}: {exc}") from None
    return media


def _ref(part: dict[str, Any], kind: str, key: str) -> str:
    """The reference a part holds, accepting the bare-string shorthand ``{"image_url": "a.png"}``."""
    holder = part.get(kind)
    if isinstance(holder, str):
        holder = {key: holder}
        part[kind] = holder
    if not isinstance(holder, dict) or not isinstance(holder.get(key), str) or not holder[key].strip():
        raise ValueError(f"expected {{{kind!r}: {{{key!r}: <path, https or data: URL>}}}}")
    value: str = holder[key].strip()
    return value


async def _inline(ref: str, loader: InputLoader, family: str, what: str) -> LoadedInput:
    loaded = await loader.load(ref)
    if family and not loaded.mime_type.startswith(family):
        raise ValueError(f"{ref[:80]} is {loaded.mime_type}, not {what}")
    return loaded


async def _image(part: dict[str, Any], loader: InputLoader, media: Media) -> None:
    ref = _ref(part, "image_url", "url")
    if kind_of(ref) == "url":
        await loader.check_passthrough(ref)
    else:
        part["image_url"]["url"] = (await _inline(ref, loader, "image/", "an image")).data_url()
    media.add("image_url", IMAGE_TOKENS)


async def _video(part: dict[str, Any], loader: InputLoader, media: Media) -> None:
    ref = _ref(part, "video_url", "url")
    if kind_of(ref) == "url":
        await loader.check_passthrough(ref)
        media.add("video_url", unbounded=True)
        return
    loaded = await _inline(ref, loader, "video/", "a video")
    part["video_url"]["url"] = loaded.data_url()
    media.add("video_url", _kb(len(loaded.data)) * VIDEO_TOKENS_PER_KB)


async def _file(part: dict[str, Any], loader: InputLoader, media: Media) -> None:
    ref = _ref(part, "file", "file_data")
    if kind_of(ref) == "url":
        await loader.check_passthrough(ref)
        media.add("file", unbounded=True)
        return
    loaded = await _inline(ref, loader, "", "a document")
    part["file"]["file_data"] = loaded.data_url()
    part["file"].setdefault("filename", loaded.filename)
    media.add("file", len(loaded.data) / CHARS_PER_TOKEN)


async def _audio(part: dict[str, Any], loader: InputLoader, media: Media) -> None:
    holder = part.get("input_audio")
    if isinstance(holder, str):
        holder = part["input_audio"] = {"data": holder}
    if not isinstance(holder, dict) or not isinstance(holder.get("data"), str) or not holder["data"].strip():
        raise ValueError("expected {'input_audio': {'data': <path, URL, data: URL or base64>, 'format'}}")
    ref = holder["data"].strip()
    fmt = holder.get("format")
    raw = _base64(ref)
    if raw is not None:
        await loader.check(LoadedInput(raw, "audio/*", "audio", "data"))
        size = len(raw)
    else:
        loaded = await _inline(ref, loader, "audio/", "audio")
        holder["data"] = base64.b64encode(loaded.data).decode()
        fmt = fmt or _AUDIO_MIME_FORMATS.get(loaded.mime_type) or _suffix_format(loaded.filename)
        size = len(loaded.data)
    if fmt is not None:
        if fmt not in AUDIO_FORMATS:
            raise ValueError(f"format {fmt!r} is not one of {', '.join(AUDIO_FORMATS)}")
        holder["format"] = fmt
    rate = RAW_AUDIO_TOKENS_PER_KB if (fmt or "wav") in RAW_AUDIO_FORMATS else AUDIO_TOKENS_PER_KB
    media.add("input_audio", _kb(size) * rate)


def _suffix_format(name: str) -> str | None:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return ext if ext in AUDIO_FORMATS else None


def _base64(value: str) -> bytes | None:
    """The bytes of a bare base64 payload, or None when the value reads as a path or URL."""
    if kind_of(value) != "path" or (len(value) < 4096 and _LOOKS_LIKE_FILE.search(value)):
        return None  # long values are payloads; short ones with a file's marks are paths
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


_PREPARE = {
    "image_url": _image,
    "input_image": _image,
    "input_audio": _audio,
    "video_url": _video,
    "file": _file,
}


def text_tokens(messages: Iterable[Any]) -> int:
    """Tokens of everything but media payloads, counted generously from the JSON."""
    return math.ceil(len(json.dumps([_without_media(m) for m in messages])) / CHARS_PER_TOKEN)


def _without_media(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get("type") in MEDIA_KINDS:
            return {"type": node["type"]}
        return {k: _without_media(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_without_media(v) for v in node]
    return node

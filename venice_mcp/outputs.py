"""Where results too big for a tool reply go: files under the output directory, served back as
``venice-mcp://outputs/<name>`` resources, and long text cut with a hint.

Hosts reject tool results over about 1 MiB, so anything large is a file plus a resource_link.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Literal

from venice_mcp.config import SECRET_FILE_PREFIX
from venice_mcp.files import inside, open_regular

log = logging.getLogger(__name__)

URI_PREFIX = "venice-mcp://outputs/"
INLINE_TEXT_LIMIT = 20_000
# Inline previews must keep a whole tool result well under hosts' ~1 MiB cap (base64 adds a third)
# and images under the 2000 px many-image limit.
PREVIEW_MAX_SIDE = 768
PREVIEW_MAX_BYTES = 400_000
AUDIO_INLINE_MAX_BYTES = 400_000

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Preview:
    """A small inline copy of a result for the model to see or hear."""

    kind: Literal["image", "audio"]
    data: bytes
    mime_type: str


def mime_type_of(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


@dataclass(frozen=True)
class OutputFile:
    path: Path
    size: int
    mime_type: str

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def uri(self) -> str:
        return URI_PREFIX + self.path.name

    def summary(self) -> str:
        return f"{self.path} ({_human(self.size)}, {self.mime_type})"


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024 or unit == "MB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


class OutputStore:
    def __init__(self, directory: Path, sealed: tuple[Path, ...] = (), *, unguessable: bool = False) -> None:
        self.directory = directory
        # Charging mode: anyone may call, so a file's name is the only key to it (128 random bits).
        self.random_bytes = 16 if unguessable else 3
        # The server's own files (database, keys): never served, even from an output folder set
        # to the home itself.
        self.sealed = sealed

    def new_path(self, kind: str, ext: str, hint: str = "") -> Path:
        """A fresh, descriptive, collision-free file name: <kind>-<hint>-<utc stamp>-<rand>.<ext>."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        parts = [kind, _SAFE.sub("-", hint).strip("-")[:40], stamp, secrets.token_hex(self.random_bytes)]
        name = "-".join(p for p in parts if p) + "." + ext.lstrip(".")
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.directory / name

    def write(self, data: bytes, kind: str, ext: str, hint: str = "") -> OutputFile:
        path = self.new_path(kind, ext, hint)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return self.describe(path)

    def describe(self, path: Path) -> OutputFile:
        return OutputFile(path=path, size=path.stat().st_size, mime_type=mime_type_of(path))

    def open(self, name: str) -> BinaryIO:
        """The output called ``name``, a file this server saved in its folder, open for reading.

        Raises:
            FileNotFoundError: no such output, or a name that is not one: a path, a hidden or
                secret file, a link (symbolic or hard), a folder, or one of the server's own files.
        """
        path = self.directory / name
        if (
            not name
            or name != Path(name).name
            or name.startswith((".", SECRET_FILE_PREFIX))
            or "\x00" in name
            or any(inside(path, sealed) for sealed in self.sealed)
        ):
            raise FileNotFoundError(name)
        return open_regular(path)

    def read(self, name: str) -> bytes:
        with self.open(name) as fh:
            return fh.read()


def truncate(text: str, limit: int = INLINE_TEXT_LIMIT, *, how_to_continue: str = "") -> tuple[str, bool]:
    """Cut ``text`` to ``limit`` characters, ending with a hint on how to get the rest."""
    if len(text) <= limit:
        return text, False
    hint = how_to_continue or "Ask for a narrower result to see the rest."
    return f"{text[:limit]}\n\n[Truncated: showing {limit} of {len(text)} characters. {hint}]", True


def image_preview(
    path: Path, max_side: int = PREVIEW_MAX_SIDE, max_bytes: int = PREVIEW_MAX_BYTES
) -> Preview | None:
    """A downscaled JPEG (PNG when the image has transparency) of a saved image, or None if it
    cannot be made small enough, cheaply enough (previews.py), or is not an image Pillow reads.
    Blocking: call it in a worker thread."""
    from venice_mcp.previews import decoded_image

    img = decoded_image(path, max_side)
    if img is None:
        return None
    with img:
        alpha = img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info)
        out = io.BytesIO()
        try:
            if alpha:
                img.convert("RGBA").save(out, "PNG", optimize=True)
            else:
                img.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
        except (OSError, ValueError) as exc:
            log.info("no preview: %s", exc)
            return None
    preview = out.getvalue()
    if len(preview) > max_bytes:
        return None
    return Preview("image", preview, "image/png" if alpha else "image/jpeg")


def audio_preview(data: bytes, mime_type: str, max_bytes: int = AUDIO_INLINE_MAX_BYTES) -> Preview | None:
    """The audio itself inline, only when it is small."""
    if len(data) > max_bytes:
        return None
    return Preview("audio", data, mime_type)

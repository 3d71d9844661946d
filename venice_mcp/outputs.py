"""Where results too big for a tool reply go: files under the output directory, served back as
``venice-mcp://outputs/<name>`` resources, and long text cut with a hint.

Hosts reject tool results over about 1 MiB, so anything large is a file plus a resource_link.
"""

from __future__ import annotations

import mimetypes
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from mcp.types import ResourceLink

URI_PREFIX = "venice-mcp://outputs/"
INLINE_TEXT_LIMIT = 20_000

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


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

    def link(self, description: str = "") -> ResourceLink:
        return ResourceLink(
            type="resource_link",
            name=self.name,
            uri=self.uri,
            mime_type=self.mime_type,
            size=self.size,
            description=description or None,
        )

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
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def new_path(self, kind: str, ext: str, hint: str = "") -> Path:
        """A fresh, descriptive, collision-free file name: <kind>-<hint>-<utc stamp>-<rand>.<ext>."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        parts = [kind, _SAFE.sub("-", hint).strip("-")[:40], stamp, secrets.token_hex(3)]
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
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return OutputFile(path=path, size=path.stat().st_size, mime_type=mime)

    def resolve(self, name: str) -> Path:
        """The file behind a resource name, confined to the output directory.

        Raises:
            FileNotFoundError: no such output (or a name that escapes the directory).
        """
        if not name or name != Path(name).name or name.startswith("."):
            raise FileNotFoundError(name)
        path = self.directory / name
        if not path.is_file():
            raise FileNotFoundError(name)
        return path


def truncate(text: str, limit: int = INLINE_TEXT_LIMIT, *, how_to_continue: str = "") -> tuple[str, bool]:
    """Cut ``text`` to ``limit`` characters, ending with a hint on how to get the rest."""
    if len(text) <= limit:
        return text, False
    hint = how_to_continue or "Ask for a narrower result to see the rest."
    return f"{text[:limit]}\n\n[Truncated: showing {limit} of {len(text)} characters. {hint}]", True

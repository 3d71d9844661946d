"""What a tool function returns, before any protocol: text for the model, structured data, files.

The boundary (``venice_mcp.boundary``) turns a Reply into the MCP result the client's protocol
version can read: a ``resource_link`` for each file where the version has one, the link as text
(and the file embedded when small) where it has not; audio previews only where audio blocks exist.
Tool functions never build protocol content themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from venice_mcp.outputs import OutputFile, Preview

__all__ = ["Attachment", "Preview", "Reply", "file_reply"]


@dataclass(frozen=True)
class Attachment:
    """A file a tool saved, with what it is (the link's description) and an optional preview."""

    file: OutputFile
    title: str
    preview: Preview | None = None


@dataclass
class Reply:
    text: str
    data: dict[str, Any] | None = None  # structured content, for hosts and programs
    attachments: Sequence[Attachment] = field(default_factory=tuple)


def file_reply(
    saved: OutputFile,
    *,
    what: str,
    details: Sequence[str] = (),
    preview: Preview | None = None,
    data: dict[str, Any] | None = None,
) -> Reply:
    """The standard reply for one binary output: a line (path, size, type, details), the file
    as an attachment, and a small preview when one fits."""
    line = " · ".join([f"{what} saved to {saved.summary()}", *details])
    info = {"path": str(saved.path), "uri": saved.uri, "size": saved.size, "mime_type": saved.mime_type}
    return Reply(line, {**info, **(data or {})}, (Attachment(saved, what, preview),))

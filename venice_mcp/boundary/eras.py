"""A Reply as the CallToolResult the client's protocol version can read.

What each version of the MCP schema allows in a tool result (``../shared/reference/mcp-schema``):

- 2024-11-05: text, image and embedded-resource blocks.
- 2025-03-26: + audio blocks.
- 2025-06-18 and later: + resource_link blocks and ``structuredContent``.

A client validates the whole result against its own version, so one block it does not know loses
it the whole (already paid) result. Newer clients get every file as a resource_link and every
preview inline. Older ones get the link as a text line (``resources/read`` works in every version),
the file itself embedded when it is small, and audio as an embedded resource where audio blocks do
not exist yet.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from mcp.types import (
    AudioContent,
    BlobResourceContents,
    CallToolResult,
    ContentBlock,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)
from mcp_types.version import LATEST_PROTOCOL_VERSION, is_version_at_least

from venice_mcp.outputs import OutputFile, Preview
from venice_mcp.reply import Attachment, Reply

AUDIO_SINCE = "2025-03-26"
LINKS_SINCE = "2025-06-18"  # resource_link blocks and structuredContent
# Older clients get a file embedded whole when it is at most this big and the result's inline
# budget allows; hosts reject results over about 1 MiB, and base64 adds a third.
EMBED_MAX_BYTES = 256 * 1024
INLINE_BUDGET_BYTES = 600_000
TEXT_MIME_PREFIXES = ("text/", "application/json", "application/xml")


def to_result(reply: Reply, version: str | None) -> CallToolResult:
    version = version or LATEST_PROTOCOL_VERSION
    if is_version_at_least(version, LINKS_SINCE):
        links: list[ContentBlock] = [_link(a) for a in reply.attachments]
        previews = [_preview(a.preview) for a in reply.attachments if a.preview is not None]
        return CallToolResult(content=[_text(reply.text), *links, *previews], structured_content=reply.data)
    return CallToolResult(content=[_text(reply.text), *_older(reply.attachments, version)])


def _older(attachments: Sequence[Attachment], version: str) -> list[ContentBlock]:
    audio_blocks = is_version_at_least(version, AUDIO_SINCE)
    blocks: list[ContentBlock] = []
    previews: list[ContentBlock] = []
    embedded: set[str] = set()
    budget = INLINE_BUDGET_BYTES - sum(len(a.preview.data) for a in attachments if a.preview is not None)
    for a in attachments:
        if a.preview is not None and a.preview.kind == "audio":
            # An audio preview is the whole file: it is not embedded a second time, and before
            # audio blocks existed it travels as the file, embedded.
            embedded.add(a.file.uri)
            previews.append(_preview(a.preview) if audio_blocks else _embedded(a.file, a.preview.data))
        elif a.preview is not None:
            previews.append(_preview(a.preview))
    for a in attachments:
        line = (
            f"{a.title}: {a.file.uri} ({a.file.mime_type}, {a.file.size} bytes); read it with resources/read."
        )
        blocks.append(_text(line))
        if a.file.uri not in embedded and a.file.size <= min(EMBED_MAX_BYTES, budget):
            try:
                data = a.file.path.read_bytes()
            except OSError:
                continue
            budget -= len(data)
            blocks.append(_embedded(a.file, data))
    return blocks + previews


def _text(text: str) -> TextContent:
    return TextContent(type="text", text=text)


def _link(a: Attachment) -> ResourceLink:
    return ResourceLink(
        type="resource_link",
        name=a.file.name,
        uri=a.file.uri,
        mime_type=a.file.mime_type,
        size=a.file.size,
        description=a.title or None,
    )


def _preview(preview: Preview) -> ContentBlock:
    data = base64.b64encode(preview.data).decode()
    if preview.kind == "audio":
        return AudioContent(type="audio", data=data, mime_type=preview.mime_type)
    return ImageContent(type="image", data=data, mime_type=preview.mime_type)


def _embedded(file: OutputFile, data: bytes) -> EmbeddedResource:
    if file.mime_type.startswith(TEXT_MIME_PREFIXES):
        text = data.decode("utf-8", errors="replace")
        return EmbeddedResource(
            type="resource", resource=TextResourceContents(uri=file.uri, mime_type=file.mime_type, text=text)
        )
    blob = base64.b64encode(data).decode()
    return EmbeddedResource(
        type="resource", resource=BlobResourceContents(uri=file.uri, mime_type=file.mime_type, blob=blob)
    )

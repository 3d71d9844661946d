"""Helpers for the audio, music, video and job tool tests."""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass, field
from typing import Any

from mcp import Client

from venice_mcp.sandbox import SandboxState

MEDIA_PATHS = (
    "/audio/speech",
    "/audio/transcriptions",
    "/audio/quote",
    "/audio/queue",
    "/audio/retrieve",
    "/audio/complete",
    "/video/quote",
    "/video/queue",
    "/video/retrieve",
    "/video/complete",
)


def blocks(result: Any, kind: str) -> list[Any]:
    return [b for b in result.content if b.type == kind]


def paths(sandbox: SandboxState) -> list[str]:
    return [r.path for r in sandbox.requests if r.path in MEDIA_PATHS]


async def read_link(client: Client, uri: str) -> bytes:
    read = await client.read_resource(uri)
    contents = read.contents[0]
    assert hasattr(contents, "blob"), "media are served as binary resources"
    return base64.b64decode(contents.blob)


def mp4_boxes(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos + 8 <= len(data):
        size = struct.unpack(">I", data[pos : pos + 4])[0]
        out.append(data[pos + 4 : pos + 8])
        pos += size
    assert pos == len(data), "boxes must tile the file"
    return out


@dataclass
class ProgressLog:
    """A progress_callback that records what the server sent."""

    events: list[tuple[float, float | None, str | None]] = field(default_factory=list)

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.events.append((progress, total, message))

    @property
    def values(self) -> list[float]:
        return [e[0] for e in self.events]

    def assert_strictly_increasing(self, at_least: int) -> None:
        assert len(self.events) >= at_least, self.events
        assert all(b > a for a, b in zip(self.values, self.values[1:], strict=False)), self.values
        for value, total, _ in self.events:
            assert total is None or value <= total

"""Every tool that returns media gives a result its client's protocol version accepts.

For each of the five MCP protocol versions a raw JSON-RPC peer (no SDK in between) drives the real
CLI over stdio, calls every media-returning tool, and validates the JSON the server wrote against
that version's official ``CallToolResult`` schema. Newer clients must get every link and preview;
older ones the link as text, small files embedded, and audio as an embedded resource where audio
blocks do not exist. Every file read back through ``resources/read`` carries its own MIME type.
"""

from __future__ import annotations

import base64
import io
import mimetypes
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import child_env, cli
from tests.e2e.rpc import MODERN, RawPeer, raw_peer
from tests.mcp_schema import VERSIONS, errors

pytestmark = pytest.mark.anyio

LINKS_SINCE = "2025-06-18"
URI = re.compile(r"venice-mcp://outputs/[A-Za-z0-9._-]*[A-Za-z0-9]")


def _png() -> str:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 40, 40)).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


PNG = _png()
DOCUMENT = "data:text/plain;base64," + base64.b64encode(("A long page of text. " * 1500).encode()).decode()

# name -> (tool, arguments, files the result links to)
CALLS: dict[str, tuple[str, dict[str, Any], int]] = {
    "image": ("venice_image_generate", {"prompt": "a red fox in snow"}, 1),
    "variants": ("venice_image_generate", {"prompt": "two foxes", "variants": 2}, 2),
    "edit": ("venice_image_edit", {"image": PNG, "prompt": "make it blue"}, 1),
    "multi_edit": ("venice_image_multi_edit", {"images": [PNG, PNG], "prompt": "merge them"}, 1),
    "upscale": ("venice_image_upscale", {"image": PNG, "scale": 2}, 1),
    "cutout": ("venice_image_remove_background", {"image": PNG}, 1),
    "speech": ("venice_speech", {"text": "Hello from every protocol era."}, 1),
    "music": ("venice_music_generate", {"prompt": "calm piano"}, 1),
    "video": ("venice_video_generate", {"prompt": "a lighthouse at dawn"}, 1),
    "pending": ("venice_video_generate", {"prompt": "a slow tide", "wait_seconds": 0}, 0),
    "embeddings": ("venice_embeddings", {"input": ["one", "two", "three", "four", "five"]}, 1),
    "document": ("venice_parse_document", {"file": DOCUMENT}, 1),
}


def blocks(result: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b for b in result["content"] if b["type"] == kind]


def text_of(result: dict[str, Any]) -> str:
    return "\n".join(b["text"] for b in blocks(result, "text"))


async def _read_back(peer: RawPeer, uri: str) -> None:
    reply = await peer.request("resources/read", {"uri": uri})
    [contents] = reply["result"]["contents"]
    expected = mimetypes.guess_type(uri)[0]
    assert contents["mimeType"] == expected, (uri, contents["mimeType"])
    assert not errors(peer.version, "ReadResourceResult", reply["result"])


@pytest.mark.parametrize("version", VERSIONS)
async def test_media_results_are_valid_in_every_protocol_version(version: str, tmp_path: Path) -> None:
    env = child_env(tmp_path, VENICE_MCP_MAX_CALL_USD="100", VENICE_MCP_POLL_SECONDS="0.01")
    async with raw_peer(cli("serve", "--sandbox"), env, version, tmp_path / "stderr.log") as peer:
        results = {name: await peer.call_tool(tool, args) for name, (tool, args, _) in CALLS.items()}
        uris: set[str] = set()
        for name, result in results.items():
            assert not result.get("isError"), (name, text_of(result))
            assert errors(version, "CallToolResult", result) == [], name
            files = CALLS[name][2]
            if version >= LINKS_SINCE:
                links = blocks(result, "resource_link")
                assert len(links) == files, name
                assert result["structuredContent"], name
                uris |= {link["uri"] for link in links}
            else:
                # The link as text (resources/read exists in every version), no structuredContent.
                found = set(URI.findall(text_of(result)))
                assert len(found) == files and "structuredContent" not in result, name
                uris |= found
        for name in ("image", "edit", "upscale", "cutout", "video"):
            assert blocks(results[name], "image") or name == "video", name  # previews in every era
        speech = results["speech"]
        if version >= "2025-03-26":
            assert blocks(speech, "audio")
        else:  # no audio blocks yet: the sound travels as an embedded resource
            [embedded] = blocks(speech, "resource")
            assert embedded["resource"]["mimeType"] == "audio/mpeg" and embedded["resource"]["blob"]
        if version < LINKS_SINCE:  # small files are embedded whole; big ones only linked
            embedded_uris = {b["resource"]["uri"] for r in results.values() for b in blocks(r, "resource")}
            assert any(u.endswith(".json") for u in embedded_uris)  # the embeddings file
        for uri in sorted(uris):
            await _read_back(peer, uri)
    if version == MODERN:
        assert all(r["resultType"] == "complete" for r in results.values())


def test_the_oracle_rejects_what_old_clients_reject() -> None:
    """The schemas really discriminate: a link or an audio block where a version has none fails."""
    link = {"content": [{"type": "resource_link", "uri": "venice-mcp://outputs/a.png", "name": "a.png"}]}
    audio = {"content": [{"type": "audio", "data": "AAAA", "mimeType": "audio/mpeg"}]}
    assert errors("2024-11-05", "CallToolResult", link) and errors("2025-03-26", "CallToolResult", link)
    assert errors("2024-11-05", "CallToolResult", audio)
    assert not errors("2025-03-26", "CallToolResult", audio)
    assert not errors("2025-06-18", "CallToolResult", link)

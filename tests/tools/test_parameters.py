"""Arguments that no behaviour test happens to send, sent once each: every argument a tool offers
reaches Venice's request under the name the spec gives it (test_parameter_coverage.py holds
tools/spec_coverage.py's report to what these tests and the others sent)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client

from tests.tools.conftest import text_of, venice_requests
from tests.tools.test_images import data_url, png
from venice_mcp.config import Secret
from venice_mcp.sandbox import SandboxState
from venice_mcp.sandbox.state import SANDBOX_ADMIN_KEY

pytestmark = pytest.mark.anyio

WAV = "data:audio/wav;base64," + base64.b64encode(b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 28).decode()

CASES: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = [
    (
        "venice_image_generate",
        {"prompt": "a cat", "model": "venice-sd35", "negative_prompt": "dogs", "steps": 20, "cfg_scale": 7.5}
        | {"hide_watermark": True},
        "/image/generate",
        {"negative_prompt": "dogs", "steps": 20, "cfg_scale": 7.5, "hide_watermark": True},
    ),
    (
        "venice_image_edit",
        {"image": data_url(png()), "prompt": "red sky", "enhance_prompt": True, "output_format": "png"},
        "/image/edit",
        {"enhance_prompt": True, "output_format": "png"},
    ),
    (
        "venice_image_multi_edit",
        {"images": [data_url(png()), data_url(png(key="b"))], "prompt": "merge", "model": "gpt-image-2-edit"}
        | {"aspect_ratio": "1:1", "resolution": "1K", "quality": "high", "output_format": "png"}
        | {"enhance_prompt": True},
        "/image/multi-edit",
        {"aspect_ratio": "1:1", "resolution": "1K", "quality": "high", "output_format": "png"}
        | {"enhance_prompt": True},
    ),
    (
        "venice_speech",
        {"text": "hi", "model": "tts-qwen3-1-7b", "language": "en", "prompt": "cheerful", "speed": 1.2},
        "/audio/speech",
        {"language": "en", "prompt": "cheerful", "speed": 1.2},
    ),
    (
        "venice_music_generate",
        {"prompt": "a jingle for a bakery", "model": "minimax-music-v25", "lyrics_optimizer": True},
        "/audio/queue",
        {"lyrics_optimizer": True},
    ),
    (
        "venice_music_generate",
        {"prompt": "a jingle for a bakery", "model": "ace-step-15", "lyrics": "la la la"},
        "/audio/queue",
        {"lyrics_prompt": "la la la"},
    ),
    (
        "venice_music_generate",
        {"prompt": "rain", "model": "elevenlabs-sound-effects-v2", "loop": True},
        "/audio/queue",
        {"loop": True},
    ),
    (
        "venice_music_generate",
        {"prompt": "Hello there.", "model": "elevenlabs-tts-v3", "voice": "Roger", "speed": 1.1},
        "/audio/queue",
        {"voice": "Roger", "speed": 1.1},
    ),
    (
        "venice_video_generate",
        {"prompt": "waves", "model": "wan-2.6-image-to-video", "image": data_url(png(640, 480))}
        | {"negative_prompt": "people", "audio": False, "audio_input": WAV},
        "/video/queue",
        {"negative_prompt": "people", "audio": False, "audio_url": WAV},
    ),
    (
        "venice_video_generate",
        {"prompt": "morph", "model": "flux-3-first-last-frame-to-video", "image": data_url(png(640, 480))}
        | {"end_image": data_url(png(640, 480, key="end"))},
        "/video/queue",
        {"end_image_url": data_url(png(640, 480, key="end"))},
    ),
    (
        "venice_quote",
        {"kind": "video", "model": "wan-2.6-text-to-video", "audio": False},
        "/video/quote",
        {"audio": False},
    ),
    (
        "venice_embeddings",
        {"input": "hi", "model": "text-embedding-3-small", "dimensions": 256},
        "/embeddings",
        {"dimensions": 256},
    ),
]


@pytest.mark.parametrize(("tool", "args", "path", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_each_argument_reaches_venice(
    client: Client,
    sandbox: SandboxState,
    tool: str,
    args: dict[str, Any],
    path: str,
    expected: dict[str, Any],
) -> None:
    result = await client.call_tool(tool, args)
    assert not result.is_error, text_of(result)
    body = venice_requests(sandbox, path)[-1].json
    assert {k: body.get(k) for k in expected} == expected


async def test_switches_reach_venice_parameters(client: Client, sandbox: SandboxState) -> None:
    await client.call_tool("venice_chat", {"prompt": "news", "web_search": "on", "web_citations": True})
    await client.call_tool("venice_responses", {"input": "hi", "character": "alan-watts"})
    chat = venice_requests(sandbox, "/chat/completions")[-1].json["venice_parameters"]
    responses = venice_requests(sandbox, "/responses")[-1].json["venice_parameters"]
    assert chat == {"enable_web_search": "on", "enable_web_citations": True}
    assert responses == {"character_slug": "alan-watts"}


async def test_account_arguments_reach_venice(
    make_client: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with make_client(api_key=Secret(SANDBOX_ADMIN_KEY), admin_tools=True) as admin:
        history = await admin.call_tool("venice_billing", {"view": "usage_history", "currency": "USD"})
        created = await admin.call_tool(
            "venice_api_key_create", {"description": "bot", "expires_at": "2030-01-01", "diem_limit": 3}
        )
        key_id = (created.structured_content or {})["id"]
        changes = {"description": "b2", "expires_at": "2031-01-01", "usd_limit": 9, "limit_period": "EPOCH"}
        updated = await admin.call_tool(
            "venice_api_key_update", {"key_id": key_id, **changes, "model_privacy": "PRIVATE_ONLY"}
        )
        characters = await admin.call_tool(
            "venice_characters",
            {"tags": ["wise"], "categories": ["philosophy"], "model_id": ["zai-org-glm-5-2"], "adult": True}
            | {"pro_only": True, "web_enabled_only": True},
        )
    for result in (history, created, updated, characters):
        assert not result.is_error, text_of(result)
    assert venice_requests(sandbox, "/billing/usage-history")[-1].query["currency"] == "USD"
    assert venice_requests(sandbox, "/api_keys")[0].json["expiresAt"] == "2030-01-01"
    patch = [r for r in venice_requests(sandbox, "/api_keys") if r.method == "PATCH"][-1].json
    assert patch["expiresAt"] == "2031-01-01" and patch["modelPrivacy"] == "PRIVATE_ONLY"
    assert patch["consumptionLimit"] == {"usd": 9} and patch["limitPeriod"] == "EPOCH"
    query = venice_requests(sandbox, "/characters")[-1].query
    assert (
        query["tags"] == "wise"
        and query["categories"] == "philosophy"
        and query["modelId"] == "zai-org-glm-5-2"
    )
    assert {query[k] for k in ("isAdult", "isPro", "isWebEnabled")} == {"true"}

"""venice_music_generate through an MCP client, against the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client

from tests.tools.conftest import text_of, venice_requests
from tests.tools.media_helpers import ProgressLog, blocks, paths, read_link
from venice_mcp.sandbox import SandboxState
from venice_mcp.sandbox.media_jobs import CONTENT_VIOLATION_MARKER
from venice_mcp.sandbox.spec import validate_body

pytestmark = pytest.mark.anyio

PROMPT = "Calm acoustic guitar at dusk, 90 BPM."


async def test_music_from_quote_to_file_with_progress(client: Client, sandbox: SandboxState) -> None:
    log = ProgressLog()
    args = {"prompt": PROMPT, "duration_seconds": 20, "force_instrumental": True, "confirm": True}
    result = await client.call_tool("venice_music_generate", args, progress_callback=log)
    assert not result.is_error, text_of(result)
    text = text_of(result)
    assert text.startswith("Music saved to ") and "audio/mpeg" in text and "quoted $0.69" in text
    [link] = blocks(result, "resource_link")
    data = await read_link(client, link.uri)
    assert data[:2] == b"\xff\xfb" and Path(result.structured_content["path"]).suffix == ".mp3"  # type: ignore[index]
    [inline] = blocks(result, "audio")  # 20 s of 32 kbit/s MP3 is small enough to include
    assert inline.mime_type == "audio/mpeg"
    log.assert_strictly_increasing(at_least=sandbox.media_jobs.polls_before_done + 1)
    assert log.events[0][1] == 20_000  # total = Venice's average_execution_time (ms)
    assert paths(sandbox) == [
        "/audio/quote",
        "/audio/queue",
        *["/audio/retrieve"] * (sandbox.media_jobs.polls_before_done + 1),
        "/audio/complete",
    ]
    [quote] = venice_requests(sandbox, "/audio/quote")
    assert quote.json == {"model": "elevenlabs-music", "duration_seconds": 20}
    [queued] = venice_requests(sandbox, "/audio/queue")
    validate_body("/audio/queue", queued.json)
    assert queued.json == {
        "model": "elevenlabs-music",
        "prompt": PROMPT,
        "duration_seconds": 20,
        "force_instrumental": True,
    }
    assert result.structured_content["job"]["cleanup"] == "completed"  # type: ignore[index]


async def test_default_music_is_over_the_default_limit(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_music_generate", {"prompt": PROMPT})
    assert not result.is_error and text_of(result).startswith("confirmation_required")
    assert "$0.69" in text_of(result) and "Nothing was spent" in text_of(result)
    assert paths(sandbox) == ["/audio/quote"]


async def test_cheap_music_runs_under_the_limit(
    make_client: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with make_client(max_call_usd=1.0) as c:
        result = await c.call_tool("venice_music_generate", {"prompt": PROMPT, "model": "elevenlabs-music"})
    assert not result.is_error, text_of(result)
    assert "/audio/queue" in paths(sandbox)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"lyrics": "la la la"}, "does not take lyrics"),
        ({"model": "ace-step-15", "duration_seconds": 45}, "takes duration_seconds of: 60, 90, 120"),
        ({"duration_seconds": 900}, "between 3 and 600"),
        ({"model": "minimax-music-v2"}, "requires lyrics"),
        ({"loop": True}, "does not support 'loop'"),
        ({"prompt": "short"}, "at least 10 characters"),
        ({"model": "minimax-music-v25", "lyrics": "x" * 20, "lyrics_optimizer": True}, "not both"),
        ({"model": "minimax-music-v25", "duration_seconds": 30}, "no duration setting"),
        ({"model": "seed-audio-1-0", "voice": "Nobody"}, "is not one of seed-audio-1-0's voices"),
    ],
)
async def test_preflight_refusals_spend_nothing(
    client: Client, sandbox: SandboxState, args: dict[str, object], needle: str
) -> None:
    result = await client.call_tool("venice_music_generate", {"prompt": PROMPT, **args})
    assert result.is_error and needle in text_of(result), text_of(result)
    assert "nothing was spent" in text_of(result) or "No Venice model" in text_of(result)
    assert paths(sandbox) == []


async def test_content_policy_failure_gives_the_suggested_prompt(
    client: Client, sandbox: SandboxState
) -> None:
    args = {"prompt": f"Guitar at dusk {CONTENT_VIOLATION_MARKER}", "confirm": True}
    result = await client.call_tool("venice_music_generate", args)
    assert result.is_error
    text = text_of(result)
    assert "content policy" in text and "suggests this prompt instead: 'Guitar at dusk'" in text
    assert "refunds failed music jobs" in text
    assert venice_requests(sandbox, "/audio/complete") == []


async def test_voice_model_is_quoted_by_characters(
    make_client: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with make_client() as c:
        result = await c.call_tool(
            "venice_music_generate",
            {"prompt": "Hello and welcome to the show.", "model": "elevenlabs-tts-v3"},
        )
    assert not result.is_error, text_of(result)
    [quote] = venice_requests(sandbox, "/audio/quote")
    assert quote.json == {"model": "elevenlabs-tts-v3", "character_count": 30}

"""venice_speech, venice_voice_clone and venice_transcribe through an MCP client, against the
sandbox."""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client

from tests.tools.conftest import text_of, venice_requests
from tests.tools.media_helpers import blocks, paths, read_link
from venice_mcp import media_specs
from venice_mcp.sandbox import SandboxState, media
from venice_mcp.sandbox.spec import validate_body

pytestmark = pytest.mark.anyio


def wav_of(seconds: float, byte_rate: int = 32_000) -> bytes:
    """A PCM WAV whose header says ``seconds`` long (8-bit mono at ``byte_rate`` Hz)."""
    data = bytes([128]) * int(seconds * byte_rate)
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, byte_rate, byte_rate, 1, 8)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVE"
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )


def data_url(data: bytes, mime: str = "audio/wav") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


# -- speech ----------------------------------------------------------------------------------------


async def test_speech_saves_audio_links_it_and_inlines_it_when_small(
    client: Client, sandbox: SandboxState
) -> None:
    result = await client.call_tool("venice_speech", {"text": "Hello from Venice.", "response_format": "wav"})
    assert not result.is_error, text_of(result)
    text = text_of(result)
    assert text.startswith("Speech saved to ") and "audio/wav" in text and "tts-kokoro" in text
    assert "voice af_sky" in text and "estimated cost $" in text
    [link] = blocks(result, "resource_link")
    data = await read_link(client, link.uri)
    assert data[:4] == b"RIFF" and media.wav_seconds(data) == pytest.approx(18 / 15, abs=0.01)
    assert Path(result.structured_content["path"]).read_bytes() == data  # type: ignore[index]
    [inline] = blocks(result, "audio")
    assert inline.mime_type == "audio/wav" and base64.b64decode(inline.data) == data
    [sent] = venice_requests(sandbox, "/audio/speech")
    validate_body("/audio/speech", sent.json)
    assert sent.json == {"model": "tts-kokoro", "input": "Hello from Venice.", "response_format": "wav"}


async def test_speech_in_the_models_default_format_always_names_the_model(
    client: Client, sandbox: SandboxState
) -> None:
    result = await client.call_tool(
        "venice_speech", {"text": "Hi there", "model": "tts-orpheus", "voice": "leah"}
    )
    assert not result.is_error, text_of(result)
    assert result.structured_content["path"].endswith(".wav")  # type: ignore[index]
    [sent] = venice_requests(sandbox, "/audio/speech")
    assert sent.json == {"model": "tts-orpheus", "input": "Hi there", "voice": "leah"}


@pytest.mark.parametrize(
    ("model", "sampling"),
    [
        ("tts-qwen3-1-7b", {"temperature": 0.9, "top_p": 0.95}),
        ("tts-orpheus", {"temperature": 1.4}),
        ("tts-gemini-3-1-flash", {"temperature": 0.0}),
    ],
)
async def test_speech_sampling_reaches_venice_on_models_that_use_it(
    client: Client, sandbox: SandboxState, model: str, sampling: dict[str, float]
) -> None:
    result = await client.call_tool("venice_speech", {"text": "We did it!", "model": model, **sampling})
    assert not result.is_error, text_of(result)
    [sent] = venice_requests(sandbox, "/audio/speech")
    validate_body("/audio/speech", sent.json)
    assert {k: sent.json[k] for k in sampling} == sampling


@pytest.mark.parametrize(
    ("model", "sampling", "needle"),
    [
        ("tts-kokoro", {"temperature": 0.9}, "tts-kokoro ignores temperature"),
        ("tts-orpheus", {"top_p": 0.9}, "tts-orpheus ignores top_p; Venice applies it only on: tts-qwen3"),
        ("tts-gemini-3-1-flash", {"temperature": 0.5, "top_p": 0.5}, "ignores top_p"),
    ],
)
async def test_speech_sampling_is_refused_where_venice_would_ignore_it(
    make_client: Callable[..., Client],
    sandbox: SandboxState,
    tmp_path: Path,
    model: str,
    sampling: dict[str, float],
    needle: str,
) -> None:
    from tests.backend import recorded_calls

    async with make_client() as c:
        result = await c.call_tool("venice_speech", {"text": "Hello", "model": model, **sampling})
    assert result.is_error and needle in text_of(result), text_of(result)
    assert "Nothing was sent to Venice" in text_of(result)
    assert paths(sandbox) == [] and await recorded_calls(tmp_path / "home") == []


def test_a_capability_flag_overrides_the_sampling_table() -> None:
    flagged = {"capabilities": {"supportsTemperatureParam": True, "supportsTopPParam": False}}
    media_specs.speech_sampling(flagged, "tts-kokoro", temperature=0.7, top_p=None)
    with pytest.raises(media_specs.PreflightError, match="ignores top_p"):
        media_specs.speech_sampling(flagged, "tts-qwen3-1-7b", temperature=None, top_p=0.9)


@pytest.mark.parametrize("sampling", [{"temperature": 2.5}, {"top_p": 1.5}, {"temperature": -0.1}])
async def test_speech_sampling_outside_venices_range_is_refused_by_the_schema(
    client: Client, sandbox: SandboxState, sampling: dict[str, float]
) -> None:
    result = await client.call_tool("venice_speech", {"text": "Hi", "model": "tts-qwen3-0-6b", **sampling})
    assert result.is_error and paths(sandbox) == []


async def test_large_speech_is_a_link_only(client: Client) -> None:
    text = "A longer passage to read aloud. " * 30  # ~64 s of 16 kHz WAV, about 2 MB
    result = await client.call_tool("venice_speech", {"text": text, "response_format": "wav"})
    assert not result.is_error, text_of(result)
    assert blocks(result, "audio") == [] and "too large to include inline" in text_of(result)
    [link] = blocks(result, "resource_link")
    assert link.size > 400_000 and (await read_link(client, link.uri))[:4] == b"RIFF"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"voice": "AF_SKY"}, "not one of tts-kokoro's voices"),
        ({"model": "tts-orpheus", "response_format": "mp3"}, "cannot produce 'mp3' audio; it supports: wav"),
        ({"model": "tts-nope"}, "No Venice model matches"),
    ],
)
async def test_speech_preflight_refusals_spend_nothing(
    client: Client, sandbox: SandboxState, args: dict[str, object], needle: str
) -> None:
    result = await client.call_tool("venice_speech", {"text": "Hello", **args})
    assert result.is_error and needle in text_of(result), text_of(result)
    assert paths(sandbox) == []


async def test_speech_text_over_4096_is_refused_by_the_schema(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_speech", {"text": "a" * 4097})
    assert result.is_error and paths(sandbox) == []


# -- voice cloning ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_clone_a_local_sample_then_speak_with_the_handle(
    make_client: Callable[..., Client], sandbox: SandboxState, tmp_path: Path, mode: str
) -> None:
    sample = tmp_path / "my voice.wav"
    sample.write_bytes(wav_of(6.0))
    async with make_client(mode, input_roots=(tmp_path,)) as c:
        cloned = await c.call_tool("venice_voice_clone", {"sample": str(sample)})
        assert not cloned.is_error, text_of(cloned)
        data = cloned.structured_content
        assert data is not None and data["model"] == "tts-chatterbox-hd" and data["retention_days"] == 7
        handle = data["voice"]
        assert handle.startswith("vv_") and data["expires_at"].endswith("Z")
        text = text_of(cloned)
        assert f"Cloned voice {handle} for tts-chatterbox-hd" in text and "7 days" in text
        assert f'venice_speech with voice="{handle}" and model="tts-chatterbox-hd"' in text
        [sent] = venice_requests(sandbox, "/audio/voices")
        assert sent.headers["content-type"].startswith("multipart/form-data")
        spoken = await c.call_tool(
            "venice_speech", {"text": "Hello in my own voice.", "model": "tts-chatterbox-hd", "voice": handle}
        )
        assert not spoken.is_error, text_of(spoken)
        assert f"voice {handle}" in text_of(spoken)
        [said] = venice_requests(sandbox, "/audio/speech")
        assert said.json["voice"] == handle and said.json["model"] == "tts-chatterbox-hd"
        # A model taking custom voice ids lets the handle through; Venice refuses the pairing.
        elsewhere = await c.call_tool(
            "venice_speech", {"text": "Hello", "model": "tts-elevenlabs-turbo-v2-5", "voice": handle}
        )
    assert elsewhere.is_error and "cannot be used with tts-elevenlabs-turbo-v2-5" in text_of(elsewhere)


@pytest.mark.parametrize("model", ["tts-kokoro", "tts-minimax-speech-02-hd"])
async def test_clone_with_a_model_that_cannot_clone_is_refused_free(
    client: Client, sandbox: SandboxState, model: str
) -> None:
    result = await client.call_tool("venice_voice_clone", {"sample": data_url(wav_of(6.0)), "model": model})
    assert result.is_error, text_of(result)
    assert f"{model} cannot clone voices; models that can: tts-chatterbox-hd" in text_of(result)
    assert "nothing was spent" in text_of(result)
    assert venice_requests(sandbox, "/audio/voices") == []


async def test_clone_refuses_a_sample_that_is_not_audio(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_voice_clone", {"sample": "data:text/plain;base64,aGVsbG8="})
    assert result.is_error and "clones from mp3, wav, flac, m4a/mp4 audio" in text_of(result)
    assert venice_requests(sandbox, "/audio/voices") == []


async def test_speech_with_an_unknown_handle_gets_venices_400(client: Client, sandbox: SandboxState) -> None:
    args = {"text": "Hello", "model": "tts-chatterbox-hd", "voice": "vv_0123456789abcdef"}
    result = await client.call_tool("venice_speech", args)
    assert result.is_error and "Voice 'vv_0123456789abcdef' was not found or has expired" in text_of(result)
    [sent] = venice_requests(sandbox, "/audio/speech")
    assert sent.status == 400


async def test_speech_refuses_a_handle_for_a_model_without_cloning(
    client: Client, sandbox: SandboxState
) -> None:
    result = await client.call_tool("venice_speech", {"text": "Hello", "voice": "vv_0123456789abcdef"})
    assert result.is_error and "not one of tts-kokoro's voices" in text_of(result)
    assert paths(sandbox) == []


def test_a_handle_passes_preflight_when_the_catalog_describes_no_cloning() -> None:
    spec = {"voices": ["Aurora"], "supported_formats": ["wav"]}
    with pytest.raises(media_specs.PreflightError):
        media_specs.speech(spec, "tts-chatterbox-hd", voice="vv_1", response_format=None)
    assert (
        media_specs.speech(
            spec, "tts-chatterbox-hd", voice="vv_1", response_format=None, cloning_described=False
        )
        == "wav"
    )


# -- transcription ---------------------------------------------------------------------------------


async def test_transcribe_a_local_file(
    make_client: Callable[..., Client], sandbox: SandboxState, tmp_path: Path
) -> None:
    recording = tmp_path / "memo.wav"
    recording.write_bytes(wav_of(4.0))
    async with make_client(input_roots=(tmp_path,)) as c:
        result = await c.call_tool(
            "venice_transcribe", {"audio": str(recording), "timestamps": True, "language": "en"}
        )
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data is not None and data["duration"] == pytest.approx(4.0) and data["truncated"] is False
    assert data["text"] and text_of(result).startswith(data["text"]) and "4.0 s of audio" in text_of(result)
    assert data["timestamps"]["word"]
    [sent] = venice_requests(sandbox, "/audio/transcriptions")
    assert sent.headers["content-type"].startswith("multipart/form-data")


async def test_long_transcript_is_cut_inline_and_saved_whole(client: Client) -> None:
    # 100 bytes/s: a valid WAV that says 2,000 s long in 200 KB; the sandbox speaks 2.5 words/s.
    result = await client.call_tool("venice_transcribe", {"audio": data_url(wav_of(2000, byte_rate=100))})
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data is not None and data["truncated"] is True and data["characters"] > 20_000
    assert "[Truncated: showing 20000 of" in text_of(result)
    [link] = blocks(result, "resource_link")
    whole = (await read_link(client, link.uri)).decode()
    assert len(whole) == data["characters"] and text_of(result).startswith(whole[:1000])


async def test_transcribe_refuses_what_is_not_audio(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_transcribe", {"audio": "data:text/plain;base64,aGVsbG8="})
    assert result.is_error and "not audio" in text_of(result)
    assert paths(sandbox) == []


async def test_transcribe_refuses_paths_outside_the_roots(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_transcribe", {"audio": "/etc/passwd"})
    assert result.is_error and "Cannot read the recording" in text_of(result)
    assert paths(sandbox) == []

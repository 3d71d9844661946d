"""Speech, transcription and the queued music/video state machines of the sandbox."""

from __future__ import annotations

import base64
import re
import struct
import time

import httpx2
import pytest

from tests.sandbox.siwe import Wallet
from venice_mcp.sandbox import SandboxState, audio, media
from venice_mcp.sandbox.media_jobs import CONTENT_VIOLATION_MARKER

pytestmark = pytest.mark.anyio

VIDEO = {
    "model": "wan-2.6-text-to-video",
    "prompt": "A lighthouse at dawn, waves below.",
    "duration": "5s",
    "aspect_ratio": "16:9",
    "resolution": "720p",
}
MUSIC = {"model": "elevenlabs-music", "prompt": "Calm acoustic guitar, 90 BPM.", "duration_seconds": 30}


def _box_types(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos + 8 <= len(data):
        size = struct.unpack(">I", data[pos : pos + 4])[0]
        out.append(data[pos + 4 : pos + 8])
        assert size >= 8
        pos += size
    assert pos == len(data)
    return out


# -- speech ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mime", "magic"),
    [
        ("wav", "audio/wav", b"RIFF"),
        ("mp3", "audio/mpeg", b"\xff\xfb"),
        ("flac", "audio/flac", b"fLaC"),
        ("opus", "audio/opus", b"OggS"),
        ("aac", "audio/aac", b"\xff\xf1"),
    ],
)
async def test_speech_returns_audio_in_the_requested_format(
    client: httpx2.AsyncClient, key_headers: dict[str, str], fmt: str, mime: str, magic: bytes
) -> None:
    body = {"model": "tts-kokoro", "input": "Hello from the sandbox.", "response_format": fmt}
    response = await client.post("/audio/speech", json=body, headers=key_headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == mime
    assert response.content.startswith(magic)


async def test_speech_wav_is_a_real_wav_of_the_texts_length(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    text = "x" * 150
    body = {"model": "tts-kokoro", "input": text, "response_format": "wav"}
    response = await client.post("/audio/speech", json=body, headers=key_headers)
    assert media.wav_seconds(response.content) == pytest.approx(10.0, abs=0.01)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"model": "tts-orpheus", "response_format": "mp3"}, "Unsupported response_format 'mp3'"),
        ({"voice": "NotAVoice"}, "Invalid voice 'NotAVoice'"),
        ({"input": "!!! ???"}, "Input must contain speakable text"),
        ({"model": None}, "model is required"),
    ],
)
async def test_speech_refusals(
    client: httpx2.AsyncClient, key_headers: dict[str, str], extra: dict[str, object], message: str
) -> None:
    body: dict[str, object] = {"model": "tts-kokoro", "input": "Hello", **extra}
    if body["model"] is None:
        del body["model"]
    response = await client.post("/audio/speech", json=body, headers=key_headers)
    assert response.status_code == 400 and message in response.json()["error"]


async def test_speech_is_strict_about_unknown_fields(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    body = {"model": "tts-kokoro", "input": "Hello", "volume": 3}
    response = await client.post("/audio/speech", json=body, headers=key_headers)
    assert response.status_code == 400 and response.json()["issues"][0]["code"] == "unrecognized_keys"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"model": "tts-qwen3-1-7b", "temperature": 0.9, "top_p": 0.95}, 200),
        ({"model": "tts-kokoro", "temperature": 0.9}, 200),  # silently ignored there, like Venice
        ({"model": "tts-qwen3-1-7b", "temperature": 2.1}, 400),
        ({"model": "tts-qwen3-1-7b", "top_p": -0.1}, 400),
    ],
)
async def test_speech_sampling_is_validated_by_the_schema(
    client: httpx2.AsyncClient, key_headers: dict[str, str], body: dict[str, object], status: int
) -> None:
    response = await client.post("/audio/speech", json={"input": "Hello", **body}, headers=key_headers)
    assert response.status_code == status, response.text


# -- transcription ---------------------------------------------------------------------------------


async def test_transcription_json_with_timestamps(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    files = {"file": ("clip.wav", media.wav(4.0), "audio/wav")}
    data = {"model": "openai/whisper-large-v3", "timestamps": "true"}
    response = await client.post("/audio/transcriptions", files=files, data=data, headers=key_headers)
    body = response.json()
    assert response.status_code == 200 and body["duration"] == pytest.approx(4.0)
    assert body["text"] and body["timestamps"]["word"][0]["start"] == 0.0


async def test_transcription_text_format_and_refusals(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    files = {"file": ("clip.mp3", media.mp3(2.0), "audio/mpeg")}
    data = {"model": "nvidia/parakeet-tdt-0.6b-v3", "response_format": "text"}
    response = await client.post("/audio/transcriptions", files=files, data=data, headers=key_headers)
    assert response.headers["content-type"].startswith("text/plain") and response.text.endswith(".")
    not_audio = {"file": ("clip.wav", b"this is not audio at all", "audio/wav")}
    bad = await client.post("/audio/transcriptions", files=not_audio, data=data, headers=key_headers)
    assert bad.status_code == 400
    no_file = await client.post(
        "/audio/transcriptions", data=data, files={"x": ("a", b"1")}, headers=key_headers
    )
    assert no_file.status_code == 400 and no_file.json()["error"] == "No audio file provided"
    as_json = await client.post("/audio/transcriptions", json=data, headers=key_headers)
    assert as_json.json()["error"] == "No audio file provided"


# -- voice cloning ---------------------------------------------------------------------------------

M4A = b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A isom" + bytes(64)


async def clone(
    client: httpx2.AsyncClient, headers: dict[str, str], data: bytes, **fields: str
) -> httpx2.Response:
    files = {"file": ("sample.wav", data, "audio/wav")}
    return await client.post("/audio/voices", files=files, data=fields, headers=headers)


@pytest.mark.parametrize("sample", [media.wav(6.0), media.mp3(6.0), media.flac(6.0), M4A])
async def test_clone_returns_a_handle_for_the_default_model(
    client: httpx2.AsyncClient, key_headers: dict[str, str], sample: bytes
) -> None:
    response = await clone(client, key_headers, sample)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"id", "model"} and body["model"] == "tts-chatterbox-hd"
    assert re.fullmatch(r"vv_[0-9a-f]{24}", body["id"])


async def test_a_cloned_voice_speaks_only_with_its_model_for_its_owner_until_it_expires(
    client: httpx2.AsyncClient, key_headers: dict[str, str], state: SandboxState, wallet: Wallet
) -> None:
    handle = (await clone(client, key_headers, media.wav(6.0), model="tts-chatterbox-hd")).json()["id"]
    speak = {"model": "tts-chatterbox-hd", "input": "Hello in my own voice.", "voice": handle}
    ok = await client.post("/audio/speech", json=speak, headers=key_headers)
    assert ok.status_code == 200 and ok.content[:4] == b"RIFF"
    for model in ("tts-elevenlabs-turbo-v2-5", "tts-kokoro"):  # custom voice ids or not: 400
        other = await client.post("/audio/speech", json={**speak, "model": model}, headers=key_headers)
        assert other.status_code == 400 and "cannot be used with " + model in other.json()["error"]
    unknown = await client.post("/audio/speech", json={**speak, "voice": "vv_0000"}, headers=key_headers)
    assert unknown.status_code == 400 and "not found or has expired" in unknown.json()["error"]
    stranger = await client.post("/audio/speech", json=speak, headers={"SIGN-IN-WITH-X": wallet.header()})
    assert stranger.status_code == 400
    state.clock = lambda: time.time() + 7 * 86_400 + 1
    expired = await client.post("/audio/speech", json=speak, headers=key_headers)
    assert expired.status_code == 400 and "expired" in expired.json()["error"]


async def test_clone_charges_a_wallet_a_flat_fee(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet
) -> None:
    response = await clone(client, {"SIGN-IN-WITH-X": wallet.header()}, media.wav(6.0))
    assert response.status_code == 200, response.text
    assert state.balance(wallet.address) == pytest.approx(10.0 - audio.CLONE_USD)


async def test_clone_refusals(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    no_file = await client.post(
        "/audio/voices", files={"x": ("a", b"1")}, data={"model": "tts-chatterbox-hd"}, headers=key_headers
    )
    assert no_file.status_code == 400 and no_file.json()["error"] == "No audio file provided"
    as_json = await client.post("/audio/voices", json={"model": "tts-chatterbox-hd"}, headers=key_headers)
    assert as_json.status_code == 400
    not_audio = await clone(client, key_headers, b"this is not audio at all")
    assert not_audio.status_code == 400 and "accepts mp3, wav, flac, mp4" in not_audio.json()["error"]
    ogg = await clone(client, key_headers, media.opus(3.0))
    assert ogg.status_code == 400
    too_big = await clone(client, key_headers, b"RIFF" + bytes(audio.MAX_UPLOAD))
    assert too_big.status_code == 413 and too_big.json()["code"] == "PAYLOAD_TOO_LARGE"
    kokoro = await clone(client, key_headers, media.wav(6.0), model="tts-kokoro")
    assert kokoro.status_code == 400 and kokoro.json()["issues"][0]["code"] == "invalid_enum_value"
    minimax = await clone(client, key_headers, media.wav(6.0), model="tts-minimax-speech-02-hd")
    assert minimax.status_code == 403 and "not available on your account" in minimax.json()["error"]


async def test_models_list_chatterbox_cloning_contract(client: httpx2.AsyncClient) -> None:
    tts = {m["id"]: m["model_spec"] for m in (await client.get("/models?type=tts")).json()["data"]}
    assert tts["tts-chatterbox-hd"]["voice_cloning"] == {
        "mode": "zero_shot",
        "accepted_formats": ["mp3", "wav", "flac", "mp4"],
        "min_sample_seconds": 5,
        "retention_days": 7,
    }
    assert [m for m, s in tts.items() if "voice_cloning" in s] == ["tts-chatterbox-hd"]


# -- music -----------------------------------------------------------------------------------------


async def test_music_quote_from_pricing_shapes(client: httpx2.AsyncClient) -> None:
    tier = await client.post("/audio/quote", json={"model": "elevenlabs-music", "duration_seconds": 90})
    assert tier.json() == {"quote": 1.38}
    flat = await client.post("/audio/quote", json={"model": "minimax-music-v25"})
    assert flat.json() == {"quote": 0.18}
    chars = await client.post("/audio/quote", json={"model": "elevenlabs-tts-v3"})
    assert chars.status_code == 400 and "character_count" in chars.json()["error"]
    no_duration = await client.post(
        "/audio/quote", json={"model": "minimax-music-v25", "duration_seconds": 30}
    )
    assert no_duration.status_code == 400


async def test_music_state_machine(
    client: httpx2.AsyncClient, key_headers: dict[str, str], state: SandboxState
) -> None:
    queued = (await client.post("/audio/queue", json=MUSIC, headers=key_headers)).json()
    assert queued["status"] == "QUEUED" and queued["model"] == "elevenlabs-music"
    ref = {"model": "elevenlabs-music", "queue_id": queued["queue_id"]}
    durations = []
    for _ in range(state.media_jobs.polls_before_done):
        poll = await client.post("/audio/retrieve", json=ref, headers=key_headers)
        body = poll.json()
        assert body["status"] == "PROCESSING" and body["average_execution_time"] > 0
        durations.append(body["execution_duration"])
    assert durations == sorted(set(durations)) and durations[-1] < 20_000
    done = await client.post("/audio/retrieve", json=ref, headers=key_headers)
    assert done.headers["content-type"] == "audio/mpeg" and done.content[:2] == b"\xff\xfb"
    assert done.headers["x-venice-model-id"] == "elevenlabs-music"
    again = await client.post("/audio/retrieve", json=ref, headers=key_headers)
    assert again.headers["content-type"] == "audio/mpeg"  # still there until completed
    assert (await client.post("/audio/complete", json=ref, headers=key_headers)).json() == {"success": True}
    gone = await client.post("/audio/retrieve", json=ref, headers=key_headers)
    assert gone.status_code == 404 and "Media could not be found" in gone.json()["error"]


async def test_music_strict_per_model(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    lyrics = {**MUSIC, "lyrics_prompt": "la la la"}
    assert (await client.post("/audio/queue", json=lyrics, headers=key_headers)).status_code == 400
    short = {**MUSIC, "prompt": "short"}
    response = await client.post("/audio/queue", json=short, headers=key_headers)
    assert response.status_code == 400 and "at least 10" in response.json()["error"]
    required = {"model": "minimax-music-v2", "prompt": "A slow ballad about the sea."}
    response = await client.post("/audio/queue", json=required, headers=key_headers)
    assert "lyrics_prompt is required" in response.json()["error"]


async def test_unknown_queue_id_is_invalid(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    ref = {"model": "elevenlabs-music", "queue_id": "00000000-0000-0000-0000-000000000000"}
    response = await client.post("/audio/retrieve", json=ref, headers=key_headers)
    assert response.status_code == 400 and response.json() == {"error": "Request ID is invalid."}


async def test_music_content_violation_is_replayed_with_suggestion(
    client: httpx2.AsyncClient, key_headers: dict[str, str], state: SandboxState
) -> None:
    state.media_jobs.polls_before_done = 0
    body = {**MUSIC, "prompt": f"Calm guitar {CONTENT_VIOLATION_MARKER}"}
    queued = (await client.post("/audio/queue", json=body, headers=key_headers)).json()
    ref = {"model": "elevenlabs-music", "queue_id": queued["queue_id"]}
    for _ in range(2):
        failed = await client.post("/audio/retrieve", json=ref, headers=key_headers)
        assert failed.status_code == 422 and failed.json()["suggested_prompt"] == "Calm guitar"


# -- video -----------------------------------------------------------------------------------------


async def test_video_quote_is_deterministic_and_needs_no_key(client: httpx2.AsyncClient) -> None:
    quote = await client.post("/video/quote", json={k: VIDEO[k] for k in ("model", "duration", "resolution")})
    assert quote.json() == {"quote": 0.1875}
    bigger = await client.post("/video/quote", json={**VIDEO, "duration": "10s", "resolution": "1080p"})
    assert bigger.json()["quote"] == pytest.approx(0.5625)
    upscale = await client.post("/video/quote", json={"model": "topaz-video-upscale", "duration": "5s"})
    assert upscale.status_code == 403


async def test_video_state_machine_with_delete_on_completion(
    client: httpx2.AsyncClient, key_headers: dict[str, str], state: SandboxState
) -> None:
    queued = (await client.post("/video/queue", json=VIDEO, headers=key_headers)).json()
    assert set(queued) == {"model", "queue_id"}
    ref = {"model": VIDEO["model"], "queue_id": queued["queue_id"], "delete_media_on_completion": True}
    for _ in range(state.media_jobs.polls_before_done):
        assert (await client.post("/video/retrieve", json=ref, headers=key_headers)).json()[
            "status"
        ] == "PROCESSING"
    done = await client.post("/video/retrieve", json=ref, headers=key_headers)
    assert done.headers["content-type"] == "video/mp4"
    assert _box_types(done.content) == [b"ftyp", b"moov", b"mdat"]
    gone = await client.post("/video/retrieve", json=ref, headers=key_headers)
    assert gone.status_code == 404


async def test_video_complete_rejects_queue_ids_like_venice(
    client: httpx2.AsyncClient, key_headers: dict[str, str], state: SandboxState
) -> None:
    queued = (await client.post("/video/queue", json=VIDEO, headers=key_headers)).json()
    ref = {"model": VIDEO["model"], "queue_id": queued["queue_id"]}
    rejected = await client.post("/video/complete", json=ref, headers=key_headers)
    assert rejected.status_code == 400 and rejected.json()["error"] == "Request ID is invalid."
    state.media_jobs.video_complete_rejects = False
    assert (await client.post("/video/complete", json=ref, headers=key_headers)).json() == {"success": False}


async def test_vps_video_gives_download_url(
    client: httpx2.AsyncClient, key_headers: dict[str, str], state: SandboxState
) -> None:
    state.media_jobs.polls_before_done = 1
    body = {"model": "grok-imagine-text-to-video-private", "prompt": "A cat", "duration": "5s"}
    ratios = (await client.get("/models", params={"type": "video"})).json()["data"]
    spec = next(m for m in ratios if m["id"] == body["model"])["model_spec"]["constraints"]
    if spec["aspect_ratios"]:
        body["aspect_ratio"] = spec["aspect_ratios"][0]
    queued = (await client.post("/video/queue", json=body, headers=key_headers)).json()
    url = queued["download_url"]
    ref = {"model": body["model"], "queue_id": queued["queue_id"]}
    assert (await client.post("/video/retrieve", json=ref, headers=key_headers)).json()[
        "status"
    ] == "PROCESSING"
    assert (await client.post("/video/retrieve", json=ref, headers=key_headers)).json()[
        "status"
    ] == "COMPLETED"
    download = await client.get(url)  # no credentials
    assert download.status_code == 200 and download.content[4:8] == b"ftyp"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"duration": "7s"}, "Invalid duration"),
        ({"aspect_ratio": "4:5"}, "Invalid aspect_ratio"),
        ({"aspect_ratio": None}, "aspect_ratio is required"),
        ({"resolution": "4k"}, "Invalid resolution"),
        ({"image_url": "https://example.com/a.png"}, "does not support image_url"),
        ({"model": "wan-2.6-image-to-video", "aspect_ratio": None}, "image_url is required"),
        (
            {"model": "wan-2.6-image-to-video", "aspect_ratio": None, "image_url": "http://127.0.0.1/a.png"},
            "not allowed",
        ),
        (
            {"model": "wan-2.6-flash-image-to-video", "image_url": "https://example.com/a.png"},
            "does not support aspect_ratio",
        ),
    ],
)
async def test_video_queue_is_strict_per_model(
    client: httpx2.AsyncClient, key_headers: dict[str, str], change: dict[str, object], message: str
) -> None:
    body = {**VIDEO, **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = await client.post("/video/queue", json=body, headers=key_headers)
    assert response.status_code == 400 and message in response.json()["error"], response.text


def _clip(seconds: int) -> str:
    return "data:video/mp4;base64," + base64.b64encode(media.mp4(seconds, 64, 36)).decode()


def _wav(seconds: float) -> str:
    return "data:audio/wav;base64," + base64.b64encode(media.wav(seconds)).decode()


PNG_URL = "https://img.example/ref.png"
R2V = {
    "model": "seedance-2-0-reference-to-video-basic",
    "prompt": "Make <Video 1> snowy.",
    "duration": "4s",
    "aspect_ratio": "16:9",
    "resolution": "480p",
}


async def test_video_queue_bills_reference_video_as_its_quote_does(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet
) -> None:
    body = {**R2V, "reference_video_urls": [_clip(3), _clip(2)], "reference_audio_urls": [_wav(2.5)]}
    quote_body = {k: R2V[k] for k in ("model", "duration", "aspect_ratio", "resolution")}
    quote = await client.post("/video/quote", json={**quote_body, "reference_video_total_duration": 5})
    baseline = await client.post("/video/quote", json=quote_body)
    assert quote.json()["quote"] == pytest.approx(0.02 * (4 + 5) * 1.25)
    assert baseline.json()["quote"] == pytest.approx(0.02 * 4 * 1.25)
    queued = await client.post("/video/queue", json=body, headers={"SIGN-IN-WITH-X": wallet.header()})
    assert queued.status_code == 200, queued.text
    assert state.balance(wallet.address) == pytest.approx(10.0 - quote.json()["quote"])


async def test_video_quote_refuses_reference_video_over_the_models_total(client: httpx2.AsyncClient) -> None:
    over = {k: R2V[k] for k in ("model", "duration", "aspect_ratio")} | {"reference_video_total_duration": 16}
    response = await client.post("/video/quote", json=over)
    assert response.status_code == 400 and "at most 15 seconds" in response.json()["error"]
    # A model that takes no reference video drops the field, as Venice's quote does.
    plain = {**VIDEO, "reference_video_total_duration": 16}
    assert (await client.post("/video/quote", json=plain)).json()["quote"] == pytest.approx(0.1875)


KLING = {
    "model": "kling-o3-pro-reference-to-video",
    "prompt": "@Element1 runs.",
    "duration": "5s",
    "aspect_ratio": "16:9",
}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**VIDEO, "reference_image_urls": [PNG_URL]}, "does not support reference_image_urls"),
        ({**R2V, "reference_video_urls": [PNG_URL] * 4}, "reference_video_urls supports at most 3"),
        ({**R2V, "reference_image_urls": [PNG_URL] * 10}, "reference_image_urls supports at most 9"),
        ({**R2V, "reference_document_urls": [PNG_URL]}, "does not support reference_document_urls"),
        ({**R2V, "reference_audio_urls": [_wav(3)]}, "must be paired with at least one reference image"),
        (
            {
                **R2V,
                "reference_image_urls": [PNG_URL],
                "reference_audio_urls": [_wav(3)] * 3,
                "audio_url": _wav(3),
            },
            "at most 3",
        ),
        ({**R2V, "reference_video_urls": [_clip(16)]}, "must be 2-15 seconds long"),
        ({**R2V, "reference_video_urls": [_clip(8), _clip(8)]}, "must total at most 15 seconds"),
        (
            {**R2V, "reference_image_urls": [PNG_URL], "reference_audio_urls": [_wav(1)]},
            "must be 2-15 seconds",
        ),
        ({**R2V, "keyframes": [{"image_url": PNG_URL, "frame_index": 0}]}, "does not support keyframes"),
        (
            {**KLING, "elements": [{"reference_image_urls": [PNG_URL]}]},
            "requires a frontal_image_url or a video_url",
        ),
        ({**KLING, "elements": [{"frontal_image_url": "http://10.0.0.7/a.png"}]}, "not allowed"),
        (
            {**KLING, "keyframes": [{"image_url": "http://127.0.0.1/a.png", "frame_index": 0}]},
            "does not support keyframes",
        ),
        (
            {
                **KLING,
                "model": "kling-v3-4k-reference-to-video",
                "aspect_ratio": None,
                "elements": [{"frontal_image_url": PNG_URL}],
            },
            "image_url is required when using elements",
        ),
        ({**KLING, "scene_image_urls": [PNG_URL] * 5}, "Array must contain at most 4"),
        (
            {
                **R2V,
                "model": "minimax-h3-reference-to-video",
                "resolution": "768P",
                "duration": "5s",
                "image_url": PNG_URL,
                "reference_image_urls": [PNG_URL],
            },
            "cannot be combined with reference media",
        ),
        (
            {
                **R2V,
                "model": "happyhorse-1-1-reference-to-video",
                "resolution": "720p",
                "duration": "5s",
                "reference_video_urls": [_clip(3)],
            },
            "does not support reference_video_urls",
        ),
        (
            {
                **R2V,
                "model": "happyhorse-1-1-reference-to-video",
                "resolution": "720p",
                "duration": "5s",
                "reference_image_urls": [PNG_URL] * 5,
            },
            "at most 4 images",
        ),
    ],
)
async def test_video_queue_checks_reference_media_per_model(
    client: httpx2.AsyncClient, key_headers: dict[str, str], body: dict[str, object], message: str
) -> None:
    body = {k: v for k, v in body.items() if v is not None}
    response = await client.post("/video/queue", json=body, headers=key_headers)
    assert response.status_code == 400 and message in response.text, response.text


async def test_video_queue_takes_kling_elements_and_scenes(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    body = {
        **KLING,
        "elements": [
            {"frontal_image_url": PNG_URL, "reference_image_urls": [PNG_URL]},
            {"video_url": _clip(3)},
        ],
        "scene_image_urls": [PNG_URL],
    }
    response = await client.post("/video/queue", json=body, headers=key_headers)
    assert response.status_code == 200, response.text


async def test_video_upscale_quote_reads_the_source_length(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    upscale = {"model": "topaz-video-upscale", "upscale_factor": 2}
    missing = await client.post("/video/quote", json=upscale, headers=key_headers)
    assert missing.status_code == 400 and "video_url is required" in missing.json()["error"]
    short = await client.post("/video/quote", json={**upscale, "video_url": _clip(3)}, headers=key_headers)
    assert short.json() == {"quote": pytest.approx(0.02 * 3 * 1440 / 480)}
    unreadable = {**upscale, "video_url": "data:video/mp4;base64,AAAA"}
    bad = await client.post("/video/quote", json=unreadable, headers=key_headers)
    assert bad.status_code == 400 and "Could not read" in bad.json()["error"]


async def test_video_content_policy_refunds_the_wallet(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet
) -> None:
    state.media_jobs.polls_before_done = 0
    body = {**VIDEO, "prompt": f"Something {CONTENT_VIOLATION_MARKER}"}
    queued = await client.post("/video/queue", json=body, headers={"SIGN-IN-WITH-X": wallet.header()})
    assert queued.status_code == 200
    assert state.balance(wallet.address) == pytest.approx(10.0 - 0.1875)
    ref = {"model": VIDEO["model"], "queue_id": queued.json()["queue_id"]}
    for _ in range(2):
        failed = await client.post("/video/retrieve", json=ref, headers={"SIGN-IN-WITH-X": wallet.header()})
        error = failed.json()["error"]
        assert failed.status_code == 422 and error["type"] == "provider_content_policy"
        assert error["credits_refunded"] is True and error["recommended_model"] == "wan-2-7-text-to-video"
    assert state.balance(wallet.address) == pytest.approx(10.0)
    assert [e["type"] for e in state.ledger(wallet.address)][-2:] == ["CHARGE", "REFUND"]


async def test_wallet_short_of_the_quote_gets_402(client: httpx2.AsyncClient, state: SandboxState) -> None:
    poor = Wallet.random()
    state.credit(poor.address, 0.15)
    body = {**VIDEO, "duration": "10s", "resolution": "1080p"}
    response = await client.post("/video/queue", json=body, headers={"SIGN-IN-WITH-X": poor.header()})
    assert response.status_code == 402 and "Insufficient USD or Diem balance" in response.json()["error"]


async def test_jobs_are_scoped_to_their_owner(
    client: httpx2.AsyncClient, key_headers: dict[str, str], wallet: Wallet
) -> None:
    queued = (await client.post("/video/queue", json=VIDEO, headers=key_headers)).json()
    ref = {"model": VIDEO["model"], "queue_id": queued["queue_id"]}
    other = await client.post("/video/retrieve", json=ref, headers={"SIGN-IN-WITH-X": wallet.header()})
    assert other.status_code == 400 and other.json()["error"] == "Request ID is invalid."


async def test_video_transcriptions_is_retired(client: httpx2.AsyncClient) -> None:
    response = await client.post("/video/transcriptions", json={"url": "https://youtu.be/x"})
    assert response.status_code == 410 and response.headers["deprecation"] == "true"
    assert 'rel="successor-version"' in response.headers["link"]
    assert "chat/completions" in response.json()["error"]

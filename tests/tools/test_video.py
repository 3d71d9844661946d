"""venice_video_generate through an MCP client, against the sandbox."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client

from tests.backend import recorded_calls
from tests.tools.conftest import text_of, venice_requests
from tests.tools.media_helpers import ProgressLog, blocks, mp4_boxes, paths, read_link
from venice_mcp.sandbox import SandboxState, media
from venice_mcp.sandbox.media_jobs import CONTENT_VIOLATION_MARKER
from venice_mcp.sandbox.spec import validate_body
from venice_mcp.sandbox.video import DOWNLOAD_ROUTE

pytestmark = pytest.mark.anyio

PROMPT = "A lighthouse at dawn, waves crashing below."


async def test_video_from_prompt_to_file_with_progress(client: Client, sandbox: SandboxState) -> None:
    log = ProgressLog()
    result = await client.call_tool("venice_video_generate", {"prompt": PROMPT}, progress_callback=log)
    assert not result.is_error, text_of(result)
    text = text_of(result)
    assert text.startswith("Video saved to ") and "video/mp4" in text and "wan-2.6-text-to-video" in text
    [link] = blocks(result, "resource_link")
    data = await read_link(client, link.uri)
    assert mp4_boxes(data) == [b"ftyp", b"moov", b"mdat"]
    saved = Path(result.structured_content["path"])  # type: ignore[index]
    assert saved.suffix == ".mp4" and saved.read_bytes() == data
    # Progress: one notification per PROCESSING poll, then the finish; strictly increasing.
    log.assert_strictly_increasing(at_least=sandbox.media_jobs.polls_before_done + 1)
    assert log.events[-1][0] == log.events[-1][1]
    # What Venice received: a quote, the queue body (valid, with the defaults Venice requires), polls.
    assert paths(sandbox)[:2] == ["/video/quote", "/video/queue"]
    [queued] = venice_requests(sandbox, "/video/queue")
    validate_body("/video/queue", queued.json)
    assert queued.json == {
        "model": "wan-2.6-text-to-video",
        "prompt": PROMPT,
        "duration": "5s",
        "aspect_ratio": "16:9",
    }
    polls = venice_requests(sandbox, "/video/retrieve")
    assert len(polls) == sandbox.media_jobs.polls_before_done + 1
    # Nothing is deleted before the file is safely on disk; then /video/complete, which Venice
    # refuses for queue ids today: the media is left to expire rather than downloaded twice.
    assert all("delete_media_on_completion" not in p.json for p in polls)
    assert [r.status for r in venice_requests(sandbox, "/video/complete")] == [400]
    job = result.structured_content["job"]  # type: ignore[index]
    assert "until it expires" in job["cleanup"]


async def test_vps_model_downloads_from_download_url_then_cleans_up(
    client: Client, sandbox: SandboxState
) -> None:
    args = {"prompt": "A cat on a roof", "model": "grok-imagine-text-to-video-private", "duration": "3s"}
    result = await client.call_tool("venice_video_generate", args)
    assert not result.is_error, text_of(result)
    data = await read_link(client, blocks(result, "resource_link")[0].uri)
    assert data[4:8] == b"ftyp"
    polls = venice_requests(sandbox, "/video/retrieve")
    assert all("delete_media_on_completion" not in p.json for p in polls[:-1])
    # /video/complete is refused for queue ids (as Venice does today): a deleting retrieve follows.
    assert [r.status for r in venice_requests(sandbox, "/video/complete")] == [400]
    assert polls[-1].json["delete_media_on_completion"] is True
    job = result.structured_content["job"]  # type: ignore[index]
    assert job["download_url"] and job["cleanup"].startswith("deleted by retrieve")


async def test_vps_download_goes_through_the_client_retries(client: Client, sandbox: SandboxState) -> None:
    # The media link answers 503 once (storage has bad moments too): the client backs off and
    # fetches it again, instead of leaving a finished, paid video pending.
    sandbox.faults.add(path=DOWNLOAD_ROUTE, method="GET", status=503)
    args = {"prompt": "A cat on a roof", "model": "grok-imagine-text-to-video-private", "duration": "3s"}
    result = await client.call_tool("venice_video_generate", args)
    assert not result.is_error, text_of(result)
    assert result.structured_content["status"] == "completed"  # type: ignore[index]
    assert (await read_link(client, blocks(result, "resource_link")[0].uri))[4:8] == b"ftyp"
    [job] = sandbox.media_jobs.jobs.values()
    assert len(job.downloads) == 2
    # Venice's links need no credentials, and the API key never goes to the link's host.
    assert all("authorization" not in h and "sign-in-with-x" not in h for h in job.downloads)


async def test_image_to_video_sends_a_data_url_for_a_local_file(
    make_client: Callable[..., Client], sandbox: SandboxState, tmp_path: Path
) -> None:
    from venice_mcp.sandbox.images import render

    picture = tmp_path / "start.png"
    picture.write_bytes(render(64, 48, "start", "png"))
    async with make_client(input_roots=(tmp_path,)) as c:
        result = await c.call_tool("venice_video_generate", {"prompt": "Zoom out", "image": str(picture)})
    assert not result.is_error, text_of(result)
    [queued] = venice_requests(sandbox, "/video/queue")
    assert queued.json["model"] == "wan-2.6-image-to-video"
    assert queued.json["image_url"].startswith("data:image/png;base64,")
    assert base64.b64decode(queued.json["image_url"].split(",", 1)[1]) == picture.read_bytes()
    assert "aspect_ratio" not in queued.json  # this model lists none: the image decides


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"duration": "7s"}, "takes duration of: 5s, 10s, 15s"),
        ({"aspect_ratio": "4:5"}, "takes aspect_ratio of: 16:9, 9:16, 1:1"),
        ({"resolution": "4k"}, "takes resolution of: 1080p, 720p"),
        ({"model": "wan-2.6-text-to-video", "image": "https://example.com/a.png"}, "takes no image"),
        (
            {
                "model": "wan-2.6-flash-image-to-video",
                "aspect_ratio": "16:9",
                "image": "https://example.com/a.png",
            },
            "takes no aspect_ratio",
        ),
        ({"model": "wan-2.6-image-to-video"}, "is image-to-video: pass 'image'"),
        (
            {"model": "wan-2.6-flash-image-to-video", "audio": False, "image": "https://example.com/a.png"},
            "the 'audio' switch does not apply",
        ),
        ({"upscale_factor": 2}, "not an upscaler"),
        ({"model": "no-such-video-model"}, "No Venice model matches"),
    ],
)
async def test_preflight_refusals_spend_nothing(
    client: Client, sandbox: SandboxState, args: dict[str, object], needle: str
) -> None:
    result = await client.call_tool("venice_video_generate", {"prompt": PROMPT, **args})
    assert result.is_error and needle in text_of(result), text_of(result)
    assert paths(sandbox) == []


async def test_over_the_limit_asks_for_confirmation_and_queues_nothing(
    client: Client, sandbox: SandboxState, settings: object
) -> None:
    args = {"prompt": PROMPT, "duration": "10s", "resolution": "1080p"}
    result = await client.call_tool("venice_video_generate", args)
    assert not result.is_error
    assert text_of(result).startswith("confirmation_required") and "$0.56" in text_of(result)
    assert result.structured_content["status"] == "confirmation_required"  # type: ignore[index]
    assert paths(sandbox) == ["/video/quote"]
    confirmed = await client.call_tool("venice_video_generate", {**args, "confirm": True})
    assert not confirmed.is_error, text_of(confirmed)
    assert len(venice_requests(sandbox, "/video/queue")) == 1


async def test_content_policy_failure_says_refund_and_recommended_model(
    client: Client, sandbox: SandboxState
) -> None:
    sandbox.media_jobs.polls_before_done = 1
    result = await client.call_tool(
        "venice_video_generate", {"prompt": f"A scene {CONTENT_VIOLATION_MARKER}"}
    )
    assert result.is_error
    text = text_of(result)
    assert "content policy" in text and "Credits were refunded." in text
    assert "wan-2-7-text-to-video" in text and "model='wan-2-7-text-to-video'" in text
    jobs = await client.call_tool("venice_jobs", {"status": "failed"})
    assert jobs.structured_content["count"] == 1  # type: ignore[index]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_queue_call_is_ledgered_at_the_quote(
    make_client: Callable[..., Client], settings: object, sandbox: SandboxState, mode: str
) -> None:
    async with make_client(mode) as client:  # the server writes its call records by the time it stops
        result = await client.call_tool("venice_video_generate", {"prompt": PROMPT, "resolution": "720p"})
    assert not result.is_error
    calls = await recorded_calls(settings.home)  # type: ignore[attr-defined]
    [call] = [c for c in calls if c["tool"] == "venice_video_generate"]
    assert call["status"] == "ok" and call["charge_usd"] == pytest.approx(0.1875)
    assert call["request_id"] == result.structured_content["job"]["queue_id"]  # type: ignore[index]


async def test_lost_queue_response_is_not_resent(client: Client, sandbox: SandboxState) -> None:
    sandbox.faults.add(path="/video/queue", status=503, times=1)
    result = await client.call_tool("venice_video_generate", {"prompt": PROMPT})
    assert result.is_error and "503" in text_of(result)
    assert len(venice_requests(sandbox, "/video/queue")) == 1


def test_mp4_is_what_the_sandbox_builds() -> None:
    assert mp4_boxes(media.mp4(2, 64, 36)) == [b"ftyp", b"moov", b"mdat"]


@pytest.mark.parametrize("violation", [False, True])
async def test_wallet_pays_the_quote_and_is_refunded_on_a_policy_failure(
    make_client: Callable[..., Client], sandbox: SandboxState, violation: bool
) -> None:
    from venice_mcp.config import Secret
    from venice_mcp.payments.signer import EthAccountSigner

    key = "0x" + "42" * 32
    address = EthAccountSigner(key).address
    sandbox.credit(address, 2.0)
    prompt = f"{PROMPT} {CONTENT_VIOLATION_MARKER}" if violation else PROMPT
    async with make_client(api_key=None, wallet_key=Secret(key)) as c:
        result = await c.call_tool("venice_video_generate", {"prompt": prompt, "resolution": "720p"})
    assert result.is_error is violation, text_of(result)
    assert all(
        "sign-in-with-x" in r.headers
        for r in sandbox.requests
        if r.path.startswith("/video/") and r.path != "/video/quote"
    )
    kinds = [e["type"] for e in sandbox.ledger(address)]
    if violation:
        assert kinds[-2:] == ["CHARGE", "REFUND"] and sandbox.balance(address) == pytest.approx(2.0)
        assert "Credits were refunded." in text_of(result)
    else:
        assert kinds[-1] == "CHARGE" and sandbox.balance(address) == pytest.approx(2.0 - 0.1875)


async def test_wallet_upscale_goes_through_the_gate_without_a_quote(
    make_client: Callable[..., Client], sandbox: SandboxState
) -> None:
    from venice_mcp.config import Secret
    from venice_mcp.payments.signer import EthAccountSigner

    key = "0x" + "43" * 32
    sandbox.credit(EthAccountSigner(key).address, 2.0)
    clip = "data:video/mp4;base64," + base64.b64encode(media.mp4(1, 64, 36)).decode()
    args = {"model": "topaz-video-upscale", "video": clip, "upscale_factor": 2}
    async with make_client(api_key=None, wallet_key=Secret(key)) as c:
        asked = await c.call_tool("venice_video_generate", args)
        assert text_of(asked).startswith("confirmation_required") and "unknown" in text_of(asked)
        assert [r.status for r in venice_requests(sandbox, "/video/quote")] == [403]
        assert venice_requests(sandbox, "/video/queue") == []
        done = await c.call_tool("venice_video_generate", {**args, "confirm": True})
    assert not done.is_error, text_of(done)
    [queued] = venice_requests(sandbox, "/video/queue")
    assert queued.json["video_url"] == clip and "duration" not in queued.json and "prompt" not in queued.json


# -- reference media -----------------------------------------------------------------------------


def clip_url(seconds: int) -> str:
    return "data:video/mp4;base64," + base64.b64encode(media.mp4(seconds, 64, 36)).decode()


def wav_url(seconds: float) -> str:
    return "data:audio/wav;base64," + base64.b64encode(media.wav(seconds)).decode()


def png_url(key: str = "ref") -> str:
    from venice_mcp.sandbox.images import render

    return "data:image/png;base64," + base64.b64encode(render(320, 240, key, "png")).decode()


async def ledger_rows(home: Path) -> list[dict[str, object]]:
    return await recorded_calls(home)


async def test_seedance_references_reach_the_queue_and_the_quote(
    make_client: Callable[..., Client], sandbox: SandboxState, tmp_path: Path
) -> None:
    from venice_mcp.sandbox.images import render

    face = tmp_path / "face.png"
    face.write_bytes(render(320, 240, "face", "png"))
    clip, voice = clip_url(3), wav_url(3)
    refs = [
        {"kind": "image", "src": str(face)},
        {"kind": "video", "src": clip},
        {"kind": "audio", "src": voice},
    ]
    args = {
        "prompt": "Edit <Video 1>: make it snow; the narrator speaks with <Audio 1>.",
        "model": "seedance-2-0-reference-to-video-basic",
        "resolution": "480p",
        "references": refs,
    }
    async with make_client(input_roots=(tmp_path,)) as c:
        result = await c.call_tool("venice_video_generate", args)
    assert not result.is_error, text_of(result)
    [queued] = venice_requests(sandbox, "/video/queue")
    validate_body("/video/queue", queued.json)
    assert queued.json["reference_image_urls"] == [
        "data:image/png;base64," + base64.b64encode(face.read_bytes()).decode()
    ]
    assert queued.json["reference_video_urls"] == [clip]
    assert queued.json["reference_audio_urls"] == [voice]
    # The quote prices the 3 s of reference video (Venice bills input video too): 4 s out + 3 s in.
    [quote] = venice_requests(sandbox, "/video/quote")
    assert quote.json["reference_video_total_duration"] == 3.0
    [call] = [r for r in await ledger_rows(tmp_path / "home") if r["tool"] == "venice_video_generate"]
    assert call["charge_usd"] == pytest.approx(0.02 * 7 * 1.25)
    # The job record keeps what was asked, not megabytes of inline media.
    params = result.structured_content["job"]["params"]  # type: ignore[index]
    assert params["reference_video_urls"] == ["data:video/mp4;base64,…"]


async def test_kling_elements_and_scene_images(client: Client, sandbox: SandboxState) -> None:
    hero, side, robot, street = png_url("hero"), png_url("side"), png_url("robot"), png_url("street")
    refs = [
        {"kind": "element", "src": hero},
        {"kind": "element", "n": 1, "src": side},
        {"kind": "element", "n": 2, "src": robot},
        {"kind": "scene", "src": street},
    ]
    args = {
        "prompt": "@Element1 walks toward @Element2 against @Image1.",
        "model": "kling-o3-pro-reference-to-video",
        "references": refs,
    }
    result = await client.call_tool("venice_video_generate", args)
    assert not result.is_error, text_of(result)
    [queued] = venice_requests(sandbox, "/video/queue")
    validate_body("/video/queue", queued.json)
    assert queued.json["elements"] == [
        {"frontal_image_url": hero, "reference_image_urls": [side]},
        {"frontal_image_url": robot},
    ]
    assert queued.json["scene_image_urls"] == [street]
    assert "image_url" not in queued.json  # references stand in for a first frame


async def test_an_element_can_be_a_video(client: Client, sandbox: SandboxState) -> None:
    clip = clip_url(3)
    args = {
        "prompt": "@Element1 dances.",
        "model": "kling-o3-standard-reference-to-video",
        "references": [{"kind": "element_video", "src": clip}],
    }
    result = await client.call_tool("venice_video_generate", args)
    assert not result.is_error, text_of(result)
    [queued] = venice_requests(sandbox, "/video/queue")
    assert queued.json["elements"] == [{"video_url": clip}]


@pytest.mark.parametrize(
    ("kind", "field", "entry"),
    [
        ("keyframe", "keyframes", lambda src: {"image_url": src, "frame_index": 48}),
        ("document", "reference_document_urls", lambda src: src),
    ],
)
async def test_references_of_undescribed_models_are_left_to_venice(
    client: Client, sandbox: SandboxState, kind: str, field: str, entry: Callable[[str], object]
) -> None:
    """No catalog model is documented to take keyframes or documents (Wan 3.0 is not listed), so
    they go to Venice, whose free 400 comes back; nothing is charged."""
    src = png_url(kind)
    args = {
        "prompt": PROMPT,
        "model": "happyhorse-1-1-reference-to-video",
        "references": [{"kind": "image", "src": png_url()}, {"kind": kind, "src": src, "n": 48}]
        if kind == "keyframe"
        else [{"kind": kind, "src": src}],
    }
    result = await client.call_tool("venice_video_generate", args)
    assert result.is_error and f"does not support {field}" in text_of(result), text_of(result)
    [queued] = venice_requests(sandbox, "/video/queue")
    assert queued.status == 400 and queued.json[field] == [entry(src)]


REF_PNG = "data:image/png;base64,iVBORw0KGgo="
REF_CLIP = "data:video/mp4;base64,AAAAIGZ0eXBpc29t"


@pytest.mark.parametrize(
    ("model", "refs", "extra", "needle"),
    [
        ("wan-2.6-text-to-video", [("image", REF_PNG)], {}, "is text-to-video and takes no reference media"),
        (
            "seedance-2-0-reference-to-video-basic",
            [("video", REF_CLIP)] * 4,
            {},
            "at most 3 reference_video_urls",
        ),
        (
            "seedance-2-0-reference-to-video-basic",
            [("document", REF_PNG)],
            {},
            "does not take reference_document_urls",
        ),
        ("seedance-2-0-reference-to-video-basic", [("scene", REF_PNG)], {}, "does not take scene_image_urls"),
        (
            "seedance-2-0-reference-to-video-basic",
            [("audio", REF_PNG)],
            {},
            "needs at least one reference image or video",
        ),
        (
            "kling-o3-pro-reference-to-video",
            [("image", REF_PNG), ("audio", REF_PNG)],
            {},
            "takes no input audio",
        ),
        ("kling-o3-pro-reference-to-video", [("image", REF_PNG)] * 5, {}, "at most 4 reference_image_urls"),
        ("kling-o3-pro-reference-to-video", [("element", REF_PNG)] * 5, {}, "at most 3 more images"),
        ("kling-v3-4k-reference-to-video", [("element", REF_PNG)], {}, "needs 'image'"),
        (
            "minimax-h3-reference-to-video",
            [("image", REF_PNG)],
            {"image": REF_PNG},
            "either 'image'/'end_image' or reference media",
        ),
        ("happyhorse-1-1-reference-to-video", [("image", REF_PNG)] * 5, {}, "at most 4 reference images"),
        ("happyhorse-1-1-reference-to-video", [("keyframe", REF_PNG)], {}, "needs n, its frame"),
        (
            "happyhorse-1-1-reference-to-video",
            [("image", REF_PNG, 1)],
            {},
            "n applies to element and keyframe",
        ),
        ("happyhorse-1-1-reference-to-video", [("element", REF_PNG, 2)], {}, "numbered 1, 2"),
        (
            "happyhorse-1-1-reference-to-video",
            [("keyframe", REF_PNG, 200)],
            {"duration": "5s"},
            "ends at frame 120",
        ),
        (
            "happyhorse-1-1-reference-to-video",
            [("keyframe", REF_PNG, 24), ("keyframe", REF_PNG, 24)],
            {},
            "its own frame",
        ),
    ],
)
async def test_reference_refusals_send_and_spend_nothing(
    make_client: Callable[..., Client],
    sandbox: SandboxState,
    tmp_path: Path,
    model: str,
    refs: list[tuple[object, ...]],
    extra: dict[str, object],
    needle: str,
) -> None:
    references = [dict(zip(("kind", "src", "n"), r, strict=False)) for r in refs]
    async with make_client() as c:
        args = {"prompt": PROMPT, "model": model, "references": references, **extra}
        result = await c.call_tool("venice_video_generate", args)
    assert result.is_error and needle in text_of(result), text_of(result)
    assert "Nothing was sent to Venice" in text_of(result)
    assert paths(sandbox) == [] and await ledger_rows(tmp_path / "home") == []


async def test_reference_clip_lengths_are_checked_from_the_file(
    client: Client, sandbox: SandboxState
) -> None:
    args = {
        "prompt": PROMPT,
        "model": "seedance-2-0-reference-to-video-basic",
        "references": [{"kind": "video", "src": clip_url(16)}],
    }
    long = await client.call_tool("venice_video_generate", args)
    assert long.is_error and "lasts 16.0 s" in text_of(long) and "2–15 s" in text_of(long)
    args["references"] = [{"kind": "video", "src": clip_url(8)}, {"kind": "video", "src": clip_url(8)}]
    together = await client.call_tool("venice_video_generate", args)
    assert together.is_error and "16.0 s together" in text_of(together)
    assert paths(sandbox) == []


async def test_a_reference_url_is_quoted_at_the_longest_clip(
    client: Client, sandbox: SandboxState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Venice fetches a URL reference itself; its length is unknown here, so the quote assumes the
    longest clip the model takes rather than under-quote."""
    import anyio

    async def public(host: str, port: int, **_: object) -> list[object]:
        return [(2, 1, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr(anyio, "getaddrinfo", public)
    args = {
        "prompt": PROMPT,
        "model": "seedance-2-0-reference-to-video-basic",
        "resolution": "480p",
        "references": [{"kind": "video", "src": "https://clips.example/run.mp4"}],
        "confirm": True,
    }
    result = await client.call_tool("venice_video_generate", args)
    assert not result.is_error, text_of(result)
    [quote] = venice_requests(sandbox, "/video/quote")
    assert quote.json["reference_video_total_duration"] == 15.0
    [queued] = venice_requests(sandbox, "/video/queue")
    assert queued.json["reference_video_urls"] == ["https://clips.example/run.mp4"]


async def test_a_data_url_carrying_a_secret_is_refused(
    make_client: Callable[..., Client], sandbox: SandboxState
) -> None:
    from venice_mcp.sandbox import SANDBOX_API_KEY

    leak = "data:text/plain;base64," + base64.b64encode(f"key={SANDBOX_API_KEY}".encode()).decode()
    async with make_client() as c:
        args = {"prompt": PROMPT, "model": "wan-2.6-image-to-video", "image": leak}
        result = await c.call_tool("venice_video_generate", args)
    assert result.is_error and paths(sandbox) == [], text_of(result)


async def test_a_retiring_models_warning_comes_with_the_video(client: Client, sandbox: SandboxState) -> None:
    sandbox.deprecations["wan-2.6-text-to-video"] = {
        "date": "2027-02-01",
        "replacement": "wan-2-7-text-to-video",
    }
    result = await client.call_tool("venice_video_generate", {"prompt": PROMPT})
    assert not result.is_error, text_of(result)
    warning = "warning: The model wan-2.6-text-to-video is deprecated and will be removed on 2027-02-01."
    assert warning in text_of(result) and "wan-2-7-text-to-video" in text_of(result)
    listed = await client.call_tool("venice_jobs", {})
    assert "2027-02-01" in listed.structured_content["jobs"][0]["params"]["deprecation"]  # type: ignore[index]


async def test_reference_urls_need_no_local_resolver(
    client: Client, sandbox: SandboxState, offline_dns: None
) -> None:
    args = {
        "prompt": PROMPT,
        "model": "wan-2.6-image-to-video",
        "image": "https://img.example/first.png",
        "confirm": True,
    }
    result = await client.call_tool("venice_video_generate", args)
    assert not result.is_error, text_of(result)
    [queued] = venice_requests(sandbox, "/video/queue")
    assert queued.json["image_url"] == "https://img.example/first.png"

"""venice_jobs and venice_quote: bounded waits, resuming after a restart,
transient failures that leave a job alone, and prices that spend nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client

from tests.hints import hints
from tests.tools.conftest import text_of, venice_requests
from tests.tools.media_helpers import ProgressLog, blocks, mp4_boxes, paths, read_link
from venice_mcp.jobs import poll_seconds
from venice_mcp.sandbox import SandboxState, media

pytestmark = pytest.mark.anyio

PROMPT = "A lighthouse at dawn, waves crashing below."


async def test_wait_runs_out_then_job_status_finishes_it(client: Client, sandbox: SandboxState) -> None:
    sandbox.media_jobs.polls_before_done = 12
    # The wait is counted in poll intervals (3 s): polls at 0, 3 and 5 s, then the wait is over.
    first = await client.call_tool("venice_video_generate", {"prompt": PROMPT, "wait_seconds": 5})
    assert not first.is_error, text_of(first)
    data = first.structured_content
    assert data is not None and data["status"] == "processing"
    job_id = data["job_id"]
    assert f"venice_jobs with job_id {job_id!r}" in text_of(first)
    assert blocks(first, "resource_link") == []
    assert len(venice_requests(sandbox, "/video/retrieve")) == 3

    short = await client.call_tool("venice_jobs", {"job_id": job_id, "wait_seconds": 0})
    assert short.structured_content["status"] == "processing"  # type: ignore[index]
    log = ProgressLog()
    done = await client.call_tool(
        "venice_jobs", {"job_id": job_id, "wait_seconds": 240}, progress_callback=log
    )
    assert not done.is_error, text_of(done)
    assert done.structured_content["status"] == "completed"  # type: ignore[index]
    assert mp4_boxes(await read_link(client, blocks(done, "resource_link")[0].uri))[0] == b"ftyp"
    log.assert_strictly_increasing(at_least=2)
    assert len(venice_requests(sandbox, "/video/queue")) == 1  # waiting never queues again

    again = await client.call_tool("venice_jobs", {"job_id": job_id})
    assert (
        not again.is_error and blocks(again, "resource_link")[0].uri == blocks(done, "resource_link")[0].uri
    )
    assert len(venice_requests(sandbox, "/video/retrieve")) == 3 + 10  # no poll for a finished job


async def test_a_new_server_instance_resumes_a_persisted_job(
    make_client: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with make_client() as first:
        started = await first.call_tool(
            "venice_music_generate", {"prompt": "Calm guitar at dusk", "wait_seconds": 0, "confirm": True}
        )
    job_id = started.structured_content["job_id"]  # type: ignore[index]
    assert started.structured_content["status"] == "processing"  # type: ignore[index]

    async with make_client("legacy") as second:  # a restart: new server, same VENICE_MCP_HOME
        listed = await second.call_tool("venice_jobs", {"status": "pending"})
        assert [j["id"] for j in listed.structured_content["jobs"]] == [job_id]  # type: ignore[index]
        done = await second.call_tool("venice_jobs", {"job_id": job_id})
        assert not done.is_error, text_of(done)
        data = await read_link(second, blocks(done, "resource_link")[0].uri)
        assert data[:2] == b"\xff\xfb"
        listed = await second.call_tool("venice_jobs", {})
    [row] = listed.structured_content["jobs"]  # type: ignore[index]
    assert row["status"] == "completed" and row["output_path"] and row["cleanup"] == "completed"
    assert len(venice_requests(sandbox, "/audio/queue")) == 1


async def test_job_status_by_venice_queue_id(client: Client) -> None:
    result = await client.call_tool("venice_video_generate", {"prompt": PROMPT, "wait_seconds": 0})
    queue_id = result.structured_content["job"]["queue_id"]  # type: ignore[index]
    done = await client.call_tool("venice_jobs", {"job_id": queue_id})
    assert done.structured_content["status"] == "completed"  # type: ignore[index]


async def test_transient_retrieve_failure_leaves_the_job_pending(
    client: Client, sandbox: SandboxState
) -> None:
    first = await client.call_tool("venice_video_generate", {"prompt": PROMPT, "wait_seconds": 0})
    job_id = first.structured_content["job_id"]  # type: ignore[index]
    sandbox.faults.add(path="/video/retrieve", status=503, times=4)  # outlasts the client's retries
    blocked = await client.call_tool("venice_jobs", {"job_id": job_id})
    assert not blocked.is_error
    assert "could not be asked just now" in text_of(blocked) and "503" in text_of(blocked)
    assert blocked.structured_content["status"] == "processing"  # type: ignore[index]
    done = await client.call_tool("venice_jobs", {"job_id": job_id})
    assert done.structured_content["status"] == "completed", text_of(done)  # type: ignore[index]


async def test_failed_job_stays_failed_without_asking_venice(client: Client, sandbox: SandboxState) -> None:
    sandbox.media_jobs.polls_before_done = 0
    failed = await client.call_tool(
        "venice_video_generate", {"prompt": "bad SANDBOX_CONTENT_VIOLATION", "wait_seconds": 0}
    )
    assert failed.is_error
    [job] = (await client.call_tool("venice_jobs", {})).structured_content["jobs"]  # type: ignore[index]
    before = len(venice_requests(sandbox, "/video/retrieve"))
    again = await client.call_tool("venice_jobs", {"job_id": job["id"]})
    assert again.is_error and "Credits were refunded" in text_of(again)
    assert len(venice_requests(sandbox, "/video/retrieve")) == before


async def test_expired_media_is_reported(client: Client, sandbox: SandboxState) -> None:
    first = await client.call_tool("venice_video_generate", {"prompt": PROMPT, "wait_seconds": 0})
    job = first.structured_content["job"]  # type: ignore[index]
    sandbox.media_jobs.jobs[job["queue_id"]].deleted = True
    gone = await client.call_tool("venice_jobs", {"job_id": job["id"]})
    assert gone.is_error and "no longer has this video" in text_of(gone)


async def test_unknown_job(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_jobs", {"job_id": "job_nope"})
    assert result.is_error and "venice_jobs" in text_of(result) and paths(sandbox) == []


async def test_jobs_list_filters_and_waiting_is_repeatable(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    jobs = hints(tools["venice_jobs"])  # waiting saves the file and cleans it up at Venice
    assert (
        jobs["read_only_hint"] is False
        and jobs["idempotent_hint"] is True
        and jobs["destructive_hint"] is False
    )
    assert hints(tools["venice_quote"])["read_only_hint"] is True
    assert hints(tools["venice_video_generate"])["read_only_hint"] is False
    empty = await client.call_tool("venice_jobs", {})
    assert text_of(empty) == "No jobs yet." and empty.structured_content["count"] == 0  # type: ignore[index]
    await client.call_tool("venice_video_generate", {"prompt": PROMPT})
    assert (await client.call_tool("venice_jobs", {"kind": "music"})).structured_content["count"] == 0  # type: ignore[index]
    video = await client.call_tool("venice_jobs", {"kind": "video", "status": "completed"})
    assert video.structured_content["count"] == 1 and "completed" in text_of(video)  # type: ignore[index]


async def test_quote_spends_nothing(client: Client, sandbox: SandboxState) -> None:
    video = await client.call_tool(
        "venice_quote", {"kind": "video", "duration": "10s", "resolution": "1080p"}
    )
    assert not video.is_error, text_of(video)
    assert video.structured_content["quote_usd"] == pytest.approx(0.5625)  # type: ignore[index]
    assert video.structured_content["within_limit"] is False  # type: ignore[index]
    assert "Nothing was queued or spent" in text_of(video)
    music = await client.call_tool("venice_quote", {"kind": "music", "duration_seconds": 90})
    assert music.structured_content["quote_usd"] == pytest.approx(1.38)  # type: ignore[index]
    assert paths(sandbox) == ["/video/quote", "/audio/quote"]
    [sent] = venice_requests(sandbox, "/video/quote")
    assert "authorization" in sent.headers  # a key tailors prices when there is one


async def test_quote_checks_options_first(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_quote", {"kind": "video", "duration": "7s"})
    assert result.is_error and "takes duration of" in text_of(result) and paths(sandbox) == []


async def test_quote_needs_no_credentials(make_client: Callable[..., Client], sandbox: SandboxState) -> None:
    async with make_client(api_key=None) as c:
        result = await c.call_tool("venice_quote", {"kind": "video"})
    assert not result.is_error, text_of(result)
    [sent] = venice_requests(sandbox, "/video/quote")
    assert "authorization" not in sent.headers


async def test_quote_prices_a_video_upscale_from_its_source(
    make_client: Callable[..., Client], sandbox: SandboxState, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(media.mp4(3, 64, 36))
    args = {"kind": "video", "model": "topaz-video-upscale", "upscale_factor": 4, "video": str(clip)}
    async with make_client(input_roots=(tmp_path,)) as client:
        result = await client.call_tool("venice_quote", args)
    assert not result.is_error, text_of(result)
    # The sandbox's rate: $0.02 a second at 480p, scaled to the 4x short side (2160), 3 s of source.
    assert result.structured_content["quote_usd"] == pytest.approx(0.02 * 3 * 2160 / 480)  # type: ignore[index]
    [sent] = venice_requests(sandbox, "/video/quote")
    assert sent.json["upscale_factor"] == 4 and "authorization" in sent.headers
    assert base64.b64decode(sent.json["video_url"].split(",", 1)[1]) == clip.read_bytes()
    assert paths(sandbox) == ["/video/quote"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"model": "topaz-video-upscale"}, "priced from its source: pass 'video'"),
        ({"video": "data:video/mp4;base64,AAAA"}, "takes no source video"),
        ({"model": "topaz-video-upscale", "video": "/nowhere/clip.mp4"}, "Cannot use video"),
    ],
)
async def test_quote_of_an_upscale_checks_its_source_first(
    client: Client, sandbox: SandboxState, args: dict[str, object], needle: str
) -> None:
    result = await client.call_tool("venice_quote", {"kind": "video", **args})
    assert result.is_error and needle in text_of(result), text_of(result)
    assert paths(sandbox) == []


async def test_quote_of_an_upscale_without_an_api_key_says_why(
    make_client: Callable[..., Client], sandbox: SandboxState
) -> None:
    clip = "data:video/mp4;base64," + base64.b64encode(media.mp4(2, 64, 36)).decode()
    async with make_client(api_key=None) as c:
        args = {"kind": "video", "model": "topaz-video-upscale", "video": clip}
        result = await c.call_tool("venice_quote", args)
    assert result.is_error and "only to API-key callers" in text_of(result), text_of(result)
    assert [r.status for r in venice_requests(sandbox, "/video/quote")] == [403]


def test_poll_interval_knob() -> None:
    assert poll_seconds({}) == 3.0
    assert poll_seconds({"VENICE_MCP_POLL_SECONDS": "0.01"}) == 0.01
    assert poll_seconds({"VENICE_MCP_POLL_SECONDS": "999"}) == 30.0
    assert poll_seconds({"VENICE_MCP_POLL_SECONDS": "soon"}) == 3.0


async def test_job_record_is_a_resource(client: Client) -> None:
    result = await client.call_tool("venice_video_generate", {"prompt": PROMPT})
    job_id = result.structured_content["job_id"]  # type: ignore[index]
    read = await client.read_resource(f"venice-mcp://jobs/{job_id}")
    record = json.loads(read.contents[0].text)  # type: ignore[union-attr]
    assert record["id"] == job_id and record["status"] == "completed" and record["kind"] == "video"
    assert record["params"]["prompt"] == PROMPT and record["output_path"].endswith(".mp4")
    templates = (await client.list_resource_templates()).resource_templates
    assert "venice-mcp://jobs/{job_id}" in {t.uri_template for t in templates}

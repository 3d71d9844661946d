"""The typed media job operations (client.video / client.music): the request each one sends, the
typed answer, and the download of a VPS job's media through the client's one request path."""

from __future__ import annotations

import gc
import json
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest

from tests.api.test_client import BASE, DEV_KEY, Recorder, _siwx, make, ok
from venice_mcp.api import errors
from venice_mcp.api.client import BearerAuth, NoAuth, WalletAuth
from venice_mcp.api.types import JobStatus, SavedMedia
from venice_mcp.payments.signer import EthAccountSigner

pytestmark = pytest.mark.anyio

LINK = "https://vps.example/media/abc?token=t0k"
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64


def mp4(body: bytes = MP4, **headers: str) -> httpx2.Response:
    return httpx2.Response(200, headers={"content-type": "video/mp4", **headers}, content=body)


def sent(request: httpx2.Request) -> object:
    return json.loads(request.content)


# -- quote ------------------------------------------------------------------------------------


async def test_quote_is_typed_and_sends_credentials_only_when_there_are_some() -> None:
    rec = Recorder(ok({"quote": 0.55, "currency": "USD"}), ok({"quote": 1}))
    quote = await make(rec).video.quote({"model": "m", "duration": "5s"})
    assert quote.quote == 0.55 and quote.model_extra == {"currency": "USD"}  # new fields are kept
    assert str(rec.requests[0].url) == BASE + "/video/quote"
    assert rec.requests[0].headers["authorization"] == "Bearer k"
    assert (await make(rec, NoAuth()).music.quote({"model": "m"})).quote == 1.0
    assert str(rec.requests[1].url) == BASE + "/audio/quote"
    assert "authorization" not in rec.requests[1].headers


@pytest.mark.parametrize("body", [{}, {"quote": None}, {"quote": True}, {"quote": "0.5"}, {"quote": -1}, []])
async def test_a_price_that_cannot_be_read_is_an_error_not_zero(body: object) -> None:
    # A $0 estimate would pass the spend gate unasked.
    with pytest.raises(errors.APIResponseError) as info:
        await make(Recorder(ok(body))).video.quote({"model": "m"})
    assert "POST /video/quote answered" in str(info.value)


async def test_upscaler_quote_refused_to_a_wallet_is_the_403() -> None:
    rec = Recorder(httpx2.Response(403, json={"error": "Unauthorized access"}))
    with pytest.raises(errors.PermissionDeniedError):
        await make(rec, WalletAuth(EthAccountSigner(DEV_KEY))).video.quote({"model": "topaz"})
    assert len(rec.requests) == 1


# -- queue ------------------------------------------------------------------------------------


async def test_queue_answer_is_typed_with_its_headers() -> None:
    answer = {"model": "grok", "queue_id": "q-1", "download_url": LINK, "eta": 3}
    rec = Recorder(httpx2.Response(200, json=answer, headers={"x-venice-deprecated": "true"}))
    queued = await make(rec).video.queue({"model": "grok", "prompt": "p"})
    assert (queued.queue_id, queued.model, queued.download_url) == ("q-1", "grok", LINK)
    assert queued.model_extra == {"eta": 3} and queued.headers["x-venice-deprecated"] == "true"
    assert str(rec.requests[0].url) == BASE + "/video/queue"
    assert sent(rec.requests[0]) == {"model": "grok", "prompt": "p"}


async def test_an_odd_field_never_loses_a_queued_job() -> None:
    rec = Recorder(ok({"queue_id": "q-2", "download_url": 7, "model": None, "status": "QUEUED"}))
    queued = await make(rec).music.queue({"model": "m", "prompt": "p"})
    assert (queued.queue_id, queued.model, queued.download_url) == ("q-2", None, None)
    assert str(rec.requests[0].url) == BASE + "/audio/queue"


async def test_queue_answer_without_a_queue_id_is_an_error() -> None:
    with pytest.raises(errors.APIResponseError, match="queue_id"):
        await make(Recorder(ok({"model": "m"}))).video.queue({"model": "m"})


@pytest.mark.parametrize("failure", [httpx2.Response(503, json={"error": "busy"}), httpx2.ReadError("lost")])
async def test_a_lost_queue_answer_is_never_sent_again(failure: httpx2.Response | Exception) -> None:
    rec = Recorder(failure, ok({"queue_id": "q"}))
    with pytest.raises((errors.ServerError, errors.APIConnectionError)):
        await make(rec).video.queue({"model": "m"})
    assert len(rec.requests) == 1  # it may already have been charged


async def test_a_refused_queue_call_is_retried() -> None:
    rec = Recorder(httpx2.Response(429, headers={"Retry-After": "1"}, json={}), ok({"queue_id": "q"}))
    assert (await make(rec).video.queue({"model": "m"})).queue_id == "q"
    assert len(rec.requests) == 2 and rec.waits == [1.0]


# -- retrieve and complete --------------------------------------------------------------------


async def test_retrieve_reads_a_status_or_streams_the_media(tmp_path: Path) -> None:
    processing = {"status": "processing", "average_execution_time": 145000.0, "execution_duration": True}
    rec = Recorder(ok(processing), mp4(**{"x-venice-model-id": "wan"}))
    jobs = make(rec).video
    status = await jobs.retrieve("wan", "q", save_to=tmp_path / "v.mp4")
    assert isinstance(status, JobStatus) and status.state == "PROCESSING"
    assert (status.average_execution_time, status.execution_duration) == (145000, None)
    media = await jobs.retrieve("wan", "q", save_to=tmp_path / "v.mp4")
    assert isinstance(media, SavedMedia) and media.path.read_bytes() == MP4
    assert media.size == len(MP4) and media.content_type == "video/mp4"
    assert media.headers["x-venice-model-id"] == "wan"
    assert [sent(r) for r in rec.requests] == [{"model": "wan", "queue_id": "q"}] * 2  # never deletes


async def test_retrieve_retries_a_5xx_and_signs_each_attempt_afresh(tmp_path: Path) -> None:
    rec = Recorder(httpx2.Response(502, json={"error": "Upstream"}), httpx2.Response(429, json={}), mp4())
    client = make(rec, WalletAuth(EthAccountSigner(DEV_KEY)))
    media = await client.music.retrieve("m", "q", save_to=tmp_path / "a.bin")
    assert isinstance(media, SavedMedia)
    payloads = [_siwx(r) for r in rec.requests]
    assert len({p["message"] for p in payloads}) == 3  # a SIWX header is single-use
    assert all(f"URI: {BASE}/audio/retrieve" in str(p["message"]) for p in payloads)


async def test_a_failed_job_is_its_venice_error(tmp_path: Path) -> None:
    body = {"error": {"message": "rejected", "type": "provider_content_policy", "credits_refunded": True}}
    rec = Recorder(httpx2.Response(422, json=body))
    with pytest.raises(errors.ContentPolicyError) as info:
        await make(rec).video.retrieve("m", "q", save_to=tmp_path / "v.mp4")
    assert info.value.credits_refunded is True and len(rec.requests) == 1


async def test_complete_and_the_deleting_retrieve() -> None:
    rec = Recorder(ok({"success": True}), ok({"success": "true"}), ok({"status": "COMPLETED"}))
    client = make(rec)
    assert (await client.music.complete("m", "q")).success is True
    assert (await client.video.complete("m", "q")).success is False  # only a literal true counts
    await client.video.delete_media("m", "q")
    assert [str(r.url).rsplit("/", 2)[-2:] for r in rec.requests] == [
        ["audio", "complete"],
        ["video", "complete"],
        ["video", "retrieve"],
    ]
    assert sent(rec.requests[2]) == {"model": "m", "queue_id": "q", "delete_media_on_completion": True}


# -- download ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["api_key", "wallet"])
async def test_download_carries_no_credentials(tmp_path: Path, mode: str) -> None:
    # Venice's download links need none, and their host is not Venice's API.
    wallet = mode == "wallet"
    auth = WalletAuth(EthAccountSigner(DEV_KEY)) if wallet else BearerAuth("VENICE_INFERENCE_KEY_x")
    rec = Recorder(mp4())
    media = await make(rec, auth).video.download(LINK, save_to=tmp_path / "v.mp4")
    assert media.path.read_bytes() == MP4
    [request] = rec.requests
    assert str(request.url) == LINK and request.method == "GET"
    assert "authorization" not in request.headers and "sign-in-with-x" not in request.headers


async def test_download_retries_a_503_then_saves(tmp_path: Path) -> None:
    rec = Recorder(httpx2.Response(503, json={"error": "busy"}), mp4())
    media = await make(rec).video.download(LINK, save_to=tmp_path / "v.mp4")
    assert media.path.read_bytes() == MP4 and len(rec.requests) == 2 and rec.waits == [0.25]


async def test_download_follows_redirects_but_api_requests_do_not(tmp_path: Path) -> None:
    moved = httpx2.Response(302, headers={"location": "https://cdn.example/v.mp4"})
    rec = Recorder(moved, mp4())
    media = await make(rec).video.download(LINK, save_to=tmp_path / "v.mp4")
    assert media.path.read_bytes() == MP4
    assert [str(r.url) for r in rec.requests] == [LINK, "https://cdn.example/v.mp4"]
    rec = Recorder(httpx2.Response(302, headers={"location": "https://elsewhere.example/"}), ok())
    await make(rec).request("GET", "/models", auth="optional")
    assert len(rec.requests) == 1  # credentials never follow a redirect


@pytest.mark.parametrize(("status", "kind"), [(404, errors.NotFoundError), (410, errors.GoneError)])
async def test_download_errors_are_mapped(tmp_path: Path, status: int, kind: type) -> None:
    rec = Recorder(httpx2.Response(status, json={"error": "Not found"}))
    with pytest.raises(kind):
        await make(rec).video.download(LINK, save_to=tmp_path / "v.mp4")
    assert len(rec.requests) == 1 and list(tmp_path.iterdir()) == []


async def test_a_download_that_is_not_media_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(errors.APIResponseError, match="expected media"):
        await make(Recorder(ok({"status": "gone"}))).video.download(LINK, save_to=tmp_path / "v.mp4")


async def test_a_download_cut_midway_leaves_no_file_and_is_fetched_again(tmp_path: Path) -> None:
    async def cut() -> AsyncIterator[bytes]:
        yield MP4[:100]
        raise httpx2.ReadError("connection reset")

    broken = httpx2.Response(200, headers={"content-type": "video/mp4"}, content=cut())
    rec = Recorder(broken, mp4())
    dest = tmp_path / "v.mp4"
    media = await make(rec).video.download(LINK, save_to=dest)
    assert media.path.read_bytes() == MP4 and list(tmp_path.iterdir()) == [dest]
    rec = Recorder(*[httpx2.ConnectError("refused") for _ in range(4)])
    with pytest.raises(errors.APIConnectionError):
        await make(rec).video.download(LINK, save_to=tmp_path / "w.mp4")
    assert len(rec.requests) == 4 and list(tmp_path.iterdir()) == [dest]


async def test_a_large_download_streams_to_disk_in_bounded_memory(tmp_path: Path) -> None:
    chunk = b"\x00" * (256 * 1024)
    count = 256  # 64 MiB

    async def body() -> AsyncIterator[bytes]:
        for _ in range(count):
            yield chunk

    rec = Recorder(httpx2.Response(200, headers={"content-type": "video/mp4"}, content=body()))
    client = make(rec)
    gc.collect()
    tracemalloc.start()
    try:
        media = await client.video.download(LINK, save_to=tmp_path / "big.mp4")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert media.size == len(chunk) * count == media.path.stat().st_size
    assert peak < 8 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB for a 64 MiB download"

"""The request path: retries only where safe, fresh SIWX per attempt, binary bodies, errors.

These drive VeniceClient against scripted responses (httpx2.MockTransport) to pin the retry
arithmetic; behaviour against the real sandbox is covered in test_client_sandbox.py.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx2
import pytest

from venice_mcp.api import errors
from venice_mcp.api.client import BearerAuth, NoAuth, VeniceClient, WalletAuth
from venice_mcp.api.retry import RetryPolicy
from venice_mcp.payments.signer import EthAccountSigner

pytestmark = pytest.mark.anyio

BASE = "https://api.venice.ai/api/v1"
DEV_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


class Recorder:
    """Scripted Venice: returns the queued responses in order and records each request."""

    def __init__(self, *responses: httpx2.Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[httpx2.Request] = []
        self.waits: list[float] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        item = self.responses.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


def ok(body: object = None) -> httpx2.Response:
    return httpx2.Response(200, json=body if body is not None else {"ok": True})


def make(rec: Recorder, auth: object = None) -> VeniceClient:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(rec))
    policy = RetryPolicy(sleep=rec.sleep, jitter=lambda: 0.0, clock=lambda: 1_000.0)
    return VeniceClient(http, base_url=BASE, auth=auth or BearerAuth("k"), retry=policy)  # type: ignore[arg-type]


async def test_429_is_retried_after_retry_after() -> None:
    rec = Recorder(
        httpx2.Response(429, headers={"Retry-After": "2"}, json={"error": "Rate limit exceeded"}), ok()
    )
    response = await make(rec).request("POST", "/chat/completions", json_body={})
    assert response.status == 200 and response.attempts == 2
    assert rec.waits == [2.0]


async def test_429_wait_comes_from_reset_headers_in_milliseconds() -> None:
    headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": str(1_003_000)}
    rec = Recorder(httpx2.Response(429, headers=headers, json={"error": "Rate limit exceeded"}), ok())
    await make(rec).request("POST", "/chat/completions", json_body={})
    assert rec.waits == [3.0]


async def test_429_asking_for_a_long_wait_is_reported_not_slept() -> None:
    rec = Recorder(httpx2.Response(429, headers={"Retry-After": "120"}, json={"error": "overloaded"}))
    with pytest.raises(errors.RateLimitError) as info:
        await make(rec).request("POST", "/chat/completions", json_body={})
    assert info.value.retry_after == 120 and rec.waits == []
    assert "120 s" in info.value.agent_message()


async def test_503_twice_then_success_backs_off_exponentially() -> None:
    rec = Recorder(
        httpx2.Response(503, json={"error": "The model is at capacity."}),
        httpx2.Response(503, json={"error": "The model is at capacity."}),
        ok(),
    )
    response = await make(rec).request("POST", "/chat/completions", json_body={})
    assert response.attempts == 3
    assert rec.waits == [0.25, 0.5]  # jitter 0: half of 0.5 s, then half of 1 s


async def test_retries_are_bounded() -> None:
    rec = Recorder(*[httpx2.Response(500, json={"error": "Inference processing failed"}) for _ in range(4)])
    with pytest.raises(errors.ServerError):
        await make(rec).request("POST", "/chat/completions", json_body={})
    assert len(rec.requests) == 4


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (
            400,
            {"error": "Invalid request parameters", "details": {"_errors": [], "x": {"_errors": ["bad"]}}},
            errors.BadRequestError,
        ),
        (
            402,
            {"error": "Insufficient USD or Diem balance to complete request."},
            errors.PaymentRequiredError,
        ),
        (
            422,
            {"error": "Your prompt violates the content policy", "suggested_prompt": "a cat"},
            errors.ContentPolicyError,
        ),
        (401, {"error": "Authentication failed"}, errors.AuthenticationError),
    ],
)
async def test_client_errors_are_never_retried(status: int, body: dict[str, object], kind: type) -> None:
    rec = Recorder(httpx2.Response(status, json=body), ok())
    with pytest.raises(kind):
        await make(rec).request("POST", "/chat/completions", json_body={})
    assert len(rec.requests) == 1 and rec.waits == []


async def test_queue_calls_do_not_retry_a_5xx_that_may_hide_a_charge() -> None:
    rec = Recorder(httpx2.Response(500, json={"error": "An unknown error occurred"}), ok())
    with pytest.raises(errors.ServerError):
        await make(rec).request("POST", "/video/queue", json_body={}, idempotency="rejected_only")
    assert len(rec.requests) == 1


async def test_a_read_failure_on_a_paid_post_is_not_repeated() -> None:
    rec = Recorder(httpx2.ReadError("connection lost"), ok())
    with pytest.raises(errors.APIConnectionError):
        await make(rec).request("POST", "/chat/completions", json_body={})
    assert len(rec.requests) == 1


async def test_a_connect_failure_is_retried_because_venice_never_saw_it() -> None:
    rec = Recorder(httpx2.ConnectError("refused"), ok())
    response = await make(rec).request("POST", "/chat/completions", json_body={})
    assert response.attempts == 2


def _siwx(request: httpx2.Request) -> dict[str, object]:
    return json.loads(base64.b64decode(request.headers["sign-in-with-x"]))  # type: ignore[no-any-return]


async def test_wallet_signs_a_fresh_header_for_every_retry() -> None:
    rec = Recorder(httpx2.Response(503, json={"error": "offline"}), httpx2.Response(429, json={}), ok())
    await make(rec, WalletAuth(EthAccountSigner(DEV_KEY))).request("POST", "/chat/completions", json_body={})
    payloads = [_siwx(r) for r in rec.requests]
    assert len({p["message"] for p in payloads}) == 3
    assert all("authorization" not in r.headers for r in rec.requests)
    assert all(f"URI: {BASE}/chat/completions" in str(p["message"]) for p in payloads)


async def test_bearer_key_is_sent_and_never_with_no_auth_routes() -> None:
    rec = Recorder(ok(), ok())
    client = make(rec, BearerAuth("VENICE_INFERENCE_KEY_x"))
    await client.request("GET", "/models", auth="optional")
    await client.request("POST", "/x402/top-up", auth="none", idempotency="never")
    assert rec.requests[0].headers["authorization"] == "Bearer VENICE_INFERENCE_KEY_x"
    assert "authorization" not in rec.requests[1].headers


async def test_no_credentials_fails_before_any_request() -> None:
    rec = Recorder()
    with pytest.raises(errors.NotConfiguredError) as info:
        await make(rec, NoAuth()).request("POST", "/chat/completions", json_body={})
    assert rec.requests == []
    assert "VENICE_API_KEY" in str(info.value) and "VENICE_WALLET_KEY" in str(info.value)


async def test_binary_responses_stream_to_a_file(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 400
    rec = Recorder(httpx2.Response(200, headers={"content-type": "image/png"}, content=png))
    dest = tmp_path / "out.png"
    response = await make(rec).request("POST", "/image/upscale", json_body={}, save_to=dest)
    assert response.path == dest and response.size == len(png) and response.content is None
    assert dest.read_bytes() == png
    assert list(tmp_path.iterdir()) == [dest]  # no .part file left behind


async def test_binary_responses_without_a_destination_are_kept_once_in_memory() -> None:
    rec = Recorder(httpx2.Response(200, headers={"content-type": "audio/mpeg"}, content=b"ID3xyz"))
    response = await make(rec).request("POST", "/audio/speech", json_body={})
    assert response.content == b"ID3xyz" and response.body is None


async def test_stream_events_yields_chunks_until_done() -> None:
    sse = (
        'data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n'
        'data: {"choices":[{"index":0,"delta":{"content":"lo"}}]}\n\n'
        'data: {"choices":[],"usage":{"total_tokens":3}}\n\n'
        "data: [DONE]\n\n"
    )
    rec = Recorder(httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=sse.encode()))
    events = [e async for e in make(rec).stream_events("/chat/completions", {"stream": True})]
    assert [e["choices"][0]["delta"]["content"] for e in events[:2]] == ["Hel", "lo"]
    assert events[2]["usage"] == {"total_tokens": 3}


async def test_stream_in_band_error_is_raised_with_its_wait() -> None:
    sse = (
        'data: {"error":{"message":"overloaded","type":"server_error","code":"model_overloaded",'
        '"param":null,"retry_after":30}}\n\ndata: [DONE]\n\n'
    )
    rec = Recorder(httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=sse.encode()))
    with pytest.raises(errors.RateLimitError) as info:
        _ = [e async for e in make(rec).stream_events("/chat/completions", {"stream": True})]
    assert info.value.retry_after == 30

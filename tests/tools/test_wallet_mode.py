"""A wallet-configured server: every call signs in with SIWX, which the sandbox verifies."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mcp import Client

from tests.tools.conftest import text_of, venice_requests
from venice_mcp.config import Secret
from venice_mcp.payments.signer import EthAccountSigner
from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio

KEY = "0x" + "42" * 32


@pytest.fixture
def wallet_client(make_client: Callable[..., Client]) -> Callable[..., Client]:
    def make(mode: str = "auto") -> Client:
        return make_client(mode, api_key=None, wallet_key=Secret(KEY))

    return make


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_chat_pays_from_wallet_credit(
    wallet_client: Callable[..., Client], sandbox: SandboxState, mode: str
) -> None:
    address = EthAccountSigner(KEY).address
    sandbox.credit(address, 2.0)
    async with wallet_client(mode) as c:
        result = await c.call_tool("venice_chat", {"prompt": "hello"})
    assert not result.is_error, text_of(result)
    assert text_of(result).startswith("[sandbox] ")
    [sent] = venice_requests(sandbox, "/chat/completions")
    assert "sign-in-with-x" in sent.headers and "authorization" not in sent.headers
    assert sandbox.balance(address) < 2.0


async def test_empty_wallet_is_told_how_to_top_up_and_nothing_is_paid(
    wallet_client: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with wallet_client() as c:
        result = await c.call_tool("venice_chat", {"prompt": "hello"})
    assert result.is_error
    text = text_of(result)
    assert "402" in text and "venice_wallet_top_up" in text and "$0.00" in text
    assert [r.status for r in venice_requests(sandbox, "/chat/completions")] == [402]


async def test_key_never_appears_in_results(
    wallet_client: Callable[..., Client], sandbox: SandboxState
) -> None:
    sandbox.credit(EthAccountSigner(KEY).address, 1.0)
    async with wallet_client() as c:
        results = [
            await c.call_tool("venice_chat", {"prompt": "hello"}),
            await c.call_tool("venice_chat", {"prompt": "x", "model": "nope"}),
            await c.call_tool("venice_models", {}),
        ]
    for r in results:
        dumped = r.model_dump_json()
        assert KEY[2:] not in dumped and KEY[2:].upper() not in dumped


async def test_video_job_signs_every_venice_call_and_sends_nothing_to_the_download_link(
    wallet_client: Callable[..., Client], sandbox: SandboxState
) -> None:
    sandbox.credit(EthAccountSigner(KEY).address, 5.0)
    sandbox.faults.add(path="/video/retrieve", status=503)  # a retry must sign afresh too
    args = {"prompt": "A cat on a roof", "model": "grok-imagine-text-to-video-private", "duration": "3s"}
    async with wallet_client() as c:
        result = await c.call_tool("venice_video_generate", {**args, "confirm": True})
    assert not result.is_error, text_of(result)
    calls = [r for r in sandbox.requests if r.path.startswith("/video/")]
    assert {r.path for r in calls} >= {"/video/queue", "/video/retrieve"}
    # The sandbox verified each header; each is single-use, so every call (and retry) has its own.
    headers = [r.headers.get("sign-in-with-x") for r in calls if r.path != "/video/quote"]
    assert all(headers) and len(set(headers)) == len(headers)
    [job] = sandbox.media_jobs.jobs.values()
    assert len(job.downloads) == 1
    assert "sign-in-with-x" not in job.downloads[0] and "authorization" not in job.downloads[0]

"""Focused checks of the payer's pieces: the amount setting, the ledger's check-and-insert under a
real race between connections, and the client's once-per-request insufficient-balance hook."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

from tests.backend import state_db
from venice_mcp.api import errors
from venice_mcp.api.client import VeniceClient, WalletAuth
from venice_mcp.api.retry import RetryPolicy
from venice_mcp.config import ConfigError, load_settings
from venice_mcp.payments.ledger import Ledger, NewPayment, new_owner
from venice_mcp.payments.signer import EthAccountSigner
from venice_mcp.sandbox import SandboxState, create_app

KEY = "0x" + "3c" * 32


def test_topup_amount_setting() -> None:
    assert load_settings({}).topup_amount_usd == 10.0
    assert load_settings({"VENICE_MCP_TOPUP_AMOUNT_USD": "7.5"}).topup_amount_usd == 7.5
    with pytest.raises(ConfigError, match="VENICE_MCP_TOPUP_AMOUNT_USD"):
        load_settings({"VENICE_MCP_TOPUP_AMOUNT_USD": "lots"})


def _payment(n: int) -> NewPayment:
    return NewPayment(
        intent_id=f"intent-{n}",
        origin="https://api.venice.ai/api/v1",
        reason="manual",
        wallet="0x" + "11" * 20,
        amount_usd=10.0,
        value="10000000",
        pay_to="0x" + "22" * 20,
        nonce=f"0x{n:064x}",
        valid_before=0,
        header_name="X-402-Payment",
        header="e30=",
    )


def test_reserve_is_atomic_across_connections(tmp_path: Path) -> None:
    """Eight connections (as eight processes would have), each on an event loop of its own in its
    own thread, race for a $15 allowance of $10 payments."""
    home = tmp_path / "home"

    async def schema() -> None:
        async with state_db(home):
            pass

    anyio.run(schema)
    barrier = threading.Barrier(8)
    outcomes: list[bool] = []

    async def race(n: int) -> None:
        async with state_db(home) as db:
            barrier.wait()
            inserted, _ = await Ledger(db).reserve_payment(_payment(n), daily_limit_usd=15.0)
            outcomes.append(inserted)

    threads = [threading.Thread(target=anyio.run, args=(race, n)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == [False] * 7 + [True]

    async def total() -> float:
        async with state_db(home) as db:
            return await Ledger(db).topups_since(0, wallet="0x" + "11" * 20)

    assert anyio.run(total) == 10.0


@pytest.mark.anyio
async def test_failed_payments_do_not_count_and_the_limit_is_the_wallets_at_every_origin(
    tmp_path: Path,
) -> None:
    async with state_db(tmp_path) as db:
        ledger = Ledger(db)
        owner = new_owner()
        assert (await ledger.reserve_payment(_payment(1), daily_limit_usd=10.0, owner=owner))[0]
        assert not (await ledger.reserve_payment(_payment(2), daily_limit_usd=10.0))[0]
        await ledger.count_submission("intent-1", owner=owner)
        final = await ledger.finish_payment(
            "intent-1", "failed", owner=owner, own_submissions=1, detail="400"
        )
        assert final is not None and final["status"] == "failed"
        assert (await ledger.reserve_payment(_payment(3), daily_limit_usd=10.0))[0]
        # The same wallet through another spelling of a Venice origin: the same allowance, spent.
        respelled = {"origin": "http://localhost:8787/api/v1", "wallet": ("0x" + "11" * 20).upper()}
        assert not (
            await ledger.reserve_payment(
                NewPayment(**{**_payment(4).__dict__, **respelled}), daily_limit_usd=10.0
            )
        )[0]
        other_wallet = NewPayment(**{**_payment(5).__dict__, "wallet": "0x" + "33" * 20})
        assert (await ledger.reserve_payment(other_wallet, daily_limit_usd=10.0))[0]


@pytest.mark.anyio
async def test_stream_meets_the_hook_once_and_retries_with_a_fresh_header() -> None:
    sandbox = SandboxState()
    signer = EthAccountSigner(KEY)
    calls: list[errors.PaymentRequiredError] = []

    async def hook(error: errors.PaymentRequiredError) -> bool:
        calls.append(error)
        sandbox.credit(signer.address, 1.0)
        return True

    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=create_app(sandbox))) as http:
        client = VeniceClient(
            http,
            base_url="http://sandbox.test/api/v1",
            auth=WalletAuth(signer),
            retry=RetryPolicy(sleep=_no_sleep),
            on_insufficient_balance=hook,
        )
        body: dict[str, Any] = {
            "model": "default",
            "messages": [{"role": "user", "content": "hi"}],
            "stream": True,
        }
        events = [e async for e in client.stream_events("/chat/completions", body)]
    assert events and len(calls) == 1 and calls[0].kind == "insufficient_balance"
    chats = [r for r in sandbox.requests if r.path == "/chat/completions"]
    assert [r.status for r in chats] == [402, 200]
    assert chats[0].headers["sign-in-with-x"] != chats[1].headers["sign-in-with-x"]


@pytest.mark.anyio
async def test_hook_is_not_used_for_api_keys_or_the_payers_own_requests() -> None:
    sandbox = SandboxState()
    signer = EthAccountSigner(KEY)
    calls: list[Any] = []

    async def hook(error: errors.PaymentRequiredError) -> bool:
        calls.append(error)
        return True

    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=create_app(sandbox))) as http:
        client = VeniceClient(
            http,
            base_url="http://sandbox.test/api/v1",
            auth=WalletAuth(signer),
            retry=RetryPolicy(sleep=_no_sleep),
            on_insufficient_balance=hook,
        )
        body = {"model": "default", "messages": [{"role": "user", "content": "hi"}]}
        with pytest.raises(errors.PaymentRequiredError):
            await client.request("POST", "/chat/completions", json_body=body, allow_top_up=False)
        # The hook says it added credit but none arrived: the retry's 402 is raised, not looped on.
        with pytest.raises(errors.PaymentRequiredError):
            await client.request("POST", "/chat/completions", json_body=body)
    assert len(calls) == 1
    assert [r.status for r in sandbox.requests if r.path == "/chat/completions"] == [402, 402, 402]


async def _no_sleep(_: float) -> None:
    return None

"""The wallet payer through an MCP client: auto top-up, limits that hold across restarts and races,
ambiguous settlements resubmitted (never re-signed), the spend gate on top-ups, and key hygiene."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import ElicitResult

from tests.backend import recorded_payments
from tests.hints import hints
from tests.tools.conftest import text_of, venice_requests
from venice_mcp.config import Secret
from venice_mcp.payments.signer import EthAccountSigner
from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio

KEY = "0x" + "5a17" * 16
ADDRESS = EthAccountSigner(KEY).address
TOPUP = "/x402/top-up"
# No spend-gate question for top-ups in tests that are about something else.
NO_GATE = {"max_call_usd": 1000.0}


@pytest.fixture
def wallet(make_client: Callable[..., Client]) -> Callable[..., Client]:
    def make(mode: str = "auto", elicitation_callback: Any = None, **changes: Any) -> Client:
        return make_client(mode, elicitation_callback, api_key=None, wallet_key=Secret(KEY), **changes)

    return make


async def payments(home: Path) -> list[dict[str, Any]]:
    return await recorded_payments(home)


def paid_submissions(sandbox: SandboxState) -> list[Any]:
    """Top-up POSTs that carried a payment (discovery requests carry none)."""
    return [r for r in venice_requests(sandbox, TOPUP) if "x-402-payment" in r.headers]


# -- auto top-up -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_empty_wallet_with_auto_top_up_pays_once_and_the_call_succeeds(
    wallet: Callable[..., Client], sandbox: SandboxState, tmp_path: Path, mode: str
) -> None:
    async with wallet(mode, auto_topup=True) as c:
        result = await c.call_tool("venice_chat", {"prompt": "hello"})
    assert not result.is_error, text_of(result)
    assert text_of(result).startswith("[sandbox] ")
    chats = venice_requests(sandbox, "/chat/completions")
    assert [r.status for r in chats] == [402, 200]
    proofs = [r.headers["sign-in-with-x"] for r in chats]
    assert proofs[0] != proofs[1]  # the retry signed a fresh SIWX header
    [settled] = sandbox.topups.settlements.values()
    assert settled.payer == ADDRESS and settled.value == 10_000_000
    assert 9.0 < sandbox.balance(ADDRESS) < 10.0
    [row] = await payments(tmp_path / "home")
    assert row["status"] == "settled" and row["reason"] == "auto" and row["amount_usd"] == 10.0


async def test_auto_top_up_off_gives_a_clear_message_and_pays_nothing(
    wallet: Callable[..., Client], sandbox: SandboxState, tmp_path: Path
) -> None:
    async with wallet() as c:
        result = await c.call_tool("venice_chat", {"prompt": "hello"})
    assert result.is_error
    text = text_of(result)
    assert "$0.00" in text and "at least $5" in text
    assert 'venice_wallet_top_up {"amount_usd": 10}' in text
    assert venice_requests(sandbox, TOPUP) == [] and sandbox.topups.submissions == []
    assert await payments(tmp_path / "home") == []


async def test_auto_top_up_happens_once_per_failing_call_never_in_a_loop(
    wallet: Callable[..., Client], sandbox: SandboxState
) -> None:
    # The top-up settles but the retry still meets a 402 (the credit was spent meanwhile).
    sandbox.minimum_balance_usd = 50.0
    async with wallet(auto_topup=True) as c:
        result = await c.call_tool("venice_chat", {"prompt": "hello"})
    assert result.is_error and "402" in text_of(result)
    assert [r.status for r in venice_requests(sandbox, "/chat/completions")] == [402, 402]
    assert len(sandbox.topups.settlements) == 1


async def test_concurrent_failing_calls_share_one_automatic_top_up(
    wallet: Callable[..., Client], sandbox: SandboxState
) -> None:
    results: list[Any] = []
    async with wallet(auto_topup=True, daily_topup_usd=10.0) as c:

        async def chat(n: int) -> None:
            results.append(await c.call_tool("venice_chat", {"prompt": f"hello {n}"}))

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for n in range(3):
                    tg.start_soon(chat, n)
    assert all(not r.is_error for r in results), [text_of(r) for r in results]
    assert len(sandbox.topups.settlements) == 1 and len(sandbox.topups.nonces()) == 1


async def test_diem_account_402_is_not_paid_with_usdc(
    wallet: Callable[..., Client], sandbox: SandboxState
) -> None:
    sandbox.diem[ADDRESS.lower()] = 3.0
    async with wallet(auto_topup=True) as c:
        result = await c.call_tool("venice_chat", {"prompt": "hello"})
    assert result.is_error
    assert "DIEM" in text_of(result) and "nothing was paid" in text_of(result)
    assert sandbox.topups.submissions == []


async def test_auto_top_up_refuses_when_the_limits_cannot_cover_venices_minimum(
    wallet: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with wallet(auto_topup=True, max_topup_usd=4.0) as c:
        result = await c.call_tool("venice_chat", {"prompt": "hello"})
    assert result.is_error
    assert "VENICE_MCP_MAX_TOPUP_USD" in text_of(result) and "minimum" in text_of(result)
    assert sandbox.topups.submissions == []


async def test_auto_amount_is_clamped_to_the_per_top_up_limit(
    wallet: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with wallet(auto_topup=True, topup_amount_usd=50.0, max_topup_usd=6.0) as c:
        assert not (await c.call_tool("venice_chat", {"prompt": "hi"})).is_error
    [settled] = sandbox.topups.settlements.values()
    assert settled.value == 6_000_000


# -- limits ------------------------------------------------------------------------------------


async def test_top_up_above_the_per_top_up_limit_is_refused(
    wallet: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with wallet(**NO_GATE) as c:
        result = await c.call_tool("venice_wallet_top_up", {"amount_usd": 10.01})
    assert result.is_error and "VENICE_MCP_MAX_TOPUP_USD" in text_of(result)
    assert venice_requests(sandbox, TOPUP) == []


async def test_top_up_below_venices_minimum_is_refused(
    wallet: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with wallet(**NO_GATE) as c:
        result = await c.call_tool("venice_wallet_top_up", {"amount_usd": 4.99})
    assert result.is_error and "minimum" in text_of(result)
    assert sandbox.topups.submissions == []


async def test_daily_limit_holds_across_a_restart(
    wallet: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with wallet(daily_topup_usd=15.0, **NO_GATE) as c:
        first = await c.call_tool("venice_wallet_top_up", {"amount_usd": 10})
    assert not first.is_error, text_of(first)
    # A new server instance over the same VENICE_MCP_HOME: the rolling 24 h sum comes from the ledger.
    async with wallet(daily_topup_usd=15.0, **NO_GATE) as c:
        second = await c.call_tool("venice_wallet_top_up", {"amount_usd": 10})
        balance = await c.call_tool("venice_wallet_balance", {})
    assert second.is_error and "VENICE_MCP_DAILY_TOPUP_USD" in text_of(second)
    assert "$10.00 already topped up" in text_of(second)
    assert len(paid_submissions(sandbox)) == 1 and sandbox.balance(ADDRESS) == 10.0
    assert balance.structured_content is not None
    assert balance.structured_content["limits"]["topped_up_24h_usd"] == 10.0
    assert balance.structured_content["limits"]["remaining_24h_usd"] == 5.0


async def test_the_daily_limit_is_the_wallets_however_venice_is_spelled(
    wallet: Callable[..., Client], sandbox: SandboxState
) -> None:
    """The same Venice reached as 127.0.0.1 and as localhost: one wallet, one 24 h allowance."""
    async with wallet(daily_topup_usd=15.0, base_url="http://127.0.0.1:8787/api/v1", **NO_GATE) as c:
        first = await c.call_tool("venice_wallet_top_up", {"amount_usd": 10})
    async with wallet(daily_topup_usd=15.0, base_url="http://localhost:8787/api/v1", **NO_GATE) as c:
        second = await c.call_tool("venice_wallet_top_up", {"amount_usd": 10})
    assert not first.is_error, text_of(first)
    assert second.is_error and "$10.00 already topped up" in text_of(second)
    assert len(paid_submissions(sandbox)) == 1


@pytest.mark.parametrize("servers", [1, 2])
async def test_concurrent_top_ups_racing_for_the_last_allowance_pay_once(
    wallet: Callable[..., Client], sandbox: SandboxState, servers: int
) -> None:
    """Two calls (in one server, or in two servers sharing the ledger) each fit the $15 allowance
    alone; together they do not. Exactly one is paid."""
    results: list[Any] = []
    async with AsyncExitStack() as stack:
        opened = [
            await stack.enter_async_context(wallet(daily_topup_usd=15.0, **NO_GATE)) for _ in range(servers)
        ]

        async def top_up(c: Client) -> None:
            results.append(await c.call_tool("venice_wallet_top_up", {"amount_usd": 10}))

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                tg.start_soon(top_up, opened[0])
                tg.start_soon(top_up, opened[-1])
    assert sorted(r.is_error for r in results) == [False, True]
    [refused] = [r for r in results if r.is_error]
    assert "VENICE_MCP_DAILY_TOPUP_USD" in text_of(refused)
    assert len(sandbox.topups.nonces()) == 1 and len(sandbox.topups.settlements) == 1
    assert sandbox.balance(ADDRESS) == 10.0


# -- ambiguous outcomes --------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["timeout_after_credit", "drop_after_credit", "in_progress"])
async def test_ambiguous_settlement_is_resubmitted_not_re_signed(
    wallet: Callable[..., Client], sandbox: SandboxState, tmp_path: Path, fault: str
) -> None:
    setattr(sandbox.topups.faults, fault, 1)
    async with wallet(**NO_GATE) as c:
        result = await c.call_tool("venice_wallet_top_up", {"amount_usd": 5})
    assert not result.is_error, text_of(result)
    headers = [r.headers["x-402-payment"] for r in paid_submissions(sandbox)]
    assert len(headers) == 2 and headers[0] == headers[1]  # the same signed payment, byte for byte
    assert len(sandbox.topups.nonces()) == 1 and len(sandbox.topups.settlements) == 1
    assert sandbox.balance(ADDRESS) == 5.0
    assert result.structured_content is not None and result.structured_content["submissions"] == 2
    assert result.structured_content["transaction"].startswith("0x")
    [row] = await payments(tmp_path / "home")
    assert row["status"] == "settled" and row["submissions"] == 2


async def test_unresolved_payment_is_reconciled_at_the_next_start(
    wallet: Callable[..., Client], sandbox: SandboxState, tmp_path: Path
) -> None:
    sandbox.topups.faults.drop_after_credit = 10  # every answer is lost
    async with wallet(**NO_GATE) as c:
        result = await c.call_tool("venice_wallet_top_up", {"amount_usd": 5})
    assert result.is_error and "resubmitted" in text_of(result)
    [row] = await payments(tmp_path / "home")
    assert row["status"] == "unknown"
    sandbox.topups.faults.drop_after_credit = 0
    async with wallet(**NO_GATE) as c:  # the lifespan reconciles before serving
        balance = await c.call_tool("venice_wallet_balance", {})
    [row] = await payments(tmp_path / "home")
    assert row["status"] == "settled" and row["payment_id"].startswith("x402-")
    assert len(sandbox.topups.nonces()) == 1 and sandbox.balance(ADDRESS) == 5.0
    assert balance.structured_content is not None and balance.structured_content["open_payments"] == 0


async def test_an_unknown_auto_top_up_that_settles_later_is_not_paid_twice(
    wallet: Callable[..., Client], sandbox: SandboxState, tmp_path: Path
) -> None:
    """The first call's auto top-up stays unknown (4 x 409); the agent retries the call, whose hook
    reconciles: the first $10 settles, and the call is retried on it. No second $10 is signed."""
    sandbox.topups.faults.in_progress = 4
    async with wallet(auto_topup=True) as c:
        first = await c.call_tool("venice_chat", {"prompt": "hello"})
        assert first.is_error and "not known yet" in text_of(first)
        second = await c.call_tool("venice_chat", {"prompt": "hello"})
    assert not second.is_error, text_of(second)
    [row] = await payments(tmp_path / "home")
    assert row["reason"] == "auto" and row["status"] == "settled" and row["submissions"] == 5
    assert len(sandbox.topups.nonces()) == 1 and len(sandbox.topups.settlements) == 1
    assert 9.0 < sandbox.balance(ADDRESS) < 10.0


async def test_a_manual_top_up_that_settles_an_earlier_one_signs_nothing_new(
    wallet: Callable[..., Client], sandbox: SandboxState, tmp_path: Path
) -> None:
    sandbox.topups.faults.in_progress = 4
    async with wallet(**NO_GATE) as c:
        unknown = await c.call_tool("venice_wallet_top_up", {"amount_usd": 10})
        assert unknown.is_error and "not known yet" in text_of(unknown)
        again = await c.call_tool("venice_wallet_top_up", {"amount_usd": 5})
    assert not again.is_error, text_of(again)
    text = text_of(again)
    assert "earlier $10.00 top-up" in text and "has just settled" in text
    assert "No new payment was signed" in text and "$10.00" in text
    assert again.structured_content is not None
    assert (
        again.structured_content["new_payment"] is False and again.structured_content["status"] == "settled"
    )
    assert again.structured_content["amount_usd"] == 10.0
    assert again.structured_content["new_balance_usd"] == 10.0
    assert again.structured_content["payment_id"].startswith("x402-")
    [row] = await payments(tmp_path / "home")
    assert row["status"] == "settled" and row["payment_id"] == again.structured_content["payment_id"]
    assert len(sandbox.topups.nonces()) == 1 and sandbox.balance(ADDRESS) == 10.0


async def test_an_unknown_payment_filling_the_daily_limit_is_reconciled_not_refused(
    wallet: Callable[..., Client], sandbox: SandboxState, tmp_path: Path
) -> None:
    """An unknown $10 payment counts against a $10 daily limit; the next top-up reconciles it
    before judging the limit, instead of refusing until the next server start."""
    sandbox.topups.faults.in_progress = 4
    async with wallet(daily_topup_usd=10.0, **NO_GATE) as c:
        unknown = await c.call_tool("venice_wallet_top_up", {"amount_usd": 10})
        assert unknown.is_error and "not known yet" in text_of(unknown)
        again = await c.call_tool("venice_wallet_top_up", {"amount_usd": 10})
    assert not again.is_error, text_of(again)
    assert "has just settled" in text_of(again) and "rolling 24-hour limit" not in text_of(again)
    assert len(sandbox.topups.nonces()) == 1 and sandbox.balance(ADDRESS) == 10.0
    assert [r["status"] for r in await payments(tmp_path / "home")] == ["settled"]


async def test_top_up_429_is_waited_out_when_short(
    wallet: Callable[..., Client], sandbox: SandboxState, waits: list[float]
) -> None:
    sandbox.topups.faults.rate_limited = 1
    sandbox.topups.faults.retry_after = 2
    async with wallet(**NO_GATE) as c:
        result = await c.call_tool("venice_wallet_top_up", {"amount_usd": 5})
    assert not result.is_error, text_of(result)
    assert 2.0 in waits and len(sandbox.topups.nonces()) == 1 and sandbox.balance(ADDRESS) == 5.0


async def test_top_up_429_with_a_long_wait_is_reported_not_hammered(
    wallet: Callable[..., Client], sandbox: SandboxState, tmp_path: Path
) -> None:
    sandbox.topups.faults.rate_limited = 5
    sandbox.topups.faults.retry_after = 60
    async with wallet(**NO_GATE) as c:
        result = await c.call_tool("venice_wallet_top_up", {"amount_usd": 5})
    assert result.is_error and "rate-limited" in text_of(result)
    assert len(paid_submissions(sandbox)) == 1 and sandbox.balance(ADDRESS) == 0.0
    assert [r["status"] for r in await payments(tmp_path / "home")] == ["failed"]


async def test_settlement_failed_is_reported_and_does_not_count(
    wallet: Callable[..., Client], sandbox: SandboxState
) -> None:
    sandbox.topups.faults.settlement_failed = 1
    async with wallet(daily_topup_usd=5.0, **NO_GATE) as c:
        failed = await c.call_tool("venice_wallet_top_up", {"amount_usd": 5})
        again = await c.call_tool("venice_wallet_top_up", {"amount_usd": 5})
    assert failed.is_error and "no money moved" in text_of(failed)
    assert not again.is_error, text_of(again)
    assert len(sandbox.topups.nonces()) == 2 and sandbox.balance(ADDRESS) == 5.0


# -- spend gate --------------------------------------------------------------------------------


async def test_top_up_over_the_per_call_limit_needs_confirmation(
    wallet: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with wallet() as c:  # default VENICE_MCP_MAX_CALL_USD is $0.50
        stopped = await c.call_tool("venice_wallet_top_up", {"amount_usd": 5})
        assert stopped.structured_content is not None
        assert stopped.structured_content["status"] == "confirmation_required"
        assert "confirm=true" in text_of(stopped)
        assert venice_requests(sandbox, TOPUP) == []
        confirmed = await c.call_tool("venice_wallet_top_up", {"amount_usd": 5, "confirm": True})
    assert not confirmed.is_error, text_of(confirmed)
    assert sandbox.balance(ADDRESS) == 5.0


async def test_top_up_under_the_per_call_limit_runs(
    wallet: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with wallet(max_call_usd=5.0) as c:
        result = await c.call_tool("venice_wallet_top_up", {"amount_usd": 5})
    assert not result.is_error and sandbox.balance(ADDRESS) == 5.0


@pytest.mark.parametrize(("answer", "runs"), [(True, True), (False, False)])
async def test_top_up_elicitation_lets_the_person_decide(
    wallet: Callable[..., Client], sandbox: SandboxState, answer: bool, runs: bool
) -> None:
    asked: list[str] = []

    async def person(_: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"approve": answer})

    async with wallet("legacy", elicitation_callback=person) as c:
        result = await c.call_tool("venice_wallet_top_up", {"amount_usd": 5})
    assert len(asked) == 1 and "venice_wallet_top_up" in asked[0] and "$5.00" in asked[0]
    assert sandbox.balance(ADDRESS) == (5.0 if runs else 0.0)
    assert len(paid_submissions(sandbox)) == (1 if runs else 0)
    if not runs:
        assert result.structured_content is not None and result.structured_content["status"] == "declined"


async def test_refused_amount_is_never_put_to_the_person(
    wallet: Callable[..., Client], sandbox: SandboxState
) -> None:
    asked: list[str] = []

    async def person(_: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"approve": True})

    async with wallet("legacy", elicitation_callback=person) as c:
        result = await c.call_tool("venice_wallet_top_up", {"amount_usd": 50})
    assert result.is_error and asked == [] and sandbox.topups.submissions == []


# -- read tools --------------------------------------------------------------------------------


async def test_balance_transactions_and_spending(
    wallet: Callable[..., Client], sandbox: SandboxState
) -> None:
    sandbox.credit(ADDRESS, 1.0)
    async with wallet() as c:
        chat = await c.call_tool("venice_chat", {"prompt": "hello"})
        balance = await c.call_tool("venice_wallet_balance", {})
        txs = await c.call_tool("venice_wallet_transactions", {"limit": 10})
        spending = await c.call_tool("venice_spending", {"days": 1})
    assert chat.structured_content is not None
    assert balance.structured_content is not None
    assert balance.structured_content["address"] == ADDRESS
    assert 0 < balance.structured_content["balance_usd"] < 1.0 and balance.structured_content["can_consume"]
    assert ADDRESS in text_of(balance) and "VENICE_MCP_DAILY_TOPUP_USD" in text_of(balance)
    assert txs.structured_content is not None
    charge, top_up = txs.structured_content["transactions"]
    assert top_up["type"] == "TOP_UP" and charge["type"] == "CHARGE"
    assert charge["requestId"] == chat.structured_content["request_id"]
    assert charge["local"]["tool"] == "venice_chat"
    assert "venice_chat" in text_of(txs)
    assert spending.structured_content is not None
    assert spending.structured_content["by_tool"]["venice_chat"]["calls"] == 1
    assert spending.structured_content["by_tool"]["venice_chat"]["actual_usd"] > 0


async def test_wallet_tools_in_api_key_mode_say_what_they_need(
    make_client: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with make_client() as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        for name, args in (
            ("venice_wallet_balance", {}),
            ("venice_wallet_top_up", {"amount_usd": 5}),
            ("venice_wallet_transactions", {}),
        ):
            result = await c.call_tool(name, args)
            assert result.is_error and "VENICE_WALLET_KEY" in text_of(result)
        await c.call_tool("venice_chat", {"prompt": "hi"})
        spending = await c.call_tool("venice_spending", {})
    assert not spending.is_error and "api_key mode" in text_of(spending)
    assert venice_requests(sandbox, TOPUP) == []
    for name in ("venice_wallet_balance", "venice_wallet_transactions", "venice_spending"):
        assert hints(tools[name])["read_only_hint"] is True
    top_up = hints(tools["venice_wallet_top_up"])
    assert top_up["read_only_hint"] is False and top_up["idempotent_hint"] is False


# -- key hygiene -------------------------------------------------------------------------------


async def test_private_key_never_appears_in_results_logs_or_the_ledger(
    wallet: Callable[..., Client], sandbox: SandboxState, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    sandbox.topups.faults.timeout_after_credit = 1
    results = []
    async with wallet(auto_topup=True, **NO_GATE) as c:
        results.append(await c.call_tool("venice_chat", {"prompt": "hello"}))
        results.append(await c.call_tool("venice_wallet_top_up", {"amount_usd": 50}))
        results.append(await c.call_tool("venice_wallet_top_up", {"amount_usd": 5}))
        results.append(await c.call_tool("venice_wallet_balance", {}))
        results.append(await c.call_tool("venice_wallet_transactions", {}))
        results.append(await c.call_tool("venice_spending", {}))
    assert len(sandbox.topups.settlements) == 2
    forms = {KEY, KEY[2:], KEY.upper(), KEY[2:].upper(), KEY.lower()}
    dumped = json.dumps([r.model_dump(mode="json") for r in results]) + caplog.text
    home = tmp_path / "home"
    files = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())
    for form in forms:
        assert form not in dumped
        assert form.encode() not in files and form.lower().encode() not in files.lower()

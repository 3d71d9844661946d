"""Charging mode (x402 over MCP): an agent pays each paid call; nothing reaches Venice and nothing
settles unless a valid payment for that call was received, verified, and the call succeeded.

The agent side is tests/tools/charging_helpers.py (eth_account, written from the spec); the
facilitator is the sandbox's own, which checks signatures and spends nonces for real.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.backend import state_db
from tests.tools.charging_helpers import OTHER_KEY, PAY_TO, USDC, payment_required, sign, sign_upto
from tests.tools.conftest import text_of
from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio

CHAT = {"prompt": "hello"}
# Venice requests that cost nothing and may precede the price: the catalog and quotes.
FREE_PATHS = ("/models", "/video/quote", "/audio/quote", "/music/quote")


def billable(sandbox: SandboxState) -> list[str]:
    return [r.path for r in sandbox.requests if not r.path.startswith(FREE_PATHS)]


@pytest.fixture
def charging(make_client: Callable[..., Client]) -> Callable[..., Client]:
    def make(mode: str = "auto", **changes: Any) -> Client:
        return make_client(mode, charge_pay_to=PAY_TO, sandbox=True, transport="http", **changes)

    return make


@pytest.fixture
async def agent(charging: Callable[..., Client]) -> AsyncIterator[Client]:
    async with charging() as c:
        yield c


async def ask_price(client: Client, tool: str = "venice_chat", args: dict[str, Any] = CHAT) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    required = payment_required(result)
    assert result.is_error and required is not None, text_of(result)
    return required


async def test_a_paid_call_without_payment_answers_payment_required(
    agent: Client, sandbox: SandboxState
) -> None:
    result = await agent.call_tool("venice_chat", CHAT)
    assert result.is_error
    required = result.structured_content
    assert required is not None and json.loads(text_of(result)) == required  # identical, as the spec asks
    assert required["x402Version"] == 2 and required["resource"]["url"] == "mcp://tool/venice_chat"
    [offer] = [a for a in required["accepts"] if a["scheme"] == "exact"]
    assert offer["network"] == "eip155:8453"
    assert offer["asset"] == USDC and offer["payTo"] == PAY_TO
    assert offer["extra"] == {"name": "USD Coin", "version": "2"}
    assert int(offer["amount"]) >= 1000  # VENICE_MCP_CHARGE_MIN_USD: $0.001
    assert billable(sandbox) == []


async def test_the_price_is_venices_times_the_markup_rounded_up(
    charging: Callable[..., Client], sandbox: SandboxState
) -> None:
    args = {"prompt": "a long answer please", "max_tokens": 4000}
    async with charging(charge_markup=1.0, charge_min_usd=0.000001) as c:
        base = int((await ask_price(c, args=args))["accepts"][-1]["amount"])
    async with charging(charge_markup=2.5, charge_min_usd=0.000001) as c:
        marked = int((await ask_price(c, args=args))["accepts"][-1]["amount"])
    assert base > 1000  # priced from the model, not the floor
    assert marked == pytest.approx(base * 2.5, abs=3)
    async with charging(charge_min_usd=5.0, max_call_usd=10.0) as c:
        assert (await ask_price(c))["accepts"][0]["amount"] == str(5 * 10**6)  # the floor


@pytest.mark.parametrize(
    "tool, args",
    [
        ("venice_image_generate", {"prompt": "a red fox"}),
        ("venice_embeddings", {"input": ["one"]}),
        ("venice_speech", {"text": "Hello there."}),
        ("venice_web_search", {"query": "venice ai"}),
        ("venice_music_generate", {"prompt": "calm piano"}),
        ("venice_video_generate", {"prompt": "a lighthouse at dawn"}),
        ("venice_crypto_rpc", {"network": "base-mainnet", "method": "eth_blockNumber"}),
        ("venice_responses", {"input": "hello"}),
    ],
)
async def test_every_kind_of_paid_tool_asks_to_be_paid_first(
    charging: Callable[..., Client], sandbox: SandboxState, tool: str, args: dict[str, Any]
) -> None:
    async with charging(max_call_usd=5.0) as c:
        required = await ask_price(c, tool, args)
    assert required["resource"]["url"] == f"mcp://tool/{tool}"
    assert billable(sandbox) == []


@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param({"payTo": "0x" + "12" * 20}, id="wrong payTo"),
        pytest.param({"network": "eip155:84532"}, id="wrong network"),
        pytest.param({"asset": "0x036CbD53842c5426634e7929541eC2318f3dCF7e"}, id="wrong asset"),
        pytest.param({"scheme": "upto"}, id="wrong scheme"),
        pytest.param({"amount": "1"}, id="underpaid"),
        pytest.param({"valid_before": int(time.time()) - 5}, id="expired"),
        pytest.param({"valid_after": int(time.time()) + 600}, id="not yet valid"),
        pytest.param({"signer_key": OTHER_KEY}, id="another key's signature"),
        pytest.param({"value": "999999999"}, id="value not the accepted amount"),
    ],
)
async def test_a_wrong_payment_is_refused_before_anything_happens(
    agent: Client, sandbox: SandboxState, wrong: dict[str, Any]
) -> None:
    required = await ask_price(agent)
    result = await agent.call_tool("venice_chat", CHAT, meta={"x402/payment": sign(required, **wrong)})
    again = payment_required(result)
    assert result.is_error and again is not None
    assert again["error"].startswith("Payment refused") and "Nothing was charged" in again["error"]
    assert billable(sandbox) == []  # nothing reached Venice, and no facilitator was asked


async def test_a_payment_that_is_not_a_payment_is_refused(agent: Client, sandbox: SandboxState) -> None:
    for junk in ("0xdeadbeef", {"x402Version": 1}, {"x402Version": 2, "accepted": {}}, [1, 2]):
        result = await agent.call_tool("venice_chat", CHAT, meta={"x402/payment": junk})
        assert result.is_error and payment_required(result) is not None, junk
    assert billable(sandbox) == []


async def test_operator_only_tools_are_not_listed_nor_callable(
    charging: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with charging(admin_tools=True) as c:
        names = {t.name for t in (await c.list_tools()).tools}
        assert {"venice_chat", "venice_models", "venice_quote", "venice_jobs", "venice_read_output"} <= names
        hidden = {
            "venice_wallet_balance",
            "venice_wallet_top_up",
            "venice_wallet_transactions",
            "venice_spending",
            "venice_billing",
            "venice_api_keys",
            "venice_api_key_create",
            "venice_api_key_delete",
        }
        assert not names & hidden
        for name in sorted(hidden):
            result = await c.call_tool(name, {})
            assert result.is_error and "Unknown tool" in text_of(result), name
    assert billable(sandbox) == []


async def test_free_tools_stay_free(agent: Client, sandbox: SandboxState) -> None:
    models = await agent.call_tool("venice_models", {"type": "text"})
    quote = await agent.call_tool("venice_quote", {"kind": "video", "prompt": "a lighthouse"})
    assert not models.is_error and not quote.is_error, (text_of(models), text_of(quote))
    assert billable(sandbox) == []


async def test_a_call_above_the_operators_per_call_limit_is_refused_before_paying(
    charging: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with charging(max_call_usd=0.0000001) as c:
        result = await c.call_tool("venice_chat", CHAT)
    assert result.is_error and payment_required(result) is None
    assert "per-call limit" in text_of(result) and "Nothing was charged" in text_of(result)
    assert billable(sandbox) == []


def test_prices_round_up_to_usdc_units() -> None:
    from venice_mcp.config import Settings
    from venice_mcp.payments.payee import price_units

    settings = Settings(home=Path("/nonexistent"), charge_min_usd=0.000001)
    assert price_units(0.0000011, settings) == 2
    assert price_units(0.000001, settings) == 1
    assert price_units(1.0, settings.__class__(home=Path("/x"), charge_markup=1.1)) == 1_100_000
    assert price_units(0.0, Settings(home=Path("/x"))) == math.ceil(0.001 * 10**6)


async def test_the_payment_is_read_in_every_protocol_era(
    charging: Callable[..., Client], sandbox: SandboxState
) -> None:
    """The handshake era (2025-11-25) gets the same PaymentRequired in structuredContent and text."""
    async with charging("legacy") as c:
        result = await c.call_tool("venice_chat", CHAT)
    required = payment_required(result)
    assert result.is_error and required is not None and required["x402Version"] == 2
    assert billable(sandbox) == []


# -- paying (the sandbox facilitator verifies and settles) ----------------------------------------


def settlements(sandbox: SandboxState) -> list[Any]:
    return list(sandbox.facilitator.settlements)


async def receipts(home: Path) -> list[dict[str, Any]]:
    async with state_db(home) as db:
        return await db.query("SELECT * FROM received_payments ORDER BY id")


async def paid_call(
    client: Client, tool: str = "venice_chat", args: dict[str, Any] = CHAT, **wrong: Any
) -> tuple[Any, dict[str, Any]]:
    payment = sign(await ask_price(client, tool, args), **wrong)
    return await client.call_tool(tool, args, meta={"x402/payment": payment}), payment


async def test_a_paid_call_runs_settles_once_and_says_so(
    agent: Client, sandbox: SandboxState, settings: Any
) -> None:
    result, payment = await paid_call(agent)
    assert not result.is_error, text_of(result)
    assert "[sandbox]" in text_of(result)  # the model's reply
    receipt = (result.meta or {})["x402/payment-response"]
    assert receipt["success"] is True and receipt["network"] == "eip155:8453"
    assert receipt["payer"].lower() == payment["payload"]["authorization"]["from"].lower()
    [settled] = settlements(sandbox)
    assert settled.transaction == receipt["transaction"] and settled.amount == int(
        payment["accepted"]["amount"]
    )
    assert [r["state"] for r in await receipts(settings.home)] == ["settled"]
    assert billable(sandbox).count("/chat/completions") == 1


async def test_an_image_is_paid_for_and_its_file_is_private(agent: Client, sandbox: SandboxState) -> None:
    result, _ = await paid_call(agent, "venice_image_generate", {"prompt": "a red fox"})
    assert not result.is_error, text_of(result)
    [link] = [b for b in result.content if b.type == "resource_link"]
    name = str(link.uri).rsplit("/", 1)[-1]
    assert len(name.rsplit(".", 1)[0].rsplit("-", 1)[-1]) == 32  # 128 random bits in the name
    assert len(settlements(sandbox)) == 1


async def test_the_same_authorization_is_refused_the_second_time(
    agent: Client, sandbox: SandboxState
) -> None:
    first, payment = await paid_call(agent)
    assert not first.is_error
    again = await agent.call_tool("venice_chat", CHAT, meta={"x402/payment": payment})
    required = payment_required(again)
    assert again.is_error and required is not None and "already used" in required["error"]
    assert len(settlements(sandbox)) == 1 and billable(sandbox).count("/chat/completions") == 1


async def test_concurrent_replays_of_one_authorization_run_one_call(
    agent: Client, sandbox: SandboxState
) -> None:
    payment = sign(await ask_price(agent))
    results: list[Any] = []

    async def one() -> None:
        results.append(await agent.call_tool("venice_chat", CHAT, meta={"x402/payment": payment}))

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(one)
    assert sorted(r.is_error for r in results) == [False, True, True, True, True]
    assert len(settlements(sandbox)) == 1 and billable(sandbox).count("/chat/completions") == 1


async def test_a_replay_after_a_restart_is_refused(
    charging: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with charging() as first_run:
        result, payment = await paid_call(first_run)
        assert not result.is_error
    async with charging() as second_run:  # the same home: a new process would see the same rows
        again = await second_run.call_tool("venice_chat", CHAT, meta={"x402/payment": payment})
    assert again.is_error and "already used" in (payment_required(again) or {}).get("error", "")
    assert len(settlements(sandbox)) == 1


async def test_a_call_that_fails_at_venice_settles_nothing(
    agent: Client, sandbox: SandboxState, settings: Any
) -> None:
    sandbox.faults.add("/chat/completions", status=500, times=10)
    result, _ = await paid_call(agent)
    assert result.is_error and payment_required(result) is None  # Venice's error, not a payment one
    assert settlements(sandbox) == []
    assert [r["state"] for r in await receipts(settings.home)] == ["voided"]


async def test_a_settlement_without_an_answer_is_resubmitted_and_settles_once(
    agent: Client, sandbox: SandboxState, settings: Any
) -> None:
    """The facilitator settles, then the answer is lost: the same payload goes again and the
    facilitator answers with the settlement it already made."""
    sandbox.faults.add("/facilitator/settle", drop=True, after=True)
    result, payment = await paid_call(agent)
    assert not result.is_error, text_of(result)
    [settled] = settlements(sandbox)
    assert (
        settled.submissions == 2
        and (result.meta or {})["x402/payment-response"]["transaction"] == settled.transaction
    )
    [row] = await receipts(settings.home)
    assert row["state"] == "settled" and row["submissions"] == 2
    assert json.loads(row["payload"]) == payment  # resubmitted as received, never re-signed


async def test_a_payer_without_funds_gets_nothing_and_pays_nothing(
    agent: Client, sandbox: SandboxState
) -> None:
    from eth_account import Account

    from tests.tools.charging_helpers import AGENT_KEY

    sandbox.facilitator.set_balance(Account.from_key(AGENT_KEY).address, 0.0)
    result, _ = await paid_call(agent)
    required = payment_required(result)
    assert result.is_error and required is not None and "insufficient_funds" in required["error"]
    assert settlements(sandbox) == [] and billable(sandbox).count("/chat/completions") == 0


async def test_paying_agents_share_a_daily_allowance_of_venice_credit(
    charging: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with charging(daily_venice_usd=0.0000001) as c:
        result, _ = await paid_call(c)
    assert result.is_error and "daily allowance" in text_of(result)
    assert settlements(sandbox) == [] and billable(sandbox).count("/chat/completions") == 0


async def test_jobs_are_reached_by_id_only(agent: Client) -> None:
    result = await agent.call_tool("venice_jobs", {})
    assert result.is_error and "job_id only" in text_of(result)


async def test_the_operator_sees_revenue_beside_venice_cost(
    charging: Callable[..., Client], make_client: Callable[..., Client]
) -> None:
    async with charging() as c:
        result, payment = await paid_call(c)
        assert not result.is_error
    async with make_client() as operator:  # the operator's own (stdio-like) server on the same home
        spending = await operator.call_tool("venice_spending", {})
    [row] = (spending.structured_content or {})["revenue"]
    assert row["tool"] == "venice_chat" and row["calls"] == 1
    assert row["received_usd"] == int(payment["accepted"]["amount"]) / 1e6
    assert "Paid by agents" in text_of(spending)


# -- upto: metered tools authorize a maximum and settle what Venice reported ---------------------


async def test_metered_tools_offer_upto_first_and_the_rest_only_exact(
    agent: Client, sandbox: SandboxState
) -> None:
    chat = await ask_price(agent)
    assert [a["scheme"] for a in chat["accepts"]] == ["upto", "exact"]
    upto, exact = chat["accepts"]
    assert upto["amount"] == exact["amount"] and upto["extra"]["facilitatorAddress"].startswith("0x")
    image = await ask_price(agent, "venice_image_generate", {"prompt": "a red fox"})
    assert [a["scheme"] for a in image["accepts"]] == ["exact"]


async def test_upto_settles_what_venice_reported_times_the_markup(
    charging: Callable[..., Client], sandbox: SandboxState, settings: Any
) -> None:
    async with charging(charge_markup=2.0, charge_min_usd=0.000001) as c:
        required = await ask_price(c)
        result = await c.call_tool("venice_chat", CHAT, meta={"x402/payment": sign_upto(required)})
    assert not result.is_error, text_of(result)
    async with state_db(settings.home) as db:
        [row] = await db.query("SELECT charge_usd FROM calls WHERE tool='venice_chat'")
    reported = row["charge_usd"]
    expected = math.ceil(round(reported * 2.0 * 1e6, 6))
    receipt = (result.meta or {})["x402/payment-response"]
    [settled] = settlements(sandbox)
    maximum = int(required["accepts"][0]["amount"])
    assert settled.amount == int(receipt["amount"]) == expected < maximum
    [row] = await receipts(settings.home)
    assert row["scheme"] == "upto" and row["state"] == "settled" and row["settle_amount"] == str(expected)


async def test_upto_for_another_facilitator_is_refused_before_anyone_is_asked(
    agent: Client, sandbox: SandboxState
) -> None:
    required = await ask_price(agent)
    payment = sign_upto(required, facilitator="0x" + "11" * 20)
    result = await agent.call_tool("venice_chat", CHAT, meta={"x402/payment": payment})
    assert result.is_error and "another facilitator" in (payment_required(result) or {}).get("error", "")
    assert [c for c in sandbox.facilitator.calls if c["route"] != "supported"] == []
    assert billable(sandbox).count("/chat/completions") == 0


async def test_a_settlement_left_unknown_is_resubmitted_at_the_next_start(
    charging: Callable[..., Client], sandbox: SandboxState, settings: Any
) -> None:
    """Every answer lost: the agent gets the payment error (no result given away unpaid), the row
    stays unknown, and the next server on this home resubmits the same payload before any call."""
    sandbox.faults.add("/facilitator/settle", drop=True, after=True, times=3)
    async with charging() as c:
        result, payment = await paid_call(c)
    required = payment_required(result)
    assert result.is_error and required is not None and "outcome unknown" in required["error"]
    assert [r["state"] for r in await receipts(settings.home)] == ["unknown"]
    async with charging() as restarted:
        await restarted.call_tool("venice_models", {"type": "text"})  # the first call builds the state
    [row] = await receipts(settings.home)
    assert row["state"] == "settled" and row["submissions"] == 4
    [settled] = settlements(sandbox)
    assert settled.submissions == 4 and json.loads(row["payload"]) == payment


async def test_the_operators_page_shows_revenue_beside_venice_cost(
    charging: Callable[..., Client], settings: Any
) -> None:
    from venice_mcp.dashboard.data import Store
    from venice_mcp.dashboard.render import page

    async with charging() as c:
        result, payment = await paid_call(c)
        assert not result.is_error
    store = Store(settings.with_changes(charge_pay_to=PAY_TO))
    try:
        snap = await store.read(show_prompts=False)
    finally:
        await store.aclose()
    [row] = snap.revenue or []
    assert row.tool == "venice_chat" and row.received_usd == int(payment["accepted"]["amount"]) / 1e6
    assert 0 < row.venice_cost_usd < row.received_usd  # the reported cost, below the bound paid
    assert "Revenue beside Venice cost" in page(snap, can_sign_out=False)

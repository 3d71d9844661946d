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

import pytest
from mcp import Client

from tests.tools.charging_helpers import OTHER_KEY, PAY_TO, USDC, payment_required, sign
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
    [offer] = required["accepts"]
    assert offer["scheme"] == "exact" and offer["network"] == "eip155:8453"
    assert offer["asset"] == USDC and offer["payTo"] == PAY_TO
    assert offer["extra"] == {"name": "USD Coin", "version": "2"}
    assert int(offer["amount"]) >= 1000  # VENICE_MCP_CHARGE_MIN_USD: $0.001
    assert billable(sandbox) == []


async def test_the_price_is_venices_times_the_markup_rounded_up(
    charging: Callable[..., Client], sandbox: SandboxState
) -> None:
    args = {"prompt": "a long answer please", "max_tokens": 4000}
    async with charging(charge_markup=1.0, charge_min_usd=0.000001) as c:
        base = int((await ask_price(c, args=args))["accepts"][0]["amount"])
    async with charging(charge_markup=2.5, charge_min_usd=0.000001) as c:
        marked = int((await ask_price(c, args=args))["accepts"][0]["amount"])
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

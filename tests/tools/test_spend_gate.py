"""The spend gate in front of paid tools: under the limit runs; over it, a person decides
(elicitation, in the handshake era and in 2026-07-28 alike) or the agent gets
confirmation_required and nothing is spent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import ElicitResult

from tests.backend import recorded_calls
from tests.tools.conftest import text_of, venice_requests
from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio

TINY = 0.0  # every priced call is "over the limit"


async def ledger_rows(home: Path) -> list[dict[str, Any]]:
    return await recorded_calls(home)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_under_the_limit_runs_and_reports_cost(
    make_client: Callable[..., Client], sandbox: SandboxState, mode: str, tmp_path: Path
) -> None:
    async with make_client(mode) as c:
        result = await c.call_tool("venice_chat", {"prompt": "hello"})
    assert not result.is_error and result.structured_content is not None
    assert result.structured_content["estimate_usd"] > 0 and result.structured_content["cost_usd"] > 0
    [row] = await ledger_rows(tmp_path / "home")
    assert row["tool"] == "venice_chat" and row["status"] == "ok" and row["charge_usd"] > 0
    assert row["request_id"] and row["request_id"].startswith("chatcmpl-")


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_over_the_limit_returns_confirmation_required_and_spends_nothing(
    make_client: Callable[..., Client], sandbox: SandboxState, mode: str, tmp_path: Path
) -> None:
    async with make_client(mode, max_call_usd=TINY) as c:
        result = await c.call_tool("venice_chat", {"prompt": "hello"})
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["status"] == "confirmation_required"
    assert result.structured_content["estimate_usd"] > TINY
    assert "confirm=true" in text_of(result) and "Nothing was spent" in text_of(result)
    assert venice_requests(sandbox, "/chat/completions") == []
    assert [r["status"] for r in await ledger_rows(tmp_path / "home")] == ["confirmation_required"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_confirm_true_runs_over_the_limit(
    make_client: Callable[..., Client], sandbox: SandboxState, mode: str
) -> None:
    async with make_client(mode, max_call_usd=TINY) as c:
        result = await c.call_tool("venice_chat", {"prompt": "hello", "confirm": True})
    assert not result.is_error and text_of(result).startswith("[sandbox]")
    assert len(venice_requests(sandbox, "/chat/completions")) == 1


ERAS = ["legacy", "2026-07-28"]


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize(("answer", "runs"), [(True, True), (False, False)])
async def test_elicitation_lets_the_person_decide(
    make_client: Callable[..., Client], sandbox: SandboxState, answer: bool, runs: bool, mode: str
) -> None:
    asked: list[str] = []

    async def person(_: Any, params: Any) -> ElicitResult:
        assert venice_requests(sandbox, "/chat/completions") == []  # nothing is sent before the answer
        asked.append(params.message)
        return ElicitResult(action="accept", content={"approve": answer})

    async with make_client(mode, elicitation_callback=person, max_call_usd=TINY) as c:
        result = await c.call_tool("venice_chat", {"prompt": "hello"})
    assert len(asked) == 1 and "VENICE_MCP_MAX_CALL_USD" in asked[0] and "venice_chat" in asked[0]
    assert len(venice_requests(sandbox, "/chat/completions")) == (1 if runs else 0)
    if runs:
        assert text_of(result).startswith("[sandbox]")
    else:
        assert result.structured_content is not None and result.structured_content["status"] == "declined"
        assert "Nothing was spent" in text_of(result)


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("action", ["cancel", "decline"])
async def test_dismissed_elicitation_spends_nothing(
    make_client: Callable[..., Client], sandbox: SandboxState, mode: str, action: str
) -> None:
    async def person(_: Any, __: Any) -> ElicitResult:
        return ElicitResult(action=action)  # type: ignore[arg-type]

    async with make_client(mode, elicitation_callback=person, max_call_usd=TINY) as c:
        result = await c.call_tool("venice_embeddings", {"input": "hello"})
    assert result.structured_content is not None and result.structured_content["status"] == "declined"
    assert venice_requests(sandbox, "/embeddings") == []


async def test_failed_paid_calls_are_recorded(
    make_client: Callable[..., Client], sandbox: SandboxState, tmp_path: Path
) -> None:
    async with make_client() as c:
        await c.call_tool("venice_chat", {"prompt": "hello", "character": "no-such-character-xyz"})
    [row] = await ledger_rows(tmp_path / "home")
    assert row["status"] == "error" and row["charge_usd"] is None


@pytest.mark.parametrize("mode", ERAS)
async def test_confirm_true_cannot_skip_a_person_who_can_be_asked(
    make_client: Callable[..., Client], sandbox: SandboxState, mode: str
) -> None:
    """confirm=true is the agent's word; when the host can ask the person, the person decides."""
    asked: list[str] = []

    async def person(_: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"approve": False})

    async with make_client(mode, elicitation_callback=person, max_call_usd=TINY) as c:
        result = await c.call_tool("venice_chat", {"prompt": "hello", "confirm": True})
    assert len(asked) == 1
    assert result.structured_content is not None and result.structured_content["status"] == "declined"
    assert venice_requests(sandbox, "/chat/completions") == []

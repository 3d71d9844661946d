"""In the 2026-07-28 protocol a person's answer to the spend gate travels back with a requestState
this server sealed. Nobody can forge, edit, transplant or skip it: each attempt is refused (or the
person is asked again) and nothing reaches Venice. Servers that share VENICE_MCP_STATE_KEY (several
workers) accept each other's state; a server with another key does not."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client, MCPError
from mcp.types import ElicitResult, InputRequiredResult

from tests.tools.conftest import venice_requests
from venice_mcp.config import Secret
from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio

MODERN = "2026-07-28"
CHAT = "/chat/completions"
ARGS = {"prompt": "hello"}
KEY_A = "a" * 64
KEY_B = "b" * 64


async def ask(client: Client, arguments: dict[str, Any] = ARGS) -> InputRequiredResult:
    """The first round of an over-the-limit call: the question and the sealed state."""
    first = await client.session.call_tool("venice_chat", arguments, allow_input_required=True)
    assert isinstance(first, InputRequiredResult), first
    assert first.request_state and first.input_requests and len(first.input_requests) == 1
    return first


def yes(first: InputRequiredResult) -> dict[str, Any]:
    [key] = first.input_requests or {}
    return {key: ElicitResult(action="accept", content={"approve": True})}


@pytest.fixture
def gated(make_client: Callable[..., Client]) -> Callable[..., Client]:
    async def person(_: Any, __: Any) -> ElicitResult:  # declares elicitation; never reached here
        raise AssertionError("driven by hand")

    def make(**changes: Any) -> Client:
        return make_client(MODERN, elicitation_callback=person, max_call_usd=0.0, **changes)

    return make


async def test_the_sealed_answer_runs_the_call_once(
    gated: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with gated() as c:
        first = await ask(c)
        assert venice_requests(sandbox, CHAT) == []
        result = await c.session.call_tool(
            "venice_chat", ARGS, input_responses=yes(first), request_state=first.request_state
        )
    assert not result.is_error and len(venice_requests(sandbox, CHAT)) == 1


async def test_a_plaintext_state_claiming_approval_is_refused(
    gated: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with gated() as c:
        first = await ask(c)
        [key] = first.input_requests or {}
        forged = json.dumps(
            {"v": 3, "outcomes": {key: {"action": "accept", "data": {"approve": True}}}, "asked": {}}
        )
        with pytest.raises(MCPError, match="Invalid or expired requestState"):
            await c.session.call_tool("venice_chat", ARGS, input_responses=yes(first), request_state=forged)
    assert venice_requests(sandbox, CHAT) == []


async def test_an_edited_state_is_refused(gated: Callable[..., Client], sandbox: SandboxState) -> None:
    async with gated() as c:
        first = await ask(c)
        state = first.request_state or ""
        edited = state[:-2] + ("A" if state[-2] != "A" else "B") + state[-1]
        with pytest.raises(MCPError, match="Invalid or expired requestState"):
            await c.session.call_tool("venice_chat", ARGS, input_responses=yes(first), request_state=edited)
    assert venice_requests(sandbox, CHAT) == []


async def test_an_answer_without_the_sealed_state_asks_again(
    gated: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with gated() as c:
        first = await ask(c)
        again = await c.session.call_tool(
            "venice_chat", ARGS, input_responses=yes(first), allow_input_required=True
        )
    assert isinstance(again, InputRequiredResult)
    assert venice_requests(sandbox, CHAT) == []


async def test_an_approval_cannot_move_to_other_arguments(
    gated: Callable[..., Client], sandbox: SandboxState
) -> None:
    """The person approved one call: its state does not run a different (e.g. larger) one."""
    async with gated() as c:
        first = await ask(c)
        bigger = {"prompt": "hello " * 1000}
        with pytest.raises(MCPError, match="Invalid or expired requestState"):
            await c.session.call_tool(
                "venice_chat", bigger, input_responses=yes(first), request_state=first.request_state
            )
    assert venice_requests(sandbox, CHAT) == []


async def test_workers_sharing_the_key_accept_each_others_state(
    gated: Callable[..., Client], sandbox: SandboxState, tmp_path: Any
) -> None:
    async with gated(state_key=Secret(KEY_A), home=tmp_path / "one") as one:
        first = await ask(one)
    async with gated(state_key=Secret(KEY_B), home=tmp_path / "other") as other:
        with pytest.raises(MCPError, match="Invalid or expired requestState"):
            await other.session.call_tool(
                "venice_chat", ARGS, input_responses=yes(first), request_state=first.request_state
            )
    assert venice_requests(sandbox, CHAT) == []
    async with gated(state_key=Secret(KEY_A), home=tmp_path / "two") as two:
        result = await two.session.call_tool(
            "venice_chat", ARGS, input_responses=yes(first), request_state=first.request_state
        )
    assert not result.is_error and len(venice_requests(sandbox, CHAT)) == 1


async def test_without_a_set_key_the_home_keeps_one(gated: Callable[..., Client], tmp_path: Any) -> None:
    """The key a restarted server finds in its home is the one it sealed with before."""
    async with gated() as c:
        first = await ask(c)
    key_file = tmp_path / "home" / "request-state.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    async with gated() as again:
        result = await again.session.call_tool(
            "venice_chat", ARGS, input_responses=yes(first), request_state=first.request_state
        )
    assert not result.is_error

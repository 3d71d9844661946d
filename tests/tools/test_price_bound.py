"""A chat, responses or embeddings price the gate cannot lose: feature suffixes are priced as the
base model, and the estimate is a bound the request itself makes true (a cap is sent with it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client

from tests.tools.conftest import text_of, venice_requests
from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio

BIG = "word " * 80_000  # ~125,000 tokens by the server's generous count


async def call(client: Client, tool: str, args: dict[str, Any]) -> Any:
    return await client.call_tool(tool, args)


# -- feature suffixes ----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ":enable_web_search=off", ":disable_thinking=true&character_slug=x"])
async def test_a_suffixed_chat_is_held_like_the_plain_model(
    client: Client, sandbox: SandboxState, suffix: str
) -> None:
    result = await call(client, "venice_chat", {"prompt": BIG, "model": f"claude-fable-5{suffix}"})
    data = result.structured_content
    assert data["status"] == "confirmation_required", text_of(result)
    assert data["estimate_usd"] > 1.5  # ~125k tokens at $15/1M (cache write) plus the output bound
    assert venice_requests(sandbox, "/chat/completions") == []


async def test_a_suffix_switching_web_search_on_is_priced_with_the_search(client: Client) -> None:
    plain = await call(client, "venice_chat", {"prompt": "hi", "model": "zai-org-glm-5-2", "max_tokens": 10})
    searched = await call(
        client,
        "venice_chat",
        {"prompt": "hi", "model": "zai-org-glm-5-2:enable_web_search=on", "max_tokens": 10},
    )
    assert not searched.is_error, text_of(searched)
    extra = searched.structured_content["estimate_usd"] - plain.structured_content["estimate_usd"]
    assert extra == pytest.approx(0.01)
    assert searched.structured_content["citations"]  # Venice read the suffix: it searched


async def test_a_suffixed_responses_call_is_priced_as_the_base_model(
    client: Client, sandbox: SandboxState
) -> None:
    result = await call(
        client, "venice_responses", {"input": BIG, "model": "claude-fable-5:enable_web_search=on"}
    )
    assert result.structured_content["status"] == "confirmation_required", text_of(result)
    assert venice_requests(sandbox, "/responses") == []


async def test_a_suffixed_embedding_is_priced_as_the_base_model(
    make_client: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with make_client(max_call_usd=0.0) as c:
        result = await c.call_tool("venice_embeddings", {"input": "hi", "model": "text-embedding-bge-m3:x=y"})
    assert result.structured_content["status"] == "confirmation_required", text_of(result)
    assert result.structured_content["estimate_usd"] > 0
    assert venice_requests(sandbox, "/embeddings") == []


# -- the bound and the cap that makes it true ----------------------------------------------------


async def test_without_max_tokens_an_expensive_model_runs_capped_at_what_the_limit_affords(
    client: Client, sandbox: SandboxState
) -> None:
    """$225 per 1M output tokens and 128,000 of them: $28.80 uncapped. Under a $0.50 limit the
    call runs on its own only with a cap that keeps it there."""
    result = await call(client, "venice_chat", {"prompt": "hello", "model": "openai-gpt-54-pro"})
    assert not result.is_error, text_of(result)
    cap = venice_requests(sandbox, "/chat/completions")[0].json["max_completion_tokens"]
    assert 2_000 < cap < 2_300  # (0.50 - input) / $225 per 1M
    data = result.structured_content
    assert data["max_tokens_sent"] == cap and data["estimate_usd"] <= 0.50
    assert data["cost_usd"] <= data["estimate_usd"]


async def test_a_cheap_model_is_sent_with_its_own_limit(client: Client, sandbox: SandboxState) -> None:
    result = await call(client, "venice_chat", {"prompt": "hello", "model": "qwen3-5-9b"})
    assert not result.is_error
    assert venice_requests(sandbox, "/chat/completions")[0].json["max_completion_tokens"] == 32_768
    assert "max_tokens_sent" not in result.structured_content  # not the limit's cap: nothing to say


async def test_the_reply_says_when_the_limits_cap_cut_it_short(
    make_client: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with make_client(max_call_usd=0.003) as c:
        result = await c.call_tool("venice_chat", {"prompt": "a" * 2_000, "thinking": "off"})
    assert not result.is_error, text_of(result)
    assert result.structured_content["finish_reason"] == "length"
    cap = result.structured_content["max_tokens_sent"]
    assert f"Stopped at {cap} output tokens, the cap the per-call spend limit allows" in text_of(result)


async def test_a_larger_max_tokens_needs_approval_like_any_call_above_the_limit(
    client: Client, sandbox: SandboxState
) -> None:
    result = await call(
        client, "venice_chat", {"prompt": "hello", "model": "openai-gpt-54-pro", "max_tokens": 100_000}
    )
    assert result.structured_content["status"] == "confirmation_required"
    assert "up to 100000 out (max_tokens) at $225/1M" in text_of(result)
    assert venice_requests(sandbox, "/chat/completions") == []


async def test_approved_above_the_limit_the_models_own_limit_is_the_cap(
    make_client: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with make_client(max_call_usd=0.0) as c:
        result = await c.call_tool("venice_chat", {"prompt": "hello", "model": "qwen3-5-9b", "confirm": True})
    assert not result.is_error
    assert venice_requests(sandbox, "/chat/completions")[0].json["max_completion_tokens"] == 32_768


async def test_responses_carry_the_cap_too(client: Client, sandbox: SandboxState) -> None:
    result = await call(client, "venice_responses", {"input": "hello", "model": "openai-gpt-54-pro"})
    assert not result.is_error, text_of(result)
    assert 2_000 < venice_requests(sandbox, "/responses")[0].json["max_output_tokens"] < 2_300


async def test_n_choices_multiply_the_output_bound(client: Client) -> None:
    one = await call(client, "venice_chat", {"prompt": "hi", "model": "qwen3-5-9b", "max_tokens": 1000})
    three = await call(
        client, "venice_chat", {"prompt": "hi", "model": "qwen3-5-9b", "max_tokens": 1000, "n": 3}
    )
    output = 1000 * 0.15 / 1e6
    gap = three.structured_content["estimate_usd"] - one.structured_content["estimate_usd"]
    assert gap == pytest.approx(2 * output)


async def test_a_video_venice_fetches_counts_as_the_whole_context(
    client: Client, sandbox: SandboxState, public_dns: None
) -> None:
    content = [
        {"type": "text", "text": "Summarise"},
        {"type": "video_url", "video_url": "https://vid.example/a.mp4"},
    ]
    result = await call(
        client,
        "venice_chat",
        {"messages": [{"role": "user", "content": content}], "model": "gemini-3-5-flash"},
    )
    assert result.structured_content["status"] == "confirmation_required"
    assert "the whole context in" in text_of(result)
    assert venice_requests(sandbox, "/chat/completions") == []

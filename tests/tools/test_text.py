"""venice_chat and venice_embeddings through an MCP client, against the sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from mcp import Client

from tests.tools.conftest import text_of, venice_requests
from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio


async def test_chat_replies_with_usage_and_cost(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_chat", {"prompt": "hello"})
    assert not result.is_error, text_of(result)
    text = text_of(result)
    assert text.startswith("[sandbox] ") and "hello" in text
    assert "model zai-org-glm-5-2" in text and "tokens" in text and "cost $" in text
    data = result.structured_content
    assert data is not None and data["usage"]["total_tokens"] > 0 and data["cost_usd"] > 0
    [sent] = venice_requests(sandbox, "/chat/completions")
    assert sent.json["model"] == "zai-org-glm-5-2"
    assert sent.json["messages"] == [{"role": "user", "content": "hello"}]


async def test_chat_sends_a_conversation_with_options(client: Client, sandbox: SandboxState) -> None:
    args = {
        "messages": [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "second"},
        ],
        "system": "Be brief.",
        "model": "default_code",
        "temperature": 0.2,
        "max_tokens": 64,
        "web_search": "auto",
    }
    result = await client.call_tool("venice_chat", args)
    assert not result.is_error, text_of(result)
    assert "second" in text_of(result)
    [sent] = venice_requests(sandbox, "/chat/completions")
    body = sent.json
    assert body["messages"][0] == {"role": "system", "content": "Be brief."} and len(body["messages"]) == 4
    assert body["model"] == "default_code" and body["temperature"] == 0.2
    assert body["max_completion_tokens"] == 64
    assert body["venice_parameters"] == {"enable_web_search": "auto"}


async def test_chat_json_schema_reply_is_parsed(client: Client) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
        "required": ["city", "population"],
        "additionalProperties": False,
    }
    result = await client.call_tool("venice_chat", {"prompt": "Largest city?", "response_schema": schema})
    assert not result.is_error, text_of(result)
    parsed = result.structured_content["json"]  # type: ignore[index]
    assert isinstance(parsed["city"], str) and isinstance(parsed["population"], int)


async def test_chat_needs_exactly_one_of_prompt_and_messages(client: Client, sandbox: SandboxState) -> None:
    both = await client.call_tool(
        "venice_chat", {"prompt": "a", "messages": [{"role": "user", "content": "b"}]}
    )
    neither = await client.call_tool("venice_chat", {})
    assert both.is_error and neither.is_error
    assert "exactly one of 'prompt'" in text_of(both)
    assert venice_requests(sandbox, "/chat/completions") == []


async def test_unknown_character_reaches_the_agent_with_venices_words(client: Client) -> None:
    result = await client.call_tool("venice_chat", {"prompt": "hi", "character": "no-such-character-xyz"})
    assert result.is_error
    assert "404" in text_of(result) and "No character could be found" in text_of(result)


async def test_unknown_model_is_a_404_with_next_step(client: Client) -> None:
    result = await client.call_tool("venice_chat", {"prompt": "hi", "model": "not-a-model"})
    assert result.is_error and "Specified model not found" in text_of(result)
    assert "venice_models" in text_of(result)


async def test_without_credentials_the_agent_learns_how_to_configure(
    make_client: Callable[..., Client], sandbox: SandboxState
) -> None:
    async with make_client(api_key=None) as c:
        result = await c.call_tool("venice_chat", {"prompt": "hi"})
    assert result.is_error
    assert "VENICE_API_KEY" in text_of(result) and "VENICE_WALLET_KEY" in text_of(result)
    assert sandbox.requests == []


async def test_429_then_success_is_retried_after_the_indicated_wait(
    client: Client, sandbox: SandboxState, waits: list[float]
) -> None:
    sandbox.faults.add(path="/chat/completions", status=429, retry_after=3, times=1)
    result = await client.call_tool("venice_chat", {"prompt": "hello"})
    assert not result.is_error, text_of(result)
    assert [r.status for r in venice_requests(sandbox, "/chat/completions")] == [429, 200]
    assert len(waits) == 1 and 3 <= waits[0] < 4


async def test_503_twice_then_success(client: Client, sandbox: SandboxState) -> None:
    sandbox.faults.add(path="/chat/completions", status=503, times=2)
    result = await client.call_tool("venice_chat", {"prompt": "hello"})
    assert not result.is_error, text_of(result)
    assert [r.status for r in venice_requests(sandbox, "/chat/completions")] == [503, 503, 200]


async def test_persistent_5xx_gives_up_with_venices_message(client: Client, sandbox: SandboxState) -> None:
    sandbox.faults.add(path="/chat/completions", status=500, times=10)
    result = await client.call_tool("venice_chat", {"prompt": "hello"})
    assert result.is_error and "500" in text_of(result)
    assert len(venice_requests(sandbox, "/chat/completions")) == 4


async def test_400_is_not_retried(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool(
        "venice_chat", {"messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}]}
    )
    assert result.is_error and "400" in text_of(result)
    assert len(venice_requests(sandbox, "/chat/completions")) == 1


async def test_single_embedding_comes_back_inline(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_embeddings", {"input": "hello world"})
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data is not None and data["count"] == 1 and data["dimensions"] > 0
    assert len(data["embeddings"][0]) == data["dimensions"]
    assert f"{data['dimensions']} dimensions" in text_of(result)
    [sent] = venice_requests(sandbox, "/embeddings")
    assert sent.json["model"] == "text-embedding-bge-m3"
    # Fetched as base64 (4 bytes a number), handed over as floats: the sandbox's vectors are unit length.
    assert sent.json["encoding_format"] == "base64"
    assert sum(x * x for x in data["embeddings"][0]) == pytest.approx(1.0, rel=1e-5)


async def test_many_embeddings_go_to_a_file_that_resolves(client: Client) -> None:
    texts = [f"text number {i}" for i in range(40)]
    result = await client.call_tool("venice_embeddings", {"input": texts})
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data is not None and "embeddings" not in data and data["count"] == 40
    links = [b for b in result.content if b.type == "resource_link"]
    assert len(links) == 1 and links[0].uri == data["file"]["uri"]
    read = await client.read_resource(links[0].uri)
    contents = read.contents[0]
    raw = contents.text if hasattr(contents, "text") else __import__("base64").b64decode(contents.blob)
    saved = json.loads(raw)
    assert len(saved["embeddings"]) == 40 and len(saved["embeddings"][0]) == data["dimensions"]


async def test_reading_a_missing_output_is_an_error(client: Client) -> None:
    with pytest.raises(Exception, match="No output named"):
        await client.read_resource("venice-mcp://outputs/nothing-here.json")


async def test_a_prompt_that_looks_like_json_is_still_a_prompt(client: Client) -> None:
    """Optional texts are never parsed as JSON: '[1, 2, 3]' is asked as is, not refused as a list."""
    result = await client.call_tool("venice_chat", {"prompt": "[1, 2, 3]", "system": '{"a": 1}'})
    assert not result.is_error, text_of(result)
    assert text_of(result).startswith("[sandbox] You said: [1, 2, 3]")

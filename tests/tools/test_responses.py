"""venice_responses and the model-catalog resources through an MCP client."""

from __future__ import annotations

import json

import pytest
from mcp import Client

from tests.tools.conftest import text_of, venice_requests
from venice_mcp.sandbox import SandboxState, spec

pytestmark = pytest.mark.anyio

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


async def test_text_reasoning_citations_and_usage(client: Client, sandbox: SandboxState) -> None:
    args = {
        "input": "Why is the sky blue?",
        "instructions": "Answer in one line.",
        "reasoning_effort": "high",
        "web_search": True,
        "max_output_tokens": 200,
        "temperature": 0.3,
    }
    result = await client.call_tool("venice_responses", args)
    assert not result.is_error, text_of(result)
    text = text_of(result)
    assert text.startswith("Reasoning summary: [sandbox] Considered the request with high effort.")
    assert "[sandbox] You said: Why is the sky blue?" in text
    assert "Sources: [1] Sandbox source 1 https://example.com/sandbox/1" in text
    assert "searched the web" in text and "tokens" in text
    data = result.structured_content or {}
    assert data["status"] == "completed" and data["usage"]["total_tokens"] > 0
    assert [c["url"] for c in data["citations"]] == [
        "https://example.com/sandbox/1",
        "https://example.com/sandbox/2",
    ]
    [sent] = venice_requests(sandbox, "/responses")
    spec.validate_body("/responses", sent.json)
    assert sent.json["input"] == [
        {"role": "developer", "content": "Answer in one line."},
        {"role": "user", "content": "Why is the sky blue?"},
    ]
    assert "instructions" not in sent.json
    assert sent.json["reasoning"] == {"effort": "high"} and sent.json["web_search"] is True
    assert sent.json["venice_parameters"] == {"enable_web_citations": True}


async def test_function_calls_round_trip(client: Client, sandbox: SandboxState) -> None:
    first = await client.call_tool(
        "venice_responses", {"input": "Weather in Paris?", "tools": [WEATHER], "tool_choice": "get_weather"}
    )
    assert not first.is_error, text_of(first)
    [call] = first.structured_content["function_calls"]  # type: ignore[index]
    assert call["name"] == "get_weather" and "city" in json.loads(call["arguments"])
    assert "function_call_output" in text_of(first)
    items = [
        {"role": "user", "content": "Weather in Paris?"},
        {"type": "function_call", **call},
        {"type": "function_call_output", "call_id": call["call_id"], "output": "18°C"},
    ]
    second = await client.call_tool("venice_responses", {"input": items, "tools": [WEATHER]})
    assert not second.is_error, text_of(second)
    sent = venice_requests(sandbox, "/responses")
    assert sent[0].json["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert sent[1].json["input"][2]["type"] == "function_call_output"


async def test_incomplete_reply_says_so(client: Client) -> None:
    result = await client.call_tool("venice_responses", {"input": "word " * 40, "max_output_tokens": 2})
    assert not result.is_error
    assert "incomplete (max_output_tokens): raise max_output_tokens for more" in text_of(result)


async def test_unsupported_effort_is_refused_before_spending(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_responses", {"input": "x", "reasoning_effort": "minimal"})
    assert result.is_error
    assert "zai-org-glm-5-2 takes reasoning_effort none, high, max, not minimal" in text_of(result)
    assert venice_requests(sandbox, "/responses") == []


async def test_empty_input_is_refused_before_any_request(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_responses", {"input": "  "})
    assert result.is_error and "'input' is empty" in text_of(result)
    assert venice_requests(sandbox, "/responses") == []


async def test_model_catalog_resources_by_type(client: Client, sandbox: SandboxState) -> None:
    templates = await client.list_resource_templates()
    assert "venice-mcp://models/{type}" in [t.uri_template for t in templates.resource_templates]
    read = await client.read_resource("venice-mcp://models/embedding")
    doc = json.loads(read.contents[0].text)  # type: ignore[union-attr]
    assert doc["type"] == "embedding" and doc["count"] == len(doc["models"]) > 0
    assert {"id", "name", "type", "price"} <= set(doc["models"][0])
    assert venice_requests(sandbox, "/models")[0].query == {"type": "embedding"}

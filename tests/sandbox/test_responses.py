"""Sandbox /responses: typed output items, usage, incomplete replies and refusals."""

from __future__ import annotations

import json

import httpx2
import pytest

pytestmark = pytest.mark.anyio


async def test_output_items_in_venice_order(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    body = {
        "model": "zai-org-glm-5-2",
        "input": [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        "reasoning": {"effort": "high"},
        "web_search": True,
        "venice_parameters": {"enable_web_citations": True},
    }
    r = await client.post("/responses", json=body, headers=key_headers)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["object"] == "response" and data["status"] == "completed" and data["id"].startswith("resp_")
    assert [o["type"] for o in data["output"]] == ["reasoning", "web_search_call", "message"]
    part = data["output"][-1]["content"][0]
    assert part["text"].startswith("[sandbox] You said: hi")
    cite = part["annotations"][0]
    assert part["text"][cite["start_index"] : cite["end_index"]] == "^1^"
    usage = data["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["output_tokens_details"]["reasoning_tokens"] > 0


async def test_function_call_only(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    body = {"model": "zai-org-glm-5-2", "input": "weather?", "tools": [tool], "tool_choice": "required"}
    r = await client.post("/responses", json=body, headers=key_headers)
    [call] = r.json()["output"]
    assert call["type"] == "function_call" and call["name"] == "get_weather"
    assert "city" in json.loads(call["arguments"])


async def test_incomplete_at_the_token_cap(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    body = {"model": "zai-org-glm-5-2", "input": "a long question " * 10, "max_output_tokens": 3}
    data = (await client.post("/responses", json=body, headers=key_headers)).json()
    assert data["status"] == "incomplete" and data["incomplete_details"] == {"reason": "max_output_tokens"}
    assert data["output"][-1]["status"] == "incomplete"


async def test_refusals(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    effort = await client.post(
        "/responses",
        json={"model": "zai-org-glm-5-2", "input": "x", "reasoning": {"effort": "low"}},
        headers=key_headers,
    )
    assert effort.status_code == 400 and "not supported" in effort.json()["error"]
    e2ee = await client.post("/responses", json={"model": "e2ee-glm-5-1", "input": "x"}, headers=key_headers)
    assert e2ee.status_code == 400 and "E2EE" in e2ee.json()["error"]
    missing = await client.post("/responses", json={"input": "x"}, headers=key_headers)
    assert missing.json() == {"error": "model is required"}
    bad = await client.post(
        "/responses", json={"model": "zai-org-glm-5-2", "input": "x", "temperature": 3}, headers=key_headers
    )
    assert bad.status_code == 400 and "temperature" in bad.json()["details"]

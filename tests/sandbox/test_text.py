"""Chat completions (plain, streamed, structured) and embeddings in Venice's wire shapes."""

from __future__ import annotations

import base64
import json
import math
import struct

import httpx2
import jsonschema
import pytest

pytestmark = pytest.mark.anyio


def chat(content: str = "hello", **extra: object) -> dict[str, object]:
    return {"model": "default", "messages": [{"role": "user", "content": content}], **extra}


async def test_chat_shape(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    response = await client.post("/chat/completions", json=chat(), headers=key_headers)
    body = response.json()
    assert body["id"].startswith("chatcmpl-")
    assert body["object"] == "chat.completion"
    assert isinstance(body["created"], int)
    choice = body["choices"][0]
    thinking = "[sandbox] Thinking about: hello"  # the default model reasons
    assert choice == {
        "index": 0,
        "finish_reason": "stop",
        "logprobs": None,
        "stop_reason": None,
        "message": {
            "role": "assistant",
            "content": "[sandbox] You said: hello",
            "reasoning_content": thinking,
        },
    }
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    reasoning = math.ceil(len(thinking) / 4)
    assert usage["completion_tokens"] == math.ceil(len("[sandbox] You said: hello") / 4) + reasoning
    assert usage["completion_tokens_details"] == {"reasoning_tokens": reasoning}
    assert usage["prompt_tokens_details"] == {"cached_tokens": 0, "cache_creation_input_tokens": 0}
    assert set(body["cost"]) == {"usd", "diem"}
    assert body["venice_parameters"]["enable_web_search"] == "off"
    assert body["venice_parameters"]["web_search_citations"] == []
    assert response.headers["x-venice-version"]
    assert response.headers["x-request-id"] == body["id"]
    for name in ("requests", "tokens"):
        for kind in ("limit", "remaining", "reset"):
            assert f"x-ratelimit-{kind}-{name}" in response.headers
    assert "x-ratelimit-remaining" in response.headers and "x-ratelimit-resets" in response.headers


async def test_reply_quotes_last_user_message(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    body = {
        "model": "default",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "text", "text": "second"}]},
        ],
    }
    response = await client.post("/chat/completions", json=body, headers=key_headers)
    assert response.json()["choices"][0]["message"]["content"] == "[sandbox] You said: second"


async def test_max_tokens_truncates(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    no_thinking = {"venice_parameters": {"disable_thinking": True}}
    for field in ("max_tokens", "max_completion_tokens"):
        response = await client.post(
            "/chat/completions", json=chat("a long message", **{field: 2}, **no_thinking), headers=key_headers
        )
        body = response.json()
        assert body["choices"][0]["finish_reason"] == "length"
        assert body["choices"][0]["message"]["content"] == "[sandbox"
        assert body["usage"]["completion_tokens"] == 2


async def test_json_schema_reply_validates(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "age": {"type": "integer", "minimum": 18},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "kind": {"enum": ["a", "b"]},
            "nested": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]},
        },
        "required": ["name", "age", "tags", "kind", "nested"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "strict": True, "schema": schema}}
    response = await client.post("/chat/completions", json=chat(response_format=fmt), headers=key_headers)
    assert response.status_code == 200, response.text
    document = json.loads(response.json()["choices"][0]["message"]["content"])
    jsonschema.validate(document, schema)


async def test_web_search_citations(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    for mode in ("on", "auto"):
        body = chat(venice_parameters={"enable_web_search": mode})
        params = (await client.post("/chat/completions", json=body, headers=key_headers)).json()[
            "venice_parameters"
        ]
        assert params["enable_web_search"] == mode
        assert params["web_search_citations"]
        assert all({"title", "url"} <= set(c) for c in params["web_search_citations"])


async def test_streaming(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    response = await client.post("/chat/completions", json=chat(stream=True), headers=key_headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [line.removeprefix("data: ") for line in response.text.split("\n\n") if line]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "[sandbox] You said: hello"
    finals = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finals[-1] == "stop"
    last = chunks[-1]
    assert last["choices"] == []
    assert last["usage"]["total_tokens"] > 0
    assert "usd" in last["cost"]


async def test_embeddings_float(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    body = {"model": "text-embedding-bge-m3", "input": ["one", "two"]}
    response = await client.post("/embeddings", json=body, headers=key_headers)
    data = response.json()
    assert data["object"] == "list"
    assert data["model"] == "text-embedding-bge-m3"
    assert [d["index"] for d in data["data"]] == [0, 1]
    vectors = [d["embedding"] for d in data["data"]]
    assert all(len(v) == 1024 for v in vectors)
    assert all(math.isclose(sum(x * x for x in v), 1.0, rel_tol=1e-9) for v in vectors)
    assert vectors[0] != vectors[1]
    again = (await client.post("/embeddings", json=body, headers=key_headers)).json()
    assert again["data"][0]["embedding"] == vectors[0]  # deterministic
    assert data["usage"] == {"prompt_tokens": 2, "total_tokens": 2}


async def test_embeddings_base64_and_dimensions(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    body = {"model": "text-embedding-3-small", "input": "hi", "encoding_format": "base64", "dimensions": 64}
    data = (await client.post("/embeddings", json=body, headers=key_headers)).json()
    raw = base64.b64decode(data["data"][0]["embedding"])
    values = struct.unpack("<64f", raw)
    assert math.isclose(sum(x * x for x in values), 1.0, rel_tol=1e-5)
    fixed = {"model": "text-embedding-bge-m3", "input": "hi", "dimensions": 64}  # no custom dimensions
    assert (
        len(
            (await client.post("/embeddings", json=fixed, headers=key_headers)).json()["data"][0]["embedding"]
        )
        == 1024
    )


async def test_embeddings_input_limits(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    async def status(inp: object) -> tuple[int, object]:
        body = {"model": "text-embedding-bge-m3", "input": inp, "encoding_format": "base64"}
        r = await client.post("/embeddings", json=body, headers=key_headers)
        return r.status_code, r.json()

    assert (await status(""))[0] == 400
    assert (await status([]))[0] == 400
    assert (await status(["x"] * 2049))[0] == 400
    assert (await status(["x"] * 2048))[0] == 200
    assert await status([1, 2, 3]) == (
        400,
        {"error": "Token array inputs are not supported. Pass a string or an array of strings."},
    )
    assert (
        await client.post(
            "/embeddings", json={"model": "text-embedding-ada-002", "input": "x"}, headers=key_headers
        )
    ).json()["model"] == "text-embedding-bge-m3"

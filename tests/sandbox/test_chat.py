"""The sandbox's /chat/completions answers the whole chat API the way Venice does: capability
gates, function calling, n choices, logprobs, reasoning, stop sequences, caching, add-ons and
Venice's response headers."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def chat(content: Any = "hello", **extra: Any) -> dict[str, Any]:
    return {"model": "default", "messages": [{"role": "user", "content": content}], **extra}


async def post(client: httpx2.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> httpx2.Response:
    return await client.post("/chat/completions", json=body, headers=headers)


IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
AUDIO = {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}
VIDEO = {"type": "video_url", "video_url": {"url": "https://www.youtube.com/watch?v=x"}}


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        (chat(logprobs=True), ["logprobs"], "does not support logprobs"),
        (chat(top_logprobs=2), ["top_logprobs"], "does not support logprobs"),
        (
            chat(model="grok-4-20-multi-agent", tools=[WEATHER]),
            ["tools"],
            "does not support function calling",
        ),
        (
            chat(model="openai-gpt-oss-120b", response_format={"type": "json_object"}),
            ["response_format"],
            "does not support structured responses",
        ),
        (
            chat([IMAGE], model="deepseek-v3.2"),
            ["messages", 0, "content", 0],
            "does not support image inputs",
        ),
        (chat([AUDIO]), ["messages", 0, "content", 0], "does not support audio inputs"),
        (chat([VIDEO]), ["messages", 0, "content", 0], "does not support video inputs"),
        (chat(max_completion_tokens=200_000), ["max_completion_tokens"], "at most 131072"),
        (chat(model="openai-gpt-52", seed=1), ["seed"], "seed is not supported by this model"),
        (chat(model="openai-gpt-52", n=2), ["n"], "n is not supported by this model"),
        (chat(model="openai-gpt-52", stop="x"), ["stop"], "stop is not supported by this model"),
        (
            chat(model="claude-fable-5", reasoning_effort="minimal"),
            ["reasoning_effort"],
            "'minimal' is not supported",
        ),
    ],
)
async def test_capability_gates_are_400s_naming_the_field(
    client: httpx2.AsyncClient,
    key_headers: dict[str, str],
    body: dict[str, Any],
    path: list[Any],
    message: str,
) -> None:
    response = await post(client, key_headers, body)
    assert response.status_code == 400
    [issue] = response.json()["issues"]
    assert issue["path"] == path and message in issue["message"]


async def test_openai_reasoning_models_take_minimal_and_none(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    for effort in ("minimal", "none"):
        response = await post(client, key_headers, chat(model="openai-gpt-52", reasoning_effort=effort))
        assert response.status_code == 200, response.text


async def test_a_tool_named_in_the_prompt_is_called_and_its_answer_used(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    first = (await post(client, key_headers, chat("use get_weather for Oslo", tools=[WEATHER]))).json()
    choice = first["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    [call] = choice["message"]["tool_calls"]
    assert call["function"] == {"name": "get_weather", "arguments": '{"city": "sandbox"}'}
    messages = [
        {"role": "user", "content": "use get_weather for Oslo"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "-3°C"},
    ]
    second = (
        await post(client, key_headers, {"model": "default", "messages": messages, "tools": [WEATHER]})
    ).json()
    assert second["choices"][0]["message"]["content"] == "[sandbox] get_weather returned: -3°C"
    assert second["choices"][0]["finish_reason"] == "stop"


async def test_auto_calls_no_tool_the_prompt_does_not_name(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    body = (await post(client, key_headers, chat("just chat", tools=[WEATHER]))).json()
    assert "tool_calls" not in body["choices"][0]["message"]
    none = (await post(client, key_headers, chat("get_weather", tools=[WEATHER], tool_choice="none"))).json()
    assert "tool_calls" not in none["choices"][0]["message"]


async def test_n_choices_logprobs_and_stop(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    body = chat("a b STOP c", model="qwen3-5-9b", n=3, logprobs=True, top_logprobs=2, stop=["STOP"])
    data = (await post(client, key_headers, body)).json()
    assert [c["index"] for c in data["choices"]] == [0, 1, 2]
    assert data["choices"][0]["message"]["content"] == "[sandbox] You said: a b "
    rows = data["choices"][0]["logprobs"]["content"]
    assert "".join(r["token"] for r in rows) == "[sandbox] You said: a b "
    assert all(len(r["top_logprobs"]) == 2 for r in rows)


async def test_reasoning_models_think_unless_told_not_to(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    async def reasoning(**extra: Any) -> Any:
        data = (await post(client, key_headers, chat(**extra))).json()
        return data["choices"][0]["message"]["reasoning_content"], data["usage"]["completion_tokens_details"]

    thought, details = await reasoning()
    assert thought == "[sandbox] Thinking about: hello" and details["reasoning_tokens"] > 0
    for off in (
        {"venice_parameters": {"disable_thinking": True}},
        {"venice_parameters": {"strip_thinking_response": True}},
        {"reasoning": {"enabled": False}},
        {"model": "zai-org-glm-5-2:disable_thinking=true"},
        {"model": "qwen3-coder-480b-a35b-instruct-turbo"},  # not a reasoning model
    ):
        assert (await reasoning(**off))[0] is None, off


async def test_a_repeated_prefix_under_one_cache_key_is_cached(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    system = {"role": "system", "content": "rules " * 100}
    first = {
        "model": "default",
        "messages": [system, {"role": "user", "content": "a"}],
        "prompt_cache_key": "k",
    }
    second = {**first, "messages": [system, {"role": "user", "content": "b"}]}
    other_key = {**second, "prompt_cache_key": "other"}
    usages = [(await post(client, key_headers, b)).json() for b in (first, second, other_key)]
    cached = [u["usage"]["prompt_tokens_details"]["cached_tokens"] for u in usages]
    assert cached[0] == 0 and cached[1] == 150 and cached[2] == 0
    assert usages[1]["cost"]["usd"] < usages[0]["cost"]["usd"]


async def test_web_search_scraping_and_x_search_are_billed_per_request(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    async def usd(**extra: Any) -> float:
        data = (
            await post(client, key_headers, chat("see https://a.example/1 and https://b.example/2", **extra))
        ).json()
        return float(data["cost"]["usd"])

    base = await usd()
    assert await usd(venice_parameters={"enable_web_search": "on"}) == pytest.approx(base + 0.01)
    assert await usd(venice_parameters={"enable_web_scraping": True}) == pytest.approx(base + 0.02)
    grok = await usd(model="grok-4-20")
    assert await usd(model="grok-4-20", venice_parameters={"enable_x_search": True}) == pytest.approx(
        grok + 0.01
    )
    assert await usd(venice_parameters={"enable_x_search": True}) == pytest.approx(base)  # ignored, as Venice


async def test_deprecated_models_carry_venices_headers(
    client: httpx2.AsyncClient, key_headers: dict[str, str], state: SandboxState
) -> None:
    scheduled = await client.post(
        "http://sandbox.test/_sandbox/deprecations",
        json={"model": "zai-org-glm-5-2", "date": "2027-01-15", "replacement": "kimi-k2-6"},
    )
    assert scheduled.status_code == 200
    headers = (await post(client, key_headers, chat())).headers
    assert headers["x-venice-deprecated"] == "true"
    assert headers["x-venice-model-deprecation-date"] == "2027-01-15"
    assert headers["x-venice-deprecated-replacement"] == "kimi-k2-6"
    assert "2027-01-15" in headers["x-venice-model-deprecation-warning"]
    other = (await post(client, key_headers, chat(model="qwen3-5-9b"))).headers
    assert "x-venice-deprecated" not in other


@pytest.mark.parametrize(
    "body",
    [
        chat(),
        chat("use get_weather", tools=[WEATHER]),
        chat("two", model="qwen3-5-9b", n=2, logprobs=True, top_logprobs=2),
        chat("news", venice_parameters={"enable_web_search": "on"}),
        chat(model="zai-org-glm-5-2:disable_thinking=true", max_completion_tokens=3),
    ],
)
async def test_replies_are_valid_against_the_spec(
    client: httpx2.AsyncClient, key_headers: dict[str, str], body: dict[str, Any]
) -> None:
    from venice_mcp.sandbox import spec

    response = await post(client, key_headers, body)
    assert response.status_code == 200, response.text
    assert spec.response_errors("/chat/completions", response.json(), method="post") == []

"""All of Venice's chat through venice_chat: function calling, sampling and Venice's switches,
local files in content parts, what comes back, and refusals before anything is spent."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mcp import Client

from tests.tools.conftest import text_of, venice_requests
from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio

WEATHER = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def sent(sandbox: SandboxState) -> dict[str, Any]:
    [request] = venice_requests(sandbox, "/chat/completions")
    body: dict[str, Any] = request.json
    return body


async def chat(client: Client, **args: Any) -> Any:
    result = await client.call_tool("venice_chat", args)
    assert not result.is_error, text_of(result)
    return result


# -- function calling ----------------------------------------------------------------------------


async def test_function_calling_round_trip_from_the_text_alone(client: Client, sandbox: SandboxState) -> None:
    """The model asks for a tool; the agent answers with a tool message built only from what the
    text said (older clients get no structured content); the model uses the answer."""
    question = "What is the weather in Paris? Use get_weather."
    first = await chat(client, prompt=question, tools=[WEATHER])
    text = text_of(first)
    assert re.search(r"- get_weather\(\{\"city\": \"sandbox\"\}\) id call_\w+", text)
    turn = json.loads(text.split("message per call: ", 1)[1].split("\n", 1)[0])
    assert turn["role"] == "assistant" and turn["tool_calls"][0]["function"]["name"] == "get_weather"
    assert first.structured_content["message"] == turn
    assert first.structured_content["finish_reason"] == "tool_calls"

    messages = [
        {"role": "user", "content": question},
        turn,
        {"role": "tool", "tool_call_id": turn["tool_calls"][0]["id"], "content": "18°C and sunny"},
    ]
    second = await chat(client, messages=messages, tools=[WEATHER])
    assert text_of(second).startswith("[sandbox] get_weather returned: 18°C and sunny")
    bodies = [r.json for r in venice_requests(sandbox, "/chat/completions")]
    assert bodies[0]["tools"] == [{"type": "function", "function": WEATHER}]
    assert bodies[1]["messages"][1] == {**turn, "content": None}
    assert bodies[1]["messages"][2]["role"] == "tool"


async def test_a_tool_answer_that_matches_no_call_is_venices_400(client: Client) -> None:
    messages = [
        {"role": "user", "content": "hi"},
        {"role": "tool", "tool_call_id": "call_nowhere", "content": "x"},
    ]
    result = await client.call_tool("venice_chat", {"messages": messages, "tools": [WEATHER]})
    assert result.is_error and "tool_call_id does not match" in text_of(result)


async def test_tool_forms_and_choices_reach_venice(client: Client, sandbox: SandboxState) -> None:
    anthropic = {"name": "lookup", "description": "Look up", "input_schema": {"type": "object"}}
    nested = {"type": "function", "function": WEATHER}
    await chat(
        client,
        prompt="call lookup",
        tools=[anthropic, nested],
        tool_choice="get_weather",
        options={"parallel_tool_calls": False},
    )
    body = sent(sandbox)
    assert body["tools"][0] == {
        "type": "function",
        "function": {"name": "lookup", "description": "Look up", "parameters": {"type": "object"}},
    }
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert body["parallel_tool_calls"] is False


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ({"tool_choice": "nope", "tools": [WEATHER]}, "tool_choice 'nope' is not a tool given"),
        ({"tools": [{"type": "web_search"}]}, "does nothing on Venice; use web_search"),
        ({"tools": [{"description": "no name"}]}, "tools[0]: expected"),
    ],
)
async def test_malformed_tools_are_refused_free(
    client: Client, sandbox: SandboxState, args: dict[str, Any], reason: str
) -> None:
    result = await client.call_tool("venice_chat", {"prompt": "hi", **args})
    assert result.is_error and reason in text_of(result)
    assert venice_requests(sandbox, "/chat/completions") == []


# -- every argument and option reaches the body --------------------------------------------------


async def test_sampling_options_and_switches_reach_the_body(client: Client, sandbox: SandboxState) -> None:
    options = {
        "top_p": 0.9,
        "top_k": 40,
        "min_p": 0.05,
        "min_temp": 0.2,
        "max_temp": 1.2,
        "seed": 7,
        "stop": ["END"],
        "stop_token_ids": [2],
        "frequency_penalty": 0.5,
        "presence_penalty": -0.5,
        "repetition_penalty": 1.1,
        "verbosity": "low",
        "reasoning": {"summary": "concise"},
        "prompt_cache_key": "session-1",
        "prompt_cache_retention": "24h",
        "fallbacks": [{"model": "claude-opus-5"}],
        "return_search_results_as_documents": True,
    }
    await chat(
        client,
        prompt="hello",
        n=2,
        web_scraping=True,
        venice_system_prompt=False,
        thinking="off",
        reasoning_effort="high",
        options=options,
    )
    body = sent(sandbox)
    for name, value in options.items():
        if name != "return_search_results_as_documents":
            assert body[name] == value, name
    assert body["n"] == 2 and body["reasoning_effort"] == "high"
    assert body["venice_parameters"] == {
        "enable_web_scraping": True,
        "include_venice_system_prompt": False,
        "disable_thinking": True,
        "return_search_results_as_documents": True,
    }


@pytest.mark.parametrize(
    ("thinking", "body_part"),
    [
        ("off", ("venice_parameters", {"disable_thinking": True})),
        ("hidden", ("venice_parameters", {"strip_thinking_response": True})),
        ("on", ("reasoning", {"enabled": True})),
    ],
)
async def test_thinking_switches(
    client: Client, sandbox: SandboxState, thinking: str, body_part: tuple[str, Any]
) -> None:
    result = await chat(client, prompt="hello", thinking=thinking)
    key, value = body_part
    assert sent(sandbox)[key] == value
    shown = "Reasoning: [sandbox] Thinking about: hello" in text_of(result)
    assert shown == (thinking == "on")
    assert ("reasoning" in result.structured_content) == (thinking == "on")


async def test_x_search_on_a_grok_model_is_priced_per_search(client: Client, sandbox: SandboxState) -> None:
    args = {"prompt": "news?", "model": "grok-4-20", "max_tokens": 100}
    plain = await chat(client, **args)
    searched = await chat(client, **args, options={"enable_x_search": True})
    assert venice_requests(sandbox, "/chat/completions")[1].json["venice_parameters"] == {
        "enable_x_search": True
    }
    extra = searched.structured_content["estimate_usd"] - plain.structured_content["estimate_usd"]
    assert extra == pytest.approx(0.01)
    assert searched.structured_content["cost_usd"] - plain.structured_content["cost_usd"] == pytest.approx(
        0.01
    )


async def test_n_choices_and_logprobs_are_all_shown(client: Client, sandbox: SandboxState) -> None:
    result = await chat(client, prompt="two words", model="qwen3-5-9b", n=2, logprobs=3, thinking="off")
    text = text_of(result)
    assert "Choice 1:\n[sandbox] You said: two words" in text
    assert "Choice 2:\n[sandbox] You said: two words (choice 2)" in text
    assert "Logprobs: '[sandbox] ' -0.00 ['[sandbox] ' -0.00, 'alt1' -1.00, 'alt2' -2.00]" in text
    data = result.structured_content
    assert len(data["choices"]) == 2 and data["logprobs"]["content"][0]["top_logprobs"][2]["token"] == "alt2"
    body = sent(sandbox)
    assert body["logprobs"] is True and body["top_logprobs"] == 3 and body["n"] == 2


async def test_logprobs_zero_asks_for_the_chosen_tokens_only(client: Client, sandbox: SandboxState) -> None:
    await chat(client, prompt="x", model="qwen3-5-9b", logprobs=0)
    body = sent(sandbox)
    assert body["logprobs"] is True and "top_logprobs" not in body


async def test_stop_sequence_cuts_the_reply(client: Client) -> None:
    result = await chat(client, prompt="one END two", options={"stop": "END"}, thinking="off")
    assert text_of(result).startswith("[sandbox] You said: one \n\n—")


# -- refused before anything is spent ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ({"logprobs": 2}, "zai-org-glm-5-2 does not take logprobs (supportsLogProbs is not set)"),
        (
            {"model": "grok-4-20-multi-agent", "tools": [WEATHER]},
            "does not take tools (function calling) (supportsFunctionCalling",
        ),
        (
            {"model": "openai-gpt-oss-120b", "response_schema": {"type": "object"}},
            "does not take a response schema (supportsResponseSchema",
        ),
        ({"options": {"enable_x_search": True}}, "does not take X search (supportsXSearch"),
        ({"model": "openai-gpt-52", "options": {"seed": 3}}, "OpenAI reasoning model: it does not take seed"),
        ({"model": "openai-gpt-52", "n": 2}, "it does not take n"),
        ({"max_tokens": 200_000}, "max_tokens 200000 is above zai-org-glm-5-2's limit of 131072"),
        ({"reasoning_effort": "low"}, "takes reasoning_effort none, high, max, not low"),
        ({"options": {"top_p": 3}}, "options.top_p must be a number from 0 to 1, not 3"),
        ({"options": {"topp": 1}}, "options.topp is not a Venice chat option; known: top_p"),
        ({"options": {"n": 2}}, "options.n: use the n argument instead"),
        ({"options": {"stop": ["a", "b", "c", "d", "e"]}}, "a string or 1 to 4 strings"),
    ],
)
async def test_what_the_model_cannot_take_is_refused_free(
    client: Client, sandbox: SandboxState, args: dict[str, Any], reason: str
) -> None:
    result = await client.call_tool("venice_chat", {"prompt": "hi", **args})
    assert result.is_error and reason in text_of(result), text_of(result)
    assert venice_requests(sandbox, "/chat/completions") == []


@pytest.mark.parametrize(
    ("messages", "reason"),
    [
        ([{"role": "robot", "content": "x"}], "role must be one of"),
        ([{"role": "user", "content": "x", "colour": "red"}], "unknown field(s) colour"),
        ([{"role": "assistant"}], "needs content or tool_calls"),
        ([{"role": "tool", "content": "x"}], "needs tool_call_id and content"),
        (
            [{"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": "x.png"}}]}],
            "only user messages may carry image_url parts",
        ),
        (
            [{"role": "user", "content": [{"type": "video_url", "video_url": {"url": "v.mp4"}}] * 4}],
            "has 4 video_url parts; Venice takes at most 3",
        ),
    ],
)
async def test_malformed_messages_are_refused_free(
    client: Client, sandbox: SandboxState, messages: list[dict[str, Any]], reason: str
) -> None:
    result = await client.call_tool("venice_chat", {"messages": messages})
    assert result.is_error and reason in text_of(result), text_of(result)
    assert venice_requests(sandbox, "/chat/completions") == []


# -- local files in content parts ----------------------------------------------------------------


def _png() -> bytes:
    from tests.tools.test_images import png

    return png(128, 128)


async def test_local_files_travel_inline_and_urls_pass_through(
    make_client: Callable[..., Client], sandbox: SandboxState, tmp_path: Path, public_dns: None
) -> None:
    (tmp_path / "cat.png").write_bytes(_png())
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 28
    (tmp_path / "voice.wav").write_bytes(wav)
    (tmp_path / "notes.txt").write_bytes(b"meeting at noon")
    (tmp_path / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 16)
    content = [
        {"type": "text", "text": "Describe all of these."},
        {"type": "image_url", "image_url": {"url": str(tmp_path / "cat.png")}},
        {"type": "image_url", "image_url": "https://img.example/dog.jpg"},
        {"type": "input_audio", "input_audio": {"data": str(tmp_path / "voice.wav")}},
        {"type": "video_url", "video_url": {"url": str(tmp_path / "clip.mp4")}},
        {"type": "file", "file": {"file_data": str(tmp_path / "notes.txt")}},
    ]
    async with make_client(input_roots=(tmp_path,)) as c:
        result = await c.call_tool(
            "venice_chat", {"messages": [{"role": "user", "content": content}], "model": "gemini-3-5-flash"}
        )
    assert not result.is_error, text_of(result)
    parts = sent(sandbox)["messages"][0]["content"]
    assert parts[1]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(_png()).decode()
    assert parts[2]["image_url"] == {"url": "https://img.example/dog.jpg"}
    assert parts[3]["input_audio"] == {"data": base64.b64encode(wav).decode(), "format": "wav"}
    assert parts[4]["video_url"]["url"].startswith("data:video/mp4;base64,")
    assert parts[5]["file"] == {
        "file_data": "data:text/plain;base64," + base64.b64encode(b"meeting at noon").decode(),
        "filename": "notes.txt",
    }


async def test_file_parts_are_confined_like_every_input(
    make_client: Callable[..., Client], sandbox: SandboxState, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.png"
    outside.write_bytes(_png())
    (tmp_path / "inside").mkdir()
    content = [{"type": "image_url", "image_url": {"url": str(outside)}}]
    async with make_client(input_roots=(tmp_path / "inside",)) as c:
        result = await c.call_tool("venice_chat", {"messages": [{"role": "user", "content": content}]})
    assert result.is_error and "outside the folders this server may read" in text_of(result)
    assert venice_requests(sandbox, "/chat/completions") == []


async def test_a_part_carrying_the_servers_secret_is_refused(client: Client, sandbox: SandboxState) -> None:
    secret = base64.b64encode(b"key VENICE_INFERENCE_KEY_sandbox").decode()
    content = [{"type": "file", "file": {"file_data": f"data:text/plain;base64,{secret}"}}]
    result = await client.call_tool("venice_chat", {"messages": [{"role": "user", "content": content}]})
    assert result.is_error and "this server's own secrets" in text_of(result)
    assert venice_requests(sandbox, "/chat/completions") == []


async def test_an_image_for_a_model_without_vision_is_refused_free(
    client: Client, sandbox: SandboxState
) -> None:
    content = [
        {
            "type": "image_url",
            "image_url": {"url": "data:image/png;base64," + base64.b64encode(_png()).decode()},
        }
    ]
    result = await client.call_tool(
        "venice_chat", {"messages": [{"role": "user", "content": content}], "model": "deepseek-v3.2"}
    )
    assert result.is_error and "does not take image parts (supportsVision" in text_of(result)
    assert venice_requests(sandbox, "/chat/completions") == []


# -- what comes back -----------------------------------------------------------------------------


async def test_reply_shows_tokens_cost_balance_and_sources(client: Client) -> None:
    result = await chat(client, prompt="search this", web_search="on")
    text = text_of(result)
    assert re.search(r"\d+ in / \d+ out \(\d+ reasoning\) tokens", text)
    assert "balance before this call $25.00, 90.5 DIEM" in text
    assert "Sources: [1] Sandbox result 1 for search this https://example.com/sandbox/1; [2]" in text
    data = result.structured_content
    assert data["balance"] == {"usd": 25.0, "diem": 90.5} and len(data["citations"]) == 2


async def test_cache_hits_are_counted_and_priced_at_the_cache_rate(
    client: Client, sandbox: SandboxState
) -> None:
    history = [
        {"role": "system", "content": "You are a careful assistant. " * 20},
        {"role": "user", "content": "first question"},
    ]
    options = {"prompt_cache_key": "conversation-7"}
    await chat(client, messages=history, options=options)
    again = await chat(client, messages=[*history, {"role": "user", "content": "second"}], options=options)
    assert re.search(r"\d+ in \(\d+ cached\)", text_of(again))
    assert again.structured_content["usage"]["prompt_tokens_details"]["cached_tokens"] > 100


async def test_a_deprecated_models_warning_reaches_the_agent(client: Client, sandbox: SandboxState) -> None:
    sandbox.deprecations["zai-org-glm-5-2"] = {"date": "2027-01-15", "replacement": "zai-org-glm-6"}
    result = await chat(client, prompt="hi")
    assert "warning: The model zai-org-glm-5-2 is deprecated and will be removed on 2027-01-15." in text_of(
        result
    )
    assert "zai-org-glm-6" in result.structured_content["deprecation"]


async def test_every_structured_result_holds_to_the_declared_output_schema(
    make_client: Callable[..., Client],
) -> None:
    async with make_client("legacy", max_call_usd=0.001) as c:
        [tool] = [t for t in (await c.list_tools()).tools if t.name == "venice_chat"]
        schema = tool.output_schema
        assert schema is not None and schema["properties"]["tool_calls"] == {"type": "array"}
        results = [
            await c.call_tool("venice_chat", {"prompt": "hi", "max_tokens": 50}),
            await c.call_tool(
                "venice_chat", {"prompt": "use get_weather", "tools": [WEATHER], "max_tokens": 50}
            ),
            await c.call_tool("venice_chat", {"prompt": "hi", "n": 2, "max_tokens": 50}),
            await c.call_tool("venice_chat", {"prompt": "hi", "model": "openai-gpt-54-pro"}),  # stopped
        ]
    assert results[3].structured_content["status"] == "confirmation_required"
    for result in results:
        assert not result.is_error, text_of(result)
        jsonschema.validate(result.structured_content, schema)


async def test_part_urls_venice_fetches_need_no_local_resolver(
    client: Client, sandbox: SandboxState, offline_dns: None
) -> None:
    content = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": "https://img.example/dog.jpg"},
    ]
    args = {"messages": [{"role": "user", "content": content}], "model": "qwen3-vl-235b-a22b"}
    result = await client.call_tool("venice_chat", args)
    assert not result.is_error, text_of(result)
    content[1] = {"type": "image_url", "image_url": "http://[::ffff:7f00:1]/dog.jpg"}
    refused = await client.call_tool("venice_chat", args)
    assert refused.is_error and "not a public address" in text_of(refused)

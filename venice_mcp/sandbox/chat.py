"""POST /chat/completions: deterministic replies in Venice's wire shapes.

What a caller can rely on, as with Venice: reasoning models return ``reasoning_content`` unless
thinking is disabled or stripped; with ``tools`` the model calls one when ``tool_choice`` requires
it, names it, or (on ``auto``) when the last user message mentions the function by name, and after
a ``tool`` message it answers from the tool's result; ``n`` choices; ``logprobs``; ``stop``
sequences; prompt caching per ``prompt_cache_key`` (a repeated conversation prefix is read from
the cache at the cache price); web search, scraping and X search billed per request.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response, StreamingResponse

from venice_mcp.sandbox import catalog, chat_rules, spec
from venice_mcp.sandbox.characters import SLUGS as CHARACTERS
from venice_mcp.sandbox.context import Context, new_id
from venice_mcp.sandbox.errors import detailed_error, error
from venice_mcp.sandbox.schema_instance import minimal_instance

_VENICE_DEFAULTS: dict[str, Any] = {
    "enable_e2ee": False,
    "enable_web_search": "off",
    "enable_web_citations": False,
    "enable_web_scraping": False,
    "include_venice_system_prompt": True,
    "include_search_results_in_stream": False,
    "return_search_results_as_documents": False,
    "strip_thinking_response": False,
    "disable_thinking": False,
}
_SUFFIX_BOOLS = {"true": True, "false": False}
_ADD_ON_USD = 0.01  # per search-augmented request, per scraped URL, per X search
_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def tokens(text: str) -> int:
    """The sandbox's token count for text: four characters a token."""
    return math.ceil(len(text) / 4)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _compat_rewrites(body: dict[str, Any]) -> dict[str, Any]:
    """Venice's OpenAI-compatibility rewrites, applied before validation (venice-api.md §3.1)."""
    body = dict(body)
    for old, new in (
        ("input", "messages"),
        ("max_output_tokens", "max_tokens"),
        ("promptCacheKey", "prompt_cache_key"),
    ):
        if old in body and new not in body:
            body[new] = body.pop(old)
    if isinstance(body.get("web_search"), bool):
        params = dict(body.get("venice_parameters") or {})
        params.setdefault("enable_web_search", "on" if body.pop("web_search") else "off")
        body["venice_parameters"] = params
    body.pop("include", None)
    body.pop("metadata", None)
    return body


def _split_suffix(name: str) -> tuple[str, dict[str, Any]]:
    """``id:key=val&key=val`` feature suffix → (id, venice_parameters overrides)."""
    model, sep, suffix = name.partition(":")
    params: dict[str, Any] = {}
    if sep:
        for pair in suffix.split("&"):
            key, _, value = pair.partition("=")
            if key in _VENICE_DEFAULTS or key == "character_slug":
                params[key] = _SUFFIX_BOOLS.get(value.lower(), value)
    return model, params


def _answered_calls(messages: list[dict[str, Any]]) -> dict[str, str]:
    """Every tool message must answer a tool call of an earlier assistant turn (else 400, as the
    providers behind Venice answer); returns call id → function name."""
    calls: dict[str, str] = {}
    issues = []
    for i, message in enumerate(messages):
        if message.get("role") == "assistant":
            for call in message.get("tool_calls") or []:
                if isinstance(call, dict) and isinstance(call.get("id"), str):
                    calls[call["id"]] = str((call.get("function") or {}).get("name"))
        elif message.get("role") == "tool" and message.get("tool_call_id") not in calls:
            issues.append(
                {
                    "code": "custom",
                    "path": ["messages", i, "tool_call_id"],
                    "message": "tool_call_id does not match a tool call of an earlier assistant message",
                }
            )
    if issues:
        raise detailed_error(issues)
    return calls


def _tool_calls(body: dict[str, Any], said: str, last_role: str | None) -> list[dict[str, Any]]:
    tools = [
        t["function"] for t in body.get("tools") or [] if t.get("type") == "function" and t.get("function")
    ]
    choice = body.get("tool_choice", "auto")
    if not tools or choice == "none":
        return []
    wanted = (choice.get("function") or {}).get("name") if isinstance(choice, dict) else None
    if wanted:
        chosen = [t for t in tools if t["name"] == wanted][:1]
    elif last_role == "tool" and choice != "required":
        return []  # the model answers from the tool's result
    else:
        chosen = [t for t in tools if re.search(rf"\b{re.escape(t['name'])}\b", said)]
        if body.get("parallel_tool_calls") is False:
            chosen = chosen[:1]
        if choice == "required" and not chosen:
            chosen = tools[:1]
    return [
        {
            "id": new_id("call_"),
            "type": "function",
            "function": {
                "name": t["name"],
                "arguments": json.dumps(minimal_instance(t.get("parameters") or {"type": "object"}) or {}),
            },
        }
        for t in chosen
    ]


def _content(body: dict[str, Any], model_id: str, said: str, answered: dict[str, str]) -> str:
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        holder = fmt.get("json_schema") or {}
        schema = holder.get("schema", holder) if isinstance(holder, dict) else {}
        return json.dumps(minimal_instance(schema))
    if fmt.get("type") == "json_object":
        return json.dumps({"sandbox": True, "model": model_id, "you_said": said})
    last = body["messages"][-1]
    if last.get("role") == "tool":
        name = answered.get(str(last.get("tool_call_id")), "the tool")
        return f"[sandbox] {name} returned: {_text_of(last.get('content'))[:500]}"
    return f"[sandbox] You said: {said}"


def _thinks(body: dict[str, Any], model: dict[str, Any], params: dict[str, Any]) -> bool:
    caps = model.get("model_spec", {}).get("capabilities", {})
    effort = body.get("reasoning_effort") or (body.get("reasoning") or {}).get("effort")
    return (
        caps.get("supportsReasoning") is True
        and not params.get("disable_thinking")
        and not params.get("strip_thinking_response")
        and (body.get("reasoning") or {}).get("enabled") is not False
        and effort != "none"
    )


def _logprobs(text: str, top: int) -> dict[str, Any]:
    """The spec describes ``choices[].logprobs`` as one token object; OpenAI-compatible clients
    read ``content[]``, one per token. Both are sent: the first token's fields, and every token."""
    rows = []
    for i, token in enumerate(re.findall(r"\S+\s*", text)):
        logprob = -round(0.05 * (i % 7), 4)
        alternatives = [{"token": token, "logprob": logprob, "bytes": list(token.encode())}]
        alternatives += [
            {"token": f"alt{j}", "logprob": logprob - j, "bytes": list(f"alt{j}".encode())}
            for j in range(1, top)
        ]
        rows.append(
            {
                "token": token,
                "logprob": logprob,
                "bytes": list(token.encode()),
                "top_logprobs": alternatives[:top],
            }
        )
    first = rows[0] if rows else {"token": "", "logprob": 0.0, "bytes": [], "top_logprobs": []}
    return {**first, "content": rows}


@dataclass
class _Choice:
    content: str
    reasoning: str | None
    tool_calls: list[dict[str, Any]]
    finish: str

    def completion_tokens(self) -> int:
        calls = sum(tokens(c["function"]["arguments"]) for c in self.tool_calls)
        return tokens(self.content) + tokens(self.reasoning or "") + calls


def _choice(
    body: dict[str, Any], index: int, base: str, reasoning: str | None, calls: list[dict[str, Any]]
) -> _Choice:
    content = "" if calls else base + (f" (choice {index + 1})" if index else "")
    finish = "tool_calls" if calls else "stop"
    stops = body.get("stop")
    for stop in [stops] if isinstance(stops, str) else stops or []:
        if stop and stop in content:
            content = content[: content.index(stop)]
    limit = body.get("max_completion_tokens") or max(body.get("max_tokens") or 0, 0)
    if limit:
        thinking = tokens(reasoning or "")
        if thinking >= limit:
            reasoning, content, calls, finish = (reasoning or "")[: limit * 4], "", [], "length"
        elif tokens(content) > limit - thinking:
            content, finish = content[: (limit - thinking) * 4], "length"
    return _Choice(content, reasoning, calls, finish)


def _cached_tokens(ctx: Context, body: dict[str, Any], model: dict[str, Any]) -> int:
    """Tokens of the longest run of leading messages the same cache key saw last time."""
    if "cache_input" not in model.get("model_spec", {}).get("pricing", {}):
        return 0
    key = body.get("prompt_cache_key") or ctx.caller.wallet or ctx.caller.key_type or "anonymous"
    seen = ctx.state.prompt_cache.get(f"{model['id']}|{key}", [])
    now = [json.dumps(m, sort_keys=True) for m in body["messages"]]
    ctx.state.prompt_cache[f"{model['id']}|{key}"] = now
    cached = 0
    for before, message in zip(seen, body["messages"][:-1], strict=False):
        if before != json.dumps(message, sort_keys=True):
            break
        cached += tokens(_text_of(message.get("content")))
    return cached


def _add_ons(body: dict[str, Any], model: dict[str, Any], params: dict[str, Any], said: str) -> float:
    caps = model.get("model_spec", {}).get("capabilities", {})
    usd = 0.0
    urls = len(set(_URL.findall(said))) if params.get("enable_web_scraping") else 0
    if urls:
        usd += urls * _ADD_ON_USD
    elif params.get("enable_web_search") in ("on", "auto"):
        usd += _ADD_ON_USD
    if params.get("enable_x_search") is True and caps.get("supportsXSearch") is True:
        usd += _ADD_ON_USD
    return usd


def _prices(model: dict[str, Any], context_tokens: int) -> dict[str, float]:
    pricing = dict(model.get("model_spec", {}).get("pricing", {}))
    extended = pricing.get("extended")
    if isinstance(extended, dict) and context_tokens > extended.get("context_token_threshold", math.inf):
        pricing.update(extended)
    return {
        k: catalog.price({"model_spec": {"pricing": pricing}}, k) for k in ("input", "output", "cache_input")
    }


def _citations(query: str) -> list[dict[str, Any]]:
    return [
        {
            "title": f"Sandbox result {i} for {query[:60]}",
            "url": f"https://example.com/sandbox/{i}",
            "content": "Deterministic sandbox search result.",
            "date": "2026-01-01",
        }
        for i in (1, 2)
    ]


async def chat_completions(ctx: Context) -> Response:
    catalog.require_model(ctx.body)
    body = _compat_rewrites(ctx.body) if isinstance(ctx.body, dict) else ctx.body
    spec.validate_body("/chat/completions", body)
    name, overrides = _split_suffix(body["model"])
    model = catalog.resolve({"model": name}, "text")
    params = {**(body.get("venice_parameters") or {}), **overrides}
    chat_rules.check(body, model)
    slug = params.get("character_slug")
    if slug is not None and slug not in CHARACTERS:
        raise error(404, "No character could be found from the provided character_slug")
    answered = _answered_calls(body["messages"])
    ctx.deprecation(model)

    last_user = next((m for m in reversed(body["messages"]) if m.get("role") == "user"), None)
    said = _text_of(last_user.get("content")) if last_user else ""
    calls = _tool_calls(body, said, body["messages"][-1].get("role"))
    base = _content(body, model["id"], said, answered)
    reasoning = f"[sandbox] Thinking about: {said[:80]}" if _thinks(body, model, params) else None
    choices = [
        _choice(body, i, base, reasoning, [dict(c, id=new_id("call_")) for c in calls] if i else calls)
        for i in range(body.get("n") or 1)
    ]

    prompt_tokens = sum(tokens(_text_of(m.get("content"))) for m in body["messages"]) or 1
    prompt_tokens += tokens(json.dumps(body["tools"])) if body.get("tools") else 0
    cached = _cached_tokens(ctx, body, model)
    completion_tokens = sum(c.completion_tokens() for c in choices)
    reasoning_tokens = sum(tokens(c.reasoning or "") for c in choices)
    price = _prices(model, prompt_tokens + completion_tokens)
    usd = round(
        (
            (prompt_tokens - cached) * price["input"]
            + cached * price["cache_input"]
            + completion_tokens * price["output"]
        )
        / 1e6
        + _add_ons(body, model, params, said),
        10,
    )
    venice_params = {k: params.get(k, v) for k, v in _VENICE_DEFAULTS.items()}
    if slug is not None:
        venice_params["character_slug"] = slug
    search = venice_params["enable_web_search"] in ("on", "auto")
    venice_params["web_search_citations"] = _citations(said) if search else []

    rid = new_id("chatcmpl-")
    created = int(time.time())
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": cached, "cache_creation_input_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
    }
    cost = {"usd": usd, "diem": 0}
    ctx.tokens_used = prompt_tokens + completion_tokens
    ctx.headers["x-request-id"] = rid

    if body.get("stream"):
        first = choices[0]
        return StreamingResponse(
            _stream(ctx, rid, created, model["id"], first, usage, cost, venice_params),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache"},
        )
    ctx.charge(usd, request_id=rid, model_id=model["id"])
    top = body.get("top_logprobs") or 0
    return JSONResponse(
        {
            "id": rid,
            "object": "chat.completion",
            "created": created,
            "model": model["id"],
            "choices": [
                {
                    "index": i,
                    "finish_reason": c.finish,
                    "message": {
                        "role": "assistant",
                        "content": c.content or None,
                        "reasoning_content": c.reasoning,
                        **({"tool_calls": c.tool_calls} if c.tool_calls else {}),
                    },
                    "logprobs": _logprobs(c.content, top) if body.get("logprobs") else None,
                    "stop_reason": None,
                }
                for i, c in enumerate(choices)
            ],
            "usage": usage,
            "cost": cost,
            "prompt_logprobs": None,
            "venice_parameters": venice_params,
        }
    )


async def _stream(
    ctx: Context,
    rid: str,
    created: int,
    model_id: str,
    choice: _Choice,
    usage: dict[str, Any],
    cost: dict[str, Any],
    venice_params: dict[str, Any],
) -> AsyncIterator[str]:
    def chunk(choices: list[dict[str, Any]], **extra: Any) -> str:
        obj = {
            "id": rid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model_id,
            "choices": choices,
            **extra,
        }
        return f"data: {json.dumps(obj)}\n\n"

    # Citations arrive with the first chunk of a stream.
    yield chunk(
        [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
        venice_parameters=venice_params,
    )
    if choice.reasoning:
        yield chunk([{"index": 0, "delta": {"reasoning_content": choice.reasoning}, "finish_reason": None}])
    content = choice.content
    for piece in [content[i : i + 16] for i in range(0, len(content), 16)]:
        yield chunk([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
    if choice.tool_calls:
        calls = [{"index": i, **c} for i, c in enumerate(choice.tool_calls)]
        yield chunk([{"index": 0, "delta": {"tool_calls": calls}, "finish_reason": None}])
    yield chunk([{"index": 0, "delta": {}, "finish_reason": choice.finish}])
    yield chunk([], usage=usage, cost=cost)
    ctx.charge(cost["usd"], request_id=rid, model_id=model_id)
    yield "data: [DONE]\n\n"

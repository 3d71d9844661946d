"""POST /chat/completions and POST /embeddings: deterministic replies in Venice's wire shapes."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import struct
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import JSONResponse, Response, StreamingResponse

from venice_mcp.sandbox import catalog, spec
from venice_mcp.sandbox.characters import SLUGS as CHARACTERS
from venice_mcp.sandbox.context import Context, new_id
from venice_mcp.sandbox.errors import error
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


def tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _require_model(body: Any) -> None:
    if isinstance(body, dict):
        if body.get("model") is None:
            raise error(400, "model is required")
        if not isinstance(body["model"], str):
            raise error(400, "model must be a string")


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


def _reply(body: dict[str, Any], model_id: str) -> tuple[str, list[dict[str, Any]] | None]:
    """Reply content (or tool calls): deterministic, starting with ``[sandbox] `` for plain text."""
    choice = body.get("tool_choice")
    tools = [t for t in body.get("tools") or [] if t.get("type") == "function"]
    wanted = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
    if tools and (choice == "required" or wanted):
        tool = next((t for t in tools if t["function"]["name"] == wanted), tools[0])
        args = minimal_instance(tool["function"].get("parameters") or {"type": "object"}) or {}
        call = {
            "id": new_id("call_"),
            "type": "function",
            "function": {"name": tool["function"]["name"], "arguments": json.dumps(args)},
        }
        return "", [call]
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        holder = fmt.get("json_schema") or {}
        schema = holder.get("schema", holder) if isinstance(holder, dict) else {}
        return json.dumps(minimal_instance(schema)), None
    last = next((m for m in reversed(body["messages"]) if m.get("role") == "user"), None)
    said = _text_of(last.get("content")) if last else ""
    if fmt.get("type") == "json_object":
        return json.dumps({"sandbox": True, "model": model_id, "you_said": said}), None
    return f"[sandbox] You said: {said}", None


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
    _require_model(ctx.body)
    body = _compat_rewrites(ctx.body) if isinstance(ctx.body, dict) else ctx.body
    spec.validate_body("/chat/completions", body)
    name, overrides = _split_suffix(body["model"])
    model = catalog.resolve({"model": name}, "text")
    params = {**(body.get("venice_parameters") or {}), **overrides}
    slug = params.get("character_slug")
    if slug is not None and slug not in CHARACTERS:
        raise error(404, "No character could be found from the provided character_slug")

    content, tool_calls = _reply(body, model["id"])
    finish = "tool_calls" if tool_calls else "stop"
    limit = body.get("max_completion_tokens") or (body.get("max_tokens") or 0)
    if limit > 0 and tokens(content) > limit:
        content, finish = content[: limit * 4], "length"
    prompt_tokens = sum(tokens(_text_of(m.get("content"))) for m in body["messages"]) or 1
    completion_tokens = tokens(content) + sum(tokens(c["function"]["arguments"]) for c in tool_calls or [])
    usd = round(
        prompt_tokens * catalog.price(model, "input") / 1e6
        + completion_tokens * catalog.price(model, "output") / 1e6,
        10,
    )
    venice_params = {k: params.get(k, v) for k, v in _VENICE_DEFAULTS.items()}
    if slug is not None:
        venice_params["character_slug"] = slug
    search = venice_params["enable_web_search"] in ("on", "auto")
    venice_params["web_search_citations"] = _citations(content) if search else []

    rid = new_id("chatcmpl-")
    created = int(time.time())
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "cache_creation_input_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }
    cost = {"usd": usd, "diem": 0}
    ctx.tokens_used = prompt_tokens + completion_tokens
    ctx.headers["x-request-id"] = rid

    if body.get("stream"):
        return StreamingResponse(
            _stream(ctx, rid, created, model["id"], content, tool_calls, finish, usage, cost, venice_params),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache"},
        )
    message: dict[str, Any] = {"role": "assistant", "content": content or None, "reasoning_content": None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    ctx.charge(usd, request_id=rid, model_id=model["id"])
    return JSONResponse(
        {
            "id": rid,
            "object": "chat.completion",
            "created": created,
            "model": model["id"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": finish,
                    "message": message,
                    "logprobs": None,
                    "stop_reason": None,
                }
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
    content: str,
    tool_calls: list[dict[str, Any]] | None,
    finish: str,
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
    pieces = [content[i : i + 16] for i in range(0, len(content), 16)]
    for piece in pieces:
        yield chunk([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
    if tool_calls:
        calls = [{"index": i, **c} for i, c in enumerate(tool_calls)]
        yield chunk([{"index": 0, "delta": {"tool_calls": calls}, "finish_reason": None}])
    yield chunk([{"index": 0, "delta": {}, "finish_reason": finish}])
    yield chunk([], usage=usage, cost=cost)
    ctx.charge(cost["usd"], request_id=rid, model_id=model_id)
    yield "data: [DONE]\n\n"


def _vector(model_id: str, text: str, dims: int) -> list[float]:
    """A deterministic pseudo-random unit vector per (model, text); uniform components from seeded
    bytes keep 2048 inputs × 4096 dims fast enough."""
    seed = int.from_bytes(hashlib.sha256(f"{model_id}\0{text}".encode()).digest()[:8], "big")
    raw = struct.unpack(f"<{dims}i", random.Random(seed).randbytes(4 * dims))
    norm = math.hypot(*raw) or 1.0
    return [x / norm for x in raw]


async def embeddings(ctx: Context) -> Response:
    _require_model(ctx.body)
    body = ctx.body
    if (
        isinstance(body, dict)
        and isinstance(body.get("input"), list)
        and any(isinstance(x, (int, list)) and not isinstance(x, bool) for x in body["input"])
    ):
        raise error(400, "Token array inputs are not supported. Pass a string or an array of strings.")
    spec.validate_body("/embeddings", body)
    model = catalog.resolve(body, "embedding")
    inputs = [body["input"]] if isinstance(body["input"], str) else list(body["input"])
    if any(math.ceil(len(t) / 3.2 * 0.95) > 8192 for t in inputs):
        raise error(400, "Input text exceeds the maximum token limit of 8192 tokens")
    model_spec = model.get("model_spec", {})
    dims = int(model_spec.get("embeddingDimensions") or 1024)
    if body.get("dimensions") and model_spec.get("supportsCustomDimensions"):
        dims = min(int(body["dimensions"]), dims)
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for i, text in enumerate(inputs):
        vec = _vector(model["id"], text, dims)
        emb: Any = base64.b64encode(struct.pack(f"<{dims}f", *vec)).decode() if as_base64 else vec
        data.append({"object": "embedding", "index": i, "embedding": emb})
    prompt_tokens = sum(tokens(t) for t in inputs)
    ctx.tokens_used = prompt_tokens
    rid = new_id("emb-")
    ctx.charge(prompt_tokens * catalog.price(model, "input") / 1e6, request_id=rid, model_id=model["id"])
    return JSONResponse(
        {
            "object": "list",
            "model": model["id"],
            "data": data,
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
        }
    )

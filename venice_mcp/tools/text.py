"""Text tools: chat completions and embeddings."""

import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, ConfigDict, Field

from venice_mcp import pricing
from venice_mcp.call import Call
from venice_mcp.catalog import UnknownModelError
from venice_mcp.context import AppState
from venice_mcp.outputs import truncate
from venice_mcp.payments.budget import Estimate
from venice_mcp.reply import Attachment, Reply
from venice_mcp.tools._common import Confirm, cost_note
from venice_mcp.tools._declare import tool

# The Venice operations each tool reaches (spec paths); tools/spec_coverage.py reads this.
ENDPOINTS = {
    "POST /chat/completions": ("venice_chat",),
    "POST /embeddings": ("venice_embeddings",),
}

DEFAULT_TEXT_MODEL = "zai-org-glm-5-2"
DEFAULT_EMBEDDING_MODEL = "text-embedding-bge-m3"
# Vectors beyond this many numbers go to a file: 4,096 floats are ~80 KB of JSON.
INLINE_FLOATS = 4096
CHAT_TEXT_LIMIT = 100_000


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Annotated[
        str | list[dict[str, Any]],
        Field(description="Text, or OpenAI parts (text, image_url, input_audio, file)."),
    ]
    tool_call_id: str | None = None
    name: str | None = None


def _messages(
    prompt: str | None, messages: list[ChatMessage] | None, system: str | None
) -> list[dict[str, Any]]:
    if (prompt is None) == (messages is None):
        raise ToolError(
            "Give exactly one of 'prompt' (a single user message) or 'messages' (a conversation)."
        )
    out: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    if prompt is not None:
        if not prompt.strip():
            raise ToolError("'prompt' is empty; say what you want the model to do.")
        out.append({"role": "user", "content": prompt})
    else:
        assert messages is not None
        if not messages:
            raise ToolError("'messages' is empty; give at least one user message.")
        out.extend(m.model_dump(exclude_none=True) for m in messages)
    return out


def _reported_cost(body: Any) -> float | None:
    cost = body.get("cost") if isinstance(body, dict) else None
    raw = cost.get("usd") if isinstance(cost, dict) else None
    return float(raw) if isinstance(raw, (int, float)) else None


async def _estimate(
    state: AppState, model: str, model_type: str, price: Callable[[dict[str, Any]], Estimate]
) -> Estimate:
    """Price a call from the model's published pricing; an unknown model is Venice's 404 to give."""
    try:
        resolved = await state.catalog.resolve(model, model_type)
    except UnknownModelError:
        return Estimate(None, "model not in the catalog", could_be_large=False)
    return price(resolved.spec)


def _cost_line(body: dict[str, Any], model: str, estimate: Estimate, cost: float | None) -> str:
    usage = body.get("usage") or {}
    parts = [f"model {body.get('model') or model}"]
    if usage:
        parts.append(
            f"{usage.get('prompt_tokens', '?')} in / {usage.get('completion_tokens', '?')} out tokens"
        )
    parts.append(cost_note(estimate, cost))
    return " · ".join(parts)


@tool("Chat", "paid", "text")
async def venice_chat(
    call: Call,
    prompt: Annotated[str | None, Field(description="One user message (or messages).")] = None,
    messages: Annotated[
        list[ChatMessage] | None,
        Field(description="A conversation, oldest first (or prompt)."),
    ] = None,
    system: Annotated[str | None, Field()] = None,
    model: Annotated[
        str | None,
        Field(description="Id, trait or alias."),
    ] = None,
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None,
    max_tokens: Annotated[int | None, Field(ge=1, description="Incl. reasoning.")] = None,
    response_schema: Annotated[
        dict[str, Any] | None,
        Field(description="JSON Schema the reply must follow."),
    ] = None,
    web_search: Annotated[
        Literal["off", "on", "auto"], Field(description="Let Venice search the web.")
    ] = "off",
    web_citations: Annotated[bool, Field(description="Cite web sources.")] = False,
    character: Annotated[
        str | None,
        Field(description="Slug from venice_characters."),
    ] = None,
    reasoning_effort: Annotated[
        Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None,
        Field(),
    ] = None,
    strip_thinking: Annotated[bool, Field(description="Drop the thinking.")] = False,
    confirm: Confirm = False,
) -> Reply:
    """Ask a Venice text model; returns the reply, tokens and cost."""
    state = call.state
    body: dict[str, Any] = {"messages": _messages(prompt, messages, system)}
    state.client.ensure_credentials()
    body["model"] = model or await state.catalog.default_model("text", DEFAULT_TEXT_MODEL)
    estimate = await _estimate(
        state, body["model"], "text", lambda spec: pricing.chat(spec, body["messages"], max_tokens)
    )
    if temperature is not None:
        body["temperature"] = temperature
    if max_tokens is not None:
        body["max_completion_tokens"] = max_tokens
    if reasoning_effort is not None:
        body["reasoning_effort"] = reasoning_effort
    if response_schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "response", "schema": response_schema, "strict": True},
        }
    venice: dict[str, Any] = {}
    if web_search != "off":
        venice["enable_web_search"] = web_search
    if web_citations:
        venice["enable_web_citations"] = True
    if character:
        venice["character_slug"] = character
    if strip_thinking:
        venice["strip_thinking_response"] = True
    if venice:
        body["venice_parameters"] = venice
    response = await call.paid_request(
        model=body["model"],
        estimate=estimate,
        confirm=confirm,
        path="/chat/completions",
        json_body=body,
        charge=lambda r: _reported_cost(r.body),
    )
    data = response.body if isinstance(response.body, dict) else {}
    choice = (data.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    content = message.get("content") or ""
    cost = _reported_cost(data)
    footer = _cost_line(data, body["model"], estimate, cost)
    finish = choice.get("finish_reason")
    if finish == "length":
        footer += " · stopped at the token limit (raise max_tokens for more)"
    elif finish == "content_filter":
        footer += " · the provider filtered the reply"
    shown, _ = truncate(content, CHAT_TEXT_LIMIT)
    structured: dict[str, Any] = {
        "text": content,
        "model": data.get("model") or body["model"],
        "finish_reason": finish,
        "usage": data.get("usage"),
        "cost_usd": cost,
        "estimate_usd": estimate.usd,
        "request_id": response.request_id,
    }
    if message.get("reasoning_content"):
        structured["reasoning"] = message["reasoning_content"]
    if message.get("tool_calls"):
        structured["tool_calls"] = message["tool_calls"]
    citations = (data.get("venice_parameters") or {}).get("web_search_citations")
    if citations:
        structured["citations"] = citations
        footer += "\nSources: " + "; ".join(
            f"[{i + 1}] {c.get('title') or ''} {c.get('url') or ''}".strip()
            for i, c in enumerate(citations[:10])
        )
    if response_schema is not None:
        try:
            structured["json"] = json.loads(content)
        except ValueError:
            footer += " · warning: the reply is not valid JSON"
    return Reply(f"{shown}\n\n— {footer}", structured)


@tool("Embeddings", "paid", "text")
async def venice_embeddings(
    call: Call,
    input: Annotated[str | list[str], Field(description="A text, or up to 2048 texts.")],
    model: Annotated[str | None, Field(description="Default Venice's.")] = None,
    dimensions: Annotated[int | None, Field(ge=1, description="Where the model allows.")] = None,
    confirm: Confirm = False,
) -> Reply:
    """Embed texts as vectors (large results as a JSON file)."""
    state = call.state
    texts = [input] if isinstance(input, str) else list(input)
    if not texts or len(texts) > 2048:
        raise ToolError("'input' must hold 1 to 2048 texts.")
    if any(not t for t in texts):
        raise ToolError("Every input text must be non-empty.")
    state.client.ensure_credentials()
    chosen = model or await state.catalog.default_model("embedding", DEFAULT_EMBEDDING_MODEL)
    estimate = await _estimate(state, chosen, "embedding", lambda spec: pricing.embeddings(spec, texts))
    body: dict[str, Any] = {"model": chosen, "input": input, "encoding_format": "float"}
    if dimensions is not None:
        body["dimensions"] = dimensions
    response = await call.paid_request(
        model=chosen,
        estimate=estimate,
        confirm=confirm,
        path="/embeddings",
        json_body=body,
    )
    data = response.body if isinstance(response.body, dict) else {}
    vectors = [
        row.get("embedding") or [] for row in sorted(data.get("data") or [], key=lambda r: r.get("index", 0))
    ]
    dims = len(vectors[0]) if vectors else 0
    preview = [[round(x, 5) for x in v[:6]] for v in vectors[:3]]
    usage = data.get("usage") or {}
    lines = [
        f"{len(vectors)} embedding(s) of {dims} dimensions from {data.get('model') or chosen}"
        f" · {usage.get('prompt_tokens', '?')} tokens · {cost_note(estimate, None)}",
        *(f"[{i}] {p} …" for i, p in enumerate(preview)),
    ]
    structured: dict[str, Any] = {
        "model": data.get("model") or chosen,
        "count": len(vectors),
        "dimensions": dims,
        "usage": usage,
        "estimate_usd": estimate.usd,
        "preview": preview,
    }
    attachments = []
    if len(vectors) * dims <= INLINE_FLOATS:
        structured["embeddings"] = vectors
    else:
        payload = {"model": structured["model"], "dimensions": dims, "embeddings": vectors}
        saved = state.outputs.write(
            json.dumps(payload).encode(), "embeddings", "json", str(structured["model"])
        )
        structured["file"] = {"path": str(saved.path), "uri": saved.uri, "size": saved.size}
        lines.append(f"Full vectors saved to {saved.summary()}; read them from {saved.uri}.")
        attachments.append(Attachment(saved, "All embedding vectors as JSON"))
    return Reply("\n".join(lines), structured, attachments)

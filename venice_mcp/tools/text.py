"""Text tools: chat completions and embeddings."""

import base64
import json
import struct
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from venice_mcp import model_suffix, pricing
from venice_mcp.call import Call
from venice_mcp.catalog import UnknownModelError
from venice_mcp.chat import ChatError, request
from venice_mcp.chat.options import apply as apply_options
from venice_mcp.chat.options import check_model, check_parts_per_message
from venice_mcp.chat.parts import Media, prepare, text_tokens
from venice_mcp.chat.reply import chat_reply, reported_cost
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


# What hosts may rely on in venice_chat's structured content (a stop at the spend gate carries
# status, estimate_usd, basis and limit_usd instead).
CHAT_OUTPUT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "text": {"type": "string"},
        "tool_calls": {"type": "array"},
        "message": {"type": "object"},
        "choices": {"type": "array"},
        "cost_usd": {"type": ["number", "null"]},
        "status": {"type": "string"},
    },
}


@tool("Chat", "paid", "text", output=CHAT_OUTPUT)
async def venice_chat(
    call: Call,
    prompt: Annotated[str | None, Field(description="Or messages.")] = None,
    messages: Annotated[
        list[dict[str, Any]] | None,
        Field(
            description="OpenAI chat messages, oldest first; media parts may be file paths; "
            "send assistant turns back as returned."
        ),
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
    tools: Annotated[
        list[dict[str, Any]] | None,
        Field(description="Functions: {name, description, parameters}."),
    ] = None,
    tool_choice: Annotated[str | None, Field(description="auto, none, required or a function name.")] = None,
    n: Annotated[int | None, Field(ge=1, description="Replies (each paid).")] = None,
    logprobs: Annotated[int | None, Field(ge=0, le=20, description="Alternatives per token.")] = None,
    web_search: Literal["off", "on", "auto"] = "off",
    web_citations: bool = False,
    web_scraping: Annotated[bool, Field(description="Read URLs in the prompt.")] = False,
    character: Annotated[
        str | None,
        Field(description="Slug from venice_characters."),
    ] = None,
    venice_system_prompt: bool = True,
    reasoning_effort: Annotated[
        Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None,
        Field(),
    ] = None,
    thinking: Annotated[
        Literal["on", "off", "hidden"] | None, Field(description="hidden: think, but not in the reply.")
    ] = None,
    options: Annotated[
        dict[str, Any] | None,
        Field(
            description="More fields by Venice's names: top_p, top_k, min_p, seed, stop, "
            "penalties, reasoning.summary, prompt_cache_key, enable_x_search, etc."
        ),
    ] = None,
    confirm: Confirm = False,
) -> Reply:
    """Ask a Venice text model; returns the reply, tool calls, tokens and cost."""
    state = call.state
    venice: dict[str, Any] = {}
    try:
        body: dict[str, Any] = {"messages": request.messages(prompt, messages, system)}
        check_parts_per_message(body["messages"])
        media = await prepare(body["messages"], state.inputs)
        apply_options(options or {}, body, venice)
        body.update(request.tool_fields(tools, tool_choice))
    except ChatError as exc:
        raise ToolError(str(exc)) from None
    state.client.ensure_credentials()
    body["model"] = model or await state.catalog.default_model("text", DEFAULT_TEXT_MODEL)
    typed: tuple[tuple[str, Any], ...] = (
        ("temperature", temperature),
        ("n", n),
        ("reasoning_effort", reasoning_effort),
    )
    for key, value in typed:
        if value is not None:
            body[key] = value
    if logprobs is not None:
        body["logprobs"] = True
        if logprobs:
            body["top_logprobs"] = logprobs
    if thinking == "on":
        body["reasoning"] = {**body.get("reasoning", {}), "enabled": True}
    if response_schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "response", "schema": response_schema, "strict": True},
        }
    switches: tuple[tuple[str, Any, Any], ...] = (
        ("enable_web_search", web_search, "off"),
        ("enable_web_citations", web_citations, False),
        ("enable_web_scraping", web_scraping, False),
        ("character_slug", character, None),
        ("include_venice_system_prompt", venice_system_prompt, True),
        ("strip_thinking_response", thinking == "hidden", False),
        ("disable_thinking", thinking == "off", False),
    )
    for key, value, default in switches:
        if value != default:
            venice[key] = value
    if venice:
        body["venice_parameters"] = venice
    if max_tokens is not None:
        body["max_completion_tokens"] = max_tokens
    price = await _chat_price(call, body, media, max_tokens)
    if max_tokens is None and price.cap is not None:
        body["max_completion_tokens"] = price.cap  # the cap that makes the estimate a bound
    response = await call.paid_request(
        model=body["model"],
        estimate=price.estimate,
        confirm=confirm,
        path="/chat/completions",
        json_body=body,
        charge=lambda r: reported_cost(r.body),
    )
    return chat_reply(
        response.body if isinstance(response.body, dict) else {},
        response.headers,
        model=body["model"],
        estimate=price.estimate,
        cap=price.cap if price.limited else None,
        request_id=response.request_id,
        schema=response_schema is not None,
    )


async def _chat_price(
    call: Call, body: dict[str, Any], media: Media, max_tokens: int | None
) -> pricing.ChatPrice:
    """Check the call against the model's capabilities and price it, before anything is spent.

    A feature suffix on the model id (``glm:enable_web_search=on``) switches Venice parameters
    for the model before the colon: that model is the one priced, with the switches applied.
    """
    base, switches = model_suffix.split(body["model"])
    try:
        resolved = await call.state.catalog.resolve(base, "text")
    except UnknownModelError:
        return pricing.ChatPrice(Estimate(None, "model not in the catalog", could_be_large=False))
    venice = {**body.get("venice_parameters", {}), **switches}
    try:
        check_model(resolved.id, resolved.spec, {**body, "venice_parameters": venice}, media)
    except ChatError as exc:
        raise ToolError(str(exc)) from None
    return pricing.chat(
        resolved.spec,
        text_tokens(body["messages"]) + media.tokens,
        max_tokens,
        choices=body.get("n", 1),
        extras=request.add_ons(venice, body["messages"]),
        afford_usd=call.state.gate.limit,
        default_out=pricing.CHARGED_REPLY_TOKENS if call.state.payee is not None else None,
        whole_context=media.unbounded,
    )


def _floats(embedding: Any) -> list[float]:
    """A vector as Venice sent it: little-endian float32 in base64, or (from others) a list."""
    if isinstance(embedding, str):
        raw = base64.b64decode(embedding)
        return list(struct.unpack(f"<{len(raw) // 4}f", raw[: len(raw) // 4 * 4]))
    return list(embedding or [])


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
    try:
        # Venice reads feature suffixes on chat only; the model before a colon is the one priced.
        resolved = await state.catalog.resolve(model_suffix.split(chosen)[0], "embedding")
        estimate = pricing.embeddings(resolved.spec, texts)
    except UnknownModelError:
        estimate = Estimate(None, "model not in the catalog", could_be_large=False)
    # base64 carries each float in 4 bytes instead of ~20 characters of JSON; the agent gets floats.
    body: dict[str, Any] = {"model": chosen, "input": input, "encoding_format": "base64"}
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
        _floats(row.get("embedding"))
        for row in sorted(data.get("data") or [], key=lambda r: r.get("index", 0))
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

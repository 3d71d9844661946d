"""venice_responses: Venice's OpenAI-style Responses API (Alpha, stateless), with typed output:
reasoning summary, web search, function calls and the message with its citations."""

from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from venice_mcp import model_suffix, pricing
from venice_mcp.call import Call
from venice_mcp.catalog import UnknownModelError
from venice_mcp.chat import ChatError, request
from venice_mcp.chat.options import check_model
from venice_mcp.chat.parts import Media, prepare, text_tokens
from venice_mcp.outputs import truncate
from venice_mcp.payments.budget import Estimate
from venice_mcp.reply import Reply
from venice_mcp.tools._common import Confirm, cost_note
from venice_mcp.tools._declare import tool

# The Venice operations each tool reaches (spec paths); tools/spec_coverage.py reads this.
ENDPOINTS = {"POST /responses": ("venice_responses",)}

DEFAULT_MODEL = "zai-org-glm-5-2"
TEXT_LIMIT = 100_000


def _input_items(input: str | list[dict[str, Any]], instructions: str | None) -> list[dict[str, Any]] | str:
    """Venice drops the ``instructions`` field, so instructions travel as a developer message first."""
    if isinstance(input, str):
        if not input.strip():
            raise ToolError("'input' is empty; say what you want the model to do.")
        if instructions is None:
            return input
        items: list[dict[str, Any]] = [{"role": "user", "content": input}]
    else:
        if not input:
            raise ToolError("'input' is an empty list; give at least one message item.")
        items = list(input)
    if instructions:
        items.insert(0, {"role": "developer", "content": instructions})
    return items


def _as_messages(items: list[dict[str, Any]] | str) -> list[dict[str, Any]]:
    if isinstance(items, str):
        return [{"role": "user", "content": items}]
    return [i for i in items if isinstance(i, dict)]


@tool("Responses API", "paid", "text")
async def venice_responses(
    call: Call,
    input: Annotated[
        str | list[dict[str, Any]],
        Field(description="A prompt, or items: {role, content}, function_call, function_call_output."),
    ],
    instructions: Annotated[
        str | None,
        Field(),
    ] = None,
    model: Annotated[str | None, Field(description="Id, trait or alias.")] = None,
    max_output_tokens: Annotated[int | None, Field(ge=1)] = None,
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None,
    reasoning_effort: Annotated[
        Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None,
        Field(),
    ] = None,
    web_search: Annotated[bool, Field(description="Search the web and cite.")] = False,
    tools: Annotated[
        list[dict[str, Any]] | None,
        Field(description="Functions: {name, description, parameters}."),
    ] = None,
    tool_choice: Annotated[str | None, Field(description="auto, none, required or a function name.")] = None,
    character: Annotated[
        str | None,
        Field(description="Slug from venice_characters."),
    ] = None,
    confirm: Confirm = False,
) -> Reply:
    """Venice's Responses API (stateless): text, reasoning summary, function calls, citations,
    usage."""
    state = call.state
    items = _input_items(input, instructions)
    try:
        media = await prepare(_as_messages(items), state.inputs)
    except ChatError as exc:
        raise ToolError(str(exc)) from None
    state.client.ensure_credentials()
    chosen = model or await state.catalog.default_model("text", DEFAULT_MODEL)
    body: dict[str, Any] = {"model": chosen, "input": items}
    for key, value in (("max_output_tokens", max_output_tokens), ("temperature", temperature)):
        if value is not None:
            body[key] = value
    try:
        body.update(request.tool_fields(tools, tool_choice))
    except ChatError as exc:
        raise ToolError(str(exc)) from None
    if reasoning_effort is not None:
        body["reasoning"] = {"effort": reasoning_effort}
    venice: dict[str, Any] = {}
    if web_search:
        body["web_search"] = True
        venice["enable_web_citations"] = True
    if character:
        venice["character_slug"] = character
    if venice:
        body["venice_parameters"] = venice
    price = await _price(call, body, _as_messages(items), media, max_output_tokens)
    if max_output_tokens is None and price.cap is not None:
        body["max_output_tokens"] = price.cap
    response = await call.paid_request(
        model=chosen,
        estimate=price.estimate,
        confirm=confirm,
        path="/responses",
        json_body=body,
    )
    data = response.body if isinstance(response.body, dict) else {}
    return _reply(data, chosen, price, response.request_id)


async def _price(
    call: Call, body: dict[str, Any], messages: list[dict[str, Any]], media: Media, max_tokens: int | None
) -> pricing.ChatPrice:
    """Check and price the call before anything is spent. Venice ignores a feature suffix on
    /responses, but the model before the colon is still the one that runs and is priced."""
    try:
        resolved = await call.state.catalog.resolve(model_suffix.split(body["model"])[0], "text")
    except UnknownModelError:
        return pricing.ChatPrice(Estimate(None, "model not in the catalog", could_be_large=False))
    try:
        check_model(resolved.id, resolved.spec, {**body, "max_completion_tokens": max_tokens}, media)
    except ChatError as exc:
        raise ToolError(str(exc)) from None
    search = [(pricing.WEB_SEARCH_USD, "web search")] if body.get("web_search") else []
    return pricing.chat(
        resolved.spec,
        text_tokens(messages) + media.tokens,
        max_tokens,
        extras=search,
        afford_usd=call.state.gate.limit,
        default_out=pricing.CHARGED_REPLY_TOKENS if call.state.payee is not None else None,
        whole_context=media.unbounded,
    )


def _reply(data: dict[str, Any], model: str, price: pricing.ChatPrice, request_id: str | None) -> Reply:
    estimate = price.estimate
    texts: list[str] = []
    summary: list[str] = []
    calls: list[dict[str, Any]] = []
    citations: list[dict[str, Any]] = []
    searched = False
    for item in data.get("output") or []:
        kind = item.get("type")
        if kind == "reasoning":
            summary += [
                s if isinstance(s, str) else str(s.get("text", "")) for s in item.get("summary") or []
            ]
        elif kind == "web_search_call":
            searched = True
        elif kind == "function_call":
            calls.append({k: item.get(k) for k in ("call_id", "name", "arguments")})
        elif kind == "message":
            for part in item.get("content") or []:
                if part.get("type") == "output_text":
                    texts.append(part.get("text") or "")
                    citations += [
                        {k: a.get(k) for k in ("url", "title", "start_index", "end_index")}
                        for a in part.get("annotations") or []
                        if a.get("type") == "url_citation"
                    ]
    text = "\n".join(texts)
    usage = data.get("usage") or {}
    lines = []
    if summary:
        lines.append("Reasoning summary: " + " ".join(summary))
    if text:
        shown, _ = truncate(text, TEXT_LIMIT)
        lines.append(shown)
    for call in calls:
        lines.append(
            f"Function call {call['name']}({call['arguments']}) — call_id {call['call_id']}; answer with "
            f'an input item {{"type": "function_call_output", "call_id": "{call["call_id"]}", '
            f'"output": ...}}.'
        )
    footer = [f"model {data.get('model') or model}"]
    if usage:
        footer.append(f"{usage.get('input_tokens', '?')} in / {usage.get('output_tokens', '?')} out tokens")
    footer.append(cost_note(estimate, None))
    if searched:
        footer.append("searched the web")
    if data.get("status") == "incomplete":
        reason = (data.get("incomplete_details") or {}).get("reason")
        more = ""
        if reason == "max_output_tokens":
            more = (
                f": stopped at {price.cap} tokens, the cap the per-call spend limit allows; pass a larger "
                "max_output_tokens for more (above the limit needs the person's approval)"
                if price.limited
                else ": raise max_output_tokens for more"
            )
        footer.append(f"incomplete ({reason}){more}")
    body = "\n\n".join(lines) or "(no text)"
    body += "\n\n— " + " · ".join(footer)
    if citations:
        body += "\nSources: " + "; ".join(
            f"[{i}] {c.get('title') or ''} {c.get('url') or ''}".strip()
            for i, c in enumerate(citations[:10], 1)
        )
    structured: dict[str, Any] = {
        "text": text,
        "status": data.get("status"),
        "model": data.get("model") or model,
        "reasoning_summary": summary,
        "function_calls": calls,
        "citations": citations,
        "web_search": searched,
        "usage": usage,
        "estimate_usd": estimate.usd,
        "request_id": request_id,
    }
    return Reply(body, structured)

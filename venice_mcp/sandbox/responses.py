"""POST /responses (Alpha, stateless): deterministic replies as typed output items.

Order of ``output`` as Venice sends it: reasoning → web_search_call → function_call(s) → message
(the message is left out when the model only called tools). ``url_citation`` annotations exist only
when ``venice_parameters.enable_web_citations`` is on and the text carries ``^n^`` markers.
Streaming is not simulated here (``stream: true`` → 400).
"""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.responses import JSONResponse, Response

from venice_mcp.sandbox import catalog, spec
from venice_mcp.sandbox.chat import tokens
from venice_mcp.sandbox.context import Context, new_id
from venice_mcp.sandbox.errors import error
from venice_mcp.sandbox.schema_instance import minimal_instance


def _part_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(p.get("text", ""))
            for p in content
            if isinstance(p, dict) and p.get("type") in ("input_text", "output_text", "text")
        )
    return ""


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    raw = body["input"]
    if isinstance(raw, str):
        return [{"role": "user", "content": raw}]
    return [i for i in raw if isinstance(i, dict) and "role" in i and i.get("type", "message") == "message"]


def _function_tools(body: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for tool in body.get("tools") or []:
        if tool.get("type") == "function":
            fn = tool.get("function") or {k: tool[k] for k in ("name", "parameters") if k in tool}
            if fn.get("name"):
                out.append(fn)
        elif tool.get("type") not in ("web_search", "x_search") and tool.get("name"):
            out.append({"name": tool["name"], "parameters": tool.get("parameters") or {"type": "object"}})
    return out


def _search_on(body: dict[str, Any]) -> bool:
    params = body.get("venice_parameters") or {}
    return (
        body.get("web_search") is True
        or any(t.get("type") == "web_search" for t in body.get("tools") or [])
        or params.get("enable_web_search") in ("on", "auto")
    )


async def create_response(ctx: Context) -> Response:
    body = ctx.body
    if isinstance(body, dict):
        if body.get("model") is None:
            raise error(400, "model is required")
        if not isinstance(body["model"], str):
            raise error(400, "model must be a string")
    spec.validate_body("/responses", body)
    model = catalog.resolve({"model": body["model"].split(":", 1)[0]}, "text")
    caps = model.get("model_spec", {}).get("capabilities", {})
    params = body.get("venice_parameters") or {}
    if caps.get("supportsE2EE") and params.get("enable_e2ee") is not False:
        raise error(
            400,
            "E2EE-capable models are not supported on /api/v1/responses; use /api/v1/chat/completions "
            "or set venice_parameters.enable_e2ee to false",
        )
    if body.get("stream"):
        raise error(400, "Streaming is not simulated by the sandbox")
    reasoning = body.get("reasoning") or {}
    effort = reasoning.get("effort")
    options = caps.get("reasoningEffortOptions")
    if effort is not None and options and effort not in options:
        raise error(
            400, f"Reasoning effort '{effort}' is not supported by {model['id']}; use one of {options}"
        )

    messages = _messages(body)
    said = next((_part_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    output: list[dict[str, Any]] = []
    reasoning_tokens = 0
    if (
        caps.get("supportsReasoning")
        and effort not in (None, "none")
        and reasoning.get("enabled") is not False
    ):
        summary = f"[sandbox] Considered the request with {effort} effort."
        reasoning_tokens = tokens(summary)
        output.append({"type": "reasoning", "id": new_id("rs_"), "summary": [summary]})
    search = _search_on(body)
    if search:
        output.append({"type": "web_search_call", "id": new_id("ws_"), "status": "completed"})

    functions = _function_tools(body)
    choice = body.get("tool_choice")
    wanted = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
    calls: list[dict[str, Any]] = []
    if functions and (choice == "required" or wanted):
        fn = next((f for f in functions if f["name"] == wanted), functions[0])
        args = minimal_instance(fn.get("parameters") or {"type": "object"}) or {}
        calls.append(
            {
                "type": "function_call",
                "id": new_id("fc_"),
                "call_id": new_id("call_"),
                "name": fn["name"],
                "arguments": json.dumps(args),
                "status": "completed",
            }
        )
    output.extend(calls)

    status = "completed"
    text = "" if calls else f"[sandbox] You said: {said}"
    annotations: list[dict[str, Any]] = []
    if text and search and params.get("enable_web_citations"):
        for n in (1, 2):
            marker = f"^{n}^"
            start = len(text) + 1
            text += " " + marker
            annotations.append(
                {
                    "type": "url_citation",
                    "url": f"https://example.com/sandbox/{n}",
                    "title": f"Sandbox source {n}",
                    "start_index": start,
                    "end_index": start + len(marker),
                }
            )
    limit = body.get("max_output_tokens")
    if text and limit and tokens(text) > limit:
        text, status, annotations = text[: limit * 4], "incomplete", []
    if text:
        output.append(
            {
                "type": "message",
                "id": new_id("msg_"),
                "status": status,
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": annotations}],
            }
        )
    input_tokens = sum(tokens(_part_text(m.get("content"))) for m in messages) or 1
    output_tokens = tokens(text) + reasoning_tokens + sum(tokens(c["arguments"]) for c in calls)
    usage: dict[str, Any] = {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }
    if reasoning_tokens:
        usage["output_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
    rid = "resp_" + new_id("chatcmpl-")
    ctx.tokens_used = input_tokens + output_tokens
    ctx.headers["x-request-id"] = rid
    usd = (
        input_tokens * catalog.price(model, "input") / 1e6
        + output_tokens * catalog.price(model, "output") / 1e6
    )
    ctx.charge(round(usd, 10), request_id=rid, model_id=model["id"])
    out: dict[str, Any] = {
        "id": rid,
        "object": "response",
        "created_at": int(time.time()),
        "model": model["id"],
        "status": status,
        "output": output,
        "usage": usage,
    }
    if status == "incomplete":
        out["incomplete_details"] = {"reason": "max_output_tokens"}
    return JSONResponse(out)

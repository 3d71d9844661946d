"""A Venice chat completion as the agent reads it.

Everything the agent may act on is in the text, because clients older than 2025-06-18 get no
structured content: each choice's reasoning and reply, each tool call with the assistant turn to
send back, logprobs, token counts (cached, reasoning), cost in USD and DIEM, the balance left, the
model's deprecation warning and the sources. The structured content holds the same, whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from venice_mcp.api.headers import balance, deprecation
from venice_mcp.outputs import truncate
from venice_mcp.payments.budget import Estimate
from venice_mcp.reply import Reply
from venice_mcp.tools._common import cost_note, usd

TEXT_LIMIT = 100_000
REASONING_SHOWN = 4_000  # characters of reasoning in the text; all of it is in structured content
LOGPROB_TOKENS_SHOWN = 50
SOURCES_SHOWN = 20
# The assistant message fields a following turn must carry back verbatim.
ROUND_TRIP = ("content", "tool_calls", "reasoning_details", "thought_signature")


def reported_cost(body: Any) -> float | None:
    cost = body.get("cost") if isinstance(body, dict) else None
    raw = cost.get("usd") if isinstance(cost, dict) else None
    return float(raw) if isinstance(raw, (int, float)) else None


def _assistant_turn(message: dict[str, Any]) -> dict[str, Any]:
    turn: dict[str, Any] = {"role": "assistant"}
    turn.update({k: message[k] for k in ROUND_TRIP if message.get(k) is not None})
    turn.setdefault("content", None)
    return turn


def _logprob_line(logprobs: Any) -> str | None:
    if not isinstance(logprobs, dict):
        return None
    # OpenAI's shape (one row per token under content), or the spec's single token object.
    rows = logprobs.get("content") if isinstance(logprobs.get("content"), list) else [logprobs]
    if not rows or "token" not in rows[0]:
        return None
    shown = []
    for row in rows[:LOGPROB_TOKENS_SHOWN]:
        alternatives = ", ".join(
            f"{a.get('token')!r} {a.get('logprob', 0):.2f}" for a in row.get("top_logprobs") or []
        )
        item = f"{row.get('token')!r} {row.get('logprob', 0):.2f}"
        shown.append(item + (f" [{alternatives}]" if alternatives else ""))
    more = f" … (+{len(rows) - LOGPROB_TOKENS_SHOWN} tokens)" if len(rows) > LOGPROB_TOKENS_SHOWN else ""
    return "Logprobs: " + "; ".join(shown) + more


def _choice_text(choice: dict[str, Any], cap_note: str | None) -> str:
    message = choice.get("message") or {}
    parts = []
    content = message.get("content") or ""
    if content:
        parts.append(truncate(content, TEXT_LIMIT)[0])
    reasoning = message.get("reasoning_content")
    if reasoning:
        shown = reasoning if len(reasoning) <= REASONING_SHOWN else reasoning[:REASONING_SHOWN] + " …"
        parts.append(f"Reasoning: {shown}")
    calls = message.get("tool_calls") or []
    if calls:
        lines = ["Tool calls:"]
        for call in calls:
            fn = call.get("function") or {}
            lines.append(f"- {fn.get('name')}({fn.get('arguments') or ''}) id {call.get('id')}")
        lines.append(
            "To answer, send back this assistant turn, then one "
            '{"role": "tool", "tool_call_id": <id>, "content": <result>} message per call: '
            + json.dumps(_assistant_turn(message), separators=(",", ":"))
        )
        parts.append("\n".join(lines))
    logprobs = _logprob_line(choice.get("logprobs"))
    if logprobs:
        parts.append(logprobs)
    finish = choice.get("finish_reason")
    if finish == "length":
        parts.append(cap_note or "Stopped at the token limit (raise max_tokens for more).")
    elif finish == "content_filter":
        parts.append("The provider filtered the reply.")
    return "\n\n".join(parts) or "(empty reply)"


def _choice_data(choice: dict[str, Any]) -> dict[str, Any]:
    message = choice.get("message") or {}
    out: dict[str, Any] = {"text": message.get("content") or "", "finish_reason": choice.get("finish_reason")}
    if message.get("tool_calls"):
        out["tool_calls"] = message["tool_calls"]
    if choice.get("logprobs"):
        out["logprobs"] = choice["logprobs"]
    return out


def _usage_note(usage: dict[str, Any]) -> str | None:
    if not usage:
        return None
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
    written = (usage.get("prompt_tokens_details") or {}).get("cache_creation_input_tokens")
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens")
    tokens_in = f"{usage.get('prompt_tokens', '?')} in"
    extras = []
    if cached:
        extras.append(f"{cached} cached")
    if written:
        extras.append(f"{written} written to the cache")
    if extras:
        tokens_in += f" ({', '.join(extras)})"
    tokens_out = f"{usage.get('completion_tokens', '?')} out"
    if reasoning:
        tokens_out += f" ({reasoning} reasoning)"
    return f"{tokens_in} / {tokens_out} tokens"


def chat_reply(
    data: dict[str, Any],
    headers: Mapping[str, str],
    *,
    model: str,
    estimate: Estimate,
    cap: int | None,
    request_id: str | None,
    schema: bool,
) -> Reply:
    """``cap`` is the output cap the server chose (None when the caller set max_tokens)."""
    cost: dict[str, Any] = data["cost"] if isinstance(data.get("cost"), dict) else {}
    charged = reported_cost(data)
    choices = [c for c in data.get("choices") or [] if isinstance(c, dict)] or [{}]
    cap_note = (
        f"Stopped at {cap} output tokens, the cap the per-call spend limit allows; pass a larger "
        "max_tokens for more (a call above the limit needs the person's approval)."
        if cap is not None
        else None
    )
    texts = [_choice_text(c, cap_note) for c in choices]
    if len(texts) > 1:
        texts = [f"Choice {i + 1}:\n{t}" for i, t in enumerate(texts)]
    footer = [f"model {data.get('model') or model}"]
    usage = data.get("usage") or {}
    tokens = _usage_note(usage)
    if tokens:
        footer.append(tokens)
    note = cost_note(estimate, charged)
    if isinstance(cost.get("diem"), (int, float)) and cost["diem"]:
        note += f" ({cost['diem']:g} DIEM)"
    footer.append(note)
    left = balance(headers)
    if left:
        amounts = ", ".join(usd(v) if k == "usd" else f"{v:g} DIEM" for k, v in left.items())
        footer.append(f"balance before this call {amounts}")
    warning = deprecation(headers)
    if warning:
        footer.append(f"warning: {warning}")
    text = "\n\n".join(texts) + "\n\n— " + " · ".join(footer)
    citations = (data.get("venice_parameters") or {}).get("web_search_citations") or []
    if citations:
        text += "\nSources: " + "; ".join(
            f"[{i}] {c.get('title') or ''} {c.get('url') or ''}".strip()
            for i, c in enumerate(citations[:SOURCES_SHOWN], 1)
        )
        if len(citations) > SOURCES_SHOWN:
            text += f" … (+{len(citations) - SOURCES_SHOWN} more in the structured result)"

    first = choices[0]
    message = first.get("message") or {}
    structured: dict[str, Any] = {
        "text": message.get("content") or "",
        "model": data.get("model") or model,
        "finish_reason": first.get("finish_reason"),
        "usage": usage or None,
        "cost_usd": charged,
        "cost_diem": cost.get("diem"),
        "estimate_usd": estimate.usd,
        "request_id": request_id,
    }
    if cap is not None:
        structured["max_tokens_sent"] = cap
    if message.get("reasoning_content"):
        structured["reasoning"] = message["reasoning_content"]
    if message.get("tool_calls"):
        structured["tool_calls"] = message["tool_calls"]
        structured["message"] = _assistant_turn(message)
    if first.get("logprobs"):
        structured["logprobs"] = first["logprobs"]
    if len(choices) > 1:
        structured["choices"] = [_choice_data(c) for c in choices]
    if citations:
        structured["citations"] = citations
    if left:
        structured["balance"] = left
    if warning:
        structured["deprecation"] = warning
    if schema:
        try:
            structured["json"] = json.loads(message.get("content") or "")
        except ValueError:
            text += "\nWarning: the reply is not valid JSON."
    return Reply(text, structured)

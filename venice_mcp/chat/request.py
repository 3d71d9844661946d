"""The parts of a chat request built from venice_chat's arguments: the messages (checked, so a
malformed one costs nothing), function tools in any of the three common shapes, the tool choice,
and Venice's per-request add-ons the price includes."""

from __future__ import annotations

import re
from typing import Any

from venice_mcp import pricing
from venice_mcp.chat import ChatError


class RequestError(ChatError):
    """An argument of the chat request that cannot be sent as given."""


ROLES = ("system", "developer", "user", "assistant", "tool")
# Fields a message may carry: assistant turns come back with name, reasoning_content,
# reasoning_details or thought_signature, which must round-trip verbatim.
MESSAGE_FIELDS = frozenset(
    {"role", "content", "tool_calls", "tool_call_id", "name", "reasoning_content", "reasoning_details"}
    | {"thought_signature"}
)
SEARCH_MODES = ("on", "auto")
_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def _message(index: int, message: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI chat message, checked here so a malformed one costs nothing."""
    where = f"messages[{index}]"
    role, content = message.get("role"), message.get("content")
    if role not in ROLES:
        raise RequestError(f"{where}: role must be one of {', '.join(ROLES)}")
    unknown = set(message) - MESSAGE_FIELDS
    if unknown:
        raise RequestError(f"{where} has unknown field(s) {', '.join(sorted(unknown))}")
    if content is not None and not isinstance(content, (str, list)):
        raise RequestError(f"{where}: content is a string or a list of parts")
    calls = message.get("tool_calls")
    if calls is not None and (not isinstance(calls, list) or not all(isinstance(c, dict) for c in calls)):
        raise RequestError(f"{where}: tool_calls is a list of tool calls as a reply gave them")
    out = {k: v for k, v in message.items() if v is not None}
    if role == "tool" and (not isinstance(message.get("tool_call_id"), str) or content is None):
        raise RequestError(f"{where}: a tool message needs tool_call_id and content")
    if role == "assistant":
        if content is None and not calls:
            raise RequestError(f"{where}: an assistant message needs content or tool_calls")
        out.setdefault("content", None)  # Venice's assistant turn with only tool calls
    elif content is None:
        raise RequestError(f"{where}: a {role} message needs content")
    return out


def messages(
    prompt: str | None, conversation: list[dict[str, Any]] | None, system: str | None
) -> list[dict[str, Any]]:
    if (prompt is None) == (conversation is None):
        raise RequestError(
            "Give exactly one of 'prompt' (a single user message) or 'messages' (a conversation)."
        )
    out: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    if prompt is not None:
        if not prompt.strip():
            raise RequestError("'prompt' is empty; say what you want the model to do.")
        out.append({"role": "user", "content": prompt})
    else:
        assert conversation is not None
        if not conversation:
            raise RequestError("'messages' is empty; give at least one user message.")
        out.extend(_message(i, m) for i, m in enumerate(conversation))
    return out


def function_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Function definitions as Venice's chat takes them, from the OpenAI nested form, the flat
    form ({name, description, parameters}) or Anthropic's ({name, description, input_schema})."""
    out = []
    for i, spec in enumerate(tools):
        if spec.get("type") in ("web_search", "x_search"):
            raise RequestError(
                f"tools[{i}]: a {spec['type']} tool does nothing on Venice; use web_search "
                "(or options.enable_x_search) instead."
            )
        fn = spec.get("function") if spec.get("type") == "function" else spec
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
            raise RequestError(f"tools[{i}]: expected {{type: 'function', function: {{name, parameters}}}}")
        fn = dict(fn)
        fn.pop("type", None)
        if "input_schema" in fn:
            fn["parameters"] = fn.pop("input_schema")
        out.append({"type": "function", "function": fn})
    return out


def tool_choice(choice: str, tools: list[dict[str, Any]] | None) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    names = [t["function"]["name"] for t in tools or []]
    if choice not in names:
        raise RequestError(f"tool_choice {choice!r} is not a tool given ({', '.join(names) or 'none'})")
    return {"type": "function", "function": {"name": choice}}


def add_ons(venice: dict[str, Any], messages: list[dict[str, Any]]) -> list[tuple[float, str]]:
    """Venice's per-request add-ons: scraping the URLs of the last user message replaces web
    search when there are any; X search is billed per search."""
    extras: list[tuple[float, str]] = []
    last: dict[str, Any] = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    content = last.get("content")
    text = (
        content
        if isinstance(content, str)
        else " ".join(str(p.get("text", "")) for p in content or [] if isinstance(p, dict))
    )
    urls = len(set(_URL.findall(text))) if venice.get("enable_web_scraping") is True else 0
    if urls:
        extras.append((urls * pricing.WEB_SCRAPE_USD, f"scraping {urls} URL(s)"))
    elif venice.get("enable_web_search") in SEARCH_MODES:
        extras.append((pricing.WEB_SEARCH_USD, "web search"))
    if venice.get("enable_x_search") is True:
        extras.append((pricing.X_SEARCH_USD, "X search (each further search $0.01)"))
    return extras


def tool_fields(tools: list[dict[str, Any]] | None, choice: str | None) -> dict[str, Any]:
    """``tools`` and ``tool_choice`` as the request carries them (both absent when not given)."""
    out: dict[str, Any] = {}
    if tools:
        out["tools"] = function_tools(tools)
    if choice is not None:
        out["tool_choice"] = tool_choice(choice, out.get("tools"))
    return out

"""What Venice refuses on /chat/completions before any inference (venice-chat.md): capability gates,
part limits, output caps above the model's, reasoning efforts a model does not list, and the
fields OpenAI reasoning models reject. Each refusal is a 400 whose ``issues[]`` names the field."""

from __future__ import annotations

from typing import Any

from venice_mcp.sandbox.errors import detailed_error

_PART_CAPABILITY = {
    "image_url": ("supportsVision", "image inputs"),
    "input_audio": ("supportsAudioInput", "audio inputs"),
    "video_url": ("supportsVideoInput", "video inputs"),
}
_PER_MESSAGE = {"image_url": 10, "input_audio": 5, "video_url": 3, "file": 5}
_VIDEOS_PER_REQUEST = 3
_OPENAI_REASONING_REFUSES = ("seed", "stop", "n", "presence_penalty", "frequency_penalty")


def _issue(path: list[Any], message: str) -> dict[str, Any]:
    return {"code": "custom", "path": path, "message": message}


def check(body: dict[str, Any], model: dict[str, Any]) -> None:
    """Raise Venice's 400 for what ``model`` cannot take. (``enable_x_search`` on a model without
    X search is ignored, as Venice does.)"""
    issues = _part_issues(body, model) + _feature_issues(body, model)
    if issues:
        raise detailed_error(issues)


def _part_issues(body: dict[str, Any], model: dict[str, Any]) -> list[dict[str, Any]]:
    caps = model.get("model_spec", {}).get("capabilities", {})
    issues: list[dict[str, Any]] = []
    videos = 0
    for i, message in enumerate(body.get("messages") or []):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        counts: dict[str, int] = {}
        for j, part in enumerate(content):
            kind = part.get("type") if isinstance(part, dict) else None
            if kind not in _PER_MESSAGE:
                continue
            counts[kind] = counts.get(kind, 0) + 1
            if message.get("role") != "user":
                issues.append(_issue(["messages", i, "content", j], f"Only user messages may carry {kind}"))
            need = _PART_CAPABILITY.get(kind)
            if need and caps.get(need[0]) is not True:
                issues.append(_issue(["messages", i, "content", j], f"This model does not support {need[1]}"))
        videos += counts.get("video_url", 0)
        for kind, count in counts.items():
            if count > _PER_MESSAGE[kind]:
                issues.append(
                    _issue(
                        ["messages", i, "content"], f"At most {_PER_MESSAGE[kind]} {kind} parts per message"
                    )
                )
    if videos > _VIDEOS_PER_REQUEST:
        issues.append(_issue(["messages"], f"At most {_VIDEOS_PER_REQUEST} videos per request"))
    return issues


def _feature_issues(body: dict[str, Any], model: dict[str, Any]) -> list[dict[str, Any]]:
    spec = model.get("model_spec", {})
    caps = spec.get("capabilities", {})
    issues: list[dict[str, Any]] = []
    if caps.get("supportsFunctionCalling") is not True:
        for name in ("tools", "tool_choice"):
            if body.get(name):
                issues.append(_issue([name], "This model does not support function calling"))
        if body.get("parallel_tool_calls") is True:
            issues.append(_issue(["parallel_tool_calls"], "This model does not support function calling"))
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") != "text" and caps.get("supportsResponseSchema") is not True:
        issues.append(_issue(["response_format"], "This model does not support structured responses"))
    if caps.get("supportsLogProbs") is not True:
        for name in ("logprobs", "top_logprobs"):
            if body.get(name) is True or (name == "top_logprobs" and name in body):
                issues.append(_issue([name], "This model does not support logprobs"))
    cap = spec.get("maxCompletionTokens")
    asked = body.get("max_completion_tokens")
    if isinstance(cap, int) and isinstance(asked, int) and asked > cap:
        issues.append(
            _issue(["max_completion_tokens"], f"max_completion_tokens must be at most {cap} for this model")
        )
    model_id = str(model.get("id"))
    effort = body.get("reasoning_effort") or (body.get("reasoning") or {}).get("effort")
    allowed = caps.get("reasoningEffortOptions")
    if effort and isinstance(allowed, list) and model_id.startswith(("claude-", "openai-")):
        accepted = {*allowed, "none", *(["minimal"] if model_id.startswith("openai-") else [])}
        if effort not in accepted:
            field = "reasoning_effort" if body.get("reasoning_effort") else "reasoning"
            issues.append(_issue([field], f"Reasoning effort '{effort}' is not supported by this model"))
    if model_id.startswith("openai-") and caps.get("supportsReasoning") is True:
        for name in _OPENAI_REASONING_REFUSES:
            value = body.get(name)
            refused = name in ("seed", "stop") and value is not None
            refused = refused or (name == "n" and value not in (None, 1))
            refused = refused or (name.endswith("penalty") and value not in (None, 0))
            if refused:
                issues.append(_issue([name], f"{name} is not supported by this model"))
    return issues

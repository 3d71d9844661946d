"""The rest of Venice's chat request, by Venice's own names, and what a model must be able to do.

``venice_chat`` types the arguments an agent reaches for; everything else in the chat request
(sampling, penalties, caching, fallbacks, Venice's search switches) travels in ``options`` under the
name Venice's API gives it. Each is checked here, before anything is spent, so a typo or a value out
of range is a free error rather than a paid 400, and so is a feature the model does not have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from venice_mcp.chat import ChatError
from venice_mcp.chat.parts import Media

EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
# Venice's per-message part limits (venice-chat.md), and its per-request video limit.
PER_MESSAGE = {"image_url": 10, "input_audio": 5, "video_url": 3, "file": 5}
VIDEOS_PER_REQUEST = 3


def _number(low: float | None = None, high: float | None = None) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return (low is None or value >= low) and (high is None or value <= high)

    return check


def _integer(low: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= low


def _one_of(*values: str) -> Callable[[Any], bool]:
    return lambda v: v in values


def _boolean(value: Any) -> bool:
    return isinstance(value, bool)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _stop(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value)
    return isinstance(value, list) and 1 <= len(value) <= 4 and all(isinstance(s, str) and s for s in value)


def _token_ids(value: Any) -> bool:
    return isinstance(value, list) and all(_integer(0)(v) for v in value)


def _reasoning(value: Any) -> bool:
    if not isinstance(value, dict) or set(value) - {"summary", "enabled", "effort"}:
        return False
    return (
        value.get("summary") in (None, "auto", "concise", "detailed")
        and isinstance(value.get("enabled", True), bool)
        and value.get("effort") in (None, *EFFORTS)
    )


def _fallbacks(value: Any) -> bool:
    return (
        isinstance(value, list)
        and 1 <= len(value) <= 10
        and all(isinstance(f, dict) and set(f) == {"model"} and _text(f["model"]) for f in value)
    )


@dataclass(frozen=True)
class Option:
    check: Callable[[Any], bool]
    expect: str  # what the check accepts, for the error
    venice: bool = False  # a venice_parameters switch rather than a top-level field


OPTIONS: dict[str, Option] = {
    "top_p": Option(_number(0, 1), "a number from 0 to 1"),
    "top_k": Option(_integer(0), "an integer >= 0"),
    "min_p": Option(_number(0, 1), "a number from 0 to 1"),
    "min_temp": Option(_number(0, 2), "a number from 0 to 2"),
    "max_temp": Option(_number(0, 2), "a number from 0 to 2"),
    "frequency_penalty": Option(_number(-2, 2), "a number from -2 to 2"),
    "presence_penalty": Option(_number(-2, 2), "a number from -2 to 2"),
    "repetition_penalty": Option(_number(0), "a number >= 0 (1 is none)"),
    "seed": Option(_integer(1), "an integer >= 1"),
    "stop": Option(_stop, "a string or 1 to 4 strings"),
    "stop_token_ids": Option(_token_ids, "a list of token ids"),
    "parallel_tool_calls": Option(_boolean, "true or false"),
    "verbosity": Option(_one_of("low", "medium", "high", "auto"), "low, medium, high or auto"),
    "reasoning": Option(
        _reasoning, "{summary: auto|concise|detailed, enabled: bool, effort: " + "|".join(EFFORTS) + "}"
    ),
    "prompt_cache_key": Option(_text, "a non-empty string"),
    "prompt_cache_retention": Option(_one_of("default", "extended", "24h"), "default, extended or 24h"),
    "fallbacks": Option(_fallbacks, "1 to 10 {model} objects"),
    "enable_x_search": Option(_boolean, "true or false", venice=True),
    "return_search_results_as_documents": Option(_boolean, "true or false", venice=True),
}
# Fields a typed argument of venice_chat already sets: one way to say each thing.
TYPED = {
    "model": "model",
    "messages": "messages or prompt",
    "temperature": "temperature",
    "max_tokens": "max_tokens",
    "max_completion_tokens": "max_tokens",
    "n": "n",
    "logprobs": "logprobs",
    "top_logprobs": "logprobs",
    "tools": "tools",
    "tool_choice": "tool_choice",
    "response_format": "response_schema",
    "reasoning_effort": "reasoning_effort",
    "enable_web_search": "web_search",
    "enable_web_citations": "web_citations",
    "enable_web_scraping": "web_scraping",
    "character_slug": "character",
    "strip_thinking_response": "thinking",
    "disable_thinking": "thinking",
    "include_venice_system_prompt": "venice_system_prompt",
}


class OptionError(ChatError):
    """An option or argument the request cannot carry; the message says which and why."""


def apply(options: dict[str, Any], body: dict[str, Any], venice: dict[str, Any]) -> None:
    """Check ``options`` and put each where Venice reads it (``reasoning`` merges with the effort).

    Raises:
        OptionError: an unknown name, one a typed argument covers, or a value out of range.
    """
    for name, value in options.items():
        option = OPTIONS.get(name)
        if option is None:
            if name in TYPED:
                raise OptionError(f"options.{name}: use the {TYPED[name]} argument instead")
            raise OptionError(f"options.{name} is not a Venice chat option; known: {', '.join(OPTIONS)}")
        if not option.check(value):
            raise OptionError(f"options.{name} must be {option.expect}, not {value!r}")
        if option.venice:
            venice[name] = value
        elif name == "reasoning":
            body["reasoning"] = {**value, **body.get("reasoning", {})}
        else:
            body[name] = value


def _openai_reasoning(model_id: str, capabilities: dict[str, Any]) -> bool:
    return model_id.startswith("openai-") and capabilities.get("supportsReasoning") is True


def check_model(model_id: str, spec: dict[str, Any], body: dict[str, Any], media: Media) -> None:
    """Refuse, before anything is spent, what Venice would refuse with a 400 for this model.

    Raises:
        OptionError: the first thing the model cannot take, naming the capability it lacks.
    """
    caps = spec.get("capabilities") or {}
    venice = body.get("venice_parameters") or {}
    needs = [
        ("image_url" in media.counts, "supportsVision", "image parts"),
        ("input_audio" in media.counts, "supportsAudioInput", "audio parts"),
        ("video_url" in media.counts, "supportsVideoInput", "video parts"),
        (
            bool(body.get("tools")) or "tool_choice" in body or body.get("parallel_tool_calls") is True,
            "supportsFunctionCalling",
            "tools (function calling)",
        ),
        (
            (body.get("response_format") or {}).get("type", "text") != "text",
            "supportsResponseSchema",
            "a response schema",
        ),
        (body.get("logprobs") is True or "top_logprobs" in body, "supportsLogProbs", "logprobs"),
        (venice.get("enable_x_search") is True, "supportsXSearch", "X search"),
    ]
    for wanted, capability, what in needs:
        if wanted and caps.get(capability) is not True:
            raise OptionError(f"{model_id} does not take {what} ({capability} is not set); nothing was spent")
    if media.counts.get("video_url", 0) > VIDEOS_PER_REQUEST:
        raise OptionError(f"At most {VIDEOS_PER_REQUEST} video parts per request; nothing was spent")
    images, limit = media.counts.get("image_url", 0), caps.get("maxImages")
    if isinstance(limit, int) and images > limit:
        raise OptionError(f"{model_id} takes at most {limit} images per request; {images} given")
    cap = spec.get("maxCompletionTokens")
    asked = body.get("max_completion_tokens")
    if isinstance(cap, int) and isinstance(asked, int) and asked > cap:
        raise OptionError(f"max_tokens {asked} is above {model_id}'s limit of {cap} output tokens")
    effort = body.get("reasoning_effort") or (body.get("reasoning") or {}).get("effort")
    allowed = caps.get("reasoningEffortOptions")
    if effort and isinstance(allowed, list):
        # "none" is Venice's own off switch on every model; OpenAI's take "minimal" as their lowest.
        accepted = {*map(str, allowed), "none", *(["minimal"] if model_id.startswith("openai-") else [])}
        if effort not in accepted:
            named = ", ".join(e for e in EFFORTS if e in accepted)
            raise OptionError(f"{model_id} takes reasoning_effort {named}, not {effort}; nothing was spent")
    if _openai_reasoning(model_id, caps):
        refused: list[str] = [k for k in ("seed", "stop") if k in body]
        refused += [k for k in ("presence_penalty", "frequency_penalty") if body.get(k)]
        refused += ["n"] if body.get("n", 1) != 1 else []
        if refused:
            raise OptionError(
                f"{model_id} is an OpenAI reasoning model: it does not take {', '.join(refused)}"
            )


def check_parts_per_message(messages: list[dict[str, Any]]) -> None:
    """Venice's per-message part limits, checked before any file is loaded."""
    for index, message in enumerate(messages):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for kind, limit in PER_MESSAGE.items():
            count = sum(1 for p in content if isinstance(p, dict) and p.get("type") == kind)
            if count > limit:
                raise OptionError(f"messages[{index}] has {count} {kind} parts; Venice takes at most {limit}")

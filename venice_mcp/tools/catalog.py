"""Catalog tools: which models exist (with their privacy, traits and aliases), and one model's full
spec. Both free and read-only."""

import json
from typing import Annotated, Any, Literal

from pydantic import Field

from venice_mcp.call import Call
from venice_mcp.reply import Reply
from venice_mcp.tools._declare import tool

# The Venice operations each tool reaches (spec paths); tools/spec_coverage.py reads this. The
# calls themselves go through venice_mcp/catalog.py (cached).
ENDPOINTS = {
    "GET /models": ("venice_models", "venice_model_info"),
    "GET /models/traits": ("venice_models", "venice_model_info"),
    "GET /models/compatibility_mapping": ("venice_models", "venice_model_info"),
}

ModelType = Literal["text", "embedding", "image", "inpaint", "upscale", "tts", "asr", "music", "video", "all"]
Capability = Literal[
    "vision",
    "reasoning",
    "function_calling",
    "web_search",
    "response_schema",
    "code",
    "audio_input",
    "video_input",
    "tee",
    "e2ee",
    "uncensored",
]
Privacy = Literal["private", "anonymized"]
# What the two modes promise (the spec and venice-models.md), said once per listing.
_PRIVACY_LEGEND = "private = zero data retention; anonymized = run by a third party, not tied to you"

_CAPABILITY_FLAGS: dict[str, str] = {
    "vision": "supportsVision",
    "reasoning": "supportsReasoning",
    "function_calling": "supportsFunctionCalling",
    "web_search": "supportsWebSearch",
    "response_schema": "supportsResponseSchema",
    "code": "optimizedForCode",
    "audio_input": "supportsAudioInput",
    "video_input": "supportsVideoInput",
    "tee": "supportsTeeAttestation",
    "e2ee": "supportsE2EE",
}
# Shown with privacy in a text line rather than among the other capabilities.
_SECURE = ("tee", "e2ee")


def _capabilities(model: dict[str, Any]) -> list[str]:
    spec = model.get("model_spec") or {}
    caps = spec.get("capabilities") or {}
    found = [name for name, flag in _CAPABILITY_FLAGS.items() if caps.get(flag) is True]
    if spec.get("uncensored") is True:
        found.append("uncensored")
    return found


def _usd(entry: Any) -> float | None:
    return (
        entry.get("usd") if isinstance(entry, dict) and isinstance(entry.get("usd"), (int, float)) else None
    )


def price_summary(model: dict[str, Any]) -> str:
    """One short phrase for a model's price, whatever shape its pricing has."""
    spec = model.get("model_spec") or {}
    pricing = spec.get("pricing") or {}
    kind = model.get("type")
    if _usd(pricing.get("input")) is not None and kind in ("text", "embedding"):
        out = _usd(pricing.get("output"))
        unit = "per 1M tokens"
        text = f"${_usd(pricing['input']):g} in"
        return f"{text} / ${out:g} out {unit}" if out is not None and kind == "text" else f"{text} {unit}"
    if _usd(pricing.get("input")) is not None:
        return f"${_usd(pricing['input']):g} per 1M characters"
    for key, unit in (
        ("generation", "per image"),
        ("inpaint", "per edit"),
        ("per_audio_second", "per second"),
    ):
        if _usd(pricing.get(key)) is not None:
            return f"${_usd(pricing[key]):g} {unit}"
    if isinstance(pricing.get("durations"), dict):
        prices = [p for p in (_usd(v) for v in pricing["durations"].values()) if p is not None]
        if prices:
            return f"${min(prices):g}–${max(prices):g} by duration"
    if isinstance(pricing.get("per_thousand_characters"), dict):
        return f"${_usd(pricing['per_thousand_characters']):g} per 1K characters"
    return "priced per request (see venice_quote)"


def compact_row(model: dict[str, Any]) -> dict[str, Any]:
    spec = model.get("model_spec") or {}
    row: dict[str, Any] = {
        "id": model.get("id"),
        "name": spec.get("name") or model.get("id"),
        "type": model.get("type"),
        "price": price_summary(model),
    }
    if spec.get("privacy") in ("private", "anonymized"):
        row["privacy"] = spec["privacy"]
    if model.get("context_length") or spec.get("availableContextTokens"):
        row["context_tokens"] = model.get("context_length") or spec.get("availableContextTokens")
    if spec.get("traits"):
        row["traits"] = spec["traits"]
    caps = _capabilities(model)
    if caps:
        row["capabilities"] = caps
    if spec.get("offline"):
        row["offline"] = True
    if spec.get("betaModel") or spec.get("beta"):
        row["beta"] = True
    if spec.get("deprecation"):
        row["deprecated"] = True
    return row


def _privacy_text(row: dict[str, Any]) -> str | None:
    """The privacy mode and the hardware guarantees behind it, e.g. 'private (TEE, E2EE)'."""
    secure = [c.upper() for c in _SECURE if c in row.get("capabilities", ())]
    text = " ".join(filter(None, [row.get("privacy"), f"({', '.join(secure)})" if secure else None]))
    return text or None


def _line(row: dict[str, Any]) -> str:
    parts = [f"{row['id']}", _privacy_text(row), row["price"]]
    if "context_tokens" in row:
        parts.append(f"{int(row['context_tokens']) // 1000}K ctx")
    if row.get("traits"):
        parts.append("traits: " + ", ".join(row["traits"]))
    others = [c for c in row.get("capabilities", ()) if c not in _SECURE]
    if others:
        parts.append(", ".join(others))
    flags = [f for f in ("offline", "beta", "deprecated") if row.get(f)]
    if flags:
        parts.append("[" + ", ".join(flags) + "]")
    return "- " + " · ".join(p for p in parts if p)


def _aliases_text(aliases: dict[str, str]) -> str:
    """Aliases grouped by the model they name: "gpt-4o, gpt-4 → zai-org-glm-5-2; o1 → kimi-k3"."""
    by_target: dict[str, list[str]] = {}
    for alias, target in aliases.items():
        by_target.setdefault(target, []).append(alias)
    return "; ".join(f"{', '.join(names)} → {target}" for target, names in by_target.items())


def _matches(model: dict[str, Any], search: str | None, capability: str | None, privacy: str | None) -> bool:
    if capability and capability not in _capabilities(model):
        return False
    if privacy and (model.get("model_spec") or {}).get("privacy") != privacy:
        return False
    if not search:
        return True
    spec = model.get("model_spec") or {}
    haystack = " ".join(str(x) for x in (model.get("id"), spec.get("name"), spec.get("description"))).lower()
    return all(word in haystack for word in search.lower().split())


@tool("List models", "read_only", "core")
async def venice_models(
    call: Call,
    type: Annotated[ModelType, Field()] = "text",
    search: Annotated[str | None, Field(description="Words in id, name or description.")] = None,
    capability: Annotated[Capability | None, Field()] = None,
    privacy: Annotated[Privacy | None, Field()] = None,
    limit: Annotated[int, Field(ge=1, le=500)] = 50,
) -> Reply:
    """List Venice models of a type (id, privacy, price, context, capabilities), its traits and aliases."""
    state = call.state
    models = await state.catalog.models(type)
    # Traits and aliases are per type (the spec refuses type=all for both).
    traits = await state.catalog.traits(type) if type != "all" else {}
    aliases = await state.catalog.aliases(type) if type != "all" else {}
    chosen = [m for m in models if _matches(m, search, capability, privacy)]
    rows = [compact_row(m) for m in chosen[:limit]]
    head = f"{len(chosen)} {type} model(s)" + (f", showing {len(rows)}" if len(rows) < len(chosen) else "")
    if traits:
        head += ". Traits: " + ", ".join(f"{k}={v}" for k, v in traits.items())
    if aliases:
        head += ". Aliases: " + _aliases_text(aliases)
    if any("privacy" in r for r in rows):
        head += f"\nPrivacy: {_PRIVACY_LEGEND}."
    text = head + ("\n" + "\n".join(_line(r) for r in rows) if rows else "\nNo model matches those filters.")
    data = {"type": type, "total": len(chosen), "traits": traits, "aliases": aliases, "models": rows}
    return Reply(text, data)


@tool("Model details", "read_only", "core")
async def venice_model_info(
    call: Call,
    model: Annotated[
        str,
        Field(description="Id, trait ('default_code'), alias ('gpt-4o') or loose name ('GLM 5.2')."),
    ],
    type: Annotated[ModelType | None, Field(description="For traits and aliases.")] = None,
) -> Reply:
    """One model's full spec: capabilities, constraints, voices, pricing."""
    state = call.state
    resolved = await state.catalog.resolve(model, None if type == "all" else type)
    note = "" if resolved.via == "id" else f" (resolved from {model!r} by {resolved.via})"
    text = f"{resolved.id}{note}: {price_summary(resolved.model)}\n" + json.dumps(
        resolved.model, indent=1, sort_keys=True
    )
    return Reply(text, {"resolved_from": model, "resolved_by": resolved.via, "model": resolved.model})

"""The model catalog: /models listings, traits, compatibility aliases and tolerant model lookup."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from venice_mcp.sandbox import seed
from venice_mcp.sandbox.errors import detailed_error, error

MODEL_TYPES = ("asr", "embedding", "image", "music", "text", "tts", "upscale", "inpaint", "video", "decision")
MODEL_FILTERS = ("all", "code")

# OpenAI-style names mapped to the model that serves the given trait of the type.
_COMPAT_TRAITS: dict[str, dict[str, str]] = {
    "text": {
        "gpt-4o": "default",
        "gpt-4o-mini": "default",
        "gpt-4": "default",
        "gpt-4-turbo": "default",
        "gpt-3.5-turbo": "default",
        "o1": "default_reasoning",
        "o3-mini": "default_reasoning",
        "deepseek-r1": "default_reasoning",
        "gpt-4-vision-preview": "default_vision",
    },
    "image": {"dall-e-3": "default", "dall-e-2": "fastest"},
}
_COMPAT_FIXED: dict[str, dict[str, str]] = {
    "embedding": {"text-embedding-ada-002": "text-embedding-bge-m3"},
    "tts": {"tts-1": "tts-kokoro", "tts-1-hd": "tts-kokoro"},
    "asr": {"whisper-1": "openai/whisper-large-v3"},
}


def models_of(kind: str) -> list[dict[str, Any]]:
    """Captured /models entries of one type (or filter), served as captured."""
    snapshots = seed.model_snapshots()
    if kind == "all":
        return [m for t in MODEL_TYPES for m in snapshots.get(t, [])]
    if kind == "code":
        return [
            m
            for m in snapshots.get("text", [])
            if m.get("model_spec", {}).get("capabilities", {}).get("optimizedForCode")
        ]
    return list(snapshots.get(kind, []))


def check_type(value: str | None, *, filters: bool) -> str:
    """Validate a ?type= query the way Venice's zod union does; returns the effective type."""
    if value is None:
        return "text"
    allowed = MODEL_TYPES + (MODEL_FILTERS if filters else ())
    if value in allowed:
        return value
    first = " | ".join(f"'{t}'" for t in MODEL_TYPES)
    second = " | ".join(f"'{t}'" for t in MODEL_FILTERS)
    branches = [
        {
            "code": "invalid_enum_value",
            "options": list(MODEL_TYPES),
            "received": value,
            "path": ["type"],
            "message": f"Invalid enum value. Expected {first}, received '{value}'",
        }
    ]
    if filters:
        branches.append(
            {
                "code": "invalid_enum_value",
                "options": list(MODEL_FILTERS),
                "received": value,
                "path": ["type"],
                "message": f"Invalid enum value. Expected {second}, received '{value}'",
            }
        )
    issue = {
        "code": "invalid_union",
        "unionErrors": [{"issues": [b]} for b in branches],
        "path": ["type"],
        "message": "Invalid input",
    }
    raise detailed_error([issue])


@cache
def traits(kind: str) -> dict[str, str]:
    """Trait → model id, from the captured model_spec.traits; text also takes the newer static map
    where it names a model the catalog has (a trait must never point at a missing model)."""
    out: dict[str, str] = {}
    models = models_of(kind)
    for model in models:
        for trait in model.get("model_spec", {}).get("traits", []) or []:
            out.setdefault(trait, model["id"])
    if kind == "text":
        ids = {m["id"] for m in models}
        out.update({t: mid for t, mid in seed.static_text_traits().items() if mid in ids})
    return dict(sorted(out.items()))


@cache
def compatibility(kind: str) -> dict[str, str]:
    out = dict(_COMPAT_FIXED.get(kind, {}))
    kind_traits = traits(kind)
    for alias, trait in _COMPAT_TRAITS.get(kind, {}).items():
        target = kind_traits.get(trait) or kind_traits.get("default")
        if target:
            out[alias] = target
    ids = {m["id"] for m in models_of(kind)}
    return {alias: mid for alias, mid in sorted(out.items()) if mid in ids}


def _norm(name: str) -> str:
    return re.sub(r"[._\s]+", "-", name.strip().lower())


@cache
def _index(kind: str) -> dict[str, dict[str, Any]]:
    """Every spelling a lookup tolerates → the model: id, normalized id, and both without venice-."""
    index: dict[str, dict[str, Any]] = {}
    for model in models_of(kind):
        mid = model["id"]
        for key in (_norm(mid), _norm(mid).removeprefix("venice-")):
            index.setdefault(key, model)
    for model in models_of(kind):  # exact ids win over normalized collisions
        index[model["id"]] = model
    return index


def find(name: str, kind: str) -> dict[str, Any] | None:
    index = _index(kind)
    if name in index:
        return index[name]
    for table in (traits(kind), compatibility(kind)):
        if name in table:
            return index.get(table[name])
    key = _norm(name)
    return index.get(key) or index.get(key.removeprefix("venice-"))


def resolve(body: dict[str, Any], kind: str) -> dict[str, Any]:
    """The model a request names, or Venice's 400/404/503 for a missing, non-string or unknown one."""
    if "model" not in body or body["model"] is None:
        raise error(400, "model is required")
    name = body["model"]
    if not isinstance(name, str):
        raise error(400, "model must be a string")
    model = find(name, kind)
    if model is None:
        raise error(404, f"Specified model not found: {name}")
    if model.get("model_spec", {}).get("offline"):
        raise error(503, "The model is temporarily offline. Please try again later.")
    return model


def price(model: dict[str, Any], key: str) -> float:
    """USD price per unit (per 1M tokens for text and embeddings) under model_spec.pricing[key]."""
    entry = model.get("model_spec", {}).get("pricing", {}).get(key, {})
    value = entry.get("usd", 0.0) if isinstance(entry, dict) else 0.0
    return float(value) if isinstance(value, (int, float)) else 0.0

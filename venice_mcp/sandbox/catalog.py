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


# Models captured on 2026-08-13 but gone from Venice's static catalog of 2026-08-22, so Venice
# published no name or privacy mode for them. The names are the sandbox's, in Venice's style; the
# privacy claimed is the weaker one, since nothing shows these models run with zero retention.
_UNLISTED: dict[str, dict[str, str]] = {
    "kestrel-1-0-image-to-video": {"name": "Kestrel 1.0 Image to Video", "privacy": "anonymized"},
    "kestrel-1-0-reference-to-video": {"name": "Kestrel 1.0 Reference to Video", "privacy": "anonymized"},
    "kestrel-1-0-text-to-video": {"name": "Kestrel 1.0 Text to Video", "privacy": "anonymized"},
    "nvidia-nemotron-3-super-120b-a12b": {"name": "NVIDIA Nemotron 3 Super", "privacy": "anonymized"},
    "qwen-3-6-max-preview": {"name": "Qwen 3.6 Max Preview", "privacy": "anonymized"},
    "xiaomi-mimo-v2-omni": {"name": "MiMo-V2 Omni", "privacy": "anonymized"},
}
# What the static catalog knows that the captures lack (uncensored, betaModel and deprecation
# appear only on the models they apply to, as on the wire).
_STATIC_SPEC_FIELDS = ("name", "privacy", "uncensored", "betaModel", "deprecation")
_KIND_NAMES = {
    "image": "image",
    "inpaint": "image editing",
    "upscale": "upscaling",
    "asr": "speech-to-text",
    "music": "music and audio",
    "embedding": "embedding",
    "tts": "text-to-speech",
}


def _tokens(count: int) -> str:
    return f"{count // 1_000_000}M" if count >= 1_000_000 and count % 1_000_000 == 0 else f"{count // 1000}K"


def _description(model: dict[str, Any]) -> str:
    """What the model's own spec says it is, in one line: neither the captures nor Venice's
    static catalog carry Venice's description text."""
    spec = model["model_spec"]
    kind = str(model.get("type"))
    name = spec["name"]
    if kind == "text":
        return f"{name}: text model, {_tokens(int(spec['availableContextTokens']))}-token context."
    if kind == "video":
        video_kind = str(spec.get("constraints", {}).get("model_type", "video"))
        return f"{name}: {'video-to-video' if video_kind == 'video' else video_kind} model."
    detail = ""
    if kind == "embedding":
        detail = f", {spec['embeddingDimensions']} dimensions"
    elif kind == "tts":
        detail = f", {len(spec.get('voices') or [])} voices"
    return f"{name}: {_KIND_NAMES.get(kind, kind)} model{detail}."


def wire_model(captured: dict[str, Any], static: dict[str, Any] | None) -> dict[str, Any]:
    """A captured model in Venice's wire shape (the OpenAPI ModelResponse).

    The captures write null and {} where Venice omits a field that does not apply to the type
    (the spec's types, venice-models.md): context and completion limits and ``capabilities``
    exist only for text models, few text models carry ``constraints``, and video models have no
    ``pricing`` (each job is quoted).
    The static catalog adds name, privacy, release date and flags; ``context_length`` mirrors
    the context window on text models, as Venice sends it for OpenAI-compatible clients.
    """
    spec = {k: v for k, v in captured.get("model_spec", {}).items() if v is not None and v != {}}
    facts = static["model_spec"] if static else _UNLISTED[captured["id"]]
    spec.update({k: facts[k] for k in _STATIC_SPEC_FIELDS if k in facts})
    model = {**captured, "model_spec": spec}
    spec["description"] = _description(model)
    if static and "created" in static:
        model["created"] = static["created"]
    if model.get("type") == "text" and "availableContextTokens" in spec:
        model["context_length"] = spec["availableContextTokens"]
    return model


@cache
def _catalog() -> dict[str, list[dict[str, Any]]]:
    static = seed.static_models()
    return {
        kind: [wire_model(m, static.get(m["id"])) for m in models]
        for kind, models in seed.model_snapshots().items()
    }


def models_of(kind: str) -> list[dict[str, Any]]:
    """The /models entries of one type (or filter): the captures, in Venice's wire shape."""
    served = _catalog()
    if kind == "all":
        return [m for t in MODEL_TYPES for m in served.get(t, [])]
    if kind == "code":
        return [
            m
            for m in served.get("text", [])
            if m.get("model_spec", {}).get("capabilities", {}).get("optimizedForCode")
        ]
    return list(served.get(kind, []))


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


def require_model(body: Any) -> None:
    """Venice's 400 for a missing or non-string model, given before the body's schema is checked."""
    if isinstance(body, dict):
        if body.get("model") is None:
            raise error(400, "model is required")
        if not isinstance(body["model"], str):
            raise error(400, "model must be a string")


def resolve(body: dict[str, Any], kind: str) -> dict[str, Any]:
    """The model a request names, or Venice's 400/404/503 for a missing, non-string or unknown one."""
    require_model(body)
    name = body["model"]
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

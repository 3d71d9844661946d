"""A minimal JSON value that satisfies a JSON schema: what a structured-output reply looks like."""

from __future__ import annotations

from typing import Any

_MAX_DEPTH = 12


def minimal_instance(schema: Any, defs: dict[str, Any] | None = None, depth: int = 0) -> Any:
    """Required properties only, each with a type-appropriate value (const/enum/default first)."""
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if defs is None:
        defs = {**schema.get("definitions", {}), **schema.get("$defs", {})}
    ref = schema.get("$ref")
    if isinstance(ref, str) and "/" in ref:
        return minimal_instance(defs.get(ref.rsplit("/", 1)[-1], {}), defs, depth + 1)
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            if key == "allOf":
                merged: dict[str, Any] = {}
                for part in schema[key]:
                    merged.update(minimal_instance(part, defs, depth + 1) or {})
                return merged
            return minimal_instance(schema[key][0], defs, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        props = schema.get("properties", {})
        return {
            name: minimal_instance(props.get(name, {}), defs, depth + 1)
            for name in schema.get("required", [])
        }
    if kind == "array":
        count = int(schema.get("minItems", 0))
        return [minimal_instance(schema.get("items", {}), defs, depth + 1) for _ in range(count)]
    if kind == "string":
        return "sandbox" + "x" * max(0, int(schema.get("minLength", 0)) - 7)
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        value = low if isinstance(low, (int, float)) and not isinstance(low, bool) else 0
        if "exclusiveMinimum" in schema and not isinstance(schema["exclusiveMinimum"], bool):
            value += 1
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return False
    return None

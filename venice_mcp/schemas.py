"""Smaller tool schemas for tools/list: every host sends them to the model on every turn.

Pydantic's JSON Schema repeats each property name as a ``title``, spells an optional argument as
``anyOf [X, null]`` with ``default: null``, and writes what JSON Schema assumes anyway
(``additionalProperties: true``, a flag's ``default: false``, a default at the minimum). None of
it tells a model anything, so it is dropped from the *published* schema; arguments are still
validated by the tool's pydantic model, which accepts null and applies the defaults as before.
"""

from __future__ import annotations

from typing import Any


def compact(schema: Any) -> Any:
    if isinstance(schema, list):
        return [compact(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: compact(prop) for name, prop in value.items()}
        elif key == "$defs" and isinstance(value, dict):
            out[key] = {name: compact(d) for name, d in value.items()}
        elif key == "title" or (key == "additionalProperties" and value is True):
            continue
        else:
            out[key] = compact(value)
    options = out.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options and out.get("default", 0) is None:
        rest = [o for o in options if o != {"type": "null"}]
        out.pop("default")
        if len(rest) == 1 and isinstance(rest[0], dict):
            del out["anyOf"]
            out = {**rest[0], **out}
        else:
            out["anyOf"] = rest
    # A flag that is off, or a number at its floor, is what a model assumes anyway.
    unsaid = (out.get("type") == "boolean" and out.get("default") is False) or (
        "default" in out and out["default"] == out.get("minimum")
    )
    if unsaid:
        del out["default"]
    return out

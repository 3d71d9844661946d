"""The sandbox's quick body check never lets through a body jsonschema would refuse.

validate_body takes a compiled validator's yes as final, so a body that validator wrongly accepts
would reach a handler unchecked. Bodies are drawn from each operation's own schema (so many are
valid), with arbitrary JSON mixed in at every level in half of them (so those break it somewhere:
types, bounds, enums, required fields, unknown keys).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator

from venice_mcp.sandbox import seed
from venice_mcp.sandbox.spec import compiled, request_schema

OPERATIONS = sorted(
    (path, method)
    for path, item in seed.openapi()["paths"].items()
    for method, op in item.items()
    if isinstance(op, dict) and "application/json" in (op.get("requestBody") or {}).get("content", {})
)

ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-3, 3) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=4,
)


def _number(schema: dict[str, Any], integer: bool) -> st.SearchStrategy[Any]:
    low, high = schema.get("minimum", -10), schema.get("maximum", 300_000)
    if integer:
        return st.integers(int(low) + bool(schema.get("exclusiveMinimum")), int(high))
    floats = st.floats(low, high, exclude_min=bool(schema.get("exclusiveMinimum")), allow_nan=False)
    return floats | st.integers(int(low) + 1, int(high)) if high - low > 1 else floats


def from_schema(schema: Any, noise: bool, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped by ``schema`` (enums, types, bounds, lengths, properties, items, anyOf,
    allOf); with ``noise``, any of them may be replaced by arbitrary JSON."""
    if not isinstance(schema, dict) or depth > 5:
        return ANY_JSON

    def inner(sub: Any) -> st.SearchStrategy[Any]:
        return from_schema(sub, noise, depth + 1)

    kind = schema.get("type")
    if "enum" in schema:
        shaped: st.SearchStrategy[Any] = st.sampled_from(schema["enum"])
    elif "anyOf" in schema:
        shaped = st.one_of([inner(s) for s in schema["anyOf"]])
    elif "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        shaped = inner(merged)
    elif kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = [k for k in schema.get("required", []) if k in properties]
        optional = {k: inner(v) for k, v in properties.items() if k not in required}
        shaped = st.fixed_dictionaries({k: inner(properties[k]) for k in required}, optional=optional)
    elif kind == "array":
        low = schema.get("minItems", 0)
        shaped = st.lists(
            inner(schema.get("items")), min_size=low, max_size=min(low + 2, schema.get("maxItems", 9))
        )
    elif kind == "string":
        low = schema.get("minLength", 0)
        shaped = st.text(min_size=low, max_size=min(low + 6, schema.get("maxLength", low + 6)))
    elif kind in ("number", "integer"):
        shaped = _number(schema, integer=kind == "integer")
    elif kind == "boolean":
        shaped = st.booleans()
    elif kind == "null":
        shaped = st.none()
    else:
        shaped = ANY_JSON
    return st.one_of(shaped, shaped, shaped, ANY_JSON) if noise else shaped


def bodies(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    return from_schema(schema, noise=False) | from_schema(schema, noise=True)


def test_every_request_schema_compiles() -> None:
    """Otherwise that operation would silently fall back to the slow path."""
    assert len(OPERATIONS) > 20
    assert [op for op in OPERATIONS if compiled(*op) is None] == []


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_quick_yes_is_jsonschemas_yes(path: str, method: str) -> None:
    schema = request_schema(path, method)
    quick, slow = compiled(path, method), Draft4Validator(schema)
    assert quick is not None
    accepted: list[Any] = []

    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(bodies(schema))
    def agree(body: Any) -> None:
        if quick(body):
            accepted.append(body)
            assert list(slow.iter_errors(body)) == [], body

    agree()
    assert accepted, "no drawn body was valid: the check above tested nothing"

"""Query-string validation against the spec's ``parameters``, reported as Venice's zod-style 400.

Query values arrive as strings; like Venice's zod coercion, integer parameters are parsed before
their bounds are checked, and array parameters take repeated names or comma-separated values.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from starlette.datastructures import QueryParams

from venice_mcp.sandbox import seed
from venice_mcp.sandbox.errors import detailed_error
from venice_mcp.sandbox.spec import _convert, _issues


@cache
def _query_schema(path: str, method: str) -> dict[str, Any]:
    spec = seed.openapi()
    operation = spec["paths"][path][method]
    props: dict[str, Any] = {}
    required: list[str] = []
    for param in operation.get("parameters", []):
        if param.get("in") != "query":
            continue
        props[param["name"]] = _convert(param.get("schema", {}), spec["components"]["schemas"])
        if param.get("required"):
            required.append(param["name"])
    return {"type": "object", "properties": props, "required": required}


def _types(schema: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    if isinstance(schema.get("type"), str):
        found.add(schema["type"])
    for branch in schema.get("anyOf", []):
        found |= _types(branch)
    return found


def _coerce(raw: list[str], schema: dict[str, Any]) -> Any:
    types = _types(schema)
    if "array" in types:
        return [part for value in raw for part in value.split(",") if part]
    value = raw[-1]
    if types & {"integer", "number"}:
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return value  # left as a string: the type check reports it
    return value


def validate_query(
    path: str, query: QueryParams, method: str = "get", *, strict: bool = False
) -> dict[str, Any]:
    """The operation's query parameters, coerced and checked; raise Venice's 400 when invalid.

    ``strict``: unknown parameters are an error too (Venice's billing validator is strict).
    """
    from jsonschema import Draft4Validator

    schema = dict(_query_schema(path, method))
    if strict:
        schema["additionalProperties"] = False
    values: dict[str, Any] = {}
    for name in query:
        sub = schema["properties"].get(name, {})
        values[name] = _coerce(query.getlist(name), sub)
    errors = list(Draft4Validator(schema).iter_errors(values))
    if errors:
        issues: list[dict[str, Any]] = []
        for err in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
            issues.extend(_issues(err))
        raise detailed_error(issues)
    return values

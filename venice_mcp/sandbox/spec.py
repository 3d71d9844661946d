"""Validation against Venice's OpenAPI spec: request bodies, reported as Venice's zod-style 400,
and the sandbox's own responses, checked by its tests.

The spec is OpenAPI 3.0, so before handing it to jsonschema (draft 4: boolean exclusiveMinimum):
``nullable: true`` becomes a null branch, ``oneOf`` becomes ``anyOf`` (several of the spec's
oneOfs overlap, so strict oneOf would reject valid bodies), and ``$ref``s are inlined. A request
body is first checked by the same schema compiled to code (fastjsonschema); jsonschema judges and
words whatever that check refuses, so the 400s stay jsonschema's (tests/sandbox/test_spec_quick.py
holds the two to agreeing).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from venice_mcp.sandbox import seed
from venice_mcp.sandbox.errors import detailed_error

_REF_PREFIX = "#/components/schemas/"


def _convert(node: Any, schemas: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    if isinstance(node, list):
        return [_convert(v, schemas, seen) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
        name = ref[len(_REF_PREFIX) :]
        if name in seen:  # a cycle: leave it open rather than recurse forever
            return {}
        return _convert(schemas[name], schemas, (*seen, name))
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("example", "examples", "nullable", "discriminator", "xml", "externalDocs"):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _convert(sub, schemas, seen) for name, sub in value.items()}
        else:
            out["anyOf" if key == "oneOf" else key] = _convert(value, schemas, seen)
    if node.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def request_schema(path: str, method: str = "post") -> dict[str, Any]:
    """The converted JSON request-body schema of an operation (path without /api/v1)."""
    spec = seed.openapi()
    operation = spec["paths"][path][method]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    converted: dict[str, Any] = _convert(schema, spec["components"]["schemas"])
    return converted


@cache
def response_schema(path: str, method: str = "get", status: str = "200") -> dict[str, Any]:
    """The converted JSON schema of an operation's JSON response with this status."""
    spec = seed.openapi()
    response = spec["paths"][path][method]["responses"][status]
    converted: dict[str, Any] = _convert(
        response["content"]["application/json"]["schema"], spec["components"]["schemas"]
    )
    return converted


@cache
def _validator(path: str, method: str, status: str | None = None) -> Any:
    """The request-body validator, or with a ``status`` that response's."""
    from jsonschema import Draft4Validator

    schema = request_schema(path, method) if status is None else response_schema(path, method, status)
    return Draft4Validator(schema)


def response_errors(path: str, body: Any, method: str = "get", status: str = "200") -> list[str]:
    """Where ``body`` breaks the spec's response schema: one line per error, path first."""
    errors = _validator(path, method, status).iter_errors(body)
    return sorted(f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message[:200]}" for e in errors)


@cache
def compiled(path: str, method: str = "post") -> Callable[[Any], bool] | None:
    """A quick yes for an operation's request bodies: its schema compiled to Python code
    (fastjsonschema, ~20x faster than walking it), or None if it does not compile. Only the yes
    is taken; a no is decided by jsonschema, which also words the errors."""
    import fastjsonschema

    try:
        # Formats unchecked and defaults not filled in, as jsonschema does here.
        check = fastjsonschema.compile(
            request_schema(path, method), use_default=False, use_formats=False, detailed_exceptions=False
        )
    except fastjsonschema.JsonSchemaDefinitionException:
        return None

    def accepts(body: Any) -> bool:
        try:
            check(body)
        except fastjsonschema.JsonSchemaValueException:
            return False
        return True

    return accepts


def validate_body(path: str, body: Any, method: str = "post") -> None:
    """Raise Venice's DetailedError 400 when ``body`` does not match the operation's schema."""
    quick = compiled(path, method)
    if quick is not None and quick(body):
        return
    errors = list(_validator(path, method).iter_errors(body))
    if errors:
        issues: list[dict[str, Any]] = []
        for err in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
            issues.extend(_issues(err))
        raise detailed_error(issues)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _quote(values: list[Any]) -> str:
    return " | ".join(f"'{v}'" for v in values)


def _issues(err: Any) -> list[dict[str, Any]]:
    """Translate one jsonschema error into zod-style issues (code, path, message, ...)."""
    path = list(err.absolute_path)
    kw = err.validator
    val = err.validator_value
    inst = err.instance
    if kw == "additionalProperties":
        extra = sorted(set(inst) - set(err.schema.get("properties", {})))
        keys = ", ".join(f"'{k}'" for k in extra)
        return [
            {
                "code": "unrecognized_keys",
                "keys": extra,
                "path": path,
                "message": f"Unrecognized key(s) in object: {keys}",
            }
        ]
    if kw == "required":
        missing = err.message.split("'")[1] if "'" in err.message else str(val)
        return [
            {
                "code": "invalid_type",
                "expected": "any",
                "received": "undefined",
                "path": [*path, missing],
                "message": "Required",
            }
        ]
    if kw == "type":
        expected = val if isinstance(val, str) else " | ".join(val)
        expected = "number" if expected == "integer" and not isinstance(inst, (int, float)) else expected
        if expected == "integer":
            return [
                {
                    "code": "invalid_type",
                    "expected": "integer",
                    "received": "float",
                    "path": path,
                    "message": "Expected integer, received float",
                }
            ]
        received = _type_name(inst)
        return [
            {
                "code": "invalid_type",
                "expected": expected,
                "received": received,
                "path": path,
                "message": f"Expected {expected}, received {received}",
            }
        ]
    if kw == "enum":
        return [
            {
                "code": "invalid_enum_value",
                "options": val,
                "received": inst,
                "path": path,
                "message": f"Invalid enum value. Expected {_quote(val)}, received '{inst}'",
            }
        ]
    if kw in ("minimum", "maximum"):
        small = kw == "minimum"
        excl = bool(err.schema.get("exclusiveMinimum" if small else "exclusiveMaximum"))
        rel = ("greater than" if small else "less than") + ("" if excl else " or equal to")
        return [
            {
                "code": "too_small" if small else "too_big",
                "type": "number",
                "path": path,
                ("minimum" if small else "maximum"): val,
                "inclusive": not excl,
                "message": f"Number must be {rel} {val}",
            }
        ]
    if kw in ("minLength", "maxLength", "minItems", "maxItems"):
        small = kw.startswith("min")
        kind = "string" if kw.endswith("Length") else "array"
        noun = "character(s)" if kind == "string" else "element(s)"
        what = "String" if kind == "string" else "Array"
        return [
            {
                "code": "too_small" if small else "too_big",
                "type": kind,
                "path": path,
                ("minimum" if small else "maximum"): val,
                "inclusive": True,
                "message": f"{what} must contain at {'least' if small else 'most'} {val} {noun}",
            }
        ]
    if kw == "pattern":
        return [{"code": "invalid_string", "validation": "regex", "path": path, "message": "Invalid"}]
    if kw == "anyOf":
        # zod reports one invalid_union issue; its formatted details carry each branch's errors.
        branch_issues: list[dict[str, Any]] = []
        for sub in err.context or []:
            branch_issues.extend(_issues(sub))
        return [
            {
                "code": "invalid_union",
                "unionErrors": [{"issues": branch_issues}],
                "path": path,
                "message": "Invalid input",
            }
        ]
    return [{"code": "custom", "path": path, "message": err.message}]

"""Which tool reaches which Venice operation, found without running anything.

Primary source: each tool module's module-level ``ENDPOINTS`` mapping, ``{"METHOD /spec/path":
("tool_name", ...)}``. It is explicit (a reader sees a module's Venice surface at the top), cheap to
import, and kept honest by tests: every request the sandbox receives while the tool tests run must
be declared (tests/tools/conftest.py), and every declared path must appear in its module's source.

Fallback, for modules that declare nothing yet: an AST scan of the module's tool functions
(``venice_*``) for string literals and f-strings that match a spec path, with the HTTP method taken
from a ``request("METHOD", path)`` call when there is one.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

import venice_mcp.tools

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Reach:
    tool: str
    module: str
    how: str  # "declared" or "source scan"


def tool_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"venice_mcp.tools.{info.name}")
        for info in pkgutil.iter_modules(venice_mcp.tools.__path__)
        if not info.name.startswith("_")
    ]


def _template_regex(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path)
    return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


def match_path(candidate: str, spec_paths: list[str]) -> str | None:
    """The spec path a literal or f-string (formatted parts as ``{}``) names, if any."""
    if candidate in spec_paths:
        return candidate
    probe = candidate.replace("{}", "X")
    hits = [p for p in spec_paths if _template_regex(p).match(probe) and "{" in p]
    return hits[0] if len(hits) == 1 else None


def _string(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out = []
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                out.append(value.value)
            else:
                out.append("{}")
        return "".join(out)
    return None


def scan(module: ModuleType, spec: dict[str, dict[str, object]]) -> dict[tuple[str, str], set[str]]:
    """(METHOD, path) -> tool names, from the module's source."""
    spec_paths = list(spec)
    tree = ast.parse(inspect.getsource(module))
    found: dict[tuple[str, str], set[str]] = {}
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or not fn.name.startswith("venice_"):
            continue
        methods_for: dict[int, str] = {}
        for call in ast.walk(fn):
            if isinstance(call, ast.Call) and len(call.args) >= 2:
                method = _string(call.args[0])
                if method and method.lower() in METHODS:
                    methods_for[id(call.args[1])] = method.upper()
        for node in ast.walk(fn):
            text = _string(node)
            if not text or not text.startswith("/"):
                continue
            path = match_path(text, spec_paths)
            if path is None:
                continue
            known = methods_for.get(id(node))
            for method in [known] if known else [m.upper() for m in spec[path] if m in METHODS]:
                found.setdefault((method, path), set()).add(fn.name)
    return found


@cache
def reaches() -> dict[tuple[str, str], tuple[Reach, ...]]:
    """(METHOD, spec path) -> the tools that reach it, over every tool module."""
    from venice_mcp.sandbox import seed  # the packaged copy of Venice's spec

    spec: dict[str, dict[str, object]] = seed.openapi()["paths"]
    out: dict[tuple[str, str], list[Reach]] = {}
    for module in tool_modules():
        declared = getattr(module, "ENDPOINTS", None)
        if isinstance(declared, dict):
            for key, tools in declared.items():
                method, _, path = key.partition(" ")
                for tool in tools:
                    out.setdefault((method.upper(), path), []).append(
                        Reach(tool, module.__name__, "declared")
                    )
        else:
            for key, tools in scan(module, spec).items():
                for tool in sorted(tools):
                    out.setdefault(key, []).append(Reach(tool, module.__name__, "source scan"))
    return {k: tuple(v) for k, v in out.items()}


# -- request parameters --------------------------------------------------------------------------


def _resolve(node: Any, schemas: dict[str, Any]) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        node = schemas[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _properties(schema: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    schema = _resolve(schema, schemas)
    if not isinstance(schema, dict):
        return {}
    out: dict[str, Any] = {}
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            out.update(_properties(sub, schemas))
    out.update(schema.get("properties") or {})
    return out


def spec_parameters(spec: dict[str, Any], method: str, path: str) -> list[str]:
    """An operation's request parameters: query parameters and body fields (JSON or multipart),
    with ``venice_parameters`` counted key by key as ``venice_parameters.<key>``. Path parameters
    are not counted: reaching the operation at all takes them."""
    schemas = spec.get("components", {}).get("schemas", {})
    operation = spec["paths"][path][method.lower()]
    names = {
        str(p["name"])
        for p in (_resolve(p, schemas) for p in operation.get("parameters") or [])
        if isinstance(p, dict) and p.get("in") == "query"
    }
    for content in (operation.get("requestBody") or {}).get("content", {}).values():
        for name, schema in _properties(content.get("schema"), schemas).items():
            if name == "venice_parameters":
                names |= {f"venice_parameters.{key}" for key in _properties(schema, schemas)}
            else:
                names.add(name)
    return sorted(names)


def spec_path(path: str) -> str:
    """The spec's name for a path template written with other parameter names."""
    from venice_mcp.sandbox import seed

    paths = list(seed.openapi()["paths"])
    return match_path(re.sub(r"\{[^}]+\}", "{}", path), paths) or path


def sent_parameters(query: dict[str, Any], body: Any, form: list[str] | None) -> set[str]:
    """The parameter names one recorded request carried, named as spec_parameters names them."""
    names = set(query) | set(form or ())
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "venice_parameters" and isinstance(value, dict):
                names |= {f"venice_parameters.{k}" for k in value}
            else:
                names.add(key)
    elif isinstance(body, list):  # a JSON-RPC batch
        for item in body:
            if isinstance(item, dict):
                names |= set(item)
    return names

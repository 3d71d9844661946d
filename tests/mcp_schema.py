"""The official MCP schema of each protocol version as a test oracle (tests/data/mcp-schema)."""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28")
HERE = Path(__file__).parent / "data" / "mcp-schema"


@cache
def _schema(version: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(gzip.decompress((HERE / f"{version}.json.gz").read_bytes()))
    return loaded


def errors(version: str, definition: str, instance: Any) -> list[str]:
    """Why ``instance`` is not a valid ``definition`` of ``version`` (empty when it is)."""
    schema = _schema(version)
    defs = "definitions" if "definitions" in schema else "$defs"
    root = {"$schema": schema["$schema"], defs: schema[defs], "$ref": f"#/{defs}/{definition}"}
    validator = jsonschema.validators.validator_for(root)(root)
    found = validator.iter_errors(instance)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in found]

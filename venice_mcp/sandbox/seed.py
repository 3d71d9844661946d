"""Packaged seed data, loaded on first use and cached: the sandbox must run without ../shared.

- openapi.json.gz: Venice's OpenAPI 3.0 spec (converted from swagger.yaml with a YAML 1.2 loader).
- models.json.gz: per-type GET /models captures of 2026-08-13 ({"types": {type: [model, ...]}}),
  served as captured.
- static-traits.json: Venice's text trait map of 2026-08-22.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib import resources
from typing import Any


def _read(name: str) -> bytes:
    raw = resources.files("venice_mcp.sandbox").joinpath("data").joinpath(name).read_bytes()
    return gzip.decompress(raw) if name.endswith(".gz") else raw


@cache
def openapi() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(_read("openapi.json.gz"))
    return doc


@cache
def model_snapshots() -> dict[str, list[dict[str, Any]]]:
    types: dict[str, list[dict[str, Any]]] = json.loads(_read("models.json.gz"))["types"]
    from venice_mcp.sandbox import audio_specs  # tts/music capability fields the captures lack

    return audio_specs.enrich(types)


@cache
def static_text_traits() -> dict[str, str]:
    traits: dict[str, str] = json.loads(_read("static-traits.json"))
    return traits

"""Packaged seed data, loaded on first use and cached: the sandbox must run without ../shared.

- openapi.json.gz: Venice's OpenAPI 3.0 spec (converted from swagger.yaml with a YAML 1.2 loader).
- models.json.gz: per-type GET /models captures of 2026-08-13 ({"types": {type: [model, ...]}}),
  kept as captured; ``catalog`` serves them in Venice's wire shape.
- static-models.json.gz: Venice's reduced catalog of 2026-08-22 (github.com/veniceai/api-docs
  data/static-models.json at 601b7bb, verbatim; sha256 of the unzipped file 74a4f3e3…ee88): the
  name, privacy, release date and flags the captures lack.
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
def static_models() -> dict[str, dict[str, Any]]:
    """Venice's static catalog entries by model id."""
    entries: list[dict[str, Any]] = json.loads(_read("static-models.json.gz"))
    return {str(entry["id"]): entry for entry in entries}


@cache
def static_text_traits() -> dict[str, str]:
    traits: dict[str, str] = json.loads(_read("static-traits.json"))
    return traits

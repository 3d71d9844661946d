"""The model catalog: /models, traits and compatibility aliases, cached, and name resolution.

Tools need a model's spec before a paid call (defaults, constraints, pricing), and agents name
models loosely ("default", "gpt-4o", "GLM 5.2"). Venice resolves such names itself; doing the
same here lets tools validate and price a call before spending anything.
"""

from __future__ import annotations

import difflib
import re
import time
from dataclasses import dataclass
from typing import Any

import anyio

from venice_mcp.api.client import VeniceClient

MODEL_TYPES = ("text", "embedding", "image", "inpaint", "upscale", "tts", "asr", "music", "video")
MODEL_FILTERS = ("all", "code")
CACHE_SECONDS = 600.0


class UnknownModelError(LookupError):
    def __init__(self, name: str, suggestions: list[str]) -> None:
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"No Venice model matches {name!r}.{hint} List models with venice_models.")
        self.suggestions = suggestions


@dataclass(frozen=True)
class Resolved:
    model: dict[str, Any]
    via: str  # "id", "trait", "alias" or "normalized"

    @property
    def id(self) -> str:
        return str(self.model["id"])

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.model.get("model_spec")
        return spec if isinstance(spec, dict) else {}


def normalize(name: str) -> str:
    """Venice's tolerant lookup: case, dots, underscores and spaces, and a venice- prefix."""
    key = re.sub(r"[\s._]+", "-", name.strip().lower())
    return key.removeprefix("venice-")


class Catalog:
    def __init__(self, client: VeniceClient, ttl: float = CACHE_SECONDS) -> None:
        self._client = client
        self._ttl = ttl
        self._cache: dict[str, tuple[float, Any]] = {}
        self._index: dict[str, tuple[Any, dict[str, dict[str, Any]]]] = {}
        self._lock = anyio.Lock()

    async def _get(self, path: str, model_type: str) -> Any:
        key = f"{path}?{model_type}"
        hit = self._cache.get(key)
        if hit and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        async with self._lock:
            hit = self._cache.get(key)
            if hit and time.monotonic() - hit[0] < self._ttl:
                return hit[1]
            response = await self._client.request(
                "GET", path, params={"type": model_type}, kind="fast", auth="optional"
            )
            data = response.body.get("data") if isinstance(response.body, dict) else None
            self._cache[key] = (time.monotonic(), data)
            return data

    async def models(self, model_type: str = "text") -> list[dict[str, Any]]:
        data = await self._get("/models", model_type)
        return [m for m in data or [] if isinstance(m, dict)]

    async def by_id(self, model_type: str) -> dict[str, dict[str, Any]]:
        """Models of a type keyed by id, rebuilt only when the cached listing changes (every paid
        call resolves its model to price it, so this sits on the hot path)."""
        data = await self._get("/models", model_type)
        hit = self._index.get(model_type)
        if hit is None or hit[0] is not data:  # holding the listing keeps `is` meaningful
            hit = (data, {str(m.get("id")): m for m in data or [] if isinstance(m, dict)})
            self._index[model_type] = hit
        return hit[1]

    async def traits(self, model_type: str = "text") -> dict[str, str]:
        data = await self._get("/models/traits", model_type)
        return {str(k): str(v) for k, v in (data or {}).items()}

    async def aliases(self, model_type: str = "text") -> dict[str, str]:
        data = await self._get("/models/compatibility_mapping", model_type)
        return {str(k): str(v) for k, v in (data or {}).items()}

    async def default_model(self, model_type: str, fallback: str) -> str:
        """The model Venice marks ``default`` for a type, or ``fallback`` if it marks none."""
        traits = await self.traits(model_type)
        return traits.get("default", fallback)

    async def resolve(self, name: str, model_type: str | None = None) -> Resolved:
        """Find a model by id, trait, compatibility alias or loosely written name.

        Raises:
            UnknownModelError: nothing matches; carries close suggestions.
        """
        by_id = await self.by_id(model_type or "all")
        if name in by_id:
            return Resolved(by_id[name], "id")
        # Traits and aliases are per type; without a type, text's are the ones agents mean.
        lookup_type = model_type or "text"
        for via, table in (
            ("trait", await self.traits(lookup_type)),
            ("alias", await self.aliases(lookup_type)),
        ):
            target = table.get(name)
            if target and target in by_id:
                return Resolved(by_id[target], via)
        wanted = normalize(name)
        for model_id, model in by_id.items():
            spec_name = str((model.get("model_spec") or {}).get("name", ""))
            if normalize(model_id) == wanted or (spec_name and normalize(spec_name) == wanted):
                return Resolved(model, "normalized")
        suggestions = difflib.get_close_matches(name, list(by_id), n=3, cutoff=0.5)
        raise UnknownModelError(name, suggestions)

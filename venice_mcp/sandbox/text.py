"""POST /embeddings: deterministic vectors in Venice's wire shape (chat is in chat.py)."""

from __future__ import annotations

import base64
import hashlib
import math
import random
import struct
from typing import Any

from starlette.responses import JSONResponse, Response

from venice_mcp.sandbox import catalog, spec
from venice_mcp.sandbox.chat import tokens
from venice_mcp.sandbox.context import Context, new_id
from venice_mcp.sandbox.errors import error


def _vector(model_id: str, text: str, dims: int) -> list[float]:
    """A deterministic pseudo-random unit vector per (model, text); uniform components from seeded
    bytes keep 2048 inputs × 4096 dims fast enough."""
    seed = int.from_bytes(hashlib.sha256(f"{model_id}\0{text}".encode()).digest()[:8], "big")
    raw = struct.unpack(f"<{dims}i", random.Random(seed).randbytes(4 * dims))
    norm = math.hypot(*raw) or 1.0
    return [x / norm for x in raw]


async def embeddings(ctx: Context) -> Response:
    catalog.require_model(ctx.body)
    body = ctx.body
    if (
        isinstance(body, dict)
        and isinstance(body.get("input"), list)
        and any(isinstance(x, (int, list)) and not isinstance(x, bool) for x in body["input"])
    ):
        raise error(400, "Token array inputs are not supported. Pass a string or an array of strings.")
    spec.validate_body("/embeddings", body)
    model = catalog.resolve(body, "embedding")
    inputs = [body["input"]] if isinstance(body["input"], str) else list(body["input"])
    if any(math.ceil(len(t) / 3.2 * 0.95) > 8192 for t in inputs):
        raise error(400, "Input text exceeds the maximum token limit of 8192 tokens")
    model_spec = model.get("model_spec", {})
    dims = int(model_spec.get("embeddingDimensions") or 1024)
    if body.get("dimensions") and model_spec.get("supportsCustomDimensions"):
        dims = min(int(body["dimensions"]), dims)
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for i, text in enumerate(inputs):
        vec = _vector(model["id"], text, dims)
        emb: Any = base64.b64encode(struct.pack(f"<{dims}f", *vec)).decode() if as_base64 else vec
        data.append({"object": "embedding", "index": i, "embedding": emb})
    prompt_tokens = sum(tokens(t) for t in inputs)
    ctx.tokens_used = prompt_tokens
    rid = new_id("emb-")
    ctx.charge(prompt_tokens * catalog.price(model, "input") / 1e6, request_id=rid, model_id=model["id"])
    return JSONResponse(
        {
            "object": "list",
            "model": model["id"],
            "data": data,
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
        }
    )

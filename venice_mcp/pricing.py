"""Price estimates from a model's published pricing, before a call is made.

Estimates err high: output is priced at the caller's token cap (or a typical reply length when
none is given), and tokens are counted generously from characters.
"""

from __future__ import annotations

import json
import math
from typing import Any

from venice_mcp.payments.budget import Estimate

TYPICAL_REPLY_TOKENS = 1000
CHARS_PER_TOKEN = 3.2  # Venice's own estimate for embeddings inputs


def tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _usd_per_million(spec: dict[str, Any], key: str) -> float | None:
    entry = (spec.get("pricing") or {}).get(key)
    value = entry.get("usd") if isinstance(entry, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def chat(spec: dict[str, Any], messages: list[dict[str, Any]], max_tokens: int | None) -> Estimate:
    price_in = _usd_per_million(spec, "input")
    price_out = _usd_per_million(spec, "output")
    if price_in is None or price_out is None:
        return Estimate(None, "no published token price for this model", could_be_large=False)
    tokens_in = tokens(json.dumps(messages))
    tokens_out = max_tokens or TYPICAL_REPLY_TOKENS
    usd = (tokens_in * price_in + tokens_out * price_out) / 1_000_000
    cap = "the max_tokens cap" if max_tokens else "a typical reply"
    return Estimate(
        usd, f"~{tokens_in} tokens in at ${price_in:g}/1M, {tokens_out} out ({cap}) at ${price_out:g}/1M"
    )


def embeddings(spec: dict[str, Any], texts: list[str]) -> Estimate:
    price_in = _usd_per_million(spec, "input")
    if price_in is None:
        return Estimate(None, "no published token price for this model", could_be_large=False)
    count = sum(tokens(t) for t in texts)
    return Estimate(count * price_in / 1_000_000, f"~{count} tokens at ${price_in:g}/1M")

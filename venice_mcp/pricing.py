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
        usd,
        lambda: f"~{tokens_in} tokens in at ${price_in:g}/1M, {tokens_out} out ({cap}) at ${price_out:g}/1M",
    )


def embeddings(spec: dict[str, Any], texts: list[str]) -> Estimate:
    price_in = _usd_per_million(spec, "input")
    if price_in is None:
        return Estimate(None, "no published token price for this model", could_be_large=False)
    count = sum(tokens(t) for t in texts)
    return Estimate(count * price_in / 1_000_000, f"~{count} tokens at ${price_in:g}/1M")


# -- images ----------------------------------------------------------------------------------------

ENHANCE_PROMPT_USD = 0.04  # charged when enhance_prompt produces a rewrite
BACKGROUND_REMOVE_USD = 0.03  # bria-bg-remover, when /models gives no price


def _usd(entry: Any) -> float | None:
    value = entry.get("usd") if isinstance(entry, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def image_unit(
    spec: dict[str, Any], flat_key: str, resolution: str | None = None, quality: str | None = None
) -> tuple[float | None, str]:
    """One image's price and how it was found: quality tier, resolution tier, or the flat price."""
    pricing = spec.get("pricing") or {}
    limits = spec.get("constraints") or {}
    res = resolution or limits.get("defaultResolution") or "1K"
    qual = quality or limits.get("defaultQuality")
    tiers = pricing.get("quality")
    if isinstance(tiers, dict) and qual and isinstance(tiers.get(res), dict):
        found = _usd(tiers[res].get(qual))
        if found is not None:
            return found, f"{res} {qual} quality"
    by_res = pricing.get("resolutions")
    if isinstance(by_res, dict):
        found = _usd(by_res.get(res))
        if found is not None:
            return found, f"{res}"
    return _usd(pricing.get(flat_key)), "per image"


def image_generation(
    spec: dict[str, Any], *, variants: int, resolution: str | None, quality: str | None, enhance: bool
) -> Estimate:
    unit, basis = image_unit(spec, "generation", resolution, quality)
    if unit is None:
        return Estimate(None, "no published image price for this model", could_be_large=False)
    usd = unit * variants + (ENHANCE_PROMPT_USD if enhance else 0.0)
    text = f"${unit:g} {basis} × {variants}"
    return Estimate(usd, text + (f" + ${ENHANCE_PROMPT_USD:g} prompt enhancement" if enhance else ""))


def image_edit(
    spec: dict[str, Any], *, images: int, resolution: str | None, quality: str | None, enhance: bool
) -> Estimate:
    unit, basis = image_unit(spec, "inpaint", resolution, quality)
    if unit is None:
        return Estimate(None, "no published edit price for this model", could_be_large=False)
    extra = (spec.get("pricing") or {}).get("inputImages")
    surcharge = 0.0
    text = f"${unit:g} {basis} edit"
    if isinstance(extra, dict):
        over = max(0, images - int(extra.get("included", 0)))
        per = _usd(extra.get("additional")) or 0.0
        surcharge = over * per
        if over:
            text += f" + {over} input image(s) × ${per:g}"
    if enhance:
        text += f" + ${ENHANCE_PROMPT_USD:g} prompt enhancement"
    return Estimate(unit + surcharge + (ENHANCE_PROMPT_USD if enhance else 0.0), text)


def image_upscale(spec: dict[str, Any], effective_scale: float) -> Estimate:
    """Venice bills the 2x rate up to an effective scale of 2 and the 4x rate above it."""
    tier = "2x" if effective_scale <= 2 else "4x"
    usd = _usd(((spec.get("pricing") or {}).get("upscale") or {}).get(tier))
    if usd is None:
        usd = 0.02 if tier == "2x" else 0.08
    return Estimate(usd, f"{tier} upscale rate (effective scale {effective_scale:.2f})")


def background_removal(spec: dict[str, Any]) -> Estimate:
    usd = _usd((spec.get("pricing") or {}).get("generation"))
    return Estimate(usd if usd is not None else BACKGROUND_REMOVE_USD, "per background removal")


# -- augment and crypto RPC (fixed prices, not in /models) -----------------------------------------

AUGMENT_USD = 0.01  # /augment/search, /augment/scrape, /augment/text-parser: per successful call
RPC_USD_PER_CREDIT = 0.0000007
RPC_ERROR_CREDITS = 5
_RPC_LARGE = frozenset(
    {
        "trace_replayBlockTransactions",
        "trace_replayTransaction",
        "txpool_content",
        "arbtrace_replayBlockTransactions",
        "arbtrace_replayTransaction",
        "getLargestAccounts",
        "getSupply",
    }
)
_RPC_ADVANCED_PREFIXES = ("trace_", "debug_", "arbtrace_")


def augment() -> Estimate:
    return Estimate(AUGMENT_USD, f"${AUGMENT_USD:g} per successful call")


def rpc_credits(network: str, method: str) -> int:
    """Venice's credits for one JSON-RPC call: chain base (20; 30 for zkSync and Solana) × tier."""
    base = 30 if network.startswith(("zksync-", "solana-")) else 20
    if method in _RPC_LARGE:
        return base * 4
    if method.startswith(_RPC_ADVANCED_PREFIXES) or method in ("txpool_inspect", "txpool_status"):
        return base * 2
    return base


def crypto_rpc(network: str, methods: list[str]) -> Estimate:
    credits = sum(rpc_credits(network, m) for m in methods)
    return Estimate(
        credits * RPC_USD_PER_CREDIT,
        f"{len(methods)} call(s), {credits} credits at ${RPC_USD_PER_CREDIT:g} per credit",
    )

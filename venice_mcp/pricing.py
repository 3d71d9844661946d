"""Price estimates from a model's published pricing, before a call is made.

An estimate is a bound, not a guess: chat output is priced at the most the call may generate (the
caller's cap, the cap the per-call limit affords, or the model's own limit), input at the higher
of the input and cache-write prices, and tokens are counted generously from characters. A call
that cannot be priced but could be large is reported as such, so the spend gate treats it as
above the limit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from venice_mcp.payments.budget import Estimate

CHARS_PER_TOKEN = 3.2  # Venice's own estimate for embeddings inputs
# The output bound when a model publishes neither maxCompletionTokens nor a context length.
DEFAULT_OUTPUT_CEILING = 32_768
# A cap the per-call limit affords is used only if it leaves room for a useful reply.
MIN_CAPPED_REPLY = 256
WEB_SEARCH_USD = 0.01  # per search-augmented request
WEB_SCRAPE_USD = 0.01  # per scraped URL
X_SEARCH_USD = 0.01  # per xAI X search


def tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _usd_per_million(spec: dict[str, Any], key: str) -> float | None:
    entry = (spec.get("pricing") or {}).get(key)
    value = entry.get("usd") if isinstance(entry, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


@dataclass(frozen=True)
class TokenPrices:
    """USD per token: input (the dearer of input and cache write), output."""

    input: float
    output: float
    note: str  # how the input price was chosen, for the basis


def token_prices(spec: dict[str, Any], context_tokens: int) -> TokenPrices | None:
    """A text model's prices for a call of ``context_tokens`` (input plus output): Venice's
    ``extended`` prices apply past their ``context_token_threshold``."""
    pricing = spec.get("pricing") or {}
    extended = pricing.get("extended")
    threshold = extended.get("context_token_threshold") if isinstance(extended, dict) else None
    if isinstance(extended, dict) and isinstance(threshold, (int, float)) and context_tokens > threshold:
        pricing = {**pricing, **extended}
    table = {"pricing": pricing}
    price_in = _usd_per_million(table, "input")
    price_out = _usd_per_million(table, "output")
    if price_in is None or price_out is None:
        return None
    write = _usd_per_million(table, "cache_write")
    note = f"${price_in:g}/1M"
    if write is not None and write > price_in:
        price_in, note = write, f"${write:g}/1M (cache write)"
    return TokenPrices(price_in / 1e6, price_out / 1e6, note)


def output_ceiling(spec: dict[str, Any], tokens_in: int) -> int:
    """The most a model generates in one reply: its maxCompletionTokens, else what its context
    leaves after the input."""
    cap = spec.get("maxCompletionTokens")
    if isinstance(cap, int) and cap > 0:
        return cap
    context = spec.get("availableContextTokens")
    if isinstance(context, int) and context > tokens_in:
        return context - tokens_in
    return DEFAULT_OUTPUT_CEILING


@dataclass(frozen=True)
class ChatPrice:
    """The bound of a chat call and the output cap that makes it true."""

    estimate: Estimate
    # max_completion_tokens to send when the caller gave none: the model's limit, or less when
    # only a smaller cap fits under the per-call limit (``limited``). None: the caller's cap stands.
    cap: int | None = None
    limited: bool = False


def chat(
    spec: dict[str, Any],
    tokens_in: int,
    max_tokens: int | None,
    *,
    choices: int = 1,
    extras: Sequence[tuple[float, str]] = (),
    afford_usd: float | None = None,
    whole_context: bool = False,
    default_out: int | None = None,
) -> ChatPrice:
    """The price bound of a chat call of ``tokens_in`` input tokens (``whole_context``: input whose
    size is unknown, counted as the model's whole context).

    Without ``max_tokens``, output is bounded by the model's ceiling; when that costs more than
    ``afford_usd`` (the per-call limit), the call is capped at what the limit affords instead, as
    long as that leaves room for a useful reply. ``extras`` are fixed add-ons (web search, ...).
    """
    context = spec.get("availableContextTokens")
    if whole_context or (isinstance(context, int) and tokens_in > context):
        if not isinstance(context, int):
            return ChatPrice(Estimate(None, "input of unknown size and no published context length"))
        tokens_in = context
    ceiling = output_ceiling(spec, tokens_in)
    prices = token_prices(spec, tokens_in + (max_tokens or ceiling))
    if prices is None:
        return ChatPrice(Estimate(None, "no published token price for this model"))
    fixed = tokens_in * prices.input + sum(usd for usd, _ in extras)
    out, cap, limited, why = max_tokens or ceiling, None, False, "max_tokens"
    if not max_tokens:
        cap, why = ceiling, "the model's limit"
        if afford_usd is not None and prices.output > 0:
            affordable = math.floor((afford_usd - fixed) / (choices * prices.output))
            if fixed + choices * affordable * prices.output > afford_usd:
                affordable -= 1  # float rounding must not put the bound a hair over the limit
            if MIN_CAPPED_REPLY <= affordable < ceiling:
                out, cap, limited, why = affordable, affordable, True, "the cap the per-call limit affords"
        if default_out is not None and default_out < out:
            # Charging mode: an agent pays the bound up front, so it is a usual reply's length,
            # not the model's ceiling; max_tokens asks for more.
            out, cap, limited, why = default_out, default_out, False, "the default reply length here"
    usd = fixed + choices * out * prices.output
    per_out = prices.output * 1e6
    input_note = "the whole context" if whole_context else f"~{tokens_in} tokens"

    def basis() -> str:
        text = f"{input_note} in at {prices.note}, up to {out} out ({why}) at ${per_out:g}/1M"
        if choices > 1:
            text += f" × {choices} choices"
        return text + "".join(f" + ${usd:g} {label}" for usd, label in extras)

    return ChatPrice(Estimate(usd, basis), cap, limited)


# Charging mode: the output an agent pays for when it sets no max_tokens.
CHARGED_REPLY_TOKENS = 2048


def embeddings(spec: dict[str, Any], texts: list[str]) -> Estimate:
    price_in = _usd_per_million(spec, "input")
    count = sum(tokens(t) for t in texts)
    if price_in is None:
        return Estimate(None, f"no published token price for this model; ~{count} tokens")
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

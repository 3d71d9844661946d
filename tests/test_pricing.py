"""The chat price bound (pricing.chat) and feature-suffix parsing, where the arithmetic is dense."""

from __future__ import annotations

from typing import Any

import pytest

from venice_mcp import model_suffix, pricing
from venice_mcp.config import Settings
from venice_mcp.payments.budget import SpendGate


def spec(**pricing_usd: Any) -> dict[str, Any]:
    table = {k: v if isinstance(v, dict) else {"usd": v, "diem": v} for k, v in pricing_usd.items()}
    return {"pricing": table, "maxCompletionTokens": 10_000, "availableContextTokens": 100_000}


def test_output_is_bounded_by_the_models_limit_and_that_cap_is_sent() -> None:
    price = pricing.chat(spec(input=1, output=2), 1_000, None)
    assert price.estimate.usd == pytest.approx((1_000 * 1 + 10_000 * 2) / 1e6)
    assert price.cap == 10_000 and not price.limited
    assert "up to 10000 out (the model's limit)" in price.estimate.basis


def test_a_caller_cap_is_priced_and_nothing_else_is_sent() -> None:
    price = pricing.chat(spec(input=1, output=2), 1_000, 500, afford_usd=0.0)
    assert price.estimate.usd == pytest.approx((1_000 + 500 * 2) / 1e6)
    assert price.cap is None


def test_the_limit_caps_output_when_the_models_limit_costs_more() -> None:
    price = pricing.chat(spec(input=1, output=100), 1_000, None, afford_usd=0.5)
    assert price.limited and price.cap in (4989, 4990)  # (0.5 - 0.001) / $100 per 1M
    assert price.estimate.usd is not None and price.estimate.usd <= 0.5


def test_no_cap_below_a_useful_reply_the_call_asks_instead() -> None:
    price = pricing.chat(spec(input=1, output=100), 1_000, None, afford_usd=0.01)
    assert not price.limited and price.cap == 10_000
    assert price.estimate.usd is not None and price.estimate.usd > 0.01


def test_cache_writes_and_extended_context_price_the_dearer_rate() -> None:
    claude = spec(input=3, output=15, cache_write=3.75)
    assert "(cache write)" in pricing.chat(claude, 10, 10).estimate.basis
    extended = {"context_token_threshold": 50_000, "input": {"usd": 6}, "output": {"usd": 30}}
    gemini = spec(input=3, output=15, extended=extended)
    small = pricing.chat(gemini, 1_000, 1_000).estimate.usd
    large = pricing.chat(gemini, 60_000, 1_000).estimate.usd
    assert small == pytest.approx((1_000 * 3 + 1_000 * 15) / 1e6)
    assert large == pytest.approx((60_000 * 6 + 1_000 * 30) / 1e6)


def test_input_of_unknown_size_counts_as_the_whole_context() -> None:
    price = pricing.chat(spec(input=1, output=2), 10, 100, whole_context=True)
    assert price.estimate.usd == pytest.approx((100_000 + 200) / 1e6)
    assert pricing.chat({"pricing": {}}, 10, 100, whole_context=True).estimate.could_be_large


def test_an_unpriceable_call_is_above_any_limit() -> None:
    gate = SpendGate(Settings(max_call_usd=1000))
    assert not gate.within_limit(pricing.chat({"maxCompletionTokens": 10}, 10, 10).estimate)
    assert not gate.within_limit(pricing.embeddings({}, ["a text"]))


def test_add_ons_and_choices() -> None:
    price = pricing.chat(spec(input=1, output=2), 0, 100, choices=3, extras=[(0.01, "web search")])
    assert price.estimate.usd == pytest.approx(3 * 100 * 2 / 1e6 + 0.01)
    assert "× 3 choices + $0.01 web search" in price.estimate.basis


@pytest.mark.parametrize(
    ("model", "base", "switches"),
    [
        ("glm", "glm", {}),
        ("claude-fable-5:enable_web_search=off", "claude-fable-5", {"enable_web_search": "off"}),
        (
            "kimi:strip_thinking_response=true&enable_web_search=auto&nope=1",
            "kimi",
            {"strip_thinking_response": True, "enable_web_search": "auto"},
        ),
        ("glm:character_slug=alan%20watts", "glm", {"character_slug": "alan watts"}),
        ("glm:disable_thinking=FALSE", "glm", {"disable_thinking": False}),
    ],
)
def test_suffix_split(model: str, base: str, switches: dict[str, Any]) -> None:
    assert model_suffix.split(model) == (base, switches)

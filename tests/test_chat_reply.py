"""How a chat completion reads back to the agent, for shapes the sandbox does not send."""

from __future__ import annotations

from venice_mcp.chat.reply import REASONING_SHOWN, chat_reply
from venice_mcp.payments.budget import Estimate


def reply(choice: dict[str, object], headers: dict[str, str] | None = None) -> str:
    data = {
        "model": "m",
        "choices": [{"finish_reason": "stop", **choice}],
        "cost": {"usd": 0.001, "diem": 0.5},
    }
    return chat_reply(
        data, headers or {}, model="m", estimate=Estimate(0.002, "x"), cap=None, request_id=None, schema=False
    ).text


def test_logprobs_in_the_specs_single_token_shape_are_shown() -> None:
    spec_shape = {
        "token": "Hi",
        "logprob": -0.25,
        "bytes": [72, 105],
        "top_logprobs": [{"token": "Yo", "logprob": -2.0}],
    }
    text = reply({"message": {"content": "Hi"}, "logprobs": spec_shape})
    assert "Logprobs: 'Hi' -0.25 ['Yo' -2.00]" in text


def test_long_reasoning_is_cut_in_the_text_and_diem_and_retirement_are_told() -> None:
    headers = {"x-venice-deprecated": "true", "x-venice-model-deprecation-date": "2027-01-01"}
    text = reply({"message": {"content": "ok", "reasoning_content": "r" * (REASONING_SHOWN + 10)}}, headers)
    assert "r" * REASONING_SHOWN + " …" in text and "r" * (REASONING_SHOWN + 1) not in text
    assert "cost $0.0010 (0.5 DIEM)" in text
    assert "warning: this model is deprecated (retires 2027-01-01)" in text

"""What Venice says in response headers that an agent should hear: a model's retirement, and the
balance left to spend."""

from __future__ import annotations

from collections.abc import Mapping


def deprecation(headers: Mapping[str, str]) -> str | None:
    """Venice's warning for a model scheduled for retirement (chat, images, video), if any."""
    warning = headers.get("x-venice-model-deprecation-warning")
    if headers.get("x-venice-deprecated") != "true" and not warning:
        return None
    text = warning or "this model is deprecated"
    date = headers.get("x-venice-model-deprecation-date")
    if date and date not in text:
        text += f" (retires {date})"
    replacement = headers.get("x-venice-deprecated-replacement")
    if replacement and replacement not in text:
        text += f"; use {replacement}"
    return text


def balance(headers: Mapping[str, str]) -> dict[str, float]:
    """What was left to spend when the request started (``x-venice-balance-usd`` / ``-diem``)."""
    out = {}
    for currency in ("usd", "diem"):
        raw = headers.get(f"x-venice-balance-{currency}")
        if raw is None:
            continue
        try:
            out[currency] = float(raw)
        except ValueError:
            continue
    return out

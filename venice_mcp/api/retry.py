"""When to retry a Venice call, and how long to wait first. Pure functions, so they test cheaply.

Venice's rules (reference §7.3): never retry 4xx other than 429 (blind retries burn the error budget
and lock the key out for 30 s); wait out a 429 as the server says; back off exponentially on 5xx.
A retry must never risk a second charge, so each request declares how safe it is to repeat.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import anyio

# "safe": Venice charges only on success (inference, reads), so 429, 5xx and connect errors retry.
# "rejected_only": a 5xx may hide an accepted, charged job (queue calls): retry only what Venice
#   refused before doing work (429, connect errors).
# "never": the caller owns recovery (payments).
Idempotency = Literal["safe", "rejected_only", "never"]


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    # A 429 that asks for a longer wait than this is reported, not slept through: the agent can
    # do something else meanwhile, and hosts time tool calls out.
    max_wait: float = 20.0
    sleep: Callable[[float], Awaitable[None]] = field(default=anyio.sleep)
    jitter: Callable[[], float] = field(default=random.random)
    clock: Callable[[], float] = field(default=time.time)


def rate_limit_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait after a 429, from the three header families Venice uses (read by exact name)."""
    h = {k.lower(): v for k, v in headers.items()}
    raw = h.get("retry-after")
    if raw is not None:
        try:
            return max(0.0, float(raw))
        except ValueError:
            pass
    # Model limits and the error budget: reset as Unix milliseconds.
    for name in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens", "x-ratelimit-resets"):
        if name in h and _remaining_exhausted(h, name):
            reset = _number(h[name])
            if reset is not None:
                return max(0.0, reset / 1000.0 - now)
    # Crypto RPC: X-RateLimit-Reset as Unix seconds.
    reset = _number(h.get("x-ratelimit-reset", ""))
    if reset is not None:
        return max(0.0, reset - now)
    return None


def _remaining_exhausted(h: Mapping[str, str], reset_name: str) -> bool:
    remaining_name = reset_name.replace("reset", "remaining").replace("remainings", "remaining")
    value = _number(h.get(remaining_name, "0"))
    return value is None or value <= 0


def _number(raw: str) -> float | None:
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


def backoff(policy: RetryPolicy, attempt: int) -> float:
    """Full-jitter exponential backoff: attempt 0 waits up to base, then 2x, capped."""
    ceiling = min(policy.max_delay, policy.base_delay * (2**attempt))
    return float(ceiling / 2 + policy.jitter() * ceiling / 2)


def should_retry_status(status: int, idempotency: Idempotency) -> bool:
    if idempotency == "never":
        return False
    if status == 429:
        return True
    return status >= 500 and idempotency == "safe"

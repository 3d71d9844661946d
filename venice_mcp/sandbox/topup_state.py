"""What the simulator remembers about x402 top-ups: settled payments (one per payer and
authorization nonce), every payment submission, and the faults a test can switch on."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

import anyio


@dataclass
class Settlement:
    payment_id: str
    payer: str
    nonce: str
    value: int  # USDC atomic units
    transaction: str
    credited_usd: float
    submissions: int = 1


@dataclass
class TopUpFaults:
    """Counters: each fires on that many payment submissions (not on discovery), then stops."""

    timeout_after_credit: int = 0  # credit, then answer 504 SETTLEMENT_TIMEOUT
    drop_after_credit: int = 0  # credit, then drop the connection mid-response
    hang_after_credit: int = 0  # credit, then hold the answer until released (or ~10 min)
    in_progress: int = 0  # answer 409 PAYMENT_IN_PROGRESS without processing
    rate_limited: int = 0  # answer 429 without processing
    retry_after: float | None = None  # Retry-After on those 429s (Venice sends none)
    settlement_failed: int = 0  # answer 402 SETTLEMENT_FAILED (nothing moved)

    FIELDS = (
        "timeout_after_credit",
        "drop_after_credit",
        "hang_after_credit",
        "in_progress",
        "rate_limited",
        "retry_after",
        "settlement_failed",
    )

    def take(self, name: str) -> bool:
        """Consume one firing of the named counter."""
        count = getattr(self, name)
        if count > 0:
            setattr(self, name, count - 1)
            return True
        return False

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.FIELDS}


@dataclass
class TopUpBook:
    settlements: dict[str, Settlement] = field(default_factory=dict)  # "payer:nonce" (lower case)
    submissions: list[dict[str, Any]] = field(default_factory=list)  # every payment-bearing POST
    faults: TopUpFaults = field(default_factory=TopUpFaults)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _changed: anyio.Event | None = None
    _release: anyio.Event | None = None

    def submitted(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.submissions.append(entry)
        event, self._changed = self._changed, None
        if event is not None:
            event.set()

    async def wait_submissions(self, count: int) -> None:
        """Until at least ``count`` payments were submitted (bound it with fail_after)."""
        while len(self.submissions) < count:
            if self._changed is None:
                self._changed = anyio.Event()
            await self._changed.wait()

    async def hang(self, seconds: float = 600.0) -> None:
        if self._release is None or self._release.is_set():
            self._release = anyio.Event()
        with anyio.move_on_after(seconds):
            await self._release.wait()

    def release(self) -> None:
        if self._release is not None:
            self._release.set()

    def nonces(self) -> list[str]:
        """Distinct authorization nonces ever submitted (signed payments Venice has seen)."""
        seen: list[str] = []
        for entry in self.submissions:
            nonce = entry.get("nonce")
            if isinstance(nonce, str) and nonce not in seen:
                seen.append(nonce)
        return seen

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "submissions": [dict(s) for s in self.submissions],
                "nonces": self.nonces(),
                "settlements": [asdict(s) for s in self.settlements.values()],
                "faults": self.faults.as_dict(),
            }

    def clear(self) -> None:
        self.release()
        with self._lock:
            self.settlements.clear()
            self.submissions.clear()
            self.faults = TopUpFaults()

"""Everything the simulator remembers: keys, wallet credit and ledgers, used nonces, in-flight
requests, recorded requests and faults. One object, so a test can build, inspect and reset it."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import anyio

from venice_mcp.sandbox.facilitator_state import FacilitatorBook
from venice_mcp.sandbox.faults import FaultSet
from venice_mcp.sandbox.media_jobs import MediaJobs
from venice_mcp.sandbox.topup_state import TopUpBook

SANDBOX_API_KEY = "VENICE_INFERENCE_KEY_sandbox"
SANDBOX_ADMIN_KEY = "VENICE_ADMIN_KEY_sandbox"

INFERENCE = "INFERENCE"
ADMIN = "ADMIN"

# Venice remembers a wallet's nonces for 5.5 minutes: longer than any proof can live (5 min + 30 s skew).
NONCE_RETENTION_S = 330.0
# Requests kept for inspection: a sandbox left running (a demo, a bench) must not grow forever.
RECORDED = 10_000


def iso_ms(epoch_s: float) -> str:
    t = datetime.fromtimestamp(epoch_s, tz=timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


@dataclass
class RecordedRequest:
    method: str
    path: str  # without /api/v1
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    json: Any
    status: int | None = None
    form: list[str] | None = None  # field names of a multipart body

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "json": self.json,
            "status": self.status,
            "form": self.form,
        }


@dataclass
class SandboxState:
    api_keys: dict[str, str] = field(
        default_factory=lambda: {SANDBOX_API_KEY: INFERENCE, SANDBOX_ADMIN_KEY: ADMIN}
    )
    faults: FaultSet = field(default_factory=FaultSet)
    # The most recent requests, oldest first: record() keeps recorded_limit to twice as many.
    requests: list[RecordedRequest] = field(default_factory=list)
    recorded_limit: int = RECORDED
    wallet_inflight_limit: int = 5
    minimum_balance_usd: float = 0.10
    # Extra SIWX domains accepted besides api.venice.ai, venice.ai and the request's own Host.
    extra_domains: set[str] = field(default_factory=set)
    clock: Callable[[], float] = time.time
    # x402 top-ups: settled payments, submissions, top-up faults (see topup_state.py).
    topups: TopUpBook = field(default_factory=TopUpBook)
    # The x402 facilitator under /facilitator: payer balances, settlements (facilitator_state.py).
    facilitator: FacilitatorBook = field(default_factory=FacilitatorBook)
    # DIEM left this epoch on the Venice account a wallet is linked to (lower-case address → USD):
    # /x402/balance reports it, and a 402 for such a wallet is not fixed by a USDC top-up.
    diem: dict[str, float] = field(default_factory=dict)
    _balances: dict[str, float] = field(default_factory=dict)
    _ledgers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _nonces: dict[tuple[str, str], float] = field(default_factory=dict)
    _inflight: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _inflight_changed: anyio.Event | None = None
    # Queued music and video jobs (queue → PROCESSING polls → media → deleted), and their knobs.
    media_jobs: MediaJobs = field(default_factory=MediaJobs)
    # Cloned voices from /audio/voices: vv_ handle -> {model, owner, expires} (epoch seconds).
    cloned_voices: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Crypto RPC Idempotency-Key cache: (caller, key) -> {fingerprint, body, headers}.
    rpc_idempotency: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # API key records behind /api_keys (id -> record, with the secret), seeded on first use.
    api_key_records: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Prompt caching: "model|cache key" -> the messages of the last request (JSON, in order).
    prompt_cache: dict[str, list[str]] = field(default_factory=dict)
    # Models scheduled for retirement: id -> {date, replacement?}; requests to them carry Venice's
    # deprecation headers (set through POST /_sandbox/deprecations).
    deprecations: dict[str, dict[str, str]] = field(default_factory=dict)

    def record(self, request: RecordedRequest) -> None:
        """Remember a request; past twice the limit the oldest are dropped, down to the limit
        (in batches, so that recording stays cheap)."""
        self.requests.append(request)
        if len(self.requests) >= 2 * self.recorded_limit:
            del self.requests[: -self.recorded_limit]

    # -- wallet credit -------------------------------------------------------------------------

    def credit(self, address: str, usd: float, *, kind: str = "TOP_UP") -> float:
        """Add USD credit to a wallet (as a settled top-up would); returns the new balance."""
        if usd < 0:
            raise ValueError("credit must be >= 0")
        return self._apply(address, usd, kind=kind, request_id=None, model_id=None)

    def balance(self, address: str) -> float:
        with self._lock:
            return self._balances.get(address.lower(), 0.0)

    def ledger(self, address: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._ledgers.get(address.lower(), [])]

    def charge(self, address: str, usd: float, *, request_id: str, model_id: str | None) -> float:
        """Debit after serving, clamped so the balance never goes negative (as Venice does)."""
        return self._apply(address, -usd, kind="CHARGE", request_id=request_id, model_id=model_id)

    def _apply(
        self, address: str, delta: float, *, kind: str, request_id: str | None, model_id: str | None
    ) -> float:
        key = address.lower()
        with self._lock:
            before = self._balances.get(key, 0.0)
            after = round(max(0.0, before + delta), 9)
            self._balances[key] = after
            self._ledgers.setdefault(key, []).append(
                {
                    "id": "ledger_" + secrets.token_hex(12),
                    "amount": round(after - before, 9),
                    "balanceAfter": after,
                    "type": kind,
                    "createdAt": iso_ms(self.clock()),
                    "requestId": request_id,
                    "modelId": model_id,
                }
            )
            return after

    # -- SIWX nonces ---------------------------------------------------------------------------

    def use_nonce(self, address: str, nonce: str) -> bool:
        """Consume a nonce for a wallet; False when it was already used within the retention."""
        now = self.clock()
        key = (address.lower(), nonce)
        with self._lock:
            if len(self._nonces) > 10_000:
                self._nonces = {k: exp for k, exp in self._nonces.items() if exp > now}
            expires = self._nonces.get(key)
            if expires is not None and expires > now:
                return False
            self._nonces[key] = now + NONCE_RETENTION_S
            return True

    # -- per-wallet concurrency ----------------------------------------------------------------

    def try_enter(self, address: str) -> bool:
        key = address.lower()
        with self._lock:
            if self._inflight.get(key, 0) >= self.wallet_inflight_limit:
                return False
            self._inflight[key] = self._inflight.get(key, 0) + 1
        self._signal_inflight()
        return True

    def leave(self, address: str) -> None:
        key = address.lower()
        with self._lock:
            self._inflight[key] = max(0, self._inflight.get(key, 0) - 1)
        self._signal_inflight()

    def inflight(self, address: str) -> int:
        with self._lock:
            return self._inflight.get(address.lower(), 0)

    async def wait_inflight(self, address: str, count: int) -> None:
        """Wait until ``count`` requests of this wallet are in flight (bound it with fail_after)."""
        while self.inflight(address) != count:
            if self._inflight_changed is None:
                self._inflight_changed = anyio.Event()
            await self._inflight_changed.wait()

    def _signal_inflight(self) -> None:
        event, self._inflight_changed = self._inflight_changed, None
        if event is not None:
            event.set()

    # -- control -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything but the configured keys and limits."""
        self.faults.clear()
        with self._lock:
            self.requests.clear()
            self._balances.clear()
            self._ledgers.clear()
            self._nonces.clear()
            self.diem.clear()
            self.topups.clear()
            self.facilitator.clear()
            self.rpc_idempotency.clear()
            self.cloned_voices.clear()
            self.prompt_cache.clear()
            self.deprecations.clear()
        self.media_jobs.clear()

"""Fault injection: make the next N matching requests fail, stall or drop like the real service can.

Faults fire after authentication and wallet admission (they stand for upstream trouble), so a
SIWX nonce is consumed by a faulted request exactly as Venice consumes it on any failed request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import anyio

API_PREFIX = "/api/v1"


def normalize_path(path: str) -> str:
    """Paths are matched without the /api/v1 prefix and without a trailing slash."""
    if path.startswith(API_PREFIX):
        path = path[len(API_PREFIX) :]
    if not path.startswith("/"):
        path = "/" + path
    return path.rstrip("/") or "/"


@dataclass
class Fault:
    path: str
    method: str | None = None
    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    drop: bool = False
    times: int = 1
    message: str | None = None
    # Fire once the handler has done its work: the work stands (a payment settled), only the
    # answer is late, lost or an error, as when a response dies on the way back.
    after: bool = False
    fired: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "method": self.method,
            "status": self.status,
            "retry_after": self.retry_after,
            "delay": self.delay,
            "drop": self.drop,
            "times": self.times,
            "message": self.message,
            "after": self.after,
            "fired": self.fired,
        }


@dataclass
class FaultSet:
    """Registered faults, consumed first-registered-first; each fires ``times`` times."""

    _faults: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Created lazily inside the running event loop; set() cuts every pending delay short.
    _release: anyio.Event | None = None

    def add(
        self,
        path: str,
        *,
        method: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
        drop: bool = False,
        times: int = 1,
        message: str | None = None,
        after: bool = False,
    ) -> Fault:
        if status is None and not drop and delay <= 0:
            raise ValueError("a fault needs a status, drop=True or a positive delay")
        if times < 1:
            raise ValueError("times must be >= 1")
        fault = Fault(
            path=normalize_path(path),
            method=method.upper() if method else None,
            status=status,
            retry_after=retry_after,
            delay=delay,
            drop=drop,
            times=times,
            message=message,
            after=after,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """Consume one firing of the first fault matching this request, if any."""
        path = normalize_path(path)
        with self._lock:
            for fault in self._faults:
                if fault.path == path and (fault.method is None or fault.method == method.upper()):
                    fault.fired += 1
                    if fault.fired >= fault.times:
                        self._faults.remove(fault)
                    return fault
        return None

    @property
    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
        self.release_delays()

    async def sleep(self, seconds: float) -> None:
        """Stall like a slow upstream; release_delays() ends every stall early (tests, no sleeps)."""
        if self._release is None or self._release.is_set():
            self._release = anyio.Event()
        with anyio.move_on_after(seconds):
            await self._release.wait()

    def release_delays(self) -> None:
        if self._release is not None:
            self._release.set()

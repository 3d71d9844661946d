"""One Runtime per server, held by every connection that enters the server's lifespan.

The SDK enters a server's lifespan once per stdio process, once at startup for Streamable HTTP
(the HTTP app's own lifespan holds it until shutdown), and once per SSE connection. A Runtime per
entry would give every SSE client its own database connection, ledger writer, payer and HTTP
clients: payments made over one connection unseen by the payer of the next, and state that lives
and dies with a client. So every entry holds the same Runtime, and the last one out closes it:
an SSE client that leaves closes nothing, and the state closes once, when the server stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio

from venice_mcp.context import Runtime


class SharedRuntime:
    def __init__(self, make: Callable[[], Runtime]) -> None:
        self._make = make
        self._runtime: Runtime | None = None
        self._holders = 0
        self._lock = anyio.Lock()

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[Runtime]:
        """The server's Runtime (made now if nobody holds one; built on its first use)."""
        async with self._lock:  # waits out a close in progress: never two Runtimes at once
            if self._runtime is None:
                self._runtime = self._make()
            runtime = self._runtime
            self._holders += 1
        try:
            yield runtime
        finally:
            with anyio.CancelScope(shield=True):  # a cancelled connection still lets go
                async with self._lock:
                    self._holders -= 1
                    if self._holders == 0:
                        self._runtime = None
                        await runtime.aclose()

"""A busy SSE endpoint does not wear the server down: 1,000 SSE sessions, 100 at a time, each
calling a tool that reads the shared state, leave the child's descriptors and memory where they
were at rest. Bounded in time; the figures are printed (pytest -s) and kept as test properties.

"At rest" is measured after two warm-up rounds of 100 concurrent sessions: the allocator keeps the
high-water mark of a burst (about 20-30 MiB for 100 sessions with the SDK's SSE transport), and
what this test guards is that nothing accumulates round after round. After a single round the
high-water mark was often not reached yet: on PostgreSQL the 1,000 sessions then added 7-10 MiB
with no leak behind it (3,000 sessions added 4 MiB); after two, -1.6 to 7.2 MiB in 6 runs.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.sse import sse_client

from tests.e2e.helpers import http_child
from tests.e2e.procstats import needs_proc, open_fds, rss_mib, state_handles, until_no_clients

pytestmark = [pytest.mark.anyio, needs_proc]

CYCLES = 1_000
AT_ONCE = 100
WARM_UP_ROUNDS = 2
TIME_BOUND_S = 50.0  # the whole run, warm-up included; ~20 s on an idle 2-core machine
FD_SLACK = 5
RSS_SLACK_MIB = 10.0

# One TLS context for every client: building one per httpx client (the SDK's default) costs ~20 ms
# of the test's own CPU per session, which would be measured instead of the server.
_TLS = ssl.create_default_context()


def _http_client(
    headers: dict[str, str] | None = None,
    timeout: httpx2.Timeout | None = None,
    auth: httpx2.Auth | None = None,
) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(headers=headers, timeout=timeout, auth=auth, verify=_TLS)


async def run_sessions(base: str, count: int, failures: list[str]) -> None:
    limiter = anyio.CapacityLimiter(AT_ONCE)

    async def session() -> None:
        async with (
            limiter,
            Client(sse_client(f"{base}/sse", httpx_client_factory=_http_client), mode="legacy") as c,
        ):
            result = await c.call_tool("venice_spending", {})
            if result.is_error:
                failures.append(str(result.content)[:300])

    async with anyio.create_task_group() as tg:
        for _ in range(count):
            tg.start_soon(session)


async def test_a_thousand_sse_sessions_leave_descriptors_and_memory_at_rest(
    tmp_path: Path, record_property: Callable[[str, Any], None]
) -> None:
    home = tmp_path / "home"
    failures: list[str] = []
    async with http_child(home, "--sandbox") as server:
        pid = server.pid
        started = time.monotonic()
        with anyio.fail_after(TIME_BOUND_S):
            await run_sessions(server.base, 1, failures)
            await until_no_clients(pid, server.port)
            first_rss = rss_mib(pid)
            for _ in range(WARM_UP_ROUNDS):
                await run_sessions(server.base, AT_ONCE, failures)
                await until_no_clients(pid, server.port)
            idle_fds, idle_db, idle_rss = open_fds(pid), state_handles(pid, home), rss_mib(pid)

            cycles_started = time.monotonic()
            await run_sessions(server.base, CYCLES, failures)
            await until_no_clients(pid, server.port)
            cycles_s = time.monotonic() - cycles_started
        fds, db, rss, peak = open_fds(pid), state_handles(pid, home), rss_mib(pid), rss_mib(pid, "VmHWM")

    figures = {
        "cycles": CYCLES,
        "cycles_s": round(cycles_s, 1),
        "total_s": round(time.monotonic() - started, 1),
        "fds_idle": idle_fds,
        "fds_after": fds,
        "db_handles_idle": idle_db,
        "db_handles_after": db,
        "rss_after_one_session_mib": round(first_rss, 1),
        "rss_idle_mib": round(idle_rss, 1),
        "rss_after_mib": round(rss, 1),
        "rss_peak_mib": round(peak, 1),
    }
    for name, value in figures.items():
        record_property(name, value)
    print(f"\nSSE stress: {figures}")

    assert failures == []
    assert db == idle_db, figures  # the one shared database connection, nothing per session
    assert fds <= idle_fds + FD_SLACK, figures
    assert rss <= idle_rss + RSS_SLACK_MIB, figures

"""The figures on the page: what was spent (by day, tool and model), the limits, the wallet, jobs
and errors, as the ledger holds them; and a page load that costs nothing and records nothing."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client

from tests.backend import recorded_calls
from tests.dashboard.seed import TX, WALLET, seed
from venice_mcp.cli import sandboxed
from venice_mcp.config import Secret, Settings
from venice_mcp.dashboard.chart import MAX_SERIES, OTHER, stacked_bars
from venice_mcp.dashboard.data import Store
from venice_mcp.dashboard.render import page
from venice_mcp.server import build_server
from venice_mcp.transports import build_http_app

pytestmark = pytest.mark.anyio

NOON = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc).timestamp()


async def read(home: Path, **settings: Any) -> Any:
    store = Store(Settings(home=home, **settings))
    try:
        return await store.read(show_prompts=True, now=NOON)
    finally:
        await store.aclose()


async def test_today_counts_what_ran_not_what_failed_or_stopped_at_the_gate(tmp_path: Path) -> None:
    await seed(tmp_path, NOON)
    snap = await read(tmp_path)
    assert snap.today_usd == pytest.approx(0.001)  # the chat Venice charged; not the $3 video
    assert (snap.today.calls, snap.today.errors) == (2, 1)
    assert snap.spending.stopped_at_gate == 1
    assert snap.days[-1] == "2026-12-04" and len(snap.days) == 30


async def test_the_chart_splits_each_day_by_tool_and_model_within_30_days(tmp_path: Path) -> None:
    await seed(tmp_path, NOON)
    snap = await read(tmp_path)
    assert snap.by_tool_daily == {
        "2026-12-04": {"venice_chat": pytest.approx(0.001)},
        "2026-12-03": {"venice_image_generate": pytest.approx(0.04)},  # estimated: no charge reported
    }
    assert snap.by_model_daily["2026-12-03"] == {"flux-img": pytest.approx(0.04)}
    assert all(day >= snap.days[0] for day in snap.by_tool_daily)  # the $9 chat of 40 days ago is out


async def test_limits_wallet_credit_and_top_ups_come_from_the_ledger(tmp_path: Path) -> None:
    await seed(tmp_path, NOON)
    snap = await read(tmp_path, max_call_usd=0.25, daily_topup_usd=15.0)
    assert (snap.limits.max_call_usd, snap.limits.daily_topup_usd) == (0.25, 15.0)
    assert snap.limits.topped_up_24h_usd == 5.0
    assert snap.wallet == WALLET  # no key configured: the wallet that paid
    assert snap.credit is not None and snap.credit.usd == 12.5
    [topup] = snap.topups
    assert (topup.amount_usd, topup.status, topup.tx_hash) == (5.0, "settled", TX)


async def test_a_configured_wallet_is_shown_by_its_address(tmp_path: Path) -> None:
    await seed(tmp_path, NOON)
    snap = await read(tmp_path, wallet_key=Secret("0x" + "42" * 32))
    assert snap.wallet is not None and snap.wallet.startswith("0x") and snap.wallet != WALLET


async def test_jobs_and_errors_are_listed_newest_first(tmp_path: Path) -> None:
    await seed(tmp_path, NOON)
    snap = await read(tmp_path)
    [job] = snap.jobs
    assert (job.kind, job.status, job.quote_usd) == ("video", "completed", 0.75)
    assert job.file_name == "video-kling-1.mp4"
    assert job.prompt is not None and len(job.prompt) == 80
    [error] = snap.errors
    assert (error.tool, error.detail) == ("venice_chat", "RateLimitError (429)")


async def test_a_home_without_state_reads_as_empty_and_is_not_created(tmp_path: Path) -> None:
    home = tmp_path / "never-used"
    snap = await read(home)
    assert (snap.today_usd, snap.jobs, snap.topups, snap.wallet) == (0.0, [], [], None)
    assert "No spend in these 30 days" in page(snap, can_sign_out=False)
    assert not home.exists()


def test_the_chart_data_carries_every_figure_and_groups_the_long_tail() -> None:
    days = ["2026-12-03", "2026-12-04"]
    split = {"2026-12-04": {f"tool{i}": float(i + 1) for i in range(MAX_SERIES + 2)}}
    svg = stacked_bars("c", "spend", days, split)
    segments = svg.count("<rect ")
    assert segments == MAX_SERIES
    # The three smallest (1 + 2 + 3) are drawn as one "other" segment.
    assert f'data-series="{OTHER}" data-usd="6.00000000"' in svg
    assert 'data-series="tool8" data-usd="9.00000000"' in svg


async def test_the_revenue_section_is_absent_until_charging_mode_exists(tmp_path: Path) -> None:
    await seed(tmp_path, NOON)
    snap = await read(tmp_path)
    assert snap.revenue is None and "Revenue" not in page(snap, can_sign_out=False)


class Counting(httpx2.AsyncBaseTransport):
    """The sandbox transport, counting what reaches "Venice"."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.requests += 1
        return await self.inner.handle_async_request(request)


async def call_rows(home: Path) -> int:
    return len(await recorded_calls(home))


async def test_loading_the_page_costs_nothing_and_records_nothing(tmp_path: Path) -> None:
    """Two chats through MCP, then the page and its data: Venice sees no request from the page,
    the ledger gains no row, and the page shows the chats as they were charged."""
    settings, transport = sandboxed(Settings(home=tmp_path, wallet_key=Secret("0x" + "42" * 32)))
    counting = Counting(transport)
    server = build_server(settings, transport=counting)
    async with Client(server) as client:
        for prompt in ("one", "two"):
            assert not (await client.call_tool("venice_chat", {"prompt": prompt})).is_error
        spending = await client.call_tool("venice_spending", {"days": 1})
    before = (counting.requests, await call_rows(tmp_path))
    app = build_http_app(server, dashboard=settings)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://127.0.0.1:8000"
    ) as browser:
        for path in ("/dashboard", "/dashboard/live", "/dashboard/data.json") * 3:
            assert (await browser.get(path)).status_code == 200
        data = (await browser.get("/dashboard/data.json")).json()
    assert (counting.requests, await call_rows(tmp_path)) == before
    assert data["spending"]["by_tool"]["venice_chat"]["calls"] == 2
    reported = json.loads(json.dumps(spending.structured_content))["by_tool"]["venice_chat"]["actual_usd"]
    assert sum(day.get("venice_chat", 0) for day in data["by_tool_daily"].values()) == pytest.approx(reported)
    assert reported > 0

"""venice_billing, venice_api_keys and the admin key tools through an MCP client."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client

from tests.hints import hints
from tests.tools.conftest import text_of, venice_requests
from venice_mcp.config import Secret
from venice_mcp.sandbox import SandboxState
from venice_mcp.sandbox.state import SANDBOX_ADMIN_KEY

pytestmark = pytest.mark.anyio
ADMIN_TOOLS = {"venice_api_key_create", "venice_api_key_update", "venice_api_key_delete"}


@pytest.fixture(params=["auto", "legacy"])
async def admin(request: pytest.FixtureRequest, make_client: Callable[..., Client]) -> Client:
    async with make_client(request.param, api_key=Secret(SANDBOX_ADMIN_KEY), admin_tools=True) as c:
        yield c  # type: ignore[misc]


async def test_inference_key_gets_a_clear_admin_message(client: Client) -> None:
    result = await client.call_tool("venice_billing", {})
    assert result.is_error
    text = text_of(result)
    assert "'Admin API key required'" in text and "INFERENCE key" in text and "ADMIN key" in text


async def test_rate_limits_work_with_any_key(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_api_keys", {})
    assert not result.is_error, text_of(result)
    assert "Access permitted: True · tier paid" in text_of(result)
    assert "- zai-org-glm-5-2: 50 RPM, 750000 TPM" in text_of(result)
    assert "- wan-2-7-text-to-video: not throughput-limited" in text_of(result)
    assert [r.status for r in venice_requests(sandbox, "/api_keys/rate_limits")] == [200]


async def test_balance(admin: Client) -> None:
    result = await admin.call_tool("venice_billing", {"view": "balance"})
    assert not result.is_error, text_of(result)
    assert text_of(result).startswith(
        "Balance: USD 25.0, DIEM 90.5, bundled credits 10.0 · spending from DIEM"
    )


async def test_usage_history_pages_by_cursor(admin: Client, sandbox: SandboxState) -> None:
    first = await admin.call_tool(
        "venice_billing",
        {"view": "usage_history", "start": "2026-08-25", "end": "2026-09-01", "page_size": 10},
    )
    assert not first.is_error, text_of(first)
    data = first.structured_content or {}
    assert data["count"] == 10 and data["next_cursor"]
    assert f'"cursor": "{data["next_cursor"]}"' in text_of(first)
    second = await admin.call_tool("venice_billing", {"view": "usage_history", "cursor": data["next_cursor"]})
    assert not second.is_error
    assert second.structured_content["entries"][0]["timestamp"] > data["entries"][-1]["timestamp"]  # type: ignore[index]
    sent = venice_requests(sandbox, "/billing/usage-history")
    assert sent[0].query == {
        "pageSize": "10",
        "startTimestamp": "2026-08-25T00:00:00Z",
        "endTimestamp": "2026-09-01T00:00:00Z",
    }
    assert sent[1].query == {"cursor": data["next_cursor"]}
    mixed = await admin.call_tool(
        "venice_billing", {"view": "usage_history", "cursor": "abc", "currency": "USD"}
    )
    assert mixed.is_error and "without start, end or currency" in text_of(mixed)


async def test_usage_history_as_csv_file(admin: Client) -> None:
    result = await admin.call_tool(
        "venice_billing", {"view": "usage_history", "format": "csv", "page_size": 10}
    )
    assert not result.is_error, text_of(result)
    data = result.structured_content or {}
    assert data["rows"] == 10 and data["next_cursor"] and data["uri"].endswith(".csv")
    assert Path(data["path"]).read_text().startswith("timestamp,sku,")
    assert [b.uri for b in result.content if b.type == "resource_link"] == [data["uri"]]


async def test_usage_analytics(admin: Client, sandbox: SandboxState) -> None:
    result = await admin.call_tool("venice_billing", {"view": "usage_analytics", "lookback_days": 30})
    assert not result.is_error, text_of(result)
    assert text_of(result).startswith("Usage over 30d (30 days)")
    ranged = await admin.call_tool(
        "venice_billing", {"view": "usage_analytics", "start": "2026-01-01", "end": "2026-01-10"}
    )
    assert "Usage over 10d (10 days)" in text_of(ranged)
    sent = venice_requests(sandbox, "/billing/usage-analytics")
    assert [r.query for r in sent] == [
        {"lookback": "30d"},
        {"startDate": "2026-01-01", "endDate": "2026-01-10"},
    ]


async def test_list_keys_and_log(admin: Client) -> None:
    keys = await admin.call_tool("venice_api_keys", {"view": "list"})
    assert not keys.is_error and "2 active key(s)" in text_of(keys)
    assert SANDBOX_ADMIN_KEY not in str(keys.model_dump())
    log = await admin.call_tool("venice_api_keys", {"view": "rate_limit_log"})
    assert "endpoint:api/v1/crypto/rpc" in text_of(log)


async def test_admin_tools_are_absent_unless_enabled(
    client: Client, make_client: Callable[..., Client]
) -> None:
    names = {t.name for t in (await client.list_tools()).tools}
    assert not names & ADMIN_TOOLS and {"venice_billing", "venice_api_keys"} <= names
    async with make_client(admin_tools=True) as enabled:
        tools = {t.name: t for t in (await enabled.list_tools()).tools}
    assert set(tools) >= ADMIN_TOOLS
    for name in ADMIN_TOOLS:
        admin = hints(tools[name])
        assert admin["destructive_hint"] is True and admin["read_only_hint"] is False
    assert hints(tools["venice_billing"])["read_only_hint"] is True


async def test_create_update_delete_a_key(admin: Client, sandbox: SandboxState) -> None:
    created = await admin.call_tool(
        "venice_api_key_create", {"description": "ci bot", "usd_limit": 5, "limit_period": "MONTH"}
    )
    assert not created.is_error, text_of(created)
    data = created.structured_content or {}
    path = Path(data["secret_file"])
    secret = path.read_text().strip()
    assert secret.startswith("VENICE_INFERENCE_KEY_") and secret not in str(created.model_dump())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sandbox.api_keys[secret] == "INFERENCE"
    [sent] = venice_requests(sandbox, "/api_keys")
    assert sent.json == {
        "apiKeyType": "INFERENCE",
        "description": "ci bot",
        "limitPeriod": "MONTH",
        "modelPrivacy": "ALL",
        "consumptionLimit": {"usd": 5.0},
    }
    updated = await admin.call_tool("venice_api_key_update", {"key_id": data["id"], "description": "renamed"})
    assert not updated.is_error and updated.structured_content["description"] == "renamed"  # type: ignore[index]
    deleted = await admin.call_tool("venice_api_key_delete", {"key_id": data["id"]})
    assert not deleted.is_error and secret not in sandbox.api_keys
    again = await admin.call_tool("venice_api_key_delete", {"key_id": data["id"]})
    assert again.is_error and "API key could not be found" in text_of(again)

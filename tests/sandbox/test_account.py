"""Sandbox /billing/* and /api_keys*: ADMIN gating, cursors, CSV, and keys that really work."""

from __future__ import annotations

import httpx2
import pytest

from venice_mcp.sandbox import SandboxState, spec
from venice_mcp.sandbox.state import SANDBOX_ADMIN_KEY

pytestmark = pytest.mark.anyio
ADMIN = {"Authorization": f"Bearer {SANDBOX_ADMIN_KEY}"}


@pytest.mark.parametrize(
    "path",
    [
        "/billing/balance",
        "/billing/usage-history",
        "/billing/usage-analytics",
        "/api_keys",
        "/api_keys/rate_limits/log",
    ],
)
async def test_admin_routes_refuse_inference_keys(
    client: httpx2.AsyncClient, key_headers: dict[str, str], path: str
) -> None:
    r = await client.get(path, headers=key_headers)
    assert r.status_code == 401 and r.json() == {"error": "Admin API key required"}
    assert (await client.get(path, headers=ADMIN)).status_code == 200


@pytest.mark.parametrize("auth", [{}, ADMIN, {"Authorization": "Bearer not-a-key"}])
async def test_retired_billing_usage_is_gone_for_everyone(
    client: httpx2.AsyncClient, auth: dict[str, str]
) -> None:
    """Sunset on 2026-09-16: a 410 with no data, whoever asks, pointing at /billing/usage-history."""
    r = await client.get("/billing/usage", params={"page": 1, "limit": 10}, headers=auth)
    assert r.status_code == 410
    assert spec.response_errors("/billing/usage", r.json(), status="410") == []
    assert set(r.json()) == {"error"}
    assert "GET /api/v1/billing/usage-history" in r.json()["error"]
    assert all(p in r.json()["error"] for p in ("pageSize", "nextCursor", "startTimestamp"))
    assert r.headers["deprecation"] == "@1783555200"
    assert r.headers["sunset"] == "Wed, 16 Sep 2026 00:00:00 GMT"
    assert r.headers["link"].startswith('</api/v1/billing/usage-history>; rel="successor-version"')


async def test_usage_history_walks_with_cursors(client: httpx2.AsyncClient) -> None:
    seen = []
    r = await client.get("/billing/usage-history", params={"pageSize": 25}, headers=ADMIN)
    while True:
        assert r.status_code == 200, r.text
        seen.extend(r.json()["data"])
        cursor = r.json()["nextCursor"]
        if cursor is None:
            break
        r = await client.get("/billing/usage-history", params={"cursor": cursor}, headers=ADMIN)
    stamps = [e["timestamp"] for e in seen]
    assert len(seen) == 60 and stamps == sorted(stamps)


async def test_usage_history_filters_and_rules(client: httpx2.AsyncClient) -> None:
    q = {"startTimestamp": "2026-08-30T00:00:00Z", "endTimestamp": "2026-08-31T00:00:00Z", "currency": "USD"}
    r = await client.get("/billing/usage-history", params=q, headers=ADMIN)
    assert r.status_code == 200 and r.json()["data"]
    assert all(e["currency"] == "USD" and e["timestamp"].startswith("2026-08-30") for e in r.json()["data"])
    cursor = (await client.get("/billing/usage-history", params={"pageSize": 10}, headers=ADMIN)).json()[
        "nextCursor"
    ]
    mixed = await client.get(
        "/billing/usage-history", params={"cursor": cursor, "pageSize": 10}, headers=ADMIN
    )
    assert mixed.status_code == 400
    tampered = await client.get("/billing/usage-history", params={"cursor": "A" + cursor[1:]}, headers=ADMIN)
    assert tampered.json() == {"error": "Invalid or expired cursor; restart from the first page"}
    unknown = await client.get("/billing/usage-history", params={"page": 2}, headers=ADMIN)
    assert unknown.status_code == 400 and unknown.json()["issues"][0]["code"] == "unrecognized_keys"
    backwards = {"startTimestamp": "2026-08-31T00:00:00Z", "endTimestamp": "2026-08-30T00:00:00Z"}
    assert (await client.get("/billing/usage-history", params=backwards, headers=ADMIN)).status_code == 400


async def test_usage_history_csv_moves_the_cursor_to_a_header(client: httpx2.AsyncClient) -> None:
    r = await client.get(
        "/billing/usage-history", params={"pageSize": 10}, headers={**ADMIN, "Accept": "text/csv"}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment; filename=billing-usage-history-")
    lines = r.text.strip().split("\n")
    assert lines[0].startswith(
        "timestamp,sku,pricePerUnitUsd,units,amount,currency,notes,inferenceDetails.requestId"
    )
    assert len(lines) == 11 and r.headers["x-next-cursor"]


async def test_usage_analytics_windows(client: httpx2.AsyncClient) -> None:
    r = await client.get("/billing/usage-analytics", params={"lookback": "400d"}, headers=ADMIN)
    assert r.json()["lookback"] == "90d" and len(r.json()["byDate"]) == 90
    r = await client.get(
        "/billing/usage-analytics", params={"startDate": "2026-01-01", "endDate": "2026-01-03"}, headers=ADMIN
    )
    assert [d["date"] for d in r.json()["byDate"]] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    bad = await client.get("/billing/usage-analytics", params={"lookback": "7w"}, headers=ADMIN)
    assert bad.status_code == 400


async def test_created_keys_work_and_deleted_keys_stop(
    client: httpx2.AsyncClient, state: SandboxState
) -> None:
    created = await client.post(
        "/api_keys",
        json={"apiKeyType": "INFERENCE", "description": "ci", "consumptionLimit": {"usd": 5}},
        headers=ADMIN,
    )
    assert created.status_code == 200, created.text
    data = created.json()["data"]
    secret, key_id = data["apiKey"], data["id"]
    assert secret.startswith("VENICE_INFERENCE_KEY_") and data["consumptionLimit"]["usd"] == 5
    own = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/api_keys/rate_limits", headers=own)).status_code == 200
    listed = (await client.get("/api_keys", headers=ADMIN)).json()["data"]
    mine = next(k for k in listed if k["id"] == key_id)
    assert mine["last6Chars"] == secret[-6:] and "apiKey" not in mine and "currentPeriodUsage" in mine
    patched = await client.patch("/api_keys", json={"id": key_id, "description": "renamed"}, headers=ADMIN)
    assert patched.json()["data"]["description"] == "renamed"
    assert (await client.get(f"/api_keys/{key_id}", headers=ADMIN)).json()["data"]["description"] == "renamed"
    deleted = await client.delete("/api_keys", params={"id": key_id}, headers=ADMIN)
    assert deleted.json() == {"success": True}
    assert (await client.get("/api_keys/rate_limits", headers=own)).status_code == 401
    again = await client.delete("/api_keys", params={"id": key_id}, headers=ADMIN)
    assert again.json() == {"error": "API key could not be found"}
    assert (await client.get(f"/api_keys/{key_id}", headers=ADMIN)).json() == {"error": "API key not found"}


async def test_create_key_is_strict(client: httpx2.AsyncClient) -> None:
    r = await client.post(
        "/api_keys", json={"apiKeyType": "INFERENCE", "description": "x", "color": "red"}, headers=ADMIN
    )
    assert r.status_code == 400 and r.json()["issues"][0]["keys"] == ["color"]
    r = await client.post(
        "/api_keys", json={"apiKeyType": "INFERENCE", "description": "x" * 65}, headers=ADMIN
    )
    assert r.status_code == 400


async def test_web3_token_needs_no_credentials(client: httpx2.AsyncClient) -> None:
    r = await client.get("/api_keys/generate_web3_key")
    assert r.status_code == 200 and r.json()["success"] is True and r.json()["data"]["token"].count(".") == 2

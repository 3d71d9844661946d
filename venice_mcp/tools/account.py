"""Account tools for API-key users: billing (balance, usage history, analytics) and API keys
(list, rate limits and their log). Creating, changing and deleting keys are admin tools, present
only when the operator sets VENICE_MCP_ADMIN_TOOLS."""

import json
import logging
import re
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from venice_mcp.call import Call
from venice_mcp.context import AppState
from venice_mcp.reply import Attachment, Reply
from venice_mcp.secret_files import save_secret
from venice_mcp.tools._declare import tool
from venice_mcp.tools.characters import require_api_key

# The Venice operations each tool reaches (spec paths); tools/spec_coverage.py reads this.
ENDPOINTS = {
    "GET /billing/balance": ("venice_billing",),
    "GET /billing/usage-history": ("venice_billing",),
    "GET /billing/usage-analytics": ("venice_billing",),
    "GET /api_keys": ("venice_api_keys",),
    "GET /api_keys/{id}": ("venice_api_keys",),
    "GET /api_keys/rate_limits": ("venice_api_keys",),
    "GET /api_keys/rate_limits/log": ("venice_api_keys",),
    "POST /api_keys": ("venice_api_key_create",),
    "PATCH /api_keys": ("venice_api_key_update",),
    "DELETE /api_keys": ("venice_api_key_delete",),
}

log = logging.getLogger(__name__)

KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$")
INLINE_ROWS = 50

Currency = Literal["USD", "DIEM", "BUNDLED_CREDITS", "EARNED_CREDITS"]
LimitPeriod = Literal["EPOCH", "MONTH", "LIFETIME"]
ModelPrivacy = Literal["ALL", "PRIVATE_TEXT", "PRIVATE_ONLY"]
Description = Annotated[str, Field(min_length=1, max_length=64, description="What the key is for (≤64).")]
Expiry = Annotated[
    str | None, Field(description="Expiry: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ; empty string for never.")
]
Limit = Annotated[float | None, Field(ge=0, le=9_999_999_999)]


def _timestamp(value: str, name: str) -> str:
    if DATETIME.match(value):
        return value
    if DATE.match(value):
        return value + "T00:00:00Z"
    raise ToolError(
        f"'{name}' must be a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM:SSZ), got {value!r}."
    )


def _entry_line(e: dict[str, Any]) -> str:
    info = e.get("inferenceDetails") or {}
    tokens = ""
    if info.get("promptTokens") is not None:
        tokens = f" · {info['promptTokens']} in / {info.get('completionTokens')} out"
    return f"- {e.get('timestamp')} · {e.get('sku')} · {e.get('amount')} {e.get('currency')}{tokens}"


def _balance_text(data: dict[str, Any]) -> str:
    b = data.get("balances") or {}
    named = (
        ("USD", b.get("usd")),
        ("DIEM", b.get("diem")),
        ("bundled credits", b.get("bundledCredits")),
        ("earned credits", b.get("earnedCredits")),
    )
    parts = [f"{k} {v}" for k, v in named if v is not None]
    line = "Balance: " + (", ".join(parts) or "nothing spendable")
    line += f" · spending from {data.get('consumptionCurrency') or 'nothing'}"
    line += " · can make calls" if data.get("canConsume") else " · CANNOT make calls (below $0.10)"
    if data.get("diemEpochAllocation"):
        line += f" · DIEM allocation this epoch {data['diemEpochAllocation']}"
    return line


@tool("Billing", "read_only", "account")
async def venice_billing(
    call: Call,
    view: Annotated[
        Literal["balance", "usage_history", "usage_analytics"],
        Field(),
    ] = "balance",
    start: Annotated[
        str | None,
        Field(description="YYYY-MM-DD or UTC time."),
    ] = None,
    end: Annotated[
        str | None,
        Field(description="History: exclusive; analytics: last day."),
    ] = None,
    currency: Annotated[Currency | None, Field(description="History.")] = None,
    page_size: Annotated[int, Field(ge=10, le=1000, description="History.")] = 100,
    cursor: Annotated[str | None, Field(description="History: the last page's next_cursor.")] = None,
    lookback_days: Annotated[int, Field(ge=1, le=90, description="Analytics.")] = 7,
    format: Annotated[Literal["json", "csv"], Field(description="History.")] = "json",
) -> Reply:
    """Account balance, usage history and usage analytics (ADMIN API key)."""
    state = call.state
    require_api_key(state, "venice_billing", "/billing")
    if view == "balance":
        got = await state.client.request("GET", "/billing/balance", kind="fast")
        data = got.body if isinstance(got.body, dict) else {}
        return Reply(_balance_text(data), data)
    if view == "usage_analytics":
        return await _analytics(state, start, end, lookback_days)
    return await _history(state, start, end, currency, page_size, cursor, format)


@tool("API keys and rate limits", "read_only", "account")
async def venice_api_keys(
    call: Call,
    view: Annotated[
        Literal["rate_limits", "list", "key", "rate_limit_log"],
        Field(description="key needs key_id."),
    ] = "rate_limits",
    key_id: Annotated[str | None, Field()] = None,
) -> Reply:
    """This key's rate limits, or (ADMIN key) the account's keys and rate-limit log."""
    state = call.state
    require_api_key(state, "venice_api_keys", "/api_keys")
    if view == "rate_limits":
        got = await state.client.request("GET", "/api_keys/rate_limits", kind="fast")
        data = (got.body or {}).get("data") or {}
        lines = [
            f"Access permitted: {data.get('accessPermitted')}"
            f" · tier {(data.get('apiTier') or {}).get('id')}"
            f" · balances {data.get('balances')} · next epoch {data.get('nextEpochBegins')}"
        ]
        for row in data.get("rateLimits") or []:
            limits = ", ".join(f"{x.get('amount')} {x.get('type')}" for x in row.get("rateLimits") or [])
            lines.append(f"- {row.get('apiModelId')}: {limits or 'not throughput-limited'}")
        return Reply("\n".join(lines), data)
    if view == "key":
        if not key_id or not KEY_ID.match(key_id):
            raise ToolError("view=key needs 'key_id' (an id from view=list).")
        got = await state.client.request("GET", f"/api_keys/{key_id}", kind="fast")
        data = (got.body or {}).get("data") or {}
        return Reply(json.dumps(data, indent=1), data)
    if view == "rate_limit_log":
        got = await state.client.request("GET", "/api_keys/rate_limits/log", kind="fast")
        rows = (got.body or {}).get("data") or []
        lines = [f"{len(rows)} rate-limit breach(es), newest first:"] + [
            f"- {r.get('timestamp')} · {r.get('rateLimitType')} · {r.get('modelId')}"
            f" · key {r.get('apiKeyId')}"
            for r in rows
        ]
        return Reply("\n".join(lines), {"breaches": rows})
    got = await state.client.request("GET", "/api_keys", kind="fast")
    keys = (got.body or {}).get("data") or []
    lines = [f"{len(keys)} active key(s):"] + [
        f"- {k.get('id')} · {k.get('apiKeyType')} · {k.get('description')!r} · …{k.get('last6Chars')}"
        f" · limits {k.get('consumptionLimits')} per {k.get('limitPeriod')} · {k.get('modelPrivacy')}"
        f" · expires {k.get('expiresAt') or 'never'}"
        for k in keys
    ]
    return Reply("\n".join(lines), {"keys": keys})


async def _history(
    state: AppState,
    start: str | None,
    end: str | None,
    currency: str | None,
    page_size: int,
    cursor: str | None,
    fmt: str,
) -> Reply:
    if cursor is not None:
        if start or end or currency:
            raise ToolError(
                "'cursor' continues a walk with its own filters: send it without start, end or currency."
            )
        params: dict[str, Any] = {"cursor": cursor}
    else:
        params = {"pageSize": page_size}
        if start:
            params["startTimestamp"] = _timestamp(start, "start")
        if end:
            params["endTimestamp"] = _timestamp(end, "end")
        if currency:
            params["currency"] = currency
    accept = "text/csv" if fmt == "csv" else "application/json"
    got = await state.client.request(
        "GET", "/billing/usage-history", params=params, headers={"Accept": accept}, kind="fast"
    )
    if fmt == "csv":
        text = got.body if isinstance(got.body, str) else (got.content or b"").decode()
        nxt = got.headers.get("x-next-cursor")
        saved = state.outputs.write(text.encode(), "usage-history", "csv")
        rows = max(0, len(text.strip().splitlines()) - 1)
        line = f"{rows} usage entries saved to {saved.summary()}."
        line += (
            f' Next page: venice_billing {{"view": "usage_history", "format": "csv", "cursor": "{nxt}"}}'
            if nxt
            else " Last page."
        )
        return Reply(
            line,
            {"rows": rows, "next_cursor": nxt, "path": str(saved.path), "uri": saved.uri},
            [Attachment(saved, "Usage history page (CSV)")],
        )
    data = got.body if isinstance(got.body, dict) else {}
    entries = [e for e in data.get("data") or [] if isinstance(e, dict)]
    nxt = data.get("nextCursor")
    lines = [f"{len(entries)} usage entries (oldest first):"] + [
        _entry_line(e) for e in entries[:INLINE_ROWS]
    ]
    attachments = []
    structured: dict[str, Any] = {"count": len(entries), "next_cursor": nxt}
    if len(entries) > INLINE_ROWS:
        saved = state.outputs.write(json.dumps(entries).encode(), "usage-history", "json")
        lines.append(f"… {len(entries) - INLINE_ROWS} more in {saved.summary()} ({saved.uri}).")
        attachments.append(Attachment(saved, "Usage history page (JSON)"))
        structured["file"] = {"path": str(saved.path), "uri": saved.uri}
    else:
        structured["entries"] = entries
    lines.append(
        f'Next page: venice_billing {{"view": "usage_history", "cursor": "{nxt}"}}' if nxt else "Last page."
    )
    return Reply("\n".join(lines), structured, attachments)


async def _analytics(state: AppState, start: str | None, end: str | None, days: int) -> Reply:
    if (start is None) != (end is None):
        raise ToolError(
            "usage_analytics takes both 'start' and 'end' (YYYY-MM-DD), or neither (lookback_days)."
        )
    if start is not None and end is not None:
        if not (DATE.match(start) and DATE.match(end)):
            raise ToolError("usage_analytics 'start' and 'end' are days: YYYY-MM-DD.")
        params: dict[str, Any] = {"startDate": start, "endDate": end}
    else:
        params = {"lookback": f"{days}d"}
    got = await state.client.request("GET", "/billing/usage-analytics", params=params, kind="fast")
    data = got.body if isinstance(got.body, dict) else {}
    by_date = data.get("byDate") or []
    usd = sum(float(r.get("USD") or 0) for r in by_date)
    diem = sum(float(r.get("DIEM") or 0) for r in by_date)
    lines = [f"Usage over {data.get('lookback')} ({len(by_date)} days): ${usd:.4f} USD, {diem:g} DIEM"]
    lines += ["By model:"] + [
        f"- {m.get('modelName')} ({m.get('modelType')}): ${m.get('totalUsd')} USD, "
        f"{m.get('totalDiem')} DIEM, "
        f"{m.get('totalUnits')} {m.get('unitType')}"
        for m in (data.get("byModel") or [])[:20]
    ]
    lines += ["By key:"] + [
        f"- {k.get('description')}: ${k.get('totalUsd')} USD, {k.get('totalDiem')} DIEM"
        for k in (data.get("byKey") or [])[:20]
    ]
    summary = {k: data.get(k) for k in ("lookback", "byDate", "byModel", "byKey", "topModels", "topKeyNames")}
    return Reply("\n".join(lines), summary)


def _limit_body(usd_limit: float | None, diem_limit: float | None) -> dict[str, Any] | None:
    limits = {k: v for k, v in (("usd", usd_limit), ("diem", diem_limit)) if v is not None}
    return limits or None


@tool("Create an API key", "admin", "account", admin=True)
async def venice_api_key_create(
    call: Call,
    description: Description,
    api_key_type: Annotated[
        Literal["INFERENCE", "ADMIN"], Field(description="INFERENCE unless it must manage the account.")
    ] = "INFERENCE",
    expires_at: Expiry = None,
    usd_limit: Annotated[Limit, Field(description="USD spend cap per limit_period.")] = None,
    diem_limit: Annotated[Limit, Field(description="DIEM spend cap per limit_period.")] = None,
    limit_period: LimitPeriod = "EPOCH",
    model_privacy: ModelPrivacy = "ALL",
) -> Reply:
    """Create a Venice API key (admin tool). Venice shows the secret once: it is saved to a private
    file no tool reads, and only its path appears here."""
    state = call.state
    body: dict[str, Any] = {
        "apiKeyType": api_key_type,
        "description": description,
        "limitPeriod": limit_period,
        "modelPrivacy": model_privacy,
    }
    if expires_at is not None:
        body["expiresAt"] = expires_at
    limits = _limit_body(usd_limit, diem_limit)
    if limits:
        body["consumptionLimit"] = limits
    require_api_key(state, "venice_api_key_create", "/api_keys")
    got = await state.client.request("POST", "/api_keys", json_body=body, kind="fast", idempotency="never")
    data = dict((got.body or {}).get("data") or {})
    secret = str(data.pop("apiKey", ""))
    try:
        path = save_secret(state.settings.secrets_dir, secret, str(data.get("id") or ""))
    except OSError as exc:
        # The key exists at Venice but could not be kept: say so, never show it.
        raise ToolError(
            f"Venice created key {data.get('id')}, but its secret could not be saved ({exc}). Delete it "
            "with venice_api_key_delete and create another once the secrets folder is writable."
        ) from None
    log.warning("venice_api_key_create: the secret of key %s is in %s", data.get("id"), path)
    data["last6Chars"] = secret[-6:]
    data["secret_file"] = str(path)
    return Reply(
        f"Created {data.get('apiKeyType')} key {data.get('id')} ({description!r}, …{secret[-6:]}). "
        f"Tell the person: the secret is in {path}, readable only by their user account; no tool or "
        "resource of this server reads that folder, so open it outside this conversation. Venice "
        "will not show it again.",
        data,
    )


@tool("Change an API key", "admin", "account", admin=True)
async def venice_api_key_update(
    call: Call,
    key_id: Annotated[str, Field(description="The key's id (venice_api_keys view=list).")],
    description: Description | None = None,
    expires_at: Annotated[Expiry, Field(description="New expiry; empty string removes it.")] = None,
    usd_limit: Limit = None,
    diem_limit: Limit = None,
    limit_period: LimitPeriod | None = None,
    model_privacy: ModelPrivacy | None = None,
) -> Reply:
    """Change a Venice API key's description, expiry, spend limits or model privacy (admin tool).
    Only the fields given change."""
    state = call.state
    if not KEY_ID.match(key_id):
        raise ToolError(f"{key_id!r} is not a key id.")
    body: dict[str, Any] = {"id": key_id}
    for name, value in (
        ("description", description),
        ("expiresAt", expires_at),
        ("limitPeriod", limit_period),
        ("modelPrivacy", model_privacy),
        ("consumptionLimit", _limit_body(usd_limit, diem_limit)),
    ):
        if value is not None:
            body[name] = value
    if len(body) == 1:
        raise ToolError("Nothing to change: give at least one field besides key_id.")
    require_api_key(state, "venice_api_key_update", "/api_keys")
    got = await state.client.request("PATCH", "/api_keys", json_body=body, kind="fast", idempotency="never")
    data = (got.body or {}).get("data") or {}
    return Reply(f"Updated key {key_id}: " + ", ".join(k for k in body if k != "id"), data)


@tool("Delete an API key", "admin", "account", admin=True)
async def venice_api_key_delete(
    call: Call, key_id: Annotated[str, Field(description="The key's id (venice_api_keys view=list).")]
) -> Reply:
    """Revoke a Venice API key immediately (admin tool). Anything using it stops working."""
    state = call.state
    if not KEY_ID.match(key_id):
        raise ToolError(f"{key_id!r} is not a key id.")
    require_api_key(state, "venice_api_key_delete", "/api_keys")
    await state.client.request("DELETE", "/api_keys", params={"id": key_id}, kind="fast", idempotency="never")
    return Reply(f"Deleted API key {key_id}.", {"deleted": key_id})

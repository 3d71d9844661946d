"""Account routes: /billing/* (ADMIN key; the retired /billing/usage answers 410 to anyone) and
/api_keys* (ADMIN for management and the rate-limit log; any key for /api_keys/rate_limits; none
for generate_web3_key).

Keys created here really work: a new secret is added to the sandbox's keys, and a deleted key
stops authenticating. Billing figures are deterministic: the usage history is 60 entries, three
hours apart, ending at HISTORY_END.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import secrets
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse, Response

from venice_mcp.sandbox import spec
from venice_mcp.sandbox.context import Context
from venice_mcp.sandbox.errors import error
from venice_mcp.sandbox.params import validate_query
from venice_mcp.sandbox.state import ADMIN, SandboxState, iso_ms

HISTORY_END = datetime(2026, 9, 1, tzinfo=timezone.utc)
HISTORY_ENTRIES = 60
_CURSOR_SECRET = secrets.token_bytes(16)
_CURRENCIES = ("DIEM", "USD", "BUNDLED_CREDITS", "EARNED_CREDITS")
_SKUS = (
    ("zai-org-glm-5-2-llm-output-mtoken", 4.4, "GLM 5.2"),
    ("zai-org-glm-5-2-llm-input-mtoken", 1.4, "GLM 5.2"),
    ("venice-sd35-image-unit", 0.01, "Venice SD35"),
    ("crypto-rpc-ethereum-mainnet", 0.0000007, "Crypto RPC"),
)


# -- billing -------------------------------------------------------------------------------------

# The sandbox account's spendable balance (GET /billing/balance, x-venice-balance-* headers).
BALANCES = {"usd": 25.0, "diem": 90.5}

# GET /billing/usage since its sunset (2026-09-16): the spec's 410 (a StandardError naming
# /billing/usage-history and the parameters to rename) with the headers venice-billing.md quotes.
# Venice publishes no verbatim message; this one says what the spec says it says.
USAGE_RETIRED = (
    "GET /api/v1/billing/usage was sunset on 2026-09-16 and no longer returns usage data. "
    "Use GET /api/v1/billing/usage-history instead: replace page and limit with pageSize and the "
    "nextCursor of each response, and startDate and endDate with startTimestamp and endTimestamp."
)
USAGE_RETIRED_HEADERS = {
    "Deprecation": "@1783555200",
    "Sunset": "Wed, 16 Sep 2026 00:00:00 GMT",
    "Link": '</api/v1/billing/usage-history>; rel="successor-version", '
    '<https://docs.venice.ai/api-reference/endpoint/billing/usage-history>; rel="deprecation"; '
    'type="text/html"',
}


async def usage_retired(ctx: Context) -> Response:
    return JSONResponse({"error": USAGE_RETIRED}, status_code=410, headers=USAGE_RETIRED_HEADERS)


async def balance(ctx: Context) -> Response:
    return JSONResponse(
        {
            "canConsume": True,
            "consumptionCurrency": "DIEM",
            "balances": {**BALANCES, "bundledCredits": 10.0, "earnedCredits": None},
            "diemEpochAllocation": 100,
        }
    )


def _history() -> list[dict[str, Any]]:
    out = []
    for i in range(HISTORY_ENTRIES):
        at = HISTORY_END - timedelta(hours=3 * (HISTORY_ENTRIES - i))
        sku, unit_price, _ = _SKUS[i % len(_SKUS)]
        units = round(0.0001 * (1 + i % 7), 6)
        inference = i % len(_SKUS) != 3
        out.append(
            {
                "timestamp": iso_ms(at.timestamp()),
                "sku": sku,
                "units": units,
                "pricePerUnitUsd": unit_price,
                "amount": -round(units * unit_price, 8),
                "currency": _CURRENCIES[i % 3],
                "notes": "API Inference",
                "inferenceDetails": (
                    {
                        "requestId": f"chatcmpl-{i:032x}",
                        "promptTokens": 100 + i if i % 4 < 2 else None,
                        "completionTokens": 50 + i if i % 4 < 2 else None,
                        "inferenceExecutionTime": 800 + 10 * i,
                    }
                    if inference
                    else None
                ),
            }
        )
    return out


def _parse_ts(value: str, name: str) -> datetime:
    if not value.endswith("Z"):
        raise error(400, f"{name} must be an ISO 8601 UTC timestamp ending in 'Z'")
    try:
        return datetime.fromisoformat(value[:-1] + "+00:00")
    except ValueError:
        raise error(400, f"{name} must be an ISO 8601 UTC timestamp ending in 'Z'") from None


def _cursor(payload: dict[str, Any]) -> str:
    raw = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
    sig = hmac.new(_CURSOR_SECRET, raw.encode(), hashlib.sha256).hexdigest()[:16]
    return raw + sig


def _uncursor(value: str, owner: str) -> dict[str, Any]:
    raw, sig = value[:-16], value[-16:]
    good = hmac.new(_CURSOR_SECRET, raw.encode(), hashlib.sha256).hexdigest()[:16]
    try:
        payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except ValueError:
        payload = {}
    if not hmac.compare_digest(sig, good) or payload.get("u") != owner:
        raise error(400, "Invalid or expired cursor; restart from the first page")
    return payload


def _owner(ctx: Context) -> str:
    return hashlib.sha256(ctx.request.headers.get("authorization", "").encode()).hexdigest()[:16]


async def usage_history(ctx: Context) -> Response:
    query = ctx.request.query_params
    # Venice's validator also takes EARNED_CREDITS, which the spec's enum has not caught up with.
    checked = QueryParams(
        [(k, v) for k, v in query.multi_items() if (k, v) != ("currency", "EARNED_CREDITS")]
    )
    q = validate_query("/billing/usage-history", checked, strict=True)
    if query.get("currency") == "EARNED_CREDITS":
        q["currency"] = "EARNED_CREDITS"
    if "cursor" in q:
        if len(q) > 1:
            raise error(400, "cursor cannot be combined with other parameters; send it alone")
        state = _uncursor(q["cursor"], _owner(ctx))
        filters, size, offset = state["f"], state["s"], state["o"]
    else:
        filters = {k: q[k] for k in ("startTimestamp", "endTimestamp", "currency") if k in q}
        size, offset = q.get("pageSize", 1000), 0
        start = (
            _parse_ts(filters["startTimestamp"], "startTimestamp") if "startTimestamp" in filters else None
        )
        end = _parse_ts(filters["endTimestamp"], "endTimestamp") if "endTimestamp" in filters else None
        if start and end and end <= start:
            raise error(400, "endTimestamp must be later than startTimestamp")
    entries = _history()
    if "startTimestamp" in filters:
        entries = [
            e
            for e in entries
            if e["timestamp"] >= iso_ms(_parse_ts(filters["startTimestamp"], "").timestamp())
        ]
    if "endTimestamp" in filters:
        entries = [
            e for e in entries if e["timestamp"] < iso_ms(_parse_ts(filters["endTimestamp"], "").timestamp())
        ]
    if "currency" in filters:
        entries = [e for e in entries if e["currency"] == filters["currency"]]
    page = entries[offset : offset + size]
    more = offset + size < len(entries)
    next_cursor = _cursor({"f": filters, "s": size, "o": offset + size, "u": _owner(ctx)}) if more else None
    if "text/csv" in ctx.request.headers.get("accept", ""):
        return _csv(page, next_cursor)
    return JSONResponse({"data": page, "nextCursor": next_cursor})


def _csv(page: list[dict[str, Any]], next_cursor: str | None) -> Response:
    columns = ["timestamp", "sku", "pricePerUnitUsd", "units", "amount", "currency", "notes"]
    details = ["requestId", "inferenceExecutionTime", "promptTokens", "completionTokens"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns + [f"inferenceDetails.{d}" for d in details])
    for e in page:
        info = e["inferenceDetails"] or {}
        writer.writerow([e[c] for c in columns] + ["" if info.get(d) is None else info[d] for d in details])
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    headers = {"Content-Disposition": f"attachment; filename=billing-usage-history-{stamp}.csv"}
    if next_cursor:
        headers["x-next-cursor"] = next_cursor
    return Response(out.getvalue(), media_type="text/csv", headers=headers)


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise error(400, f"{name} must be a date (YYYY-MM-DD)") from None


async def usage_analytics(ctx: Context) -> Response:
    q = validate_query("/billing/usage-analytics", ctx.request.query_params)
    today = datetime.now(timezone.utc).date()
    if "startDate" in q and "endDate" in q:
        first, last = _day(q["startDate"], "startDate"), _day(q["endDate"], "endDate")
        if last < first:
            raise error(400, "endDate must not be before startDate")
        if (last - first).days + 1 > 90:
            raise error(400, "The date range may span at most 90 days")
        lookback = f"{(last - first).days + 1}d"
    else:
        days = min(int(q.get("lookback", "7d")[:-1]), 90)
        lookback = f"{days}d"
        first, last = today - timedelta(days=days - 1), today
    dates = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    by_date: list[dict[str, Any]] = [
        {
            "date": d.isoformat(),
            "USD": round(0.05 * (d.toordinal() % 5), 4),
            "DIEM": round(d.toordinal() % 3, 4),
        }
        for d in dates
    ]
    usd = round(sum(r["USD"] for r in by_date), 4)
    diem = round(sum(r["DIEM"] for r in by_date), 4)
    ms = [int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp() * 1000) for d in dates]
    return JSONResponse(
        {
            "lookback": lookback,
            "byDate": by_date,
            "byModel": [
                {
                    "modelName": "GLM 5.2",
                    "unitType": "tokens",
                    "modelType": "LLM",
                    "totalUsd": usd,
                    "totalDiem": diem,
                    "totalUnits": 50_000 * len(dates),
                    "breakdown": [
                        {
                            "type": "Output",
                            "usd": round(usd * 0.7, 4),
                            "diem": round(diem * 0.7, 4),
                            "units": 35_000,
                        },
                        {
                            "type": "Input",
                            "usd": round(usd * 0.3, 4),
                            "diem": round(diem * 0.3, 4),
                            "units": 15_000,
                        },
                    ],
                }
            ],
            "byModelDaily": [
                {"date": t, "GLM 5.2": r["USD"] + r["DIEM"]} for t, r in zip(ms, by_date, strict=True)
            ],
            "byModelDailyUsd": [{"date": t, "GLM 5.2": r["USD"]} for t, r in zip(ms, by_date, strict=True)],
            "topModels": ["GLM 5.2"],
            "byKey": [
                {
                    "apiKeyId": _record_id("sandbox"),
                    "description": "Sandbox key",
                    "totalUsd": usd,
                    "totalDiem": diem,
                    "totalUnits": 50_000 * len(dates),
                }
            ],
            "byKeyDaily": [
                {"date": t, "Sandbox key": r["USD"] + r["DIEM"]} for t, r in zip(ms, by_date, strict=True)
            ],
            "byKeyDailyUsd": [{"date": t, "Sandbox key": r["USD"]} for t, r in zip(ms, by_date, strict=True)],
            "topKeyNames": ["Sandbox key"],
        }
    )


# -- API keys ------------------------------------------------------------------------------------


def _record_id(secret: str) -> str:
    return str(uuid.UUID(bytes=hashlib.sha256(secret.encode()).digest()[:16], version=4))


def _new_record(secret: str, key_type: str, description: str, created: float) -> dict[str, Any]:
    return {
        "id": _record_id(secret),
        "apiKeyType": key_type,
        "description": description,
        "createdAt": iso_ms(created),
        "expiresAt": None,
        "lastUsedAt": None,
        "last6Chars": secret[-6:],
        "consumptionLimits": {"usd": None, "diem": None, "vcu": None},
        "limitPeriod": "EPOCH",
        "modelPrivacy": "ALL",
        "usage": {"trailingSevenDays": {"usd": "0.0000", "vcu": "0.0000", "diem": "0.0000"}},
        "_secret": secret,
    }


def _records(state: SandboxState) -> dict[str, dict[str, Any]]:
    """Key records, in step with the keys that authenticate (seeded from the configured keys)."""
    records = state.api_key_records
    live = set(state.api_keys)
    for secret, key_type in state.api_keys.items():
        rid = _record_id(secret)
        if rid not in records:
            records[rid] = _new_record(secret, key_type, f"Sandbox {key_type.lower()} key", 1_767_225_600.0)
    for rid in [r for r, rec in records.items() if rec["_secret"] not in live]:
        del records[rid]
    return records


def _view(record: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in record.items() if not k.startswith("_")}
    limits = record["consumptionLimits"]
    if limits.get("usd") is not None or limits.get("diem") is not None:
        out["currentPeriodUsage"] = {"usd": "0.0000", "diem": "0.0000"}
    return out


def _expiry(value: Any) -> str | None:
    if value in (None, ""):
        return None
    text = str(value)
    return text + "T00:00:00.000Z" if len(text) == 10 else text


def _limits(raw: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, Any]:
    out = dict(current)
    for name in ("usd", "diem", "vcu"):
        if raw is not None and name in raw:
            out[name] = raw[name]
    return out


async def list_keys(ctx: Context) -> Response:
    records = sorted(_records(ctx.state).values(), key=lambda r: r["createdAt"], reverse=True)
    return JSONResponse({"object": "list", "data": [_view(r) for r in records]})


async def create_key(ctx: Context) -> Response:
    spec.validate_body("/api_keys", ctx.body)
    body: dict[str, Any] = ctx.body
    records = _records(ctx.state)
    if len(records) >= 500:
        raise error(400, "You have reached the maximum number of active API keys (500)")
    prefix = "VENICE_ADMIN_KEY_" if body["apiKeyType"] == ADMIN else "VENICE_INFERENCE_KEY_"
    secret = prefix + secrets.token_urlsafe(33)
    record = _new_record(secret, body["apiKeyType"], body["description"], time.time())
    record["expiresAt"] = _expiry(body.get("expiresAt"))
    record["consumptionLimits"] = _limits(body.get("consumptionLimit"), record["consumptionLimits"])
    record["limitPeriod"] = body.get("limitPeriod", "EPOCH")
    record["modelPrivacy"] = body.get("modelPrivacy", "ALL")
    ctx.state.api_keys[secret] = body["apiKeyType"]
    records[record["id"]] = record
    return JSONResponse(
        {
            "success": True,
            "data": {
                "id": record["id"],
                "apiKey": secret,
                "apiKeyType": record["apiKeyType"],
                "description": record["description"],
                "expiresAt": record["expiresAt"],
                "consumptionLimit": record["consumptionLimits"],
                "limitPeriod": record["limitPeriod"],
                "modelPrivacy": record["modelPrivacy"],
            },
        }
    )


async def _json_body(ctx: Context) -> Any:
    """PATCH/DELETE bodies (the shared pipeline parses POST bodies only)."""
    raw = await ctx.request.body()
    if not raw:
        return None
    ctype = ctx.request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise error(400, "'Content-Type' must be 'application/json'")
    try:
        return json.loads(raw)
    except ValueError:
        raise error(400, "Invalid JSON request") from None


async def update_key(ctx: Context) -> Response:
    body = await _json_body(ctx)
    ctx.body = body
    spec.validate_body("/api_keys", body, "patch")
    record = _records(ctx.state).get(body["id"])
    if record is None:
        raise error(400, "API key not found or expired")
    if "description" in body:
        record["description"] = body["description"]
    if "expiresAt" in body:
        record["expiresAt"] = _expiry(body["expiresAt"])
    if "consumptionLimit" in body:
        record["consumptionLimits"] = _limits(body["consumptionLimit"], record["consumptionLimits"])
    for name in ("limitPeriod", "modelPrivacy"):
        if name in body:
            record[name] = body[name]
    view = _view(record)
    view.pop("usage", None)
    view.pop("currentPeriodUsage", None)
    return JSONResponse({"success": True, "data": view})


async def delete_key(ctx: Context) -> Response:
    key_id = ctx.request.query_params.get("id")
    if key_id is None:
        body = await _json_body(ctx)
        key_id = body.get("id") if isinstance(body, dict) else None
    records = _records(ctx.state)
    record = records.get(key_id or "")
    if record is None:
        raise error(400, "API key could not be found")
    del records[record["id"]]
    ctx.state.api_keys.pop(record["_secret"], None)
    return JSONResponse({"success": True})


async def get_key(ctx: Context) -> Response:
    record = _records(ctx.state).get(ctx.request.path_params["id"])
    if record is None:
        raise error(400, "API key not found")
    return JSONResponse({"data": _view(record)})


async def rate_limits(ctx: Context) -> Response:
    tomorrow = datetime.now(timezone.utc).date() + timedelta(days=1)
    return JSONResponse(
        {
            "data": {
                "accessPermitted": True,
                "apiTier": {"id": "paid", "isCharged": True},
                "balances": {"USD": 25.0, "DIEM": 90.5, "BUNDLED_CREDITS": 10.0},
                "keyExpiration": None,
                "nextEpochBegins": f"{tomorrow.isoformat()}T00:00:00.000Z",
                "rateLimits": [
                    {
                        "apiModelId": "zai-org-glm-5-2",
                        "rateLimits": [{"type": "RPM", "amount": 50}, {"type": "TPM", "amount": 750000}],
                    },
                    {
                        "apiModelId": "text-embedding-bge-m3",
                        "rateLimits": [{"type": "RPM", "amount": 500}, {"type": "TPM", "amount": 1000000}],
                    },
                    {"apiModelId": "wan-2-7-text-to-video", "rateLimits": []},
                ],
            }
        }
    )


async def rate_limit_log(ctx: Context) -> Response:
    records = list(_records(ctx.state).values())
    key_id = records[0]["id"] if records else None
    entries = [
        ("zai-org-glm-5-2", "RPM"),
        ("endpoint:api/v1/crypto/rpc", "RPM"),
        ("model:unknown", "FAILED_REQUESTS"),
    ]
    data = [
        {
            "apiKeyId": key_id,
            "modelId": model,
            "rateLimitType": kind,
            "rateLimitTier": "paid",
            "timestamp": iso_ms((HISTORY_END - timedelta(minutes=7 * i)).timestamp()),
        }
        for i, (model, kind) in enumerate(entries)
    ]
    return JSONResponse({"object": "list", "data": data})


async def web3_token(ctx: Context) -> Response:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    now = int(ctx.state.clock())
    token = ".".join(
        [
            part({"alg": "HS256", "typ": "JWT"}),
            part({"sub": "generate_web3_key", "iat": now, "exp": now + 900, "nonce": secrets.token_hex(8)}),
            base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("="),
        ]
    )
    return JSONResponse({"success": True, "data": {"token": token}})

"""create_app: Venice's routes under /api/v1, each run through the same pipeline in Venice's order:

record → Content-Type / JSON checks (before auth) → authenticate (route class) → wallet admission
(balance floor, 5 in flight) → injected faults → handler (validation, model lookup, work, debit)
→ response headers (version, rate limits, wallet balance).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Receive, Scope, Send

from venice_mcp.sandbox import (
    account,
    audio,
    augment,
    characters,
    chat,
    control,
    crypto,
    facilitator,
    images,
    models,
    responses,
    text,
    topup,
    video,
    x402,
)
from venice_mcp.sandbox.auth import Access, Caller, authenticate
from venice_mcp.sandbox.context import Context
from venice_mcp.sandbox.errors import OVERLOADED, STATUS_MESSAGES, VeniceError, error
from venice_mcp.sandbox.faults import Fault
from venice_mcp.sandbox.state import RecordedRequest, SandboxState

VENICE_VERSION = "20260821.193530-sandbox"
Handler = Callable[[Context], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    access: Access
    handler: Handler
    inference: bool = False  # metered: rate-limit headers, version header, wallet billing
    body: bool = True  # False: no body is needed and none is checked (x402 top-up: no Content-Type)


ENDPOINTS = (
    Endpoint("GET", "/models", Access.PUBLIC, models.list_models),
    Endpoint("GET", "/models/traits", Access.PUBLIC, models.list_traits),
    Endpoint("GET", "/models/compatibility_mapping", Access.PUBLIC, models.compatibility_mapping),
    Endpoint("POST", "/chat/completions", Access.WALLET, chat.chat_completions, inference=True),
    Endpoint("POST", "/embeddings", Access.WALLET, text.embeddings, inference=True),
    # x402: top-up authorizes itself with the signed payment; the reads check SIWX themselves
    # (their 401/402/403 bodies differ from the inference routes').
    Endpoint("POST", topup.PATH, Access.PUBLIC, topup.top_up, body=False),
    Endpoint("GET", "/x402/balance/{wallet}", Access.PUBLIC, topup.balance),
    Endpoint("GET", "/x402/transactions/{wallet}", Access.PUBLIC, topup.transactions),
    Endpoint("GET", "/image/styles", Access.PUBLIC, images.styles),
    Endpoint("POST", "/image/generate", Access.WALLET, images.generate, inference=True),
    Endpoint("POST", "/image/edit", Access.WALLET, images.edit, inference=True),
    Endpoint("POST", "/image/multi-edit", Access.WALLET, images.multi_edit, inference=True),
    Endpoint("POST", "/image/upscale", Access.WALLET, images.upscale, inference=True),
    Endpoint("POST", "/image/background-remove", Access.WALLET, images.background_remove, inference=True),
    Endpoint("POST", "/responses", Access.WALLET, responses.create_response, inference=True),
    Endpoint("POST", "/augment/search", Access.WALLET, augment.search, inference=True),
    Endpoint("POST", "/augment/scrape", Access.WALLET, augment.scrape, inference=True),
    Endpoint("POST", "/augment/text-parser", Access.WALLET, augment.text_parser, inference=True),
    Endpoint("GET", "/crypto/rpc/networks", Access.PUBLIC, crypto.networks),
    Endpoint("POST", "/crypto/rpc/{network}", Access.WALLET, crypto.rpc),
    Endpoint("GET", "/characters", Access.BEARER, characters.list_characters),
    Endpoint("GET", "/characters/{slug}", Access.BEARER, characters.get_character),
    Endpoint("GET", "/characters/{slug}/reviews", Access.BEARER, characters.character_reviews),
    Endpoint("GET", "/billing/balance", Access.ADMIN, account.balance),
    Endpoint("GET", "/billing/usage", Access.PUBLIC, account.usage_retired),  # 410 since 2026-09-16
    Endpoint("GET", "/billing/usage-history", Access.ADMIN, account.usage_history),
    Endpoint("GET", "/billing/usage-analytics", Access.ADMIN, account.usage_analytics),
    Endpoint("GET", "/api_keys/rate_limits/log", Access.ADMIN, account.rate_limit_log),
    Endpoint("GET", "/api_keys/rate_limits", Access.BEARER, account.rate_limits),
    Endpoint("GET", "/api_keys/generate_web3_key", Access.PUBLIC, account.web3_token),
    Endpoint("GET", "/api_keys", Access.ADMIN, account.list_keys),
    Endpoint("POST", "/api_keys", Access.ADMIN, account.create_key),
    Endpoint("PATCH", "/api_keys", Access.ADMIN, account.update_key),
    Endpoint("DELETE", "/api_keys", Access.ADMIN, account.delete_key),
    Endpoint("GET", "/api_keys/{id}", Access.ADMIN, account.get_key),
    Endpoint("POST", "/audio/speech", Access.WALLET, audio.speech, inference=True),
    Endpoint("POST", "/audio/voices", Access.WALLET, audio.voices, inference=True),
    Endpoint("POST", "/audio/transcriptions", Access.WALLET, audio.transcriptions, inference=True),
    Endpoint("POST", "/audio/quote", Access.PUBLIC, audio.quote),
    Endpoint("POST", "/audio/queue", Access.WALLET, audio.queue, inference=True),
    Endpoint("POST", "/audio/retrieve", Access.WALLET, audio.retrieve, inference=True),
    Endpoint("POST", "/audio/complete", Access.WALLET, audio.complete, inference=True),
    Endpoint("POST", "/video/quote", Access.PUBLIC, video.quote),
    Endpoint("POST", "/video/queue", Access.WALLET, video.queue, inference=True),
    Endpoint("POST", "/video/retrieve", Access.WALLET, video.retrieve, inference=True),
    Endpoint("POST", "/video/complete", Access.WALLET, video.complete, inference=True),
    Endpoint("POST", "/video/transcriptions", Access.PUBLIC, video.transcriptions),
)


class _Cleanup(Response):
    """Runs ``cleanup`` once the wrapped response has been sent (or has failed): a streamed reply
    keeps its wallet slot until the last chunk."""

    def __init__(self, inner: Response, cleanup: Callable[[], None]) -> None:
        self.inner = inner
        self.cleanup = cleanup
        self.status_code = inner.status_code
        self.background = None
        self.raw_headers = inner.raw_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.inner(scope, receive, send)
        finally:
            self.cleanup()


class _Dropped(Response):
    """A connection that dies mid-response: headers promise a body that never comes. Under uvicorn
    the socket closes; in-process (ASGITransport) the client sees the same transport error."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        import httpx2

        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")],
            }
        )
        raise httpx2.RemoteProtocolError("Server disconnected without sending a complete response.")


def _now_ms() -> int:
    return int(time.time() * 1000)


def _fault_error(fault: Fault) -> VeniceError:
    status = fault.status or 500
    headers: dict[str, str] = {}
    if status == 429:
        message = fault.message or (OVERLOADED if fault.retry_after is not None else STATUS_MESSAGES[429])
        wait_s = fault.retry_after if fault.retry_after is not None else 60.0
        headers["x-ratelimit-remaining-requests"] = "0"
        headers["x-ratelimit-reset-requests"] = str(_now_ms() + int(wait_s * 1000))
    else:
        message = fault.message or STATUS_MESSAGES.get(status, "An unknown error occurred")
    if fault.retry_after is not None:
        headers["retry-after"] = f"{fault.retry_after:g}"
    return VeniceError(status, {"error": message}, headers)


def _rate_headers(tokens_used: int) -> dict[str, str]:
    reset = str((_now_ms() // 60_000 + 1) * 60_000)
    return {
        "x-ratelimit-limit-requests": "500",
        "x-ratelimit-remaining-requests": "499",
        "x-ratelimit-reset-requests": reset,
        "x-ratelimit-limit-tokens": "1000000",
        "x-ratelimit-remaining-tokens": str(max(0, 1_000_000 - tokens_used)),
        "x-ratelimit-reset-tokens": reset,
    }


async def _parse(request: Request) -> object:
    if request.method != "POST":
        return None
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype not in ("application/json", "multipart/form-data"):
        raise error(400, "'Content-Type' must be 'application/json'")
    if ctype != "application/json":
        return None
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise error(400, "Invalid JSON request") from None


def _endpoint(ep: Endpoint, state: SandboxState) -> Callable[[Request], Awaitable[Response]]:
    async def serve(request: Request) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        record = RecordedRequest(request.method, ep.path, dict(request.query_params), headers, None)
        state.record(record)
        try:
            response = await _serve(ep, state, request, headers, record)
        except VeniceError as exc:
            response = exc.response()
        record.status = response.status_code
        form = getattr(request, "_form", None)  # Starlette keeps the parsed multipart form here
        if form is not None:
            record.form = list(form.keys())
        return response

    return serve


async def _serve(
    ep: Endpoint, state: SandboxState, request: Request, headers: dict[str, str], record: RecordedRequest
) -> Response:
    if ep.path != topup.PATH and any(headers.get(name) for name in topup.PAYMENT_HEADERS):
        raise error(
            400,
            "Payment headers are only accepted on POST /api/v1/x402/top-up; top up first, then "
            "authenticate with SIGN-IN-WITH-X",
            code="PAYMENT_HEADER_NOT_ACCEPTED",
        )
    body = await _parse(request) if ep.body else None
    record.json = body
    host = headers.get("host", "api.venice.ai")
    url = f"{request.url.scheme}://{host}/api/v1{ep.path}"
    caller = authenticate(ep.access, headers, state, host=host, url=url)

    extra: dict[str, str] = {}
    cleanup: Callable[[], None] = lambda: None  # noqa: E731
    if caller.wallet is not None:
        balance = state.balance(caller.wallet)
        if balance < state.minimum_balance_usd:
            raise x402.insufficient_balance(balance, state.minimum_balance_usd, host, url, state.clock())
        if not state.try_enter(caller.wallet):
            raise error(429, "Too many concurrent requests", code="X402_CONCURRENCY_LIMIT")
        wallet = caller.wallet
        cleanup = lambda: state.leave(wallet)  # noqa: E731
        extra["x-venice-balance-usd"] = f"{balance:.6f}"
        diem = state.diem.get(wallet.lower())
        if diem:
            extra["x-venice-balance-diem"] = f"{diem:.6f}"
    elif caller.key_type is not None and ep.inference:
        # An API key spends its account's balance; Venice reports what was spendable (omitted at zero).
        for currency, value in account.BALANCES.items():
            extra[f"x-venice-balance-{currency}"] = f"{value:.6f}"

    ctx = Context(request=request, state=state, caller=caller, body=body, path=ep.path)
    try:
        response = await _run(ep, state, ctx)
    except VeniceError as exc:
        response = exc.response()
    except BaseException:
        cleanup()
        raise
    finally:
        if record.json is None:
            record.json = ctx.body  # a handler that reads its own body (PATCH) leaves it here
    _decorate(response, ep, caller, ctx, extra)
    return _Cleanup(response, cleanup)


async def _run(ep: Endpoint, state: SandboxState, ctx: Context) -> Response:
    return await _with_faults(state, ctx.request.method, ep.path, lambda: ep.handler(ctx))


async def _with_faults(
    state: SandboxState, method: str, path: str, work: Callable[[], Awaitable[Response]]
) -> Response:
    """Run ``work`` under the first fault registered for this request: a fault stalls, drops or
    fails the request before the work, or (``after``) once the work is done and only the answer
    suffers."""
    fault = state.faults.take(method, path)
    if fault is not None and not fault.after:
        failed = await _inflict(state, fault)
        if failed is not None:
            return failed
    response = await work()
    if fault is not None and fault.after:
        return await _inflict(state, fault) or response
    return response


async def _inflict(state: SandboxState, fault: Fault) -> Response | None:
    """Stall for the fault's delay, then drop or fail; None when the request may go on."""
    if fault.delay > 0:
        await state.faults.sleep(fault.delay)
    if fault.drop:
        return _Dropped()
    if fault.status is not None:
        raise _fault_error(fault)
    return None


def _decorate(response: Response, ep: Endpoint, caller: Caller, ctx: Context, extra: dict[str, str]) -> None:
    if isinstance(response, _Dropped):
        return
    out = dict(extra)
    if ep.inference:
        out["x-venice-version"] = VENICE_VERSION
        if response.status_code < 400:
            out.update(_rate_headers(ctx.tokens_used))
    if ep.access is not Access.PUBLIC:
        # The error budget: failed requests left in the 30 s window (reset in Unix ms).
        out["x-ratelimit-remaining"] = "50"
        out["x-ratelimit-resets"] = str(_now_ms() + 30_000)
    out.update(ctx.headers)
    # What ``response.headers[name] = value`` does for a name not yet present (append it, lower
    # case, latin-1), without a scan of the header list per name: a dozen per inference reply.
    raw = response.raw_headers
    present = {key for key, _ in raw}
    for name, value in out.items():
        key = name.lower().encode("latin-1")
        if key not in present:
            raw.append((key, value.encode("latin-1")))
            present.add(key)


async def _not_found(request: Request) -> Response:
    return JSONResponse({"error": "Not found"}, status_code=404)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "An unknown error occurred"
    return JSONResponse({"error": detail}, status_code=status)


def _facilitator(
    state: SandboxState, path: str, handler: facilitator.Handler
) -> Callable[[Request], Awaitable[Response]]:
    """The facilitator routes take faults like Venice's (path as registered, e.g.
    ``/facilitator/settle``), with none of Venice's auth or headers."""

    async def serve(request: Request) -> Response:
        try:
            return await _with_faults(state, request.method, path, lambda: handler(request, state))
        except VeniceError as exc:
            return exc.response()

    return serve


def create_app(state: SandboxState) -> Starlette:
    api: list[BaseRoute] = [Route(ep.path, _endpoint(ep, state), methods=[ep.method]) for ep in ENDPOINTS]
    api.append(Route("/{rest:path}", _not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]))
    facilitation: list[BaseRoute] = [
        Route(path, _facilitator(state, path, handler), methods=[method])
        for method, path, handler in facilitator.ROUTES
    ]
    app = Starlette(
        routes=[
            Mount("/api/v1", routes=api),
            *facilitation,
            *control.routes(state),
            *video.routes(state),
        ],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.sandbox = state
    return app

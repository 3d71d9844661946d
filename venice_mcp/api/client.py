"""VeniceClient: the one way any code in this package talks to Venice.

One request path does auth (a Bearer key, or a freshly signed SIWX header on every attempt),
timeouts by kind of route, retries where they cannot charge twice, error mapping, and JSON or
binary bodies (binary streamed to disk when a destination is given). Queued media jobs are typed
operations on top of it: ``client.video`` and ``client.music`` (api/media.py).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import anyio
import httpx2

from venice_mcp.api import errors
from venice_mcp.api.media import MediaJobs
from venice_mcp.api.retry import (
    Idempotency,
    RetryPolicy,
    backoff,
    rate_limit_wait,
    should_retry_status,
)
from venice_mcp.api.types import MediaKind
from venice_mcp.payments.signer import Signer
from venice_mcp.payments.siwx import HEADER as SIWX_HEADER
from venice_mcp.payments.siwx import sign_in_header

log = logging.getLogger(__name__)
# What an attempt holds when it needs no wallet slot.
_NO_SLOT: nullcontext[None] = nullcontext()

# Route kinds and their timeouts (seconds). Generation can legitimately take minutes; catalog
# reads should not.
RouteKind = Literal["fast", "inference", "upload", "media"]
TIMEOUTS: dict[RouteKind, httpx2.Timeout] = {
    "fast": httpx2.Timeout(30.0, connect=10.0),
    "inference": httpx2.Timeout(180.0, connect=10.0),
    "upload": httpx2.Timeout(300.0, connect=10.0),
    "media": httpx2.Timeout(600.0, connect=10.0),
}
# "required": credentials must be sent (fail fast if none); "optional": send them when we have
# them (they tailor public routes); "none": never send (payment discovery).
AuthNeed = Literal["required", "optional", "none"]

WALLET_MAX_IN_FLIGHT = 5

# Called when a wallet request meets Venice's insufficient_balance 402, at most once per logical
# request. True: credit was added (or was found sufficient), retry once with a fresh SIWX header.
# False: give the agent the 402. It may raise a VeniceError that explains why it did not pay.
InsufficientBalanceHook = Callable[[errors.PaymentRequiredError], Awaitable[bool]]


AuthKind = Literal["api_key", "wallet", "none"]


class Auth(Protocol):
    @property
    def kind(self) -> AuthKind: ...

    def headers(self, url: str) -> dict[str, str]:
        """Headers for ONE attempt; called again for every retry."""
        ...


class NoAuth:
    kind: AuthKind = "none"

    def headers(self, url: str) -> dict[str, str]:
        return {}


class BearerAuth:
    kind: AuthKind = "api_key"

    def __init__(self, key: str) -> None:
        self._key = key

    def headers(self, url: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._key}"}

    def __repr__(self) -> str:
        return "BearerAuth(***)"

    def __reduce__(self) -> str:
        raise TypeError("BearerAuth cannot be pickled or copied: it holds an API key")


class WalletAuth:
    kind: AuthKind = "wallet"

    def __init__(self, signer: Signer) -> None:
        self.signer = signer
        # Venice admits at most 5 in-flight requests per wallet; the 6th would be a 429.
        self.slots = anyio.Semaphore(WALLET_MAX_IN_FLIGHT)

    @property
    def address(self) -> str:
        return self.signer.address

    def headers(self, url: str) -> dict[str, str]:
        return {SIWX_HEADER: sign_in_header(self.signer, url)}


@dataclass
class VeniceResponse:
    status: int
    headers: Mapping[str, str]
    content_type: str
    body: Any = None
    content: bytes | None = None
    path: Path | None = None
    size: int = 0
    elapsed_ms: float = 0.0
    attempts: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def balance_usd(self) -> float | None:
        raw = self.headers.get("x-venice-balance-usd") or self.headers.get("x-balance-remaining")
        try:
            return float(raw) if raw is not None else None
        except ValueError:
            return None

    @property
    def request_id(self) -> str | None:
        """Venice's id for what was served: a response id, a queued job's id, or the header."""
        if isinstance(self.body, dict):
            for key in ("id", "queue_id"):
                if isinstance(self.body.get(key), str) and self.body[key]:
                    return str(self.body[key])
        return self.headers.get("x-request-id")


class VeniceClient:
    def __init__(
        self,
        http: httpx2.AsyncClient | Callable[[], httpx2.AsyncClient],
        *,
        base_url: str,
        auth: Auth,
        retry: RetryPolicy | None = None,
        on_insufficient_balance: InsufficientBalanceHook | None = None,
    ) -> None:
        # A factory defers building the HTTP client (its TLS context costs ~50 ms) from server
        # start to the first request: a host's initialize and tools/list never need it.
        self._http = http if isinstance(http, httpx2.AsyncClient) else None
        self._make_http = None if isinstance(http, httpx2.AsyncClient) else http
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.retry = retry or RetryPolicy()
        self.on_insufficient_balance = on_insufficient_balance
        self.video = MediaJobs(self, "video")
        self.music = MediaJobs(self, "music")

    def media(self, kind: MediaKind) -> MediaJobs:
        """The typed job operations of ``kind`` (video under /video, music under /audio)."""
        return self.video if kind == "video" else self.music

    @property
    def http(self) -> httpx2.AsyncClient:
        if self._http is None:
            assert self._make_http is not None
            self._http = self._make_http()
        return self._http

    async def aclose(self) -> None:
        """Close the HTTP client if one was made from the factory (a given client is the caller's)."""
        if self._make_http is not None and self._http is not None:
            await self._http.aclose()
            self._http = None

    def ensure_credentials(self) -> None:
        """Fail fast, before any network work, when a paid call has nothing to pay with.

        Raises:
            NotConfiguredError: no API key and no wallet.
        """
        if self.auth.kind == "none":
            raise errors.NotConfiguredError()

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        kind: RouteKind = "inference",
        auth: AuthNeed = "required",
        idempotency: Idempotency = "safe",
        save_to: Path | None = None,
        allow_top_up: bool = True,
    ) -> VeniceResponse:
        """Send one logical request (with its retries) and return the successful response.

        JSON responses are parsed into ``body``; other content types are binary: streamed into
        ``save_to`` when given (``path``, ``size``), else kept once in ``content``. A wallet's
        insufficient-balance 402 goes to ``on_insufficient_balance`` once (never for the payer's
        own requests, which pass ``allow_top_up=False``); if it added credit, the request is sent
        once more with a freshly signed header.

        Raises:
            NotConfiguredError: credentials are required and none are configured.
            APIStatusError: Venice answered with an error status (after any safe retries).
            APIConnectionError: no response could be had.
        """
        if auth == "required":
            self.ensure_credentials()
        return await self._send(
            method,
            self.url(path),
            path,
            json_body=json_body,
            params=params,
            data=data,
            files=files,
            headers=headers,
            kind=kind,
            auth=auth,
            idempotency=idempotency,
            save_to=save_to,
            allow_top_up=allow_top_up,
        )

    async def download(self, url: str, *, save_to: Path) -> VeniceResponse:
        """GET an absolute URL Venice handed out (a VPS job's download_url) and stream its body
        to ``save_to``. It carries no credentials (Venice's links need none, and the host may not
        be Venice's), follows redirects (such links may point on to storage) and is retried like
        any free read: 429, 5xx and transport errors.

        Raises:
            APIStatusError: the link answered with an error status (after the retries).
            APIConnectionError: no response could be had.
        """
        return await self._send(
            "GET", url, "download_url", kind="media", auth="none", save_to=save_to, follow_redirects=True
        )

    async def _send(
        self,
        method: str,
        url: str,
        label: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        kind: RouteKind = "inference",
        auth: AuthNeed = "required",
        idempotency: Idempotency = "safe",
        save_to: Path | None = None,
        allow_top_up: bool = True,
        follow_redirects: bool = False,
    ) -> VeniceResponse:
        # ``label`` names the request in logs: the API path, never a full URL (links can be signed).
        # Credentials never follow a redirect: httpx2 drops Authorization across origins, not SIWX.
        assert not (follow_redirects and auth != "none"), "redirects are followed only without credentials"
        attempt = 0
        hook_used = not allow_top_up or auth == "none"
        started = time.perf_counter()
        while True:
            try:
                response = await self._attempt(
                    method,
                    url,
                    json_body,
                    params,
                    data,
                    files,
                    headers,
                    kind,
                    auth,
                    save_to,
                    follow_redirects,
                )
            except httpx2.TransportError as exc:
                if self._retry_transport(exc, method, idempotency, attempt):
                    await self.retry.sleep(backoff(self.retry, attempt))
                    attempt += 1
                    continue
                raise _connection_error(exc, url) from exc
            if response.status < 400:
                response.elapsed_ms = (time.perf_counter() - started) * 1000
                response.attempts = attempt + 1
                return response
            error = errors.from_response(response.status, response.headers, response.body)
            if not hook_used and self._wants_top_up(error):
                hook_used = True
                assert self.on_insufficient_balance is not None
                if await self.on_insufficient_balance(error):  # type: ignore[arg-type]
                    log.info("venice %s %s -> 402; credit added, retrying once", method, label)
                    continue
                raise error
            wait = self._retry_wait(response, idempotency, attempt)
            if wait is None:
                raise error
            log.info("venice %s %s -> %s; retrying in %.2fs", method, label, response.status, wait)
            await self.retry.sleep(wait)
            attempt += 1

    async def _attempt(
        self,
        method: str,
        url: str,
        json_body: Any,
        params: Mapping[str, Any] | None,
        data: Mapping[str, Any] | None,
        files: Any,
        headers: Mapping[str, str] | None,
        kind: RouteKind,
        auth: AuthNeed,
        save_to: Path | None,
        follow_redirects: bool,
    ) -> VeniceResponse:
        slot = self.auth.slots if auth != "none" and isinstance(self.auth, WalletAuth) else _NO_SLOT
        async with slot:
            send_headers = {"Accept-Encoding": "gzip, br"} if save_to is None else {}
            if headers:
                send_headers.update(headers)
            if auth != "none":
                # Signed here, inside the attempt: every retry gets a new single-use SIWX proof.
                send_headers.update(self.auth.headers(url))
            request = self.http.build_request(
                method,
                url,
                json=json_body,
                params=params,
                data=data,
                files=files,
                headers=send_headers,
                timeout=TIMEOUTS[kind],
            )
            # Bodies bound for a file are streamed to it; anything else is read whole by send().
            response = await self.http.send(
                request, stream=save_to is not None, follow_redirects=follow_redirects
            )
            try:
                return await _read(response, save_to)
            finally:
                await response.aclose()

    def _wants_top_up(self, error: errors.APIStatusError) -> bool:
        return (
            self.on_insufficient_balance is not None
            and self.auth.kind == "wallet"
            and isinstance(error, errors.PaymentRequiredError)
            and error.kind == "insufficient_balance"
        )

    def _retry_transport(
        self, exc: httpx2.TransportError, method: str, idempotency: Idempotency, attempt: int
    ) -> bool:
        if attempt >= self.retry.max_retries or idempotency == "never":
            return False
        # A connect failure means Venice never saw the request; anything later might have been
        # served (and charged), so only free reads are repeated then.
        return isinstance(exc, httpx2.ConnectError) or method == "GET"

    def _retry_wait(self, response: VeniceResponse, idempotency: Idempotency, attempt: int) -> float | None:
        if attempt >= self.retry.max_retries or not should_retry_status(response.status, idempotency):
            return None
        if response.status == 429:
            wait = rate_limit_wait(response.headers, self.retry.clock())
            if wait is None:
                return backoff(self.retry, attempt)
            if wait > self.retry.max_wait:
                return None
            return wait + self.retry.jitter() * 0.25
        return backoff(self.retry, attempt)

    async def stream_events(
        self,
        path: str,
        json_body: Any,
        *,
        kind: RouteKind = "inference",
    ) -> AsyncIterator[dict[str, Any]]:
        """POST and yield each JSON event of a text/event-stream response, until [DONE].

        Only the opening of the stream is retried (it charges nothing until served). An in-band
        ``{"error": ...}`` event is raised as the matching error and ends the stream.
        """
        self.ensure_credentials()
        url = self.url(path)
        attempt = 0
        hook_used = False
        while True:
            async with AsyncExitStack() as stack:
                if isinstance(self.auth, WalletAuth):
                    await stack.enter_async_context(self.auth.slots)
                headers = {"Accept": "text/event-stream", **self.auth.headers(url)}
                try:
                    response = await stack.enter_async_context(
                        self.http.stream("POST", url, json=json_body, headers=headers, timeout=TIMEOUTS[kind])
                    )
                except httpx2.TransportError as exc:
                    if self._retry_transport(exc, "POST", "safe", attempt):
                        await self.retry.sleep(backoff(self.retry, attempt))
                        attempt += 1
                        continue
                    raise _connection_error(exc, url) from exc
                if response.status_code >= 400:
                    failed = await _read(response, None)
                    error = errors.from_response(failed.status, failed.headers, failed.body)
                    if not hook_used and self._wants_top_up(error):
                        hook_used = True
                        assert self.on_insufficient_balance is not None
                        await stack.aclose()  # give the wallet slot back before paying
                        if await self.on_insufficient_balance(error):  # type: ignore[arg-type]
                            continue
                        raise error
                    wait = self._retry_wait(failed, "safe", attempt)
                    if wait is None:
                        raise error
                    await self.retry.sleep(wait)
                    attempt += 1
                    continue
                try:
                    async for line in response.aiter_lines():
                        if not line.startswith("data:"):
                            continue
                        data = line[5:].strip()
                        if data == "[DONE]":
                            return
                        event = json.loads(data)
                        if isinstance(event, dict) and "error" in event and "choices" not in event:
                            err = event["error"] if isinstance(event["error"], dict) else {}
                            status = 429 if err.get("code") == "model_overloaded" else 500
                            hdrs = {"retry-after": str(err["retry_after"])} if "retry_after" in err else {}
                            raise errors.from_response(status, hdrs, event)
                        yield event
                except httpx2.TransportError as exc:
                    raise _connection_error(exc, url) from exc
                return


async def _read(response: httpx2.Response, save_to: Path | None) -> VeniceResponse:
    # Decoded once into a dict with lower-case names (repeated names joined with ", ", as
    # httpx2's get does): httpx2 scans and decodes the whole list on every lookup, and a tool
    # reads several (content type, request id, balance, deprecation).
    headers = dict(response.headers.items())
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    out = VeniceResponse(status=response.status_code, headers=headers, content_type=content_type)
    binary = response.status_code < 400 and not ("json" in content_type or content_type.startswith("text/"))
    if binary and save_to is not None:
        out.path, out.size = await _stream_to_file(response, save_to)
        return out
    content = await response.aread()
    out.size = len(content)
    if binary:
        out.content = content
    else:
        out.body = errors.parse_body(content, content_type)
    return out


async def _stream_to_file(response: httpx2.Response, dest: Path) -> tuple[Path, int]:
    """Write the body to ``dest`` chunk by chunk; a partial file never takes the final name."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    size = 0
    try:
        async with await anyio.open_file(tmp, "wb") as fh:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                await fh.write(chunk)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest, size


def _connection_error(exc: httpx2.TransportError, url: str) -> errors.APIConnectionError:
    reason = type(exc).__name__
    if isinstance(exc, httpx2.TimeoutException):
        return errors.APITimeoutError(f"timed out ({reason})", url=url)
    return errors.APIConnectionError(f"{reason}: {exc}" if str(exc) else reason, url=url)

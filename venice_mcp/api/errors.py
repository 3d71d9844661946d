"""Every way a Venice call can fail, as one exception tree.

    VeniceError
    ├── NotConfiguredError          no API key and no wallet
    ├── APIConnectionError          no HTTP response (DNS, refused, dropped)
    │   └── APITimeoutError
    ├── APIResponseError            a success whose body is not what the operation returns
    └── APIStatusError              Venice answered with an error status
        ├── BadRequestError         400 (field errors in .fields)
        ├── AuthenticationError     401 (SIWX failures carry .code)
        ├── PaymentRequiredError    402, in four forms (.kind)
        ├── PermissionDeniedError   403
        ├── NotFoundError           404
        ├── ConflictError           409
        ├── GoneError               410
        ├── PayloadTooLargeError    413
        ├── UnsupportedMediaError   415
        ├── ContentPolicyError      422 (.suggested_prompt, .credits_refunded, .recommended_model)
        ├── RateLimitError          429 (.retry_after seconds)
        └── ServerError             5xx

Each error renders as text an agent can act on: what happened, Venice's own words, what to do next.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

PaymentKind = Literal["no_credentials", "insufficient_balance", "insufficient_funds", "top_up", "other"]


class VeniceError(Exception):
    """Base of everything this package raises about Venice calls."""

    def agent_message(self) -> str:
        return str(self)


class NotConfiguredError(VeniceError):
    def __init__(self) -> None:
        super().__init__(
            "No Venice credentials are configured. Set VENICE_API_KEY (from https://venice.ai/settings/api) "
            "or VENICE_WALLET_KEY (a Base wallet holding Venice x402 credit) in the server's environment "
            "(for Claude Desktop, the 'env' block of the server entry), then restart the server. "
            "To try it without an account, start it with --sandbox."
        )


class APIConnectionError(VeniceError):
    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.url = url

    def agent_message(self) -> str:
        return f"Could not reach Venice ({self}). Check the network or VENICE_BASE_URL, then retry."


class APITimeoutError(APIConnectionError):
    def agent_message(self) -> str:
        return (
            f"Venice did not answer in time ({self}). Retry; for long text generations ask for fewer tokens."
        )


class APIResponseError(VeniceError):
    """Venice answered with success, but not in the shape its operation promises."""

    def __init__(self, what: str, body: Any, reason: str = "") -> None:
        shown = body if isinstance(body, str) else json.dumps(body, default=str)
        super().__init__(f"{what} answered {shown[:300]}" + (f" ({reason})" if reason else ""))
        self.body = body

    def agent_message(self) -> str:
        return f"Venice's answer could not be read: {self}. Retry later; if it persists, report it."


class APIStatusError(VeniceError):
    status: int

    def __init__(
        self,
        message: str,
        *,
        status: int,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.code = code
        self.request_id = self.headers.get("x-request-id") or self.headers.get("cf-ray")

    def next_step(self) -> str:
        return ""

    def agent_message(self) -> str:
        text = f"Venice returned {self.status}: {self}"
        if self.code:
            text += f" (code {self.code})"
        step = self.next_step()
        return f"{text}. {step}".rstrip() if step else text


class BadRequestError(APIStatusError):
    def __init__(self, message: str, *, fields: Mapping[str, list[str]] | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.fields = dict(fields or {})

    def agent_message(self) -> str:
        text = f"Venice rejected the request (400): {self}"
        if self.fields:
            text += ". " + "; ".join(f"{k}: {', '.join(v)}" for k, v in self.fields.items())
        return text + ". Fix the arguments and call again; retrying unchanged will fail the same way."


class AuthenticationError(APIStatusError):
    def next_step(self) -> str:
        if self.code and self.code.startswith("X402_SIGN_IN"):
            return "The wallet sign-in was refused; check the machine clock and VENICE_WALLET_KEY."
        return "Check VENICE_API_KEY (it may be revoked or expired, or need an ADMIN key for this call)."


class PaymentRequiredError(APIStatusError):
    def __init__(self, message: str, *, kind: PaymentKind, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.kind = kind
        body = self.body if isinstance(self.body, dict) else {}
        self.current_balance_usd: float | None = body.get("currentBalanceUsd")
        self.minimum_balance_usd: float | None = body.get("minimumBalanceUsd")
        self.minimum_top_up_usd: float | None = body.get("minimumTopUpUsd")
        self.suggested_top_up_usd: float | None = body.get("suggestedTopUpUsd")

    def next_step(self) -> str:
        if self.kind == "no_credentials":
            return str(NotConfiguredError())
        if self.kind == "insufficient_balance":
            balance = "unknown" if self.current_balance_usd is None else f"${self.current_balance_usd:.2f}"
            minimum = self.minimum_top_up_usd or 5
            suggested = self.suggested_top_up_usd or max(minimum, 10)
            return (
                f"The wallet's Venice credit is {balance}, below the ${self.minimum_balance_usd or 0.10:.2f} "
                f"needed to make calls. Top up at least ${minimum:g} with "
                f'venice_wallet_top_up {{"amount_usd": {suggested:g}}}, then call again.'
            )
        if self.kind == "insufficient_funds":
            return (
                "The account or API key has no funds (or hit its spend limit). Add credit at "
                "https://venice.ai/settings/api or raise the key's limit; a wallet top-up does not help here."
            )
        return ""


class PermissionDeniedError(APIStatusError):
    pass


class NotFoundError(APIStatusError):
    def next_step(self) -> str:
        return "Check the model id with venice_models, or the id of the job or character."


class ConflictError(APIStatusError):
    pass


class GoneError(APIStatusError):
    def next_step(self) -> str:
        return "This Venice endpoint is retired."


class PayloadTooLargeError(APIStatusError):
    def next_step(self) -> str:
        return "Send a smaller input (files up to 25 MB)."


class UnsupportedMediaError(APIStatusError):
    pass


class ContentPolicyError(APIStatusError):
    def __init__(
        self,
        message: str,
        *,
        suggested_prompt: str | None = None,
        credits_refunded: bool | None = None,
        recommended_model: str | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.suggested_prompt = suggested_prompt
        self.credits_refunded = credits_refunded
        self.recommended_model = recommended_model

    def next_step(self) -> str:
        parts = []
        if self.credits_refunded is not None:
            parts.append("Credits were refunded." if self.credits_refunded else "Credits were not refunded.")
        if self.recommended_model:
            parts.append(f"Venice recommends the model {self.recommended_model}.")
        if self.suggested_prompt:
            parts.append(f"Venice suggests this prompt instead: {self.suggested_prompt!r}.")
        if not parts:
            parts.append("Rephrase the prompt.")
        return " ".join(parts)


class RateLimitError(APIStatusError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after

    def next_step(self) -> str:
        if self.retry_after is not None:
            return f"Wait about {self.retry_after:.0f} s before calling again."
        return "Wait a little before calling again."


class ServerError(APIStatusError):
    def next_step(self) -> str:
        return "This is on Venice's side; retry later or try another model."


_BY_STATUS: dict[int, type[APIStatusError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaError,
}


def _message(body: Any, fallback: str) -> str:
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            return str(err.get("message") or err.get("code") or fallback)
        if isinstance(err, str) and err:
            # Top-up errors put a CODE in "error" and the prose in "message".
            msg = body.get("message")
            return f"{err}: {msg}" if isinstance(msg, str) and msg and err.isupper() else err
        if isinstance(body.get("message"), str):
            return str(body["message"])
    if isinstance(body, str) and body.strip():
        return body.strip()[:500]
    return fallback


def _fields(body: Any) -> dict[str, list[str]]:
    """Field errors of a DetailedError (zod-style details, or issues with paths)."""
    out: dict[str, list[str]] = {}
    if not isinstance(body, dict):
        return out
    details = body.get("details")
    if isinstance(details, dict):
        for key, value in details.items():
            if key != "_errors" and isinstance(value, dict) and value.get("_errors"):
                out[key] = [str(m) for m in value["_errors"]]
        if details.get("_errors"):
            out.setdefault("(body)", []).extend(str(m) for m in details["_errors"])
    elif isinstance(details, str) and details:
        out["(details)"] = [details]
    if not out and isinstance(body.get("issues"), list):
        for issue in body["issues"]:
            if isinstance(issue, dict):
                path = ".".join(str(p) for p in issue.get("path") or []) or "(body)"
                out.setdefault(path, []).append(str(issue.get("message", "invalid")))
    return out


def _payment_kind(body: Any) -> PaymentKind:
    if isinstance(body, dict):
        if body.get("reason") == "insufficient_balance" or body.get("code") == "PAYMENT_REQUIRED":
            return "insufficient_balance"
        if "x402Version" in body:
            return "no_credentials" if "authOptions" in body or body.get("error") else "top_up"
        if isinstance(body.get("error"), str) and body["error"].isupper():
            return "other"
        if "error" in body:
            return "insufficient_funds"
    return "other"


def _retry_after(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def parse_body(content: bytes, content_type: str) -> Any:
    if "json" in content_type or content[:1] in (b"{", b"["):
        try:
            return json.loads(content)
        except ValueError:
            pass
    return content.decode("utf-8", "replace")


def from_response(status: int, headers: Mapping[str, str], body: Any) -> APIStatusError:
    """Map one error response to the exception a caller can branch on."""
    headers = {k.lower(): v for k, v in headers.items()}
    message = _message(body, f"HTTP {status}")
    code = None
    if isinstance(body, dict):
        raw = body.get("code")
        err = body.get("error")
        if isinstance(raw, str):
            code = raw
        elif isinstance(err, dict) and isinstance(err.get("code"), str):
            code = err["code"]
        elif isinstance(err, str) and err.isupper() and "_" in err:
            code = err
    kw: dict[str, Any] = {"status": status, "body": body, "headers": headers, "code": code}
    if status == 400:
        return BadRequestError(message, fields=_fields(body), **kw)
    if status == 402:
        return PaymentRequiredError(message, kind=_payment_kind(body), **kw)
    if status == 422:
        err = body.get("error") if isinstance(body, dict) else None
        detail = err if isinstance(err, dict) else {}
        return ContentPolicyError(
            message,
            suggested_prompt=body.get("suggested_prompt") if isinstance(body, dict) else None,
            credits_refunded=detail.get("credits_refunded"),
            recommended_model=detail.get("recommended_model"),
            **kw,
        )
    if status == 429:
        return RateLimitError(message, retry_after=_retry_after(headers), **kw)
    if status >= 500:
        return ServerError(message, **kw)
    return _BY_STATUS.get(status, APIStatusError)(message, **kw)

"""Every error form Venice documents maps to an exception whose text carries Venice's own words
and the next step. Bodies are copied from the API reference (§1.4, §6.4)."""

from __future__ import annotations

import pytest

from venice_mcp.api import errors


def test_detailed_400_lists_field_errors() -> None:
    body = {
        "error": "Invalid request parameters",
        "details": {"_errors": [], "temperature": {"_errors": ["Number must be less than or equal to 2"]}},
        "issues": [
            {"code": "too_big", "path": ["temperature"], "message": "Number must be less than or equal to 2"}
        ],
    }
    err = errors.from_response(400, {}, body)
    assert isinstance(err, errors.BadRequestError)
    assert err.fields == {"temperature": ["Number must be less than or equal to 2"]}
    msg = err.agent_message()
    assert (
        "Invalid request parameters" in msg and "temperature: Number must be less than or equal to 2" in msg
    )


def test_issues_are_used_when_details_are_absent() -> None:
    body = {
        "error": "Invalid request parameters",
        "issues": [{"path": ["messages", 0], "message": "Required"}],
    }
    assert errors.from_response(400, {}, body).fields == {"messages.0": ["Required"]}  # type: ignore[attr-defined]


def test_openai_style_context_overflow() -> None:
    body = {
        "error": {
            "message": "Your request exceeds the model's maximum context.",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        }
    }
    err = errors.from_response(400, {}, body)
    assert "exceeds the model's maximum context" in err.agent_message()
    assert err.code == "context_length_exceeded"


def test_402_no_credentials_says_how_to_configure() -> None:
    body = {"x402Version": 2, "error": "Authentication required", "accepts": [], "authOptions": {}}
    err = errors.from_response(402, {}, body)
    assert isinstance(err, errors.PaymentRequiredError) and err.kind == "no_credentials"
    assert "VENICE_API_KEY" in err.agent_message()


def test_402_insufficient_balance_gives_the_top_up_call() -> None:
    body = {
        "error": "Payment required",
        "code": "PAYMENT_REQUIRED",
        "reason": "insufficient_balance",
        "currentBalanceUsd": 0.04,
        "minimumBalanceUsd": 0.1,
        "suggestedTopUpUsd": 10,
        "minimumTopUpUsd": 5,
    }
    err = errors.from_response(402, {}, body)
    assert isinstance(err, errors.PaymentRequiredError) and err.kind == "insufficient_balance"
    msg = err.agent_message()
    assert "$0.04" in msg and "venice_wallet_top_up" in msg and '"amount_usd": 10' in msg


def test_402_plain_insufficient_funds_says_top_up_does_not_help() -> None:
    body = {"error": "API key USD spend limit exceeded. Your account may still have USD balance, but …"}
    err = errors.from_response(402, {}, body)
    assert isinstance(err, errors.PaymentRequiredError) and err.kind == "insufficient_funds"
    assert "spend limit exceeded" in err.agent_message() and "does not help" in err.agent_message()


def test_402_top_up_discovery() -> None:
    err = errors.from_response(402, {}, {"x402Version": 2, "accepts": [{"scheme": "exact"}]})
    assert isinstance(err, errors.PaymentRequiredError) and err.kind == "top_up"


def test_top_up_error_codes_keep_code_and_message() -> None:
    err = errors.from_response(504, {}, {"error": "SETTLEMENT_TIMEOUT", "message": "Settlement timed out"})
    assert isinstance(err, errors.ServerError) and err.code == "SETTLEMENT_TIMEOUT"
    assert "Settlement timed out" in err.agent_message()


def test_siwx_failure_carries_its_code() -> None:
    err = errors.from_response(401, {}, {"error": "Nonce already used", "code": "X402_SIGN_IN_NONCE_REUSED"})
    assert isinstance(err, errors.AuthenticationError) and err.code == "X402_SIGN_IN_NONCE_REUSED"
    assert "X402_SIGN_IN_NONCE_REUSED" in err.agent_message() and "clock" in err.agent_message()


def test_422_audio_suggested_prompt() -> None:
    body = {
        "error": "Your prompt violates the content policy of Venice.ai",
        "suggested_prompt": "a calm song",
    }
    err = errors.from_response(422, {}, body)
    assert isinstance(err, errors.ContentPolicyError) and err.suggested_prompt == "a calm song"
    assert "a calm song" in err.agent_message()


def test_422_video_provider_policy_says_refund_and_model() -> None:
    body = {
        "error": {
            "message": "The selected model provider rejected this request due to its content policies.",
            "type": "provider_content_policy",
            "credits_refunded": True,
            "recommended_model": "wan-2-7-text-to-video",
        }
    }
    err = errors.from_response(422, {}, body)
    msg = err.agent_message()
    assert "Credits were refunded" in msg and "wan-2-7-text-to-video" in msg and "content policies" in msg


def test_429_retry_after_and_concurrency_code() -> None:
    err = errors.from_response(
        429,
        {"Retry-After": "30"},
        {"error": "Too many concurrent requests", "code": "X402_CONCURRENCY_LIMIT"},
    )
    assert isinstance(err, errors.RateLimitError) and err.retry_after == 30
    assert "30 s" in err.agent_message() and "X402_CONCURRENCY_LIMIT" in err.agent_message()


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (409, errors.ConflictError),
        (410, errors.GoneError),
        (413, errors.PayloadTooLargeError),
        (415, errors.UnsupportedMediaError),
        (500, errors.ServerError),
        (502, errors.ServerError),
        (503, errors.ServerError),
    ],
)
def test_status_classes(status: int, kind: type) -> None:
    err = errors.from_response(status, {}, {"error": f"venice says {status}"})
    assert isinstance(err, kind) and f"venice says {status}" in err.agent_message()


def test_non_json_body_is_quoted() -> None:
    err = errors.from_response(502, {}, errors.parse_body(b"<html>Bad gateway</html>", "text/html"))
    assert "Bad gateway" in err.agent_message()
